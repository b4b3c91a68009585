/* test_dirty_log.c: memslots added and deleted with their stage 2, and dirty logging: protect on
 * start, split on write faults (never a writable block while logging), read-and-clear that
 * re-protects, collapse back to blocks on stop. */
#include <criterion/criterion.h>
#include "dirty_log.h"
#include "fake_pt_env.h"
#include "memslot_run.h"
#include "stage2.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define KiB (1ull << 10)
#define SLOT_GPA (1 * GiB)
#define SLOT_HPA (8 * GiB)        /* never dereferenced: the walker only records it */

static struct fake_env fe;
static struct pt_env env = FAKE_ENV_INIT(&fe);
static struct pgtable pt;
static struct memslots ms;
static uint64_t bitmap[4096];
static uint64_t slot_hpa;         /* what SLOT_GPA maps to in the test at hand */

static void setup(void)
{
    memset(&fe, 0, sizeof(fe));
    fe.fail_after = -1;
    slot_hpa = SLOT_HPA;
    memslots_init(&ms);
    cr_assert_eq(pt_init(&pt, &aarch64_stage2_format, &env), 0);
}

static void teardown(void)
{
    pt_destroy(&pt);
    cr_assert_eq(fe.live_tables, 0, "tables leaked: %d", fe.live_tables);
}

TestSuite(dirty_log, .init = setup, .fini = teardown);

static void leaf(uint64_t ia, uint32_t *level, uint32_t *perms)
{
    uint64_t pa;
    cr_assert(pt_lookup(&pt, ia, &pa, perms, level), "0x%llx unmapped", (unsigned long long)ia);
    cr_assert_eq(pa, slot_hpa + (ia - SLOT_GPA), "0x%llx maps the wrong address", (unsigned long long)ia);
}

/* The rule of dirty logging: while it is on, no leaf above 4 KiB in the slot is writable
 * (a writable block would let writes go unrecorded), and every writable page is marked. */
static void assert_no_writable_block(uint64_t gpa, uint64_t size)
{
    for (uint64_t ia = gpa; ia < gpa + size;) {
        uint32_t level, perms;
        leaf(ia, &level, &perms);
        cr_assert(level == PT_LAST_LEVEL || !(perms & PT_W),
                  "a writable level-%u block at 0x%llx while logging", level, (unsigned long long)ia);
        if (perms & PT_W) {
            uint64_t pg = (ia - gpa) / 4096;
            cr_assert(ms.slot[0].dirty_bitmap[pg / 64] >> (pg % 64) & 1,
                      "page 0x%llx writable but not marked dirty", (unsigned long long)ia);
        }
        ia = (ia & ~(pt_level_size(level) - 1)) + pt_level_size(level);
    }
}

static uint64_t leaves_at(uint32_t level)
{
    uint64_t c[PT_LEVELS];
    memslot_leaf_counts(&ms, &pt, c);
    return c[level];
}

Test(dirty_log, start_protects_blocks_and_keeps_them)
{
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 0, SLOT_GPA, 4 * MiB, SLOT_HPA, MEMSLOT_RAM), 0);
    cr_assert_eq(leaves_at(2), 2);
    int tables = fe.live_tables;
    cr_assert_eq(dirty_log_start(&ms, &pt, 0, bitmap), 0);
    cr_assert_eq(fe.live_tables, tables, "start splits nothing");
    cr_assert_eq(leaves_at(2), 2);
    assert_no_writable_block(SLOT_GPA, 4 * MiB);
    cr_assert_eq(dirty_log_start(&ms, &pt, 0, bitmap), MEMSLOT_EBUSY);
    uint64_t *bm;
    cr_assert_eq(dirty_log_stop(&ms, &pt, 0, &bm), 0);
    cr_assert_eq(bm, bitmap);
}

Test(dirty_log, write_fault_splits_block_into_pages_and_marks_one)
{
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 0, SLOT_GPA, 4 * MiB, SLOT_HPA, MEMSLOT_RAM), 0);
    cr_assert_eq(dirty_log_start(&ms, &pt, 0, bitmap), 0);
    uint64_t at = SLOT_GPA + 5 * 4 * KiB + 0x123;
    cr_assert_eq(dirty_log_write_fault(&ms, &pt, at), DIRTY_FAULT_HANDLED);
    uint32_t level, perms;
    leaf(at, &level, &perms);
    cr_assert_eq(level, PT_LAST_LEVEL, "the written page is a page");
    cr_assert(perms & PT_W);
    leaf(at + 4 * KiB, &level, &perms);
    cr_assert_eq(level, PT_LAST_LEVEL, "its block is split");
    cr_assert(!(perms & PT_W), "its neighbours stay read-only");
    leaf(SLOT_GPA + 2 * MiB, &level, &perms);
    cr_assert_eq(level, 2, "the other block is not touched");
    cr_assert_eq(bitmap[0], 1ull << 5);
    assert_no_writable_block(SLOT_GPA, 4 * MiB);
    /* The same page again (another vCPU raced to it): nothing changes. */
    cr_assert_eq(dirty_log_write_fault(&ms, &pt, at), DIRTY_FAULT_HANDLED);
    cr_assert_eq(bitmap[0], 1ull << 5);
    /* Outside any logged slot: not ours. */
    cr_assert_eq(dirty_log_write_fault(&ms, &pt, SLOT_GPA + 4 * MiB), DIRTY_FAULT_NOT_LOGGED);
    cr_assert_eq(dirty_log_stop(&ms, &pt, 0, NULL), 0);
}

Test(dirty_log, get_clear_reports_reprotects_and_clears)
{
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 0, SLOT_GPA, 4 * MiB, SLOT_HPA, MEMSLOT_RAM), 0);
    cr_assert_eq(dirty_log_start(&ms, &pt, 0, bitmap), 0);
    uint64_t pages[] = { 0, 1, 63, 64, 511, 512, 1023 };
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        cr_assert_eq(dirty_log_write_fault(&ms, &pt, SLOT_GPA + pages[i] * 4096), DIRTY_FAULT_HANDLED);
        assert_no_writable_block(SLOT_GPA, 4 * MiB);
    }
    uint64_t out[16];
    memset(out, 0xff, sizeof(out));
    cr_assert_eq(dirty_log_get_clear(&ms, &pt, 0, out, 16), 7);
    cr_assert_eq(out[0], 1ull | 2ull | 1ull << 63);
    cr_assert_eq(out[1], 1ull);
    cr_assert_eq(out[7], 1ull << 63);
    cr_assert_eq(out[8], 1ull);
    cr_assert_eq(out[15], 1ull << 63);
    cr_assert_eq(out[2], 0);
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        uint32_t level, perms;
        leaf(SLOT_GPA + pages[i] * 4096, &level, &perms);
        cr_assert(!(perms & PT_W), "page %llu protected again", (unsigned long long)pages[i]);
    }
    cr_assert_eq(dirty_log_get_clear(&ms, &pt, 0, out, 16), 0, "cleared: nothing the second time");
    /* Written again after the read: reported again. */
    cr_assert_eq(dirty_log_write_fault(&ms, &pt, SLOT_GPA + 64 * 4096), DIRTY_FAULT_HANDLED);
    cr_assert_eq(dirty_log_get_clear(&ms, &pt, 0, out, 16), 1);
    cr_assert_eq(out[1], 1ull);
    cr_assert_eq(dirty_log_stop(&ms, &pt, 0, NULL), 0);
}

Test(dirty_log, stop_collapses_back_to_2MiB_blocks_and_frees_the_tables)
{
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 0, SLOT_GPA, 4 * MiB, SLOT_HPA, MEMSLOT_RAM), 0);
    int tables = fe.live_tables;
    cr_assert_eq(dirty_log_start(&ms, &pt, 0, bitmap), 0);
    cr_assert_eq(dirty_log_write_fault(&ms, &pt, SLOT_GPA + 4096), DIRTY_FAULT_HANDLED);
    cr_assert_eq(dirty_log_write_fault(&ms, &pt, SLOT_GPA + 3 * MiB), DIRTY_FAULT_HANDLED);
    cr_assert_eq(leaves_at(2), 0);
    cr_assert_eq(leaves_at(3), 1024);
    cr_assert_eq(fe.live_tables, tables + 2);
    int tlbi = fe.tlbi_count;
    cr_assert_eq(dirty_log_stop(&ms, &pt, 0, NULL), 0);
    cr_assert_gt(fe.tlbi_count, tlbi);
    cr_assert_eq(leaves_at(2), 2, "collapsed back to blocks");
    cr_assert_eq(leaves_at(3), 0);
    cr_assert_eq(fe.live_tables, tables, "the page tables were freed");
    for (uint64_t ia = SLOT_GPA; ia < SLOT_GPA + 4 * MiB; ia += 2 * MiB) {
        uint32_t level, perms;
        leaf(ia, &level, &perms);
        cr_assert_eq(perms & PT_RWX, PT_RWX, "writable again");
    }
    cr_assert_eq(dirty_log_stop(&ms, &pt, 0, NULL), MEMSLOT_ENOENT, "not logging any more");
}

Test(dirty_log, stop_collapses_a_1GiB_slot_back_to_one_block)
{
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 0, SLOT_GPA, 1 * GiB, SLOT_HPA, MEMSLOT_RAM), 0);
    cr_assert_eq(leaves_at(1), 1);
    cr_assert_eq(dirty_log_start(&ms, &pt, 0, bitmap), 0);
    cr_assert_eq(dirty_log_write_fault(&ms, &pt, SLOT_GPA + 700 * MiB), DIRTY_FAULT_HANDLED);
    assert_no_writable_block(SLOT_GPA, 1 * GiB);
    cr_assert_eq(leaves_at(1), 0);
    cr_assert_eq(leaves_at(2), 511);
    cr_assert_eq(leaves_at(3), 512);
    cr_assert_eq(dirty_log_stop(&ms, &pt, 0, NULL), 0);
    cr_assert_eq(leaves_at(1), 1);
    cr_assert_eq(leaves_at(2) + leaves_at(3), 0);
}

Test(dirty_log, unaligned_edges_stay_pages_after_stop)
{
    /* 4 MiB + 8 KiB starting one page past a 2 MiB boundary: one whole block fits. */
    uint64_t gpa = SLOT_GPA + 4096, hpa = SLOT_HPA + 4096;
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 0, gpa, 4 * MiB + 8 * KiB, hpa, MEMSLOT_RAM), 0);
    uint64_t blocks = leaves_at(2), pages = leaves_at(3);
    cr_assert_eq(blocks, 1);
    cr_assert_eq(dirty_log_start(&ms, &pt, 0, bitmap), 0);
    cr_assert_eq(dirty_log_write_fault(&ms, &pt, SLOT_GPA + 2 * MiB), DIRTY_FAULT_HANDLED);
    cr_assert_eq(dirty_log_stop(&ms, &pt, 0, NULL), 0);
    cr_assert_eq(leaves_at(2), blocks);
    cr_assert_eq(leaves_at(3), pages);
}

Test(dirty_log, no_memory_to_split_leaves_nothing_writable)
{
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 0, SLOT_GPA, 4 * MiB, SLOT_HPA, MEMSLOT_RAM), 0);
    cr_assert_eq(dirty_log_start(&ms, &pt, 0, bitmap), 0);
    fe.fail_after = 0;
    cr_assert_eq(dirty_log_write_fault(&ms, &pt, SLOT_GPA), DIRTY_FAULT_NOMEM);
    fe.fail_after = -1;
    assert_no_writable_block(SLOT_GPA, 4 * MiB);
    cr_assert_eq(bitmap[0], 0);
    cr_assert_eq(dirty_log_stop(&ms, &pt, 0, NULL), 0);
}

Test(dirty_log, readonly_and_missing_slots_are_refused)
{
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 1, SLOT_GPA, 2 * MiB, SLOT_HPA, MEMSLOT_READONLY), 0);
    cr_assert_eq(dirty_log_start(&ms, &pt, 1, bitmap), MEMSLOT_EINVAL);
    cr_assert_eq(dirty_log_start(&ms, &pt, 2, bitmap), MEMSLOT_ENOENT);
    cr_assert_eq(dirty_log_start(&ms, &pt, VM_MAX_MEMSLOTS, bitmap), MEMSLOT_EINVAL);
    uint64_t out[1];
    cr_assert_eq(dirty_log_get_clear(&ms, &pt, 1, out, 1), MEMSLOT_ENOENT);
}

Test(dirty_log, hypervisor_writes_are_logged_too)
{
    /* A real buffer behind the slot: guest_write copies into it. */
    uint8_t *mem = aligned_alloc(2 * MiB, 2 * MiB);
    uint64_t hpa = (uint64_t)(uintptr_t)mem;
    slot_hpa = hpa;
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 0, SLOT_GPA, 2 * MiB, hpa, MEMSLOT_RAM), 0);
    cr_assert_eq(dirty_log_start(&ms, &pt, 0, bitmap), 0);
    uint8_t buf[8192] = { 1 };
    cr_assert_eq(guest_write(&ms, SLOT_GPA + 3 * 4096 + 4000, buf, 200), 0);   /* pages 3 and 4 */
    cr_assert_eq(guest_write(&ms, SLOT_GPA + 100 * 4096, buf, 8192), 0);       /* pages 100, 101 */
    cr_assert_eq(guest_read(&ms, SLOT_GPA + 200 * 4096, buf, 10), 0);          /* reads: nothing */
    uint64_t out[8];
    cr_assert_eq(dirty_log_get_clear(&ms, &pt, 0, out, 8), 4);
    cr_assert_eq(out[0], 3ull << 3);
    cr_assert_eq(out[1], 3ull << 36);
    cr_assert_eq(out[3], 0);
    assert_no_writable_block(SLOT_GPA, 2 * MiB);
    cr_assert_eq(dirty_log_stop(&ms, &pt, 0, NULL), 0);
    cr_assert_eq(memslot_delete_mapped(&ms, &pt, 0, NULL), 0);
    free(mem);
}

Test(dirty_log, delete_unmaps_invalidates_and_is_refused_while_logging)
{
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 3, SLOT_GPA, 6 * MiB, SLOT_HPA, MEMSLOT_RAM | MEMSLOT_RUNTIME), 0);
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 3, SLOT_GPA + 1 * GiB, 2 * MiB, SLOT_HPA, MEMSLOT_RAM),
                 MEMSLOT_EEXIST, "the id is in use");
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 4, SLOT_GPA + 2 * MiB, 2 * MiB, SLOT_HPA, MEMSLOT_RAM),
                 MEMSLOT_EEXIST, "overlap");
    cr_assert_eq(dirty_log_start(&ms, &pt, 3, bitmap), 0);
    struct memslot old;
    cr_assert_eq(memslot_delete_mapped(&ms, &pt, 3, &old), MEMSLOT_EBUSY);
    cr_assert_eq(dirty_log_stop(&ms, &pt, 3, NULL), 0);
    int tlbi = fe.tlbi_count;
    cr_assert_eq(memslot_delete_mapped(&ms, &pt, 3, &old), 0);
    cr_assert_eq(old.gpa, SLOT_GPA);
    cr_assert_eq(old.size_bytes, 6 * MiB);
    cr_assert(old.flags & MEMSLOT_RUNTIME);
    cr_assert_eq(fe.tlbi_count - tlbi, 3, "one invalidation per 2 MiB block removed");
    for (uint64_t ia = SLOT_GPA; ia < SLOT_GPA + 6 * MiB; ia += 4096)
        cr_assert(!pt_lookup(&pt, ia, NULL, NULL, NULL), "0x%llx still mapped", (unsigned long long)ia);
    uint64_t hpa;
    cr_assert(!memslot_translate(&ms, SLOT_GPA, &hpa, NULL), "the slot is gone");
    cr_assert_eq(memslot_delete_mapped(&ms, &pt, 3, &old), MEMSLOT_ENOENT);
    /* The id and the range can be used again. */
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 3, SLOT_GPA, 2 * MiB, SLOT_HPA, MEMSLOT_RAM), 0);
    cr_assert_eq(memslot_delete_mapped(&ms, &pt, 3, NULL), 0);
}

Test(dirty_log, add_out_of_table_memory_leaves_no_slot)
{
    fe.fail_after = 1;
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 0, SLOT_GPA, 4 * MiB, SLOT_HPA, MEMSLOT_RAM), MEMSLOT_ENOMEM);
    fe.fail_after = -1;
    cr_assert_eq(memslot_count(&ms), 0);
    cr_assert(!pt_lookup(&pt, SLOT_GPA, NULL, NULL, NULL));
}

/* Read-and-clear invalidates once for all the pages it protects, and before it clears their
 * bits: at the invalidation the bits are still set and the pages already read-only. */
static uint64_t bits_at_tlbi;
static bool protected_at_tlbi;
static void order_tlbi(void *ctx, uint64_t ia, uint64_t size)
{
    fake_tlbi(ctx, ia, size);
    bits_at_tlbi = ms.slot[0].dirty_bitmap ? ms.slot[0].dirty_bitmap[0] : 0;
    uint32_t perms = PT_W;
    pt_lookup(&pt, SLOT_GPA + 4096, NULL, &perms, NULL);
    protected_at_tlbi = !(perms & PT_W);
}

static struct pt_env order_env;

Test(dirty_log, get_clear_invalidates_once_before_clearing)
{
    order_env = env;
    order_env.tlb_invalidate = order_tlbi;
    pt.env = &order_env;
    cr_assert_eq(memslot_add_mapped(&ms, &pt, 0, SLOT_GPA, 2 * MiB, SLOT_HPA, MEMSLOT_RAM), 0);
    cr_assert_eq(dirty_log_start(&ms, &pt, 0, bitmap), 0);
    for (uint64_t pg = 1; pg <= 40; pg++)
        cr_assert_eq(dirty_log_write_fault(&ms, &pt, SLOT_GPA + pg * 4096), DIRTY_FAULT_HANDLED);
    int before = fe.tlbi_count;
    uint64_t out[8];
    cr_assert_eq(dirty_log_get_clear(&ms, &pt, 0, out, 8), 40);
    cr_assert_eq(fe.tlbi_count - before, 1, "one invalidation for the 40 pages");
    cr_assert_eq(bits_at_tlbi, out[0], "the bits were still set at the invalidation");
    cr_assert(protected_at_tlbi, "the pages were read-only at the invalidation");
    cr_assert_eq(bitmap[0], 0, "and cleared after it");
    cr_assert_eq(dirty_log_stop(&ms, &pt, 0, NULL), 0);
    pt.env = &env;
}
