/* libFuzzer target for the emulated PCI configuration space (kernel/vpci.c): a bus with one
 * or two fake host functions (shapes picked by the first input byte), then a sequence of guest
 * ECAM accesses and resets. Invariants: the host only sees aligned 1/2/4-byte accesses inside
 * its 256 bytes; its BARs never change after vpci_add (and vpci_add leaves them as it found
 * them); the host Command never has I/O decoding, always has INTx disabled and has exactly the
 * guest's Memory / Bus Master; host MSI enabled <=> the guest enabled it at the one doorbell
 * the route accepts, and then the device holds the routed address and data with MME 0; reads
 * never write the host; accesses to unassigned functions, the extended space or bad sizes
 * reach no host and read as documented. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vpci.h"
#include "fake_pci.h"
#include "fuzz_check.h"

#define GUEST_DOORBELL 0x08090040ull
#define DATA_XOR 0x5A5Au
#define DEVFN_A 0x20
#define DEVFN_B 0x21
#define DEVFN_NONE 0x28
#define MSI_CAP 0x80

struct fake {
    struct fake_pci_regs regs;
    uint8_t bars[24];                   /* the BAR registers as vpci_add found them */
    bool adding;                        /* inside vpci_add: BAR sizing allowed */
    bool has_msi, msi64;
    uint64_t route_to;
    unsigned writes;
};

static struct fake fa, fb;
static struct vpci_bus bus;

static uint32_t fake_read(void *ctx, uint32_t off, uint32_t size)
{
    struct fake *f = ctx;
    CHECK(fake_pci_access_ok(off, size));
    return fake_pci_get(f->regs.cfg, off, size);
}

static void fake_write(void *ctx, uint32_t off, uint32_t size, uint32_t v)
{
    struct fake *f = ctx;
    CHECK(fake_pci_access_ok(off, size));
    if (!f->adding)
        CHECK(off + size <= PCI_BAR0 || off >= PCI_BAR0 + 24);   /* the guest never moves a BAR */
    f->writes++;
    fake_pci_write(&f->regs, off, size, v);
}

static bool fake_route(void *ctx, uint64_t guest_address, uint32_t guest_data, uint64_t *host_address,
                       uint32_t *host_data)
{
    struct fake *f = ctx;
    CHECK(guest_data <= 0xFFFF);
    if (guest_address != GUEST_DOORBELL)
        return false;
    *host_address = f->route_to;
    *host_data = guest_data ^ DATA_XOR;
    return true;
}

static const struct vpci_host_ops ops = { fake_read, fake_write, fake_route };

/* shape: bits 0-1 MSI kind (64-bit, 32-bit, 32-bit maskable, 64-bit maskable with 4 vectors),
 * bit 2 no MSI, bit 3 doorbell above 4 GiB, bit 4 the 64-bit BAR in 4/5 instead of 2/3,
 * bit 5 an I/O BAR, bit 6 a 64-bit type in BAR5 (no room for its upper half). */
static void fake_init(struct fake *f, uint8_t shape)
{
    memset(f, 0, sizeof(*f));
    f->route_to = shape & 8 ? GUEST_DOORBELL + 0x100000000ull : GUEST_DOORBELL + 0x100000;
    fake_pci_put(f->regs.cfg, PCI_VENDOR_ID, 4, 0x11e81234);
    fake_pci_put(f->regs.cfg, PCI_COMMAND, 2, 0x0107);
    fake_pci_put(f->regs.wmask, PCI_COMMAND, 2, 0x0547);
    fake_pci_put(f->regs.cfg, PCI_STATUS, 2, PCI_STATUS_CAP_LIST | 0x0200);
    fake_pci_put(f->regs.cfg, PCI_CLASS_REVISION, 4, 0x00ff0010);
    fake_pci_put(f->regs.cfg, 0x0C, 4, 0x00800010);  /* multi-function, type 0 */
    fake_pci_put(f->regs.wmask, 0x0C, 2, 0xFFFF);
    fake_pci_bar(&f->regs, 0, 0x10000000, 0xFFF00000);
    int b64 = shape & 16 ? 4 : 2;
    fake_pci_bar(&f->regs, b64, 0x0000000C, 0xFFFFC000);
    fake_pci_bar(&f->regs, b64 + 1, 0x00000080, 0xFFFFFFFF);
    if (shape & 32)
        fake_pci_bar(&f->regs, 1, 0x0000C001, 0xFFFFFFE0);
    if (shape & 64)
        fake_pci_bar(&f->regs, 5, 0x20000004, 0xFFFFF000);
    fake_pci_put(f->regs.cfg, PCI_SUBSYSTEM, 4, 0x11001af4);
    fake_pci_put(f->regs.cfg, PCI_CAP_PTR, 1, 0x40);
    fake_pci_put(f->regs.cfg, PCI_INTERRUPT_LINE, 2, 0x010B);
    fake_pci_put(f->regs.wmask, PCI_INTERRUPT_LINE, 1, 0xFF);
    f->has_msi = !(shape & 4);
    fake_pci_put(f->regs.cfg, 0x40, 4, 0x00020010 | (f->has_msi ? MSI_CAP << 8 : 0));
    static const uint16_t ctl[] = { PCI_MSI_FLAGS_64BIT, 0, PCI_MSI_FLAGS_MASKBIT,
                                    PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | 0x0004 };
    uint16_t c = ctl[shape & 3];
    f->msi64 = c & PCI_MSI_FLAGS_64BIT;
    fake_pci_put(f->regs.cfg, MSI_CAP, 2, PCI_CAP_ID_MSI);
    fake_pci_put(f->regs.cfg, MSI_CAP + 2, 2, c);
    fake_pci_put(f->regs.wmask, MSI_CAP + 2, 2, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
    fake_pci_put(f->regs.wmask, MSI_CAP + 4, 4, 0xFFFFFFFC);
    uint32_t data = MSI_CAP + 8;
    if (f->msi64) {
        fake_pci_put(f->regs.wmask, MSI_CAP + 8, 4, 0xFFFFFFFF);
        data += 4;
    }
    fake_pci_put(f->regs.wmask, data, 2, 0xFFFF);
    if (c & PCI_MSI_FLAGS_MASKBIT) {
        fake_pci_put(f->regs.wmask, data + 4, 4, 0xF);
        fake_pci_put(f->regs.cfg, data + 8, 4, 0x3);
    }
    memcpy(f->bars, f->regs.cfg + PCI_BAR0, sizeof(f->bars));
}

static void add(struct fake *f, uint8_t devfn)
{
    f->adding = true;
    struct vpci_func *fn = NULL;
    CHECK(vpci_add(&bus, &ops, f, devfn, &fn) == VPCI_OK);
    CHECK(fn && fn->devfn == devfn);
    f->adding = false;
    CHECK(memcmp(f->regs.cfg + PCI_BAR0, f->bars, sizeof(f->bars)) == 0);
    CHECK(fn->msi_cap == (f->has_msi ? MSI_CAP : 0));
}

static void check_func(const struct vpci_func *fn, const struct fake *f)
{
    CHECK(memcmp(f->regs.cfg + PCI_BAR0, f->bars, sizeof(f->bars)) == 0);
    uint16_t cmd = (uint16_t)fake_pci_get(f->regs.cfg, PCI_COMMAND, 2);
    CHECK(!(cmd & PCI_COMMAND_IO));
    CHECK(cmd & PCI_COMMAND_INTX_DISABLE);
    CHECK((cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) ==
          (fn->command & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)));
    CHECK((fn->command & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)) == 0);
    CHECK((uint16_t)vpci_ecam_read(&bus, (uint64_t)fn->devfn << 12 | PCI_COMMAND, 2) == fn->command);
    CHECK(vpci_ecam_read(&bus, (uint64_t)fn->devfn << 12 | PCI_CAP_PTR, 1) == fn->msi_cap);
    CHECK(vpci_ecam_read(&bus, (uint64_t)fn->devfn << 12 | PCI_INTERRUPT_LINE + 1, 1) == 0);
    CHECK(vpci_ecam_read(&bus, (uint64_t)fn->devfn << 12 | PCI_HEADER_TYPE, 1) == 0);
    if (!f->has_msi)
        return;
    uint16_t ctl = (uint16_t)fake_pci_get(f->regs.cfg, MSI_CAP + 2, 2);
    uint64_t addr = fake_pci_get(f->regs.cfg, MSI_CAP + 4, 4);
    uint32_t data_off = MSI_CAP + 8;
    if (f->msi64) {
        addr |= (uint64_t)fake_pci_get(f->regs.cfg, MSI_CAP + 8, 4) << 32;
        data_off += 4;
    }
    bool reachable = fn->msi_address == GUEST_DOORBELL && (f->msi64 || !(f->route_to >> 32));
    bool want = (fn->msi_flags & PCI_MSI_FLAGS_ENABLE) && reachable;
    CHECK(!!(ctl & PCI_MSI_FLAGS_ENABLE) == want);
    CHECK(fn->msi_routed == want);
    CHECK((ctl & PCI_MSI_FLAGS_QSIZE) == 0);
    if (want) {
        CHECK(addr == f->route_to);
        CHECK(fake_pci_get(f->regs.cfg, data_off, 2) == ((fn->msi_data ^ DATA_XOR) & 0xFFFF));
        CHECK(fn->msi_host_address == f->route_to);
    }
    /* The guest's view: its own address and data, one vector. */
    uint32_t gctl = (uint32_t)vpci_ecam_read(&bus, (uint64_t)fn->devfn << 12 | (MSI_CAP + 2), 2);
    CHECK((gctl & (PCI_MSI_FLAGS_QMASK | PCI_MSI_FLAGS_QSIZE)) == 0);
    CHECK(!!(gctl & PCI_MSI_FLAGS_ENABLE) == !!(fn->msi_flags & PCI_MSI_FLAGS_ENABLE));
    CHECK(vpci_ecam_read(&bus, (uint64_t)fn->devfn << 12 | (MSI_CAP + 4), 4) == (uint32_t)fn->msi_address);
    CHECK(vpci_ecam_read(&bus, (uint64_t)fn->devfn << 12 | MSI_CAP, 1) == PCI_CAP_ID_MSI);
    CHECK(vpci_ecam_read(&bus, (uint64_t)fn->devfn << 12 | (MSI_CAP + 1), 1) == 0);
}

static uint64_t take(const uint8_t **p, size_t *n, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes && *n; i++, (*p)++, (*n)--)
        v |= (uint64_t)**p << (8 * i);
    return v;
}

static const uint64_t values[] = {
    0, ~0ull, 0xFFFFFFFF, GUEST_DOORBELL, GUEST_DOORBELL << 32, 1,
    (uint64_t)PCI_MSI_FLAGS_ENABLE << 16, PCI_MSI_FLAGS_ENABLE, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE,
    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0xFFFF, 0x10000000, 0x800000000Cull, 0xFFFFFFF0,
    GUEST_DOORBELL << 32 | (uint64_t)PCI_MSI_FLAGS_ENABLE << 16, 0x1234ull << 32,
};

static const uint32_t sizes[] = { 1, 2, 4, 8, 4, 2, 3, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&bus, 0, sizeof(bus));
    uint8_t shape = (uint8_t)take(&data, &size, 1);
    uint8_t shape_b = (uint8_t)take(&data, &size, 1);
    bool two = shape & 0x80;
    fake_init(&fa, shape & 0x7F);
    if (shape_b & 0x80) {                       /* a bridge first: refused, untouched */
        fa.regs.cfg[PCI_HEADER_TYPE] = 0x01;
        CHECK(vpci_add(&bus, &ops, &fa, DEVFN_A, NULL) == VPCI_ERR_NOT_TYPE0);
        CHECK(fa.writes == 0 && bus.count == 0);
        fa.regs.cfg[PCI_HEADER_TYPE] = 0x80;
    }
    add(&fa, DEVFN_A);
    if (two) {
        fake_init(&fb, shape_b & 0x7F);
        CHECK(vpci_add(&bus, &ops, &fb, DEVFN_A, NULL) == VPCI_ERR_DEVFN_TAKEN);
        add(&fb, DEVFN_B);
    }
    struct vpci_func *a = &bus.func[0], *b = two ? &bus.func[1] : NULL;

    while (size) {
        uint8_t op = (uint8_t)take(&data, &size, 1);
        uint8_t tgt = (uint8_t)take(&data, &size, 1);
        uint32_t reg = (uint32_t)take(&data, &size, 1);
        uint32_t sz = sizes[(op >> 3) & 7];
        uint64_t v = op & 0x40 ? values[take(&data, &size, 1) % (sizeof(values) / sizeof(values[0]))]
                               : take(&data, &size, sz == 8 ? 8 : 4);
        uint8_t devfn = (tgt & 3) == 0 ? DEVFN_A : (tgt & 3) == 1 ? DEVFN_B : (tgt & 3) == 2 ? DEVFN_NONE : tgt;
        uint64_t off = (uint64_t)devfn << 12 | reg;
        if (tgt & 4)
            off |= (uint64_t)((tgt >> 3) & 0xF) << 8;   /* the extended space */
        if ((tgt & 0xE0) == 0xE0)
            off |= VPCI_ECAM_BUS_BYTES;                 /* past the window */
        struct vpci_func *fn = devfn == DEVFN_A ? a : devfn == DEVFN_B ? b : NULL;
        bool valid = (sz == 1 || sz == 2 || sz == 4 || sz == 8) && !(off & (sz - 1)) && off < VPCI_ECAM_BUS_BYTES;
        bool reaches = valid && fn && (off & 0xFFF) < 0x100;
        unsigned wa = fa.writes, wb = fb.writes;

        switch (op & 7) {
        case 0: case 1: case 2: case 3:
            vpci_ecam_write(&bus, off, sz, v);
            break;
        case 4: case 5: case 6: {
            uint64_t r = vpci_ecam_read(&bus, off, sz);
            CHECK(fa.writes == wa && fb.writes == wb);
            if (!valid)
                CHECK(r == ~0ull);
            else if (!fn)
                CHECK(r == (sz == 8 ? ~0ull : (1ull << (8 * sz)) - 1));
            else if ((off & 0xFFF) >= 0x100)
                CHECK(r == 0);
            else if (sz < 8)
                CHECK(r >> (8 * sz) == 0);
            break;
        }
        case 7:
            vpci_reset(&bus);
            CHECK(!(fake_pci_get(fa.regs.cfg, MSI_CAP + 2, 2) & PCI_MSI_FLAGS_ENABLE));
            CHECK(a->command == 0 && a->msi_flags == 0);
            break;
        }
        if ((op & 7) < 4) {
            if (!reaches)
                CHECK(fa.writes == wa && fb.writes == wb);
            else if (fn == a)
                CHECK(fb.writes == wb);
            else
                CHECK(fa.writes == wa);
        }
        check_func(a, &fa);
        if (b)
            check_func(b, &fb);
    }
    return 0;
}
