/* test_vvirtio_mmio.c: the empty virtio-mmio transports (kernel/vvirtio_mmio.c) as a guest
 * reaches them through a VM's MMIO bus: QEMU virt's bank of 32 at 0x0a000000, each answering
 * as QEMU's virtio-mmio with no backend. */
#include <criterion/criterion.h>
#include "mmio_bus.h"
#include "vvirtio_mmio.h"

#define BANK_BASE 0x0a000000ull
#define COUNT     32u

static struct mmio_bus bus;
static struct vvirtio_mmio bank;

static void setup(void)
{
    bus = (struct mmio_bus){ 0 };
    vvirtio_mmio_init(&bank, COUNT);
    cr_assert_eq(mmio_bus_register(&bus, BANK_BASE, vvirtio_mmio_size_bytes(&bank), &vvirtio_mmio_ops, &bank,
                                   "virtio-mmio"), 0);
}

TestSuite(vvirtio_mmio, .init = setup);

static uint64_t rd(uint64_t addr, uint32_t size)
{
    uint64_t v = 0xdeadbeefdeadbeefull;
    cr_assert(mmio_bus_read(&bus, NULL, addr, size, &v), "0x%lx claimed", (unsigned long)addr);
    return v;
}

static uint64_t transport(uint32_t n) { return BANK_BASE + n * VIRTIO_MMIO_TRANSPORT_BYTES; }

Test(vvirtio_mmio, every_transport_answers_no_device)
{
    cr_assert_eq(vvirtio_mmio_size_bytes(&bank), 0x4000, "32 transports of 0x200 bytes");
    for (uint32_t n = 0; n < COUNT; n++) {
        uint64_t t = transport(n);
        cr_assert_eq(rd(t + 0x000, 4), 0x74726976u, "transport %u MagicValue \"virt\"", n);
        cr_assert_eq(rd(t + 0x004, 4), 1, "transport %u Version: QEMU's default (legacy)", n);
        cr_assert_eq(rd(t + 0x008, 4), 0, "transport %u DeviceID 0: no device", n);
        cr_assert_eq(rd(t + 0x00c, 4), 0x554d4551u, "transport %u VendorID \"QEMU\"", n);
    }
}

/* Every other register of the transport (features, queues, interrupt status, device
 * status, config generation, the device-specific space) reads as zero. */
Test(vvirtio_mmio, other_registers_read_zero)
{
    for (uint32_t n = 0; n < COUNT; n += 31)
        for (uint64_t off = 0x010; off < VIRTIO_MMIO_TRANSPORT_BYTES; off += 4)
            cr_assert_eq(rd(transport(n) + off, 4), 0, "transport %u offset 0x%lx", n, (unsigned long)off);
}

/* Writes change nothing: not the identification, not a writable-looking register. */
Test(vvirtio_mmio, writes_are_ignored)
{
    static const uint64_t offs[] = { 0x000, 0x004, 0x008, 0x00c, 0x014, 0x030, 0x038, 0x044, 0x064, 0x070, 0x100 };
    for (uint32_t n = 0; n < COUNT; n += 31)
        for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
            cr_assert(mmio_bus_write(&bus, NULL, transport(n) + offs[i], 4, 0xffffffffu));
            cr_assert(mmio_bus_write(&bus, NULL, transport(n) + offs[i], 8, ~0ull));
        }
    cr_assert_eq(rd(transport(0) + 0x000, 4), 0x74726976u);
    cr_assert_eq(rd(transport(0) + 0x008, 4), 0);
    cr_assert_eq(rd(transport(31) + 0x004, 4), 1);
    cr_assert_eq(rd(transport(31) + 0x070, 4), 0, "Status stays 0");
    cr_assert_eq(rd(transport(31) + 0x030, 4), 0, "QueueSel stays 0");
}

/* Access sizes as QEMU answers them: a 64-bit read is two 32-bit registers, low first; a
 * narrower read at a register's offset gives its low bytes, elsewhere 0. */
Test(vvirtio_mmio, access_sizes)
{
    cr_assert_eq(rd(transport(5), 8), 0x74726976u | 1ull << 32);
    cr_assert_eq(rd(transport(5) + 8, 8), (uint64_t)0x554d4551u << 32);
    cr_assert_eq(rd(transport(5), 1), 0x76, "'v'");
    cr_assert_eq(rd(transport(5), 2), 0x6976);
    cr_assert_eq(rd(transport(5) + 1, 1), 0);
    cr_assert_eq(rd(transport(5) + 0xc, 2), 0x4551);
}

/* The bank covers exactly its 32 transports. */
Test(vvirtio_mmio, bank_bounds)
{
    uint64_t v;
    cr_assert_eq(rd(transport(31) + 0x1fc, 4), 0);
    cr_assert_not(mmio_bus_read(&bus, NULL, BANK_BASE + 0x4000, 4, &v), "past the last transport");
    cr_assert_not(mmio_bus_read(&bus, NULL, BANK_BASE - 4, 4, &v), "below the first");
    cr_assert_not(mmio_bus_read(&bus, NULL, BANK_BASE + 0x3ffc, 8, &v), "straddling the end");
}
