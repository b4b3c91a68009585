/* Host unit tests for the emulated PCI configuration space (kernel/vpci.c), against a fake
 * host function whose registers behave like real ones: read-only bits stay, BARs size
 * (writable address bits only), MSI Message Control keeps its capability bits. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fake_pci.h"
#include "vpci.h"

#define GUEST_DOORBELL 0x08090040ull
#define HOST_DOORBELL  (0x08090040ull + 0x100000000ull)
#define PCIE_CAP 0x40
#define MSI_CAP  0x80
#define DEVFN    ((4 << 3) | 0)          /* 00:04.0 in the guest */
#define ECAM(devfn, reg) ((uint64_t)(devfn) << 12 | (reg))
#define MAX_WRITES 1024

struct host_write {
    uint32_t off, size, value;
};

/* A PCI function (its registers in fake_pci.h), the host writes it saw and its MSI routing. */
struct fake {
    struct fake_pci_regs regs;
    unsigned nwrites;
    struct host_write w[MAX_WRITES];
    uint64_t route_to;                  /* the host doorbell msi_route answers */
    unsigned route_calls;
    uint64_t route_addr;
    uint32_t route_data;
};

static struct fake F, F2;
static struct vpci_bus bus;

/* The host only sees aligned 1/2/4-byte accesses inside the 256 bytes. */
static void check_access(uint32_t off, uint32_t size)
{
    cr_assert(fake_pci_access_ok(off, size), "bad host access at %#x size %u", off, size);
}

static uint32_t fake_read(void *ctx, uint32_t off, uint32_t size)
{
    struct fake *f = ctx;
    check_access(off, size);
    return fake_pci_get(f->regs.cfg, off, size);
}

static void fake_write(void *ctx, uint32_t off, uint32_t size, uint32_t v)
{
    struct fake *f = ctx;
    check_access(off, size);
    cr_assert_lt(f->nwrites, MAX_WRITES);
    f->w[f->nwrites++] = (struct host_write){ off, size, v };
    fake_pci_write(&f->regs, off, size, v);
}

static bool fake_route(void *ctx, uint64_t guest_address, uint32_t guest_data, uint64_t *host_address,
                       uint32_t *host_data)
{
    struct fake *f = ctx;
    f->route_calls++;
    f->route_addr = guest_address;
    f->route_data = guest_data;
    if (guest_address != GUEST_DOORBELL)
        return false;
    *host_address = f->route_to;
    *host_data = guest_data;
    return true;
}

static const struct vpci_host_ops ops = { fake_read, fake_write, fake_route };

/* QEMU's edu device as firmware left it: decoding on, a PCIe capability, then MSI (64-bit,
 * one vector); BAR0 1 MiB at 0x10000000, BAR2/3 16 KiB 64-bit prefetchable at 0x80_0000_0000. */
static void fake_init(struct fake *f)
{
    memset(f, 0, sizeof(*f));
    f->route_to = HOST_DOORBELL;
    fake_pci_put(f->regs.cfg, PCI_VENDOR_ID, 4, 0x11e81234);
    fake_pci_put(f->regs.cfg, PCI_COMMAND, 2,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | 0x0100 /* SERR */);
    fake_pci_put(f->regs.wmask, PCI_COMMAND, 2, 0x0547);
    fake_pci_put(f->regs.cfg, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
    fake_pci_put(f->regs.cfg, PCI_CLASS_REVISION, 4, 0x00ff0010);
    fake_pci_put(f->regs.cfg, 0x0C, 4, 0x00000010);  /* cache line 0x10, header type 0 */
    fake_pci_put(f->regs.wmask, 0x0C, 2, 0xFFFF);
    fake_pci_bar(&f->regs, 0, 0x10000000, 0xFFF00000);
    fake_pci_bar(&f->regs, 2, 0x0000000C, 0xFFFFC000);  /* 64-bit, prefetchable */
    fake_pci_bar(&f->regs, 3, 0x00000080, 0xFFFFFFFF);
    fake_pci_put(f->regs.cfg, PCI_SUBSYSTEM, 4, 0x11001af4);
    fake_pci_put(f->regs.cfg, PCI_CAP_PTR, 1, PCIE_CAP);
    fake_pci_put(f->regs.cfg, PCI_INTERRUPT_LINE, 2, 0x010B);  /* line 11, pin INTA */
    fake_pci_put(f->regs.wmask, PCI_INTERRUPT_LINE, 1, 0xFF);
    fake_pci_put(f->regs.cfg, PCIE_CAP, 4, 0x00020000 | MSI_CAP << 8 | 0x10);
    fake_pci_put(f->regs.cfg, PCIE_CAP + 4, 4, 0x00008000);
    fake_pci_put(f->regs.cfg, MSI_CAP, 4, PCI_MSI_FLAGS_64BIT << 16 | 0 << 8 | PCI_CAP_ID_MSI);
    fake_pci_put(f->regs.wmask, MSI_CAP + 2, 2, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
    fake_pci_put(f->regs.wmask, MSI_CAP + 4, 4, 0xFFFFFFFC);
    fake_pci_put(f->regs.wmask, MSI_CAP + 8, 4, 0xFFFFFFFF);
    fake_pci_put(f->regs.wmask, MSI_CAP + 12, 2, 0xFFFF);
}

static uint32_t host(const struct fake *f, uint32_t off, uint32_t size)
{
    return fake_pci_get(f->regs.cfg, off, size);
}

static bool host_msi_enabled(const struct fake *f)
{
    return host(f, MSI_CAP + 2, 2) & PCI_MSI_FLAGS_ENABLE;
}

static uint64_t rd(uint32_t reg, uint32_t size)
{
    return vpci_ecam_read(&bus, ECAM(DEVFN, reg), size);
}

static void wr(uint32_t reg, uint32_t size, uint64_t v)
{
    vpci_ecam_write(&bus, ECAM(DEVFN, reg), size, v);
}

/* No host write touched [lo, hi) since write number `since`. */
static void expect_no_host_writes(const struct fake *f, unsigned since, uint32_t lo, uint32_t hi)
{
    for (unsigned i = since; i < f->nwrites; i++)
        cr_assert(f->w[i].off + f->w[i].size <= lo || f->w[i].off >= hi,
                  "host write %u at %#x (size %u, value %#x) inside [%#x, %#x)", i, f->w[i].off, f->w[i].size,
                  f->w[i].value, lo, hi);
}

static struct vpci_func *add_default(void)
{
    struct vpci_func *fn = NULL;
    memset(&bus, 0, sizeof(bus));
    fake_init(&F);
    cr_assert_eq(vpci_add(&bus, &ops, &F, DEVFN, &fn), VPCI_OK);
    return fn;
}

/* The guest's MSI setup as Linux does it: address, upper address, data, then Enable. */
static void guest_msi(uint64_t address, uint16_t data, bool enable)
{
    wr(MSI_CAP + 4, 4, (uint32_t)address);
    wr(MSI_CAP + 8, 4, address >> 32);
    wr(MSI_CAP + 12, 2, data);
    wr(MSI_CAP + 2, 2, enable ? PCI_MSI_FLAGS_ENABLE : 0);
}

/* --- vpci_add ----------------------------------------------------------------------- */

Test(vpci, add_probes_bars_and_msi)
{
    struct vpci_func *fn = add_default();
    cr_assert_eq(fn, &bus.func[0]);
    cr_assert_eq(bus.count, 1);
    cr_assert_eq(fn->devfn, DEVFN);
    cr_assert_eq(fn->bar[0].address, 0x10000000ull);
    cr_assert_eq(fn->bar[0].size_bytes, 1ull << 20);
    cr_assert_not(fn->bar[0].is64);
    cr_assert_eq(fn->bar[2].address, 0x8000000000ull);
    cr_assert_eq(fn->bar[2].size_bytes, 16ull << 10);
    cr_assert(fn->bar[2].is64);
    cr_assert_eq(fn->bar[2].flags, 0xC);
    cr_assert(fn->bar[3].upper);
    cr_assert_eq(fn->bar[3].size_bytes, 0);
    for (int i = 1; i < VPCI_NR_BARS; i += (i == 1 ? 3 : 1)) {   /* 1, 4, 5: unimplemented */
        cr_assert_eq(fn->bar[i].size_bytes, 0, "BAR%d size %#llx", i, (unsigned long long)fn->bar[i].size_bytes);
        cr_assert_eq(fn->bar[i].address, 0, "BAR%d", i);
    }
    cr_assert_eq(fn->msi_cap, MSI_CAP);
    /* The host BARs are back at their addresses after the sizing. */
    cr_assert_eq(host(&F, 0x10, 4), 0x10000000);
    cr_assert_eq(host(&F, 0x18, 4), 0x0000000C);
    cr_assert_eq(host(&F, 0x1C, 4), 0x00000080);
    cr_assert_eq(host(&F, 0x14, 4), 0);
    /* Decoding and bus mastering off, INTx disabled, other command bits (SERR) kept. */
    cr_assert_eq(host(&F, PCI_COMMAND, 2), 0x0100 | PCI_COMMAND_INTX_DISABLE);
    cr_assert_not(host_msi_enabled(&F));
}

Test(vpci, add_sizes_bars_with_decoding_off)
{
    add_default();
    /* Every BAR write happened while Memory and I/O decoding were off on the host. */
    bool decoding_off = false;
    for (unsigned i = 0; i < F.nwrites; i++) {
        const struct host_write *w = &F.w[i];
        if (w->off == PCI_COMMAND)
            decoding_off = !(w->value & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO));
        if (w->off >= PCI_BAR0 && w->off < PCI_BAR0 + 24)
            cr_assert(decoding_off, "BAR write %u at %#x with decoding on", i, w->off);
    }
}

Test(vpci, add_errors)
{
    struct vpci_func *fn = (struct vpci_func *)1;
    memset(&bus, 0, sizeof(bus));
    /* No device: a nonexistent function reads all ones. */
    memset(F.regs.cfg, 0xFF, sizeof(F.regs.cfg));
    memset(F.regs.wmask, 0, sizeof(F.regs.wmask));
    F.nwrites = 0;
    cr_assert_eq(vpci_add(&bus, &ops, &F, DEVFN, &fn), VPCI_ERR_NO_DEVICE);
    cr_assert_eq(fn, (struct vpci_func *)1, "out must stay untouched on error");
    cr_assert_eq(F.nwrites, 0);
    cr_assert_eq(bus.count, 0);
    /* Bridges and CardBus bridges, multi-function or not. */
    static const uint8_t bad_types[] = { 0x01, 0x81, 0x02 };
    for (unsigned i = 0; i < sizeof(bad_types); i++) {
        fake_init(&F);
        F.regs.cfg[PCI_HEADER_TYPE] = bad_types[i];
        cr_assert_eq(vpci_add(&bus, &ops, &F, DEVFN, NULL), VPCI_ERR_NOT_TYPE0, "header type %#x", bad_types[i]);
        cr_assert_eq(F.nwrites, 0, "no host write for a refused function");
        cr_assert_eq(bus.count, 0);
    }
    /* The refused function is not visible to the guest. */
    cr_assert_eq(rd(PCI_VENDOR_ID, 4), 0xFFFFFFFF);
    /* A multi-function device is fine: the guest sees header type 0. */
    fake_init(&F);
    F.regs.cfg[PCI_HEADER_TYPE] = 0x80;
    cr_assert_eq(vpci_add(&bus, &ops, &F, DEVFN, &fn), VPCI_OK);
    cr_assert_eq(fn, &bus.func[0]);
    cr_assert_eq(rd(PCI_HEADER_TYPE, 1), 0);
    cr_assert_eq(rd(0x0C, 4), 0x00000010);
    /* Taken devfn. */
    fake_init(&F2);
    cr_assert_eq(vpci_add(&bus, &ops, &F2, DEVFN, NULL), VPCI_ERR_DEVFN_TAKEN);
    cr_assert_eq(F2.nwrites, 0);
    cr_assert_eq(bus.count, 1);
    /* Full. */
    static struct fake more[VPCI_MAX_FUNCS];
    for (unsigned i = 1; i < VPCI_MAX_FUNCS; i++) {
        fake_init(&more[i]);
        cr_assert_eq(vpci_add(&bus, &ops, &more[i], (uint8_t)(DEVFN + i), NULL), VPCI_OK);
    }
    cr_assert_eq(bus.count, VPCI_MAX_FUNCS);
    cr_assert_eq(vpci_add(&bus, &ops, &F2, 0x08, NULL), VPCI_ERR_FULL);
    cr_assert_eq(F2.nwrites, 0);
    cr_assert_eq(vpci_ecam_read(&bus, ECAM(0x08, 0), 4), 0xFFFFFFFF);
    cr_assert_eq(vpci_ecam_read(&bus, ECAM(DEVFN + 3, 0), 4), 0x11e81234);
}

Test(vpci, add_vendor_zero_is_no_device)
{
    memset(&bus, 0, sizeof(bus));
    fake_init(&F);
    fake_pci_put(F.regs.cfg, PCI_VENDOR_ID, 2, 0);
    cr_assert_eq(vpci_add(&bus, &ops, &F, DEVFN, NULL), VPCI_ERR_NO_DEVICE);
    cr_assert_eq(bus.count, 0);
}

/* --- identity --------------------------------------------------------------------- */

Test(vpci, identity_read_through)
{
    add_default();
    cr_assert_eq(rd(0x00, 4), 0x11e81234);
    cr_assert_eq(rd(0x00, 2), 0x1234);
    cr_assert_eq(rd(0x02, 2), 0x11e8);
    cr_assert_eq(rd(0x00, 1), 0x34);
    cr_assert_eq(rd(0x01, 1), 0x12);
    cr_assert_eq(rd(0x03, 1), 0x11);
    cr_assert_eq(rd(0x08, 4), 0x00ff0010);
    cr_assert_eq(rd(0x08, 1), 0x10);          /* revision */
    cr_assert_eq(rd(0x09, 1), 0x00);          /* prog-if */
    cr_assert_eq(rd(0x0A, 2), 0x00ff);        /* class 00, subclass ff */
    cr_assert_eq(rd(0x0B, 1), 0x00);
    cr_assert_eq(rd(PCI_HEADER_TYPE, 1), 0);
    cr_assert_eq(rd(PCI_SUBSYSTEM, 4), 0x11001af4);
    cr_assert_eq(rd(PCI_SUBSYSTEM + 2, 2), 0x1100);
    /* Writes to read-only identity registers change nothing, and reach nothing. */
    unsigned n = F.nwrites;
    wr(0x00, 4, 0xdeadbeef);
    wr(0x08, 4, 0xdeadbeef);
    wr(PCI_SUBSYSTEM, 4, 0);
    cr_assert_eq(rd(0x00, 4), 0x11e81234);
    cr_assert_eq(F.nwrites, n);
}

/* --- BARs ---------------------------------------------------------------------------- */

Test(vpci, bar0_at_host_address_and_sizing)
{
    add_default();
    unsigned n = F.nwrites;
    cr_assert_eq(rd(0x10, 4), 0x10000000);
    cr_assert_eq(rd(0x12, 2), 0x1000);
    wr(0x10, 4, 0xFFFFFFFF);
    cr_assert_eq(rd(0x10, 4), 0xFFF00000);     /* ~(1M - 1) | flags 0 */
    wr(0x10, 4, 0x10000000);
    cr_assert_eq(rd(0x10, 4), 0x10000000);
    /* A move is refused: the BAR stays where the host has it. */
    wr(0x10, 4, 0x20000000);
    cr_assert_eq(rd(0x10, 4), 0x10000000);
    wr(0x10, 4, 0xFFFFFFFF);
    wr(0x10, 4, 0x30000000);
    cr_assert_eq(rd(0x10, 4), 0x10000000, "a write after sizing ends the sizing");
    expect_no_host_writes(&F, n, PCI_BAR0, PCI_BAR0 + 24);
    cr_assert_eq(host(&F, 0x10, 4), 0x10000000);
}

Test(vpci, bar_sizing_needs_all_address_bits)
{
    add_default();
    wr(0x10, 4, 0xFFFFFFF0);                   /* flag bits are read-only: still sizing */
    cr_assert_eq(rd(0x10, 4), 0xFFF00000);
    wr(0x10, 4, 0xFFFFFFE0);                   /* not all ones: a (refused) move */
    cr_assert_eq(rd(0x10, 4), 0x10000000);
}

Test(vpci, bar_64bit_pair)
{
    add_default();
    unsigned n = F.nwrites;
    cr_assert_eq(rd(0x18, 4), 0x0000000C);
    cr_assert_eq(rd(0x1C, 4), 0x00000080);
    cr_assert_eq(rd(0x18, 8), 0x800000000Cull);
    /* Linux: size the low half, restore it, then the high half. */
    wr(0x18, 4, 0xFFFFFFFF);
    cr_assert_eq(rd(0x18, 4), 0xFFFFC00C);
    cr_assert_eq(rd(0x1C, 4), 0x00000080, "sizing the low half leaves the high half's address");
    wr(0x18, 4, 0x0000000C);
    wr(0x1C, 4, 0xFFFFFFFF);
    cr_assert_eq(rd(0x1C, 4), 0xFFFFFFFF);
    cr_assert_eq(rd(0x18, 4), 0x0000000C);
    wr(0x1C, 4, 0x00000080);
    cr_assert_eq(rd(0x18, 8), 0x800000000Cull);
    /* Both halves at once. */
    wr(0x18, 8, ~0ull);
    cr_assert_eq(rd(0x18, 8), 0xFFFFFFFFFFFFC00Cull);
    wr(0x18, 8, 0x800000000Cull);
    cr_assert_eq(rd(0x18, 8), 0x800000000Cull);
    /* A move of either half is refused. */
    wr(0x1C, 4, 0x90);
    wr(0x18, 4, 0x4000000C);
    cr_assert_eq(rd(0x18, 8), 0x800000000Cull);
    expect_no_host_writes(&F, n, PCI_BAR0, PCI_BAR0 + 24);
    cr_assert_eq(host(&F, 0x18, 4), 0x0000000C);
    cr_assert_eq(host(&F, 0x1C, 4), 0x00000080);
}

Test(vpci, unused_bars_read_zero)
{
    add_default();
    unsigned n = F.nwrites;
    static const uint32_t regs[] = { 0x14, 0x20, 0x24, PCI_ROM_ADDRESS };
    for (unsigned i = 0; i < 4; i++) {
        cr_assert_eq(rd(regs[i], 4), 0, "reg %#x", regs[i]);
        wr(regs[i], 4, 0xFFFFFFFF);
        cr_assert_eq(rd(regs[i], 4), 0, "reg %#x after all ones", regs[i]);
    }
    expect_no_host_writes(&F, n, PCI_BAR0, PCI_ROM_ADDRESS + 4);
}

Test(vpci, io_bar)
{
    struct vpci_func *fn;
    memset(&bus, 0, sizeof(bus));
    fake_init(&F);
    fake_pci_bar(&F.regs, 4, 0x0000C001, 0xFFFFFFE0);  /* 32 bytes of I/O at 0xC000 */
    cr_assert_eq(vpci_add(&bus, &ops, &F, DEVFN, &fn), VPCI_OK);
    cr_assert(fn->bar[4].io);
    cr_assert_eq(fn->bar[4].address, 0xC000);
    cr_assert_eq(fn->bar[4].size_bytes, 32);
    cr_assert_eq(rd(0x20, 4), 0xC001);
    wr(0x20, 4, 0xFFFFFFFF);
    cr_assert_eq(rd(0x20, 4), 0xFFFFFFE1);
    wr(0x20, 4, 0xC001);
    cr_assert_eq(rd(0x20, 4), 0xC001);
    cr_assert_eq(host(&F, 0x20, 4), 0xC001);
    /* I/O decoding is never given to the device. */
    wr(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    cr_assert_eq(host(&F, PCI_COMMAND, 2) & PCI_COMMAND_IO, 0);
}

/* --- Command, Status, capability pointer, interrupt pin ------------------------------ */

Test(vpci, command)
{
    add_default();
    cr_assert_eq(rd(PCI_COMMAND, 2), 0);
    wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    cr_assert_eq(host(&F, PCI_COMMAND, 2),
                 0x0100 | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
    cr_assert_eq(rd(PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    /* Every bit: only the guest's three reach the device (INTx stays disabled), I/O never. */
    wr(PCI_COMMAND, 2, 0xFFFF);
    cr_assert_eq(host(&F, PCI_COMMAND, 2),
                 0x0100 | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
    cr_assert_eq(rd(PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
    wr(PCI_COMMAND, 2, PCI_COMMAND_IO);
    cr_assert_eq(rd(PCI_COMMAND, 2), 0);
    cr_assert_eq(host(&F, PCI_COMMAND, 2), 0x0100 | PCI_COMMAND_INTX_DISABLE);
    /* Byte writes merge with the other byte. */
    wr(PCI_COMMAND, 1, PCI_COMMAND_MEMORY);
    wr(PCI_COMMAND + 1, 1, PCI_COMMAND_INTX_DISABLE >> 8);
    cr_assert_eq(rd(PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
    cr_assert_eq(host(&F, PCI_COMMAND, 2), 0x0100 | PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
    /* A Status write (RW1C on hardware) leaves Command alone. */
    wr(PCI_STATUS, 2, 0xFFFF);
    cr_assert_eq(rd(PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
    cr_assert_eq(rd(PCI_COMMAND, 4), (uint32_t)PCI_STATUS_CAP_LIST << 16 | PCI_COMMAND_MEMORY |
                                         PCI_COMMAND_INTX_DISABLE);
}

Test(vpci, status_caps_and_pin)
{
    add_default();
    unsigned n = F.nwrites;
    cr_assert_eq(rd(PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
    cr_assert_eq(rd(PCI_CAP_PTR, 1), MSI_CAP);
    cr_assert_eq(rd(PCI_CAP_PTR, 4), MSI_CAP);
    /* The MSI capability is the only one: ID 05, next 0. */
    cr_assert_eq(rd(MSI_CAP, 1), PCI_CAP_ID_MSI);
    cr_assert_eq(rd(MSI_CAP + 1, 1), 0);
    cr_assert_eq(rd(MSI_CAP + 2, 2), PCI_MSI_FLAGS_64BIT);
    cr_assert_eq(rd(MSI_CAP, 4), (uint32_t)PCI_MSI_FLAGS_64BIT << 16 | PCI_CAP_ID_MSI);
    /* The PCIe capability is hidden. */
    cr_assert_eq(rd(PCIE_CAP, 4), 0);
    cr_assert_eq(rd(PCIE_CAP + 4, 4), 0);
    /* No INTx: pin 0; the line is a plain guest-owned byte that never reaches the device. */
    cr_assert_eq(rd(PCI_INTERRUPT_LINE + 1, 1), 0);
    cr_assert_eq(rd(PCI_INTERRUPT_LINE, 1), 0);
    wr(PCI_INTERRUPT_LINE, 1, 0x2A);
    wr(PCI_INTERRUPT_LINE + 1, 1, 0x03);
    cr_assert_eq(rd(PCI_INTERRUPT_LINE, 4), 0x2A);
    cr_assert_eq(host(&F, PCI_INTERRUPT_LINE, 2), 0x010B);
    /* The header type and BIST bytes read 0, the cache line size comes from the host. */
    cr_assert_eq(rd(0x0C, 4), 0x00000010);
    expect_no_host_writes(&F, n, 0, 256);
}

Test(vpci, no_msi_no_cap_list)
{
    memset(&bus, 0, sizeof(bus));
    fake_init(&F);
    fake_pci_put(F.regs.cfg, PCIE_CAP, 4, 0x00020010);  /* PCIe capability only, next 0 */
    cr_assert_eq(vpci_add(&bus, &ops, &F, DEVFN, NULL), VPCI_OK);
    cr_assert_eq(bus.func[0].msi_cap, 0);
    cr_assert_eq(rd(PCI_STATUS, 2), 0);
    cr_assert_eq(rd(PCI_CAP_PTR, 1), 0);
    cr_assert_eq(rd(MSI_CAP, 4), 0);
    unsigned n = F.nwrites;
    wr(MSI_CAP + 2, 2, PCI_MSI_FLAGS_ENABLE);
    cr_assert_eq(F.nwrites, n);
    cr_assert_eq(F.route_calls, 0);
}

Test(vpci, capability_loop_terminates)
{
    memset(&bus, 0, sizeof(bus));
    fake_init(&F);
    fake_pci_put(F.regs.cfg, PCIE_CAP, 2, PCIE_CAP << 8 | 0x10);  /* points at itself */
    cr_assert_eq(vpci_add(&bus, &ops, &F, DEVFN, NULL), VPCI_OK);
    cr_assert_eq(bus.func[0].msi_cap, 0);
}

/* --- MSI ------------------------------------------------------------------------------ */

Test(vpci, msi_routed)
{
    struct vpci_func *fn = add_default();
    unsigned n = F.nwrites;
    wr(MSI_CAP + 4, 4, (uint32_t)GUEST_DOORBELL);
    wr(MSI_CAP + 8, 4, 0);
    wr(MSI_CAP + 12, 2, 0x0021);
    cr_assert_not(host_msi_enabled(&F), "no enable yet");
    wr(MSI_CAP + 2, 2, PCI_MSI_FLAGS_ENABLE | 0x0010 /* MME: 2 vectors */);
    cr_assert(host_msi_enabled(&F));
    cr_assert_eq(host(&F, MSI_CAP + 2, 2), PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE, "MME 0 on the device");
    cr_assert_eq(host(&F, MSI_CAP + 4, 4), (uint32_t)HOST_DOORBELL);
    cr_assert_eq(host(&F, MSI_CAP + 8, 4), HOST_DOORBELL >> 32);
    cr_assert_eq(host(&F, MSI_CAP + 12, 2), 0x0021);
    cr_assert_eq(F.route_addr, GUEST_DOORBELL);
    cr_assert_eq(F.route_data, 0x0021);
    cr_assert(fn->msi_routed);
    cr_assert_eq(fn->msi_host_address, HOST_DOORBELL);
    /* The guest reads back its own doorbell, data, Enable and MME 0. */
    cr_assert_eq(rd(MSI_CAP + 2, 2), PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE);
    cr_assert_eq(rd(MSI_CAP + 4, 4), (uint32_t)GUEST_DOORBELL);
    cr_assert_eq(rd(MSI_CAP + 8, 4), 0);
    cr_assert_eq(rd(MSI_CAP + 12, 2), 0x0021);
    cr_assert_eq(rd(MSI_CAP + 8, 8), 0x0021ull << 32);
    /* The device was disabled whenever its address or data changed. */
    bool enabled = false;
    for (unsigned i = n; i < F.nwrites; i++) {
        const struct host_write *w = &F.w[i];
        if (w->off == MSI_CAP + 2)
            enabled = w->value & PCI_MSI_FLAGS_ENABLE;
        else if (w->off > MSI_CAP + 2 && w->off < MSI_CAP + 16)
            cr_assert_not(enabled, "MSI address/data written while enabled (write %u at %#x)", i, w->off);
    }
    /* Disable. */
    wr(MSI_CAP + 2, 2, 0);
    cr_assert_not(host_msi_enabled(&F));
    cr_assert_not(fn->msi_routed);
    cr_assert_eq(rd(MSI_CAP + 2, 2), PCI_MSI_FLAGS_64BIT);
}

Test(vpci, msi_wrong_doorbell_stays_disabled)
{
    struct vpci_func *fn = add_default();
    guest_msi(GUEST_DOORBELL + 0x40, 0x0021, true);
    cr_assert_eq(F.route_addr, GUEST_DOORBELL + 0x40);
    cr_assert_not(host_msi_enabled(&F));
    cr_assert_not(fn->msi_routed);
    cr_assert_eq(host(&F, MSI_CAP + 4, 4), 0, "nothing written for a refused doorbell");
    /* The guest still sees what it wrote. */
    cr_assert_eq(rd(MSI_CAP + 2, 2), PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE);
    cr_assert_eq(rd(MSI_CAP + 4, 4), (uint32_t)GUEST_DOORBELL + 0x40);
    /* Upper address bits count. */
    guest_msi(GUEST_DOORBELL | 1ull << 32, 0x0021, true);
    cr_assert_not(host_msi_enabled(&F));
    cr_assert_eq(rd(MSI_CAP + 8, 4), 1);
}

Test(vpci, msi_rerouted_while_enabled)
{
    add_default();
    /* Enable first with no address (Linux on some paths): refused, then the address arrives. */
    wr(MSI_CAP + 2, 2, PCI_MSI_FLAGS_ENABLE);
    cr_assert_not(host_msi_enabled(&F));
    wr(MSI_CAP + 12, 2, 0x0033);
    wr(MSI_CAP + 4, 4, (uint32_t)GUEST_DOORBELL);
    cr_assert(host_msi_enabled(&F));
    cr_assert_eq(host(&F, MSI_CAP + 4, 4), (uint32_t)HOST_DOORBELL);
    cr_assert_eq(host(&F, MSI_CAP + 8, 4), HOST_DOORBELL >> 32);
    cr_assert_eq(host(&F, MSI_CAP + 12, 2), 0x0033);
    /* New data while enabled reaches the device. */
    wr(MSI_CAP + 12, 2, 0x0044);
    cr_assert(host_msi_enabled(&F));
    cr_assert_eq(host(&F, MSI_CAP + 12, 2), 0x0044);
    cr_assert_eq(F.route_data, 0x0044);
    /* Moving to a foreign address while enabled turns the device's MSI off. */
    wr(MSI_CAP + 4, 4, 0x0A000000);
    cr_assert_not(host_msi_enabled(&F));
    wr(MSI_CAP + 4, 4, (uint32_t)GUEST_DOORBELL);
    cr_assert(host_msi_enabled(&F));
    /* Byte writes to the upper address: foreign then back. */
    wr(MSI_CAP + 11, 1, 0x80);
    cr_assert_not(host_msi_enabled(&F));
    wr(MSI_CAP + 11, 1, 0x00);
    cr_assert(host_msi_enabled(&F));
    /* Writes to the capability ID / next byte change nothing. */
    wr(MSI_CAP, 2, 0xFFFF);
    cr_assert(host_msi_enabled(&F));
    cr_assert_eq(rd(MSI_CAP, 2), PCI_CAP_ID_MSI);
}

Test(vpci, msi_multi_vector_capable_device_offers_one)
{
    memset(&bus, 0, sizeof(bus));
    fake_init(&F);
    fake_pci_put(F.regs.cfg, MSI_CAP + 2, 2, PCI_MSI_FLAGS_64BIT | 0x0004 /* MMC: 4 vectors */);
    cr_assert_eq(vpci_add(&bus, &ops, &F, DEVFN, NULL), VPCI_OK);
    /* Only one vector is routed, so the guest must not be offered more. */
    cr_assert_eq(rd(MSI_CAP + 2, 2) & PCI_MSI_FLAGS_QMASK, 0);
    guest_msi(GUEST_DOORBELL, 0x0050, true);
    wr(MSI_CAP + 2, 2, PCI_MSI_FLAGS_ENABLE | 0x0020);
    cr_assert(host_msi_enabled(&F));
    cr_assert_eq(host(&F, MSI_CAP + 2, 2) & PCI_MSI_FLAGS_QSIZE, 0);
    cr_assert_eq(rd(MSI_CAP + 2, 2) & PCI_MSI_FLAGS_QSIZE, 0);
}

/* A 32-bit MSI capability with per-vector masking: data at +8, mask at +0xC, pending at +0x10. */
static void fake_msi32_maskable(struct fake *f)
{
    fake_init(f);
    fake_pci_put(f->regs.cfg, MSI_CAP + 2, 2, PCI_MSI_FLAGS_MASKBIT);
    memset(f->regs.wmask + MSI_CAP + 8, 0, 8);
    fake_pci_put(f->regs.wmask, MSI_CAP + 8, 2, 0xFFFF);
    fake_pci_put(f->regs.wmask, MSI_CAP + 12, 4, 1);
    fake_pci_put(f->regs.cfg, MSI_CAP + 16, 4, 1);  /* vector 0 pending */
}

Test(vpci, msi_32bit_with_mask)
{
    memset(&bus, 0, sizeof(bus));
    fake_msi32_maskable(&F);
    F.route_to = 0x08190040;                     /* a doorbell a 32-bit device can reach */
    cr_assert_eq(vpci_add(&bus, &ops, &F, DEVFN, NULL), VPCI_OK);
    cr_assert_eq(rd(MSI_CAP + 2, 2), PCI_MSI_FLAGS_MASKBIT);
    wr(MSI_CAP + 4, 4, (uint32_t)GUEST_DOORBELL);
    wr(MSI_CAP + 8, 2, 0x0061);
    wr(MSI_CAP + 2, 2, PCI_MSI_FLAGS_ENABLE);
    cr_assert(host_msi_enabled(&F));
    cr_assert_eq(host(&F, MSI_CAP + 4, 4), 0x08190040);
    cr_assert_eq(host(&F, MSI_CAP + 8, 2), 0x0061);
    cr_assert_eq(rd(MSI_CAP + 8, 4), 0x0061);
    /* Mask bits are the guest's, straight to the device; pending bits read from it. */
    wr(MSI_CAP + 12, 4, 1);
    cr_assert_eq(host(&F, MSI_CAP + 12, 4), 1);
    cr_assert_eq(rd(MSI_CAP + 12, 4), 1);
    cr_assert_eq(rd(MSI_CAP + 16, 4), 1);
    unsigned n = F.nwrites;
    wr(MSI_CAP + 16, 4, 0);
    cr_assert_eq(F.nwrites, n, "pending bits are read-only");
    cr_assert_eq(rd(MSI_CAP + 20, 4), 0, "past the capability");
}

Test(vpci, msi_32bit_device_cannot_take_high_doorbell)
{
    memset(&bus, 0, sizeof(bus));
    fake_msi32_maskable(&F);                     /* route_to is above 4 GiB */
    cr_assert_eq(vpci_add(&bus, &ops, &F, DEVFN, NULL), VPCI_OK);
    wr(MSI_CAP + 4, 4, (uint32_t)GUEST_DOORBELL);
    wr(MSI_CAP + 2, 2, PCI_MSI_FLAGS_ENABLE);
    cr_assert_eq(F.route_addr, GUEST_DOORBELL);
    cr_assert_not(host_msi_enabled(&F));
    cr_assert_not(bus.func[0].msi_routed);
}

Test(vpci, msi_left_enabled_by_firmware_is_disabled_on_add)
{
    memset(&bus, 0, sizeof(bus));
    fake_init(&F);
    fake_pci_put(F.regs.cfg, MSI_CAP + 2, 2, PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE | 0x0010);
    fake_pci_put(F.regs.cfg, MSI_CAP + 4, 4, 0xFEE00000);
    cr_assert_eq(vpci_add(&bus, &ops, &F, DEVFN, NULL), VPCI_OK);
    cr_assert_eq(host(&F, MSI_CAP + 2, 2), PCI_MSI_FLAGS_64BIT);
    cr_assert_eq(rd(MSI_CAP + 2, 2), PCI_MSI_FLAGS_64BIT);
    cr_assert_eq(rd(MSI_CAP + 4, 4), 0);
}

/* --- the ECAM window ---------------------------------------------------------------- */

Test(vpci, unassigned_function_reads_all_ones)
{
    add_default();
    unsigned n = F.nwrites;
    static const uint8_t devfns[] = { 0x00, DEVFN + 1, DEVFN + 8, 0xFF };
    for (unsigned i = 0; i < sizeof(devfns); i++) {
        uint8_t d = devfns[i];
        cr_assert_eq(vpci_ecam_read(&bus, ECAM(d, 0), 1), 0xFF);
        cr_assert_eq(vpci_ecam_read(&bus, ECAM(d, 2), 2), 0xFFFF);
        cr_assert_eq(vpci_ecam_read(&bus, ECAM(d, 0), 4), 0xFFFFFFFF);
        cr_assert_eq(vpci_ecam_read(&bus, ECAM(d, 0), 8), ~0ull);
        cr_assert_eq(vpci_ecam_read(&bus, ECAM(d, 0x104), 4), 0xFFFFFFFF);
        vpci_ecam_write(&bus, ECAM(d, PCI_COMMAND), 2, PCI_COMMAND_MEMORY);
        vpci_ecam_write(&bus, ECAM(d, MSI_CAP + 2), 2, PCI_MSI_FLAGS_ENABLE);
        vpci_ecam_write(&bus, ECAM(d, 0x10), 8, ~0ull);
    }
    cr_assert_eq(F.nwrites, n);
    cr_assert_eq(rd(PCI_COMMAND, 2), 0);
    cr_assert_eq(rd(0x10, 4), 0x10000000);
}

Test(vpci, extended_space_reads_zero)
{
    add_default();
    unsigned n = F.nwrites;
    static const uint32_t sizes[] = { 1, 2, 4, 8 };
    for (unsigned i = 0; i < 4; i++) {
        cr_assert_eq(rd(0x100, sizes[i]), 0, "size %u", sizes[i]);
        cr_assert_eq(rd(0xFF8, sizes[i]), 0, "size %u", sizes[i]);
        wr(0x100, sizes[i], ~0ull);
    }
    cr_assert_eq(F.nwrites, n);
    cr_assert_eq(rd(0xF8, 8), 0, "the last dwords of the legacy space");
}

Test(vpci, bad_accesses)
{
    add_default();
    wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    unsigned n = F.nwrites;
    cr_assert_eq(rd(0x00, 3), ~0ull);
    cr_assert_eq(rd(0x00, 0), ~0ull);
    cr_assert_eq(rd(0x00, 16), ~0ull);
    cr_assert_eq(rd(0x01, 2), ~0ull);
    cr_assert_eq(rd(0x02, 4), ~0ull);
    cr_assert_eq(rd(0x04, 8), ~0ull);
    cr_assert_eq(vpci_ecam_read(&bus, VPCI_ECAM_BUS_BYTES, 4), ~0ull);
    cr_assert_eq(vpci_ecam_read(&bus, VPCI_ECAM_BUS_BYTES + ECAM(DEVFN, 0), 4), ~0ull, "bus 1 is not there");
    wr(PCI_COMMAND, 3, 0);
    wr(PCI_COMMAND + 1, 2, 0);
    wr(PCI_COMMAND + 2, 4, 0);
    wr(PCI_COMMAND, 0, 0);
    wr(0x10, 16, ~0ull);
    wr(0x14, 8, ~0ull);
    vpci_ecam_write(&bus, VPCI_ECAM_BUS_BYTES + ECAM(DEVFN, PCI_COMMAND), 2, 0);
    cr_assert_eq(F.nwrites, n);
    cr_assert_eq(rd(PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
    cr_assert_eq(rd(0x10, 4), 0x10000000);
}

Test(vpci, eight_byte_accesses)
{
    add_default();
    cr_assert_eq(rd(0x00, 8), (uint64_t)PCI_STATUS_CAP_LIST << 48 | 0x11e81234);
    cr_assert_eq(rd(0x08, 8), 0x00000010ull << 32 | 0x00ff0010);
    /* Control+ID then address, in one access: enable comes first, the doorbell right after. */
    wr(MSI_CAP + 8, 8, 0x0077ull << 32);           /* upper address 0, data 0x77 */
    wr(MSI_CAP, 8, GUEST_DOORBELL << 32 | (uint32_t)PCI_MSI_FLAGS_ENABLE << 16);
    cr_assert(host_msi_enabled(&F));
    cr_assert_eq(host(&F, MSI_CAP + 4, 4), (uint32_t)HOST_DOORBELL);
    cr_assert_eq(host(&F, MSI_CAP + 12, 2), 0x0077);
    cr_assert_eq(rd(MSI_CAP, 8), GUEST_DOORBELL << 32 | (uint32_t)(PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE) << 16 |
                                     PCI_CAP_ID_MSI);
    cr_assert_eq(rd(MSI_CAP + 8, 8), 0x0077ull << 32);
}

Test(vpci, two_functions_are_separate)
{
    add_default();
    fake_init(&F2);
    fake_pci_put(F2.regs.cfg, PCI_VENDOR_ID, 4, 0x10011af4);
    cr_assert_eq(vpci_add(&bus, &ops, &F2, DEVFN + 1, NULL), VPCI_OK);
    cr_assert_eq(vpci_ecam_read(&bus, ECAM(DEVFN + 1, 0), 4), 0x10011af4);
    cr_assert_eq(rd(0, 4), 0x11e81234);
    vpci_ecam_write(&bus, ECAM(DEVFN + 1, PCI_COMMAND), 2, PCI_COMMAND_MASTER);
    cr_assert_eq(host(&F2, PCI_COMMAND, 2) & PCI_COMMAND_MASTER, PCI_COMMAND_MASTER);
    cr_assert_eq(host(&F, PCI_COMMAND, 2) & PCI_COMMAND_MASTER, 0);
    cr_assert_eq(rd(PCI_COMMAND, 2), 0);
    guest_msi(GUEST_DOORBELL, 1, true);
    cr_assert(host_msi_enabled(&F));
    cr_assert_not(host_msi_enabled(&F2));
    cr_assert_eq(F2.route_calls, 0);
}

/* --- reset ----------------------------------------------------------------------------- */

Test(vpci, reset)
{
    struct vpci_func *fn = add_default();
    wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    wr(PCI_INTERRUPT_LINE, 1, 0x2A);
    guest_msi(GUEST_DOORBELL, 0x0021, true);
    wr(0x10, 4, 0xFFFFFFFF);
    cr_assert(host_msi_enabled(&F));
    vpci_reset(&bus);
    cr_assert_not(host_msi_enabled(&F));
    cr_assert_not(fn->msi_routed);
    cr_assert_eq(host(&F, PCI_COMMAND, 2), 0x0100 | PCI_COMMAND_INTX_DISABLE);
    cr_assert_eq(rd(PCI_COMMAND, 2), 0);
    cr_assert_eq(rd(PCI_INTERRUPT_LINE, 1), 0);
    cr_assert_eq(rd(MSI_CAP + 2, 2), PCI_MSI_FLAGS_64BIT);
    cr_assert_eq(rd(MSI_CAP + 4, 4), 0);
    cr_assert_eq(rd(MSI_CAP + 8, 8), 0);
    cr_assert_eq(rd(0x10, 4), 0x10000000, "sizing ends at reset");
    /* The identity and the BARs survive. */
    cr_assert_eq(rd(0, 4), 0x11e81234);
    cr_assert_eq(rd(0x18, 8), 0x800000000Cull);
    cr_assert_eq(host(&F, 0x10, 4), 0x10000000);
    /* And the function works again after the reset. */
    guest_msi(GUEST_DOORBELL, 0x0022, true);
    cr_assert(host_msi_enabled(&F));
    cr_assert_eq(host(&F, MSI_CAP + 12, 2), 0x0022);
}
