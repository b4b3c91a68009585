/* test_memslot.c: memslot add/delete/overlap and the audited guest-memory accessors. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "memslot.h"
#include "mmio_bus.h"

static struct memslots ms;
static uint8_t *ram, *rom;

static void setup(void)
{
    memslots_init(&ms);
    ram = aligned_alloc(4096, 0x4000);
    rom = aligned_alloc(4096, 0x2000);
    memset(ram, 0, 0x4000);
    memset(rom, 0xab, 0x2000);
}

static void teardown(void)
{
    free(ram);
    free(rom);
}

TestSuite(memslot, .init = setup, .fini = teardown);

#define HPA(p) ((uint64_t)(uintptr_t)(p))

/* The slot table's bookkeeping: deleting a slot here does not unmap stage-2 (no run-time
 * memslot changes yet). */
Test(memslot, table_add_delete_and_count)
{
    cr_assert_eq(memslot_set(&ms, 0, 0x40000000, 0x4000, HPA(ram), MEMSLOT_RAM), MEMSLOT_OK);
    cr_assert_eq(memslot_set(&ms, 3, 0x50000000, 0x2000, HPA(rom), MEMSLOT_READONLY), MEMSLOT_OK);
    cr_assert_eq(memslot_count(&ms), 2);
    struct memslot s;
    cr_assert(memslot_get(&ms, 3, &s));
    cr_assert_eq(s.gpa, 0x50000000);
    cr_assert_eq(s.flags, MEMSLOT_READONLY);
    cr_assert_eq(memslot_set(&ms, 3, 0, 0, 0, 0), MEMSLOT_OK, "size 0 deletes");
    cr_assert_eq(memslot_count(&ms), 1);
    cr_assert_not(memslot_get(&ms, 3, &s));
    cr_assert_eq(memslot_set(&ms, 3, 0, 0, 0, 0), MEMSLOT_ENOENT);
}

Test(memslot, overlap_and_bad_arguments_are_refused)
{
    cr_assert_eq(memslot_set(&ms, 0, 0x40000000, 0x4000, HPA(ram), 0), MEMSLOT_OK);
    cr_assert_eq(memslot_set(&ms, 1, 0x40003000, 0x2000, HPA(rom), 0), MEMSLOT_EEXIST);
    cr_assert_eq(memslot_set(&ms, 1, 0x3ffff000, 0x2000, HPA(rom), 0), MEMSLOT_EEXIST);
    cr_assert_eq(memslot_set(&ms, 1, 0x40004000, 0x2000, HPA(rom), 0), MEMSLOT_OK, "adjacent is fine");
    cr_assert_eq(memslot_set(&ms, VM_MAX_MEMSLOTS, 0x60000000, 0x1000, HPA(rom), 0), MEMSLOT_EINVAL);
    cr_assert_eq(memslot_set(&ms, 2, 0x60000800, 0x1000, HPA(rom), 0), MEMSLOT_EINVAL);
    cr_assert_eq(memslot_set(&ms, 2, 0xfffffffffffff000ull, 0x2000, HPA(rom), 0), MEMSLOT_EINVAL);
    cr_assert_eq(memslot_set(&ms, 2, 0x60000000, 0x1000, HPA(rom), 1u << 30), MEMSLOT_EINVAL);
    /* resizing a slot in place does not conflict with itself */
    cr_assert_eq(memslot_set(&ms, 0, 0x40000000, 0x3000, HPA(ram), 0), MEMSLOT_OK);
}

Test(memslot, the_maximum_count_is_enforced_by_id)
{
    static uint8_t pages[VM_MAX_MEMSLOTS][4096] __attribute__((aligned(4096)));
    for (uint32_t i = 0; i < VM_MAX_MEMSLOTS; i++)
        cr_assert_eq(memslot_set(&ms, i, 0x1000ull * i, 0x1000, HPA(pages[i]), 0), MEMSLOT_OK);
    cr_assert_eq(memslot_count(&ms), VM_MAX_MEMSLOTS);
    cr_assert_eq(memslot_set(&ms, VM_MAX_MEMSLOTS, 0x100000, 0x1000, HPA(pages[0]), 0), MEMSLOT_EINVAL);
}

Test(memslot, guest_accessors_copy_across_slots_and_refuse_holes)
{
    cr_assert_eq(memslot_set(&ms, 0, 0x40000000, 0x4000, HPA(ram), 0), MEMSLOT_OK);
    cr_assert_eq(memslot_set(&ms, 1, 0x40004000, 0x2000, HPA(rom), 0), MEMSLOT_OK);
    uint8_t buf[16];
    memset(buf, 0x5c, sizeof(buf));
    cr_assert_eq(guest_write(&ms, 0x40003ff8, buf, 16), 0, "crosses into the next slot");
    cr_assert_eq(ram[0x3ff8], 0x5c);
    cr_assert_eq(rom[7], 0x5c);
    cr_assert_eq(rom[8], 0xab);
    uint8_t back[16];
    cr_assert_eq(guest_read(&ms, 0x40003ff8, back, 16), 0);
    cr_assert_arr_eq(back, buf, 16);
    cr_assert_eq(guest_read(&ms, 0x40005ff8, back, 16), -1, "runs off the end into a hole");
    cr_assert_eq(guest_read(&ms, 0x3ffffff0, back, 4), -1);
    cr_assert_eq(guest_read(&ms, 0xfffffffffffffff8ull, back, 16), -1, "wraps");
}

Test(memslot, writes_to_a_read_only_slot_are_refused)
{
    cr_assert_eq(memslot_set(&ms, 1, 0x50000000, 0x2000, HPA(rom), MEMSLOT_READONLY), MEMSLOT_OK);
    uint32_t v = 0x11223344;
    cr_assert_eq(guest_write(&ms, 0x50000010, &v, 4), -1);
    cr_assert_eq(rom[0x10], 0xab);
    cr_assert_eq(guest_read(&ms, 0x50000010, &v, 4), 0);
    cr_assert_eq(v, 0xabababab);
    uint64_t hpa;
    uint32_t flags;
    cr_assert(memslot_translate(&ms, 0x50001234, &hpa, &flags));
    cr_assert_eq(hpa, HPA(rom) + 0x1234);
    cr_assert_eq(flags, MEMSLOT_READONLY);
}

/* --- the device bus ----------------------------------------------------- */
struct fake_dev { uint64_t last_off, last_val; uint32_t last_size; int writes; };

static uint64_t dev_read(void *d, struct vcpu *v, uint64_t off, uint32_t size)
{
    (void)v;
    struct fake_dev *f = d;
    f->last_off = off;
    f->last_size = size;
    return 0x1122334455667788ull;
}

static void dev_write(void *d, struct vcpu *v, uint64_t off, uint32_t size, uint64_t val)
{
    (void)v;
    struct fake_dev *f = d;
    f->last_off = off;
    f->last_size = size;
    f->last_val = val;
    f->writes++;
}

static const struct mmio_ops dev_ops = { dev_read, dev_write };

Test(mmio_bus, dispatches_by_range_with_offsets_and_widths)
{
    struct mmio_bus bus = { 0 };
    struct fake_dev uart = { 0 }, gic = { 0 };
    cr_assert_eq(mmio_bus_register(&bus, 0x09000000, 0x1000, &dev_ops, &uart, "pl011"), 0);
    cr_assert_eq(mmio_bus_register(&bus, 0x08000000, 0x10000, &dev_ops, &gic, "gicd"), 0);
    cr_assert_eq(mmio_bus_register(&bus, 0x09000800, 0x1000, &dev_ops, &gic, "overlap"), -1);
    uint64_t v;
    cr_assert(mmio_bus_read(&bus, NULL, 0x09000018, 2, &v));
    cr_assert_eq(v, 0x7788, "narrowed to the access size");
    cr_assert_eq(uart.last_off, 0x18);
    cr_assert_eq(uart.last_size, 2);
    cr_assert(mmio_bus_write(&bus, NULL, 0x08000100, 1, 0x1ff));
    cr_assert_eq(gic.last_val, 0xff);
    cr_assert_eq(gic.last_off, 0x100);
    cr_assert_not(mmio_bus_read(&bus, NULL, 0x09001000, 4, &v), "nothing there");
    cr_assert_not(mmio_bus_read(&bus, NULL, 0x09000ffc, 8, &v), "straddles the end");
    cr_assert_not(mmio_bus_write(&bus, NULL, 0x09000000, 3, 0), "bad width");
    cr_assert_eq(uart.writes, 0);
}

/* The last region found is tried first (a hint): a hit elsewhere moves it, a miss of the hint
 * still finds the right region, and a bad width is refused on both paths. */
Test(mmio_bus, last_hit_hint_never_changes_the_answer)
{
    struct mmio_bus bus = { 0 };
    struct fake_dev a = { 0 }, b = { 0 };
    cr_assert_eq(mmio_bus_register(&bus, 0x08000000, 0x10000, &dev_ops, &a, "a"), 0);
    cr_assert_eq(mmio_bus_register(&bus, 0x09000000, 0x1000, &dev_ops, &b, "b"), 0);
    cr_assert_eq(mmio_bus_find(&bus, 0x09000018, 4), &bus.region[1]);
    cr_assert_eq(bus.last_hit, 1, "the hit is remembered");
    cr_assert_eq(mmio_bus_find(&bus, 0x09000ffc, 4), &bus.region[1], "through the hint");
    cr_assert_null(mmio_bus_find(&bus, 0x09000ffc, 8), "straddles the hinted region's end");
    cr_assert_null(mmio_bus_find(&bus, 0x09000000, 3), "bad width with the hint");
    cr_assert_null(mmio_bus_find(&bus, 0x09000000, 0), "zero width with the hint");
    cr_assert_eq(mmio_bus_find(&bus, 0x0800fff8, 8), &bus.region[0], "the other region, past the hint");
    cr_assert_eq(bus.last_hit, 0);
    cr_assert_null(mmio_bus_find(&bus, 0x0a000000, 1), "nothing there");
    cr_assert_eq(bus.last_hit, 0, "a miss leaves the hint");
}

/* memslot_range_free answers for the generation it returns; every change bumps it. */
Test(memslot, range_free_and_generation)
{
    uint32_t gen0, gen1, gen2;
    cr_assert(memslot_range_free(&ms, 0x09000000, 0x1000, &gen0), "no slots at all");
    cr_assert_eq(gen0, memslot_generation(&ms));
    cr_assert_eq(memslot_set(&ms, 2, 0x40000000, 0x100000, 0x80000000, MEMSLOT_RAM), MEMSLOT_OK);
    cr_assert_neq(memslot_generation(&ms), gen0, "an add bumps the generation");
    cr_assert(memslot_range_free(&ms, 0x09000000, 0x1000, &gen1), "RAM elsewhere");
    cr_assert_not(memslot_range_free(&ms, 0x400ff000, 0x2000, &gen1), "overlaps the slot's last page");
    cr_assert(memslot_range_free(&ms, 0x40100000, 0x1000, &gen1), "right after it");
    cr_assert_eq(memslot_set(&ms, 3, 0x09000000, 0x1000, 0x80100000, 0), MEMSLOT_OK);
    cr_assert_not(memslot_range_free(&ms, 0x09000800, 0x100, &gen2), "a slot over the device range");
    cr_assert_neq(gen2, gen1);
    cr_assert_eq(memslot_set(&ms, 3, 0, 0, 0, 0), MEMSLOT_OK);
    cr_assert(memslot_range_free(&ms, 0x09000800, 0x100, &gen2), "deleted again");
    cr_assert_eq(gen2, memslot_generation(&ms));
}
