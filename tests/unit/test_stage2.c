/* test_stage2.c: the generic walker over the aarch64 stage-2 format: blocks, pages, split, collapse. */
#include <criterion/criterion.h>
#include "fake_pt_env.h"
#include "stage2.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define KiB (1ull << 10)

static struct fake_env fe;
static struct pt_env env = FAKE_ENV_INIT(&fe);
static struct pgtable pt;

static void setup(void)
{
    memset(&fe, 0, sizeof(fe));
    fe.fail_after = -1;
    cr_assert_eq(pt_init(&pt, &aarch64_stage2_format, &env), 0);
}

static void teardown(void)
{
    pt_destroy(&pt);
    cr_assert_eq(fe.live_tables, 0, "tables leaked: %d", fe.live_tables);
}

TestSuite(stage2, .init = setup, .fini = teardown);

static uint32_t level_at(uint64_t ia)
{
    uint64_t pa;
    uint32_t perms, level;
    cr_assert(pt_lookup(&pt, ia, &pa, &perms, &level), "0x%llx unmapped", (unsigned long long)ia);
    return level;
}

Test(stage2, aligned_1GiB_region_is_one_block_entry)
{
    cr_assert_eq(pt_map(&pt, 1 * GiB, 8 * GiB, 1 * GiB, PT_RWX, 0), 0);
    cr_assert_eq(fe.live_tables, 2);           /* root + one level-1 table holding the block */
    uint64_t *l1 = (uint64_t *)(uintptr_t)(((uint64_t *)(uintptr_t)pt.root_pa)[0] & 0xfffffffff000ull);
    cr_assert_eq(l1[1] & 3, 1, "level-1 entry is a block descriptor");
    cr_assert_eq(l1[1] & 0xfffffffff000ull, 8 * GiB);
    uint64_t pa;
    cr_assert(pt_lookup(&pt, 1 * GiB + 0x12345000, &pa, NULL, NULL));
    cr_assert_eq(pa, 8 * GiB + 0x12345000);
    cr_assert_eq(level_at(1 * GiB + 0x12345000), 1);
}

Test(stage2, unaligned_region_gets_blocks_in_the_middle_and_pages_at_the_edges)
{
    uint64_t ia = 0x40000000 + 2 * MiB - 8 * KiB, size = 8 * KiB + 4 * MiB + 12 * KiB;
    cr_assert_eq(pt_map(&pt, ia, 0x80000000 + 2 * MiB - 8 * KiB, size, PT_RWX, 0), 0);
    cr_assert_eq(level_at(ia), 3);
    cr_assert_eq(level_at(ia + 4 * KiB), 3);
    cr_assert_eq(level_at(0x40000000 + 2 * MiB), 2);
    cr_assert_eq(level_at(0x40000000 + 4 * MiB + 100), 2);
    cr_assert_eq(level_at(0x40000000 + 6 * MiB), 3);
    cr_assert_eq(level_at(0x40000000 + 6 * MiB + 8 * KiB), 3);
    cr_assert_not(pt_lookup(&pt, 0x40000000 + 6 * MiB + 12 * KiB, NULL, NULL, NULL));
    cr_assert_not(pt_lookup(&pt, ia - 4 * KiB, NULL, NULL, NULL));
}

Test(stage2, misaligned_output_address_falls_back_to_pages)
{
    cr_assert_eq(pt_map(&pt, 2 * MiB, 2 * MiB + 4 * KiB, 2 * MiB, PT_RWX, 0), 0);
    cr_assert_eq(level_at(2 * MiB), 3);
}

/* Walker operations only: nothing in the hypervisor calls split/protect/collapse at run time
 * yet (run-time dirty logging is the stage-2-at-run-time issue's work). */
Test(stage2, walker_split_protect_and_collapse_of_a_1GiB_block)
{
    cr_assert_eq(pt_map(&pt, 1 * GiB, 1 * GiB, 1 * GiB, PT_RWX, 0), 0);
    int before = fe.live_tables;
    /* what dirty logging will do on start: split to pages, write-protect */
    cr_assert_eq(pt_split(&pt, 1 * GiB, 1 * GiB), 0);
    cr_assert_eq(pt_protect(&pt, 1 * GiB, 1 * GiB, PT_R | PT_X), 0);
    cr_assert_eq(level_at(1 * GiB + 300 * MiB + 4 * KiB), 3);
    cr_assert_eq(fe.live_tables, before + 1 + 512);   /* one level-2 table, 512 level-3 tables */
    uint32_t perms;
    cr_assert(pt_lookup(&pt, 1 * GiB + 5 * MiB, NULL, &perms, NULL));
    cr_assert_eq(perms, PT_R | PT_X);
    /* a dirtied page becomes writable again */
    cr_assert_eq(pt_protect(&pt, 1 * GiB + 5 * MiB, 4 * KiB, PT_RWX), 0);
    /* and on stop: restore permissions, collapse */
    cr_assert_eq(pt_protect(&pt, 1 * GiB, 1 * GiB, PT_RWX), 0);
    cr_assert_eq(pt_collapse(&pt, 1 * GiB, 1 * GiB), 0);
    cr_assert_eq(level_at(1 * GiB + 300 * MiB), 1);
    cr_assert_eq(fe.live_tables, before);
}

Test(stage2, collapse_keeps_pages_where_the_range_is_not_uniform)
{
    cr_assert_eq(pt_map(&pt, 0, 0x100000000ull, 4 * MiB, PT_RWX, PT_MAP_PAGES_ONLY), 0);
    cr_assert_eq(pt_protect(&pt, 3 * MiB, 4 * KiB, PT_R), 0);
    cr_assert_eq(pt_collapse(&pt, 0, 4 * MiB), 0);
    cr_assert_eq(level_at(0), 2);                 /* first 2 MiB uniform */
    cr_assert_eq(level_at(3 * MiB), 3);           /* second has a read-only page */
}

Test(stage2, block_over_an_existing_table_frees_the_table_and_invalidates)
{
    cr_assert_eq(pt_map(&pt, 0x40000000, 0x40000000, 2 * MiB, PT_RWX, PT_MAP_PAGES_ONLY), 0);
    int with_table = fe.live_tables;
    int tlbi_before = fe.tlbi_count;
    cr_assert_eq(pt_map(&pt, 0x40000000, 0x80000000, 2 * MiB, PT_RWX, 0), 0);
    cr_assert_eq(fe.live_tables, with_table - 1, "the level-3 table must be freed");
    cr_assert_gt(fe.tlbi_count, tlbi_before);
    cr_assert_eq(fe.tlbi_last_ia, 0x40000000);
    cr_assert_eq(fe.tlbi_last_size, 2 * MiB);
    uint64_t pa;
    cr_assert(pt_lookup(&pt, 0x40000000 + 0x1000, &pa, NULL, NULL));
    cr_assert_eq(pa, 0x80001000);
    cr_assert_eq(level_at(0x40000000), 2);
}

Test(stage2, pte_only_request_is_honoured_where_a_block_would_fit)
{
    cr_assert_eq(pt_map(&pt, 1 * GiB, 1 * GiB, 1 * GiB, PT_RWX, PT_MAP_PAGES_ONLY), 0);
    cr_assert_eq(level_at(1 * GiB), 3);
    cr_assert_eq(level_at(2 * GiB - 4 * KiB), 3);
}

Test(stage2, remapping_a_page_inside_a_block_splits_it_with_break_before_make)
{
    cr_assert_eq(pt_map(&pt, 2 * MiB, 2 * MiB, 2 * MiB, PT_RWX, 0), 0);
    int tlbi_before = fe.tlbi_count;
    cr_assert_eq(pt_map(&pt, 2 * MiB + 8 * KiB, 0x90000000, 4 * KiB, PT_R, 0), 0);
    cr_assert_gt(fe.tlbi_count, tlbi_before);
    uint64_t pa;
    uint32_t perms;
    cr_assert(pt_lookup(&pt, 2 * MiB + 8 * KiB, &pa, &perms, NULL));
    cr_assert_eq(pa, 0x90000000);
    cr_assert_eq(perms, PT_R);
    cr_assert(pt_lookup(&pt, 2 * MiB + 12 * KiB, &pa, NULL, NULL));
    cr_assert_eq(pa, 2 * MiB + 12 * KiB, "the rest of the block keeps its mapping");
}

Test(stage2, unmap_of_part_of_a_block_keeps_the_rest)
{
    cr_assert_eq(pt_map(&pt, 1 * GiB, 1 * GiB, 1 * GiB, PT_RWX, 0), 0);
    cr_assert_eq(pt_unmap(&pt, 1 * GiB + 6 * MiB, 4 * KiB), 0);
    cr_assert_not(pt_lookup(&pt, 1 * GiB + 6 * MiB, NULL, NULL, NULL));
    cr_assert_eq(level_at(1 * GiB + 6 * MiB + 4 * KiB), 3);
    cr_assert_eq(level_at(1 * GiB + 8 * MiB), 2);
    cr_assert_eq(level_at(1 * GiB + 512 * MiB), 2);
    cr_assert_eq(pt_unmap(&pt, 1 * GiB, 1 * GiB), 0);
    cr_assert_not(pt_lookup(&pt, 1 * GiB + 512 * MiB, NULL, NULL, NULL));
}

Test(stage2, descriptor_bits_follow_the_arm_arm)
{
    cr_assert_eq(pt_map(&pt, 0x09000000, 0x09000000, 4 * KiB, PT_R | PT_W | PT_DEVICE, 0), 0);
    cr_assert_eq(pt_map(&pt, 0x40000000, 0x40000000, 2 * MiB, PT_R | PT_X, 0), 0);
    const struct pt_format *f = &aarch64_stage2_format;
    uint64_t page = f->make_leaf(0x09000000, 3, PT_R | PT_W | PT_DEVICE);
    cr_assert_eq(page & 3, 3, "page descriptor");
    cr_assert_eq((page >> 2) & 0xf, 0x1, "Device-nGnRE");
    cr_assert_eq((page >> 6) & 3, 3, "S2AP read/write");
    cr_assert(page & (1ull << 10), "AF");
    cr_assert(page & (1ull << 54), "XN");
    uint64_t block = f->make_leaf(0x40000000, 2, PT_R | PT_X);
    cr_assert_eq(block & 3, 1, "block descriptor");
    cr_assert_eq((block >> 2) & 0xf, 0xf, "Normal WB");
    cr_assert_eq((block >> 6) & 3, 1, "S2AP read-only");
    cr_assert_eq((block >> 8) & 3, 3, "inner shareable");
    cr_assert_not(block & (1ull << 54), "executable");
    cr_assert_eq(f->entry_perms(block, 2), PT_R | PT_X);
}

Test(stage2, table_allocation_failure_is_reported_not_fatal)
{
    fe.fail_after = 1;
    cr_assert_eq(pt_map(&pt, 0x40000000, 0x40000000, 4 * KiB, PT_RWX, 0), -1);
    fe.fail_after = -1;
    cr_assert_eq(pt_map(&pt, 0x40000000, 0x40000000, 4 * KiB, PT_RWX, 0), 0);
}

Test(stage2, bad_ranges_are_refused)
{
    cr_assert_eq(pt_map(&pt, 0x1001, 0, 4 * KiB, PT_RWX, 0), -1);
    cr_assert_eq(pt_map(&pt, 0, 0, 0, PT_RWX, 0), -1);
    cr_assert_eq(pt_map(&pt, 0xfffffffff000ull, 0, 8 * KiB, PT_RWX, 0), -1);
    cr_assert_eq(pt_unmap(&pt, 0xffffffffffff0000ull, 0x20000), -1);
}
