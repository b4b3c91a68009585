/* vpci.c: the configuration space of assigned PCI functions as their VM sees it (vpci.h). */
#include <stddef.h>
#include "vpci.h"

#define ALL_ONES 0xFFFFFFFFu
#define STATUS_RW1C 0xF900u                 /* parity, target/master aborts, SERR */
#define CMD_GUEST_BITS (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)

static uint32_t host_read(const struct vpci_func *f, uint32_t off, uint32_t size)
{
    return f->ops->read(f->ctx, off, size);
}

static void host_write(const struct vpci_func *f, uint32_t off, uint32_t size, uint32_t v)
{
    f->ops->write(f->ctx, off, size, v);
}

static bool msi_is64(const struct vpci_func *f)
{
    return f->msi_host_flags & PCI_MSI_FLAGS_64BIT;
}

/* MSI capability layout (PCI 3.0 6.8.1): control, address, [upper address], data, [mask,
 * pending]. Offsets relative to the capability. */
static uint32_t msi_data_off(const struct vpci_func *f)
{
    return msi_is64(f) ? 0x0C : 0x08;
}

static uint32_t msi_len(const struct vpci_func *f)
{
    uint32_t len = msi_data_off(f) + 4;
    return f->msi_host_flags & PCI_MSI_FLAGS_MASKBIT ? len + 8 : len;
}

static void host_command(const struct vpci_func *f, uint16_t guest_bits)
{
    uint16_t c = (uint16_t)host_read(f, PCI_COMMAND, 2);
    c = (uint16_t)((c & ~(CMD_GUEST_BITS | PCI_COMMAND_IO)) | (guest_bits & CMD_GUEST_BITS));
    host_write(f, PCI_COMMAND, 2, c | PCI_COMMAND_INTX_DISABLE);  /* no INTx is routed */
}

/* The device's MSI from the guest's: disabled first, so the device never signals a
 * half-written address/data pair. */
static void msi_sync(struct vpci_func *f)
{
    if (!f->msi_cap)
        return;
    uint32_t cap = f->msi_cap;
    uint64_t addr = 0;
    uint32_t data = 0;
    bool route = (f->msi_flags & PCI_MSI_FLAGS_ENABLE) &&
                 f->ops->msi_route(f->ctx, f->msi_address, f->msi_data, &addr, &data) &&
                 (msi_is64(f) || !(addr >> 32));
    data &= 0xFFFF;
    if (route && f->msi_routed && addr == f->msi_host_address && data == f->msi_host_data)
        return;                                       /* unchanged: no window without MSI */
    uint16_t ctl = (uint16_t)host_read(f, cap + 2, 2) & (uint16_t)~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
    host_write(f, cap + 2, 2, ctl);
    f->msi_routed = false;
    if (!route)
        return;
    host_write(f, cap + 4, 4, (uint32_t)addr);
    if (msi_is64(f))
        host_write(f, cap + 8, 4, (uint32_t)(addr >> 32));
    host_write(f, cap + msi_data_off(f), 2, data);
    host_write(f, cap + 2, 2, ctl | PCI_MSI_FLAGS_ENABLE);   /* one vector: MME = 0 */
    f->msi_routed = true;
    f->msi_host_address = addr;
    f->msi_host_data = data;
}

/* Sizes BAR i on the host (PCI 3.0 6.2.5.1): all ones written, the mask read, restored. */
static int bar_probe(struct vpci_func *f, int i)
{
    uint32_t off = PCI_BAR0 + 4u * (uint32_t)i;
    uint32_t orig = host_read(f, off, 4);
    host_write(f, off, 4, ALL_ONES);
    uint32_t mask = host_read(f, off, 4);
    host_write(f, off, 4, orig);
    struct vpci_bar *b = &f->bar[i];
    if (orig & 1) {                                      /* I/O space */
        b->io = true;
        b->flags = orig & 0x3;
        b->address = orig & ~3u;
        mask &= ~3u;
        b->size_bytes = mask ? (uint64_t)(~mask & 0xFFFF) + 1 : 0;  /* 16-bit I/O decode */
        return 1;
    }
    b->flags = orig & 0xF;
    b->address = orig & ~0xFull;
    uint64_t m = mask & ~0xFull;
    int used = 1;
    if (((orig >> 1) & 3) == 2 && i + 1 < VPCI_NR_BARS) {  /* 64-bit memory BAR */
        uint32_t hi = host_read(f, off + 4, 4);
        host_write(f, off + 4, 4, ALL_ONES);
        uint32_t mhi = host_read(f, off + 4, 4);
        host_write(f, off + 4, 4, hi);
        b->is64 = true;
        b->address |= (uint64_t)hi << 32;
        m |= (uint64_t)mhi << 32;
        f->bar[i + 1] = (struct vpci_bar){ .upper = true };
        used = 2;
    } else if (m) {
        m |= 0xFFFFFFFF00000000ull;                      /* a 32-bit BAR: the upper half fixed */
    }
    b->size_bytes = m ? ~m + 1 : 0;
    if (!b->size_bytes)
        b->address = 0;
    return used;
}

enum vpci_error vpci_add(struct vpci_bus *bus, const struct vpci_host_ops *ops, void *ctx, uint8_t devfn,
                         struct vpci_func **out)
{
    if (bus->count >= VPCI_MAX_FUNCS)
        return VPCI_ERR_FULL;
    for (uint32_t i = 0; i < bus->count; i++)
        if (bus->func[i].devfn == devfn)
            return VPCI_ERR_DEVFN_TAKEN;
    struct vpci_func *f = &bus->func[bus->count];
    *f = (struct vpci_func){ .ops = ops, .ctx = ctx, .devfn = devfn };
    uint32_t id = host_read(f, PCI_VENDOR_ID, 4);
    if ((id & 0xFFFF) == 0xFFFF || (id & 0xFFFF) == 0)
        return VPCI_ERR_NO_DEVICE;
    if ((host_read(f, PCI_HEADER_TYPE, 1) & 0x7F) != 0)
        return VPCI_ERR_NOT_TYPE0;
    uint16_t cmd = (uint16_t)host_read(f, PCI_COMMAND, 2);
    host_write(f, PCI_COMMAND, 2, (cmd & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_IO)) | PCI_COMMAND_INTX_DISABLE);
    for (int i = 0; i < VPCI_NR_BARS;)
        i += bar_probe(f, i);
    host_command(f, 0);
    /* PCI 3.0 6.7: the capability list, at most 48 entries (a loop guard). */
    if (host_read(f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) {
        uint32_t p = host_read(f, PCI_CAP_PTR, 1) & 0xFC;
        for (int n = 0; n < 48 && p >= 0x40; n++) {
            uint32_t hdr = host_read(f, p, 2);
            if ((hdr & 0xFF) == PCI_CAP_ID_MSI) {
                f->msi_cap = (uint8_t)p;
                break;
            }
            p = (hdr >> 8) & 0xFC;
        }
    }
    if (f->msi_cap && f->msi_cap + 24u > 256u)           /* a capability running off the space */
        f->msi_cap = 0;
    if (f->msi_cap) {
        f->msi_host_flags = (uint16_t)host_read(f, f->msi_cap + 2u, 2) &
                            (PCI_MSI_FLAGS_QMASK | PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT);
        msi_sync(f);
    }
    bus->count++;
    if (out)
        *out = f;
    return VPCI_OK;
}

static struct vpci_func *find(struct vpci_bus *bus, uint64_t offset)
{
    uint8_t devfn = (uint8_t)(offset >> 12);
    for (uint32_t i = 0; i < bus->count; i++)
        if (bus->func[i].devfn == devfn)
            return &bus->func[i];
    return NULL;
}

static uint32_t bar_read(const struct vpci_func *f, int i)
{
    const struct vpci_bar *b = &f->bar[i];
    if (b->upper) {
        const struct vpci_bar *lo = &f->bar[i - 1];
        /* Each half sizes on its own, as the two dwords of a real 64-bit BAR do. */
        return b->sizing ? (uint32_t)(~(lo->size_bytes - 1) >> 32) : (uint32_t)(lo->address >> 32);
    }
    if (!b->size_bytes)
        return 0;
    if (b->sizing)
        return ((uint32_t)~(b->size_bytes - 1) & (b->io ? ~3u : ~0xFu)) | b->flags;
    return (uint32_t)b->address | b->flags;
}

/* The dword at `reg` (aligned) as the guest sees it. */
static uint32_t read_dword(struct vpci_func *f, uint32_t reg)
{
    if (f->msi_cap && reg >= f->msi_cap && reg < f->msi_cap + msi_len(f)) {
        uint32_t r = reg - f->msi_cap;
        if (r == 0) {                                  /* next: 0; one vector offered (MMC 0) */
            uint16_t ctl = (uint16_t)((f->msi_host_flags & ~PCI_MSI_FLAGS_QMASK) | f->msi_flags);
            return PCI_CAP_ID_MSI | (uint32_t)ctl << 16;
        }
        if (r == 4)
            return (uint32_t)f->msi_address;
        if (r == 8 && msi_is64(f))
            return (uint32_t)(f->msi_address >> 32);
        if (r == msi_data_off(f))
            return f->msi_data;
        return host_read(f, reg, 4);                  /* mask / pending bits */
    }
    switch (reg) {
    case PCI_VENDOR_ID:
    case PCI_CLASS_REVISION:
    case PCI_SUBSYSTEM:
        return host_read(f, reg, 4);
    case PCI_COMMAND: {
        uint32_t status = host_read(f, PCI_STATUS, 2) & ~(uint32_t)PCI_STATUS_CAP_LIST;
        if (f->msi_cap)
            status |= PCI_STATUS_CAP_LIST;
        return status << 16 | f->command;
    }
    case 0x0C:                                         /* cache line, latency, header type 0, BIST */
        return host_read(f, reg, 4) & 0x0000FFFFu;
    case PCI_CAP_PTR:
        return f->msi_cap;
    case PCI_INTERRUPT_LINE:                            /* Interrupt Pin 0: no INTx */
        return f->interrupt_line;
    default:
        if (reg >= PCI_BAR0 && reg < PCI_BAR0 + 4 * VPCI_NR_BARS)
            return bar_read(f, (int)(reg - PCI_BAR0) / 4);
        return 0;
    }
}

static void bar_write(struct vpci_func *f, int i, uint32_t v)
{
    struct vpci_bar *b = &f->bar[i];
    struct vpci_bar *lo = b->upper ? &f->bar[i - 1] : b;
    if (!lo->size_bytes && !b->upper)
        return;
    /* All ones in the address bits: the guest sizes it. Anything else: a move we do not
     * make (the BAR stays at its host address, which is where the guest finds it). */
    uint32_t want = b->upper ? ALL_ONES : (b->io ? ~3u : ~0xFu);
    b->sizing = (v & want) == want;
}

/* A write of the bytes in `mask` of the dword at `reg`, v already merged. */
static void write_dword(struct vpci_func *f, uint32_t reg, uint32_t v, uint32_t mask)
{
    if (f->msi_cap && reg >= f->msi_cap && reg < f->msi_cap + msi_len(f)) {
        uint32_t r = reg - f->msi_cap;
        if (r == 0) {
            if (mask & 0xFFFF0000u) {
                f->msi_flags = (uint16_t)(v >> 16) & (PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
                f->msi_flags &= (uint16_t)~PCI_MSI_FLAGS_QSIZE;   /* one vector (MME = 0) */
                msi_sync(f);
            }
        } else if (r == 4) {
            f->msi_address = (f->msi_address & ~0xFFFFFFFFull) | (v & ~3u);
            msi_sync(f);
        } else if (r == 8 && msi_is64(f)) {
            f->msi_address = (f->msi_address & 0xFFFFFFFFull) | (uint64_t)v << 32;
            msi_sync(f);
        } else if (r == msi_data_off(f)) {
            f->msi_data = (uint16_t)v;
            msi_sync(f);
        } else if (r == msi_data_off(f) + 4) {
            host_write(f, reg, 4, v);                 /* mask bits: the guest's own vectors */
        }
        return;
    }
    if (reg == PCI_COMMAND) {
        if (mask & 0xFFFF) {
            f->command = (uint16_t)(v & CMD_GUEST_BITS);
            host_command(f, f->command);
        }
        /* Status: the error bits are write-1-to-clear (PCI 3.0 6.2.3); only the written ones. */
        uint16_t clear = (uint16_t)((v & mask) >> 16) & STATUS_RW1C;
        if (clear)
            host_write(f, PCI_STATUS, 2, clear);
    } else if (reg == PCI_INTERRUPT_LINE) {
        f->interrupt_line = (uint8_t)v;
    } else if (reg >= PCI_BAR0 && reg < PCI_BAR0 + 4 * VPCI_NR_BARS) {
        bar_write(f, (int)(reg - PCI_BAR0) / 4, v);
    }
}

static bool access_ok(uint64_t offset, uint32_t size)
{
    return (size == 1 || size == 2 || size == 4 || size == 8) && !(offset & (size - 1)) &&
           offset < VPCI_ECAM_BUS_BYTES;
}

uint64_t vpci_ecam_read(struct vpci_bus *bus, uint64_t offset, uint32_t size)
{
    if (!access_ok(offset, size))
        return ~0ull;
    struct vpci_func *f = find(bus, offset);
    if (!f)
        return size == 8 ? ~0ull : ALL_ONES >> (32 - 8 * size);
    uint32_t reg = offset & 0xFFF;
    if (size == 8)
        return (reg >= 0x100 ? 0 : read_dword(f, reg) | (uint64_t)read_dword(f, reg + 4) << 32);
    if (reg >= 0x100)                                  /* no extended capabilities */
        return 0;
    uint32_t d = read_dword(f, reg & ~3u) >> (8 * (reg & 3));
    return size == 4 ? d : d & ((1u << (8 * size)) - 1);
}

void vpci_ecam_write(struct vpci_bus *bus, uint64_t offset, uint32_t size, uint64_t value)
{
    if (!access_ok(offset, size))
        return;
    struct vpci_func *f = find(bus, offset);
    uint32_t reg = offset & 0xFFF;
    if (!f || reg >= 0x100)
        return;
    if (size == 8) {
        vpci_ecam_write(bus, offset, 4, (uint32_t)value);
        vpci_ecam_write(bus, offset + 4, 4, value >> 32);
        return;
    }
    uint32_t shift = 8 * (reg & 3), dreg = reg & ~3u;
    uint32_t mask = (size == 4 ? ALL_ONES : (1u << (8 * size)) - 1) << shift;
    uint32_t merged = (read_dword(f, dreg) & ~mask) | ((uint32_t)value << shift & mask);
    write_dword(f, dreg, merged, mask);
}

void vpci_reset(struct vpci_bus *bus)
{
    for (uint32_t i = 0; i < bus->count; i++) {
        struct vpci_func *f = &bus->func[i];
        f->command = 0;
        f->interrupt_line = 0;
        f->msi_flags = 0;
        f->msi_address = 0;
        f->msi_data = 0;
        for (int b = 0; b < VPCI_NR_BARS; b++)
            f->bar[b].sizing = false;
        host_command(f, 0);
        msi_sync(f);
    }
}
