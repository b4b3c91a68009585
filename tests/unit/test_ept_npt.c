/* test_ept_npt.c: the generic walker over the EPT and NPT entry formats. */
#include <criterion/criterion.h>
#include "fake_pt_env.h"
#include "stage2.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define KiB (1ull << 10)

static struct fake_env fe;
static struct pt_env env = FAKE_ENV_INIT(&fe);
static struct pgtable pt;

static void start(const struct pt_format *fmt)
{
    memset(&fe, 0, sizeof(fe));
    fe.fail_after = -1;
    cr_assert_eq(pt_init(&pt, fmt, &env), 0);
}

static void finish(void)
{
    pt_destroy(&pt);
    cr_assert_eq(fe.live_tables, 0);
}

static uint32_t level_at(uint64_t ia)
{
    uint32_t level;
    cr_assert(pt_lookup(&pt, ia, NULL, NULL, &level));
    return level;
}

Test(ept, entry_bits_follow_the_sdm)
{
    const struct pt_format *f = &x86_ept_format;
    uint64_t big = f->make_leaf(2 * GiB, 1, PT_RWX);
    cr_assert_eq(big & 7, 7, "R, W, X");
    cr_assert_eq((big >> 3) & 7, 6, "WB memory type");
    cr_assert(big & (1ull << 7), "1 GiB page bit");
    cr_assert_eq(big & 0x000ffffffffff000ull, 2 * GiB);
    uint64_t mmio = f->make_leaf(0xfee00000, 3, PT_R | PT_W | PT_DEVICE);
    cr_assert_eq(mmio & 7, 3);
    cr_assert_eq((mmio >> 3) & 7, 0, "UC memory type");
    cr_assert_not(mmio & (1ull << 7), "bit 7 is ignored in a PTE: keep it clear");
    cr_assert_eq(f->entry_perms(mmio, 3), PT_R | PT_W | PT_DEVICE);
    uint64_t tbl = f->make_table(0x1234000);
    cr_assert_eq(tbl, 0x1234007);
}

Test(ept, aligned_gigabyte_is_one_1GiB_page_or_512_2MiB_pages_without_support)
{
    start(&x86_ept_format);
    cr_assert_eq(pt_map(&pt, 1 * GiB, 4 * GiB, 1 * GiB, PT_RWX, 0), 0);
    cr_assert_eq(level_at(1 * GiB + 5 * MiB), 1);
    cr_assert_eq(fe.live_tables, 2);
    finish();
    start(&x86_ept_format_2m);
    cr_assert_eq(pt_map(&pt, 1 * GiB, 4 * GiB, 1 * GiB, PT_RWX, 0), 0);
    cr_assert_eq(level_at(1 * GiB + 5 * MiB), 2);
    cr_assert_eq(fe.live_tables, 3);
    uint64_t pa;
    cr_assert(pt_lookup(&pt, 2 * GiB - 4 * KiB, &pa, NULL, NULL));
    cr_assert_eq(pa, 5 * GiB - 4 * KiB);
    finish();
}

/* Walker operations only (no run-time caller yet, see test_stage2.c). */
Test(ept, walker_split_of_2MiB_pages_then_collapse_to_1GiB)
{
    start(&x86_ept_format);
    cr_assert_eq(pt_map(&pt, 0, 0, 1 * GiB, PT_RWX, 0), 0);
    cr_assert_eq(pt_split(&pt, 0, 4 * MiB), 0);
    cr_assert_eq(level_at(0), 3);
    cr_assert_eq(level_at(4 * MiB), 2);
    cr_assert_eq(pt_collapse(&pt, 0, 1 * GiB), 0);
    cr_assert_eq(level_at(0), 1);
    finish();
}

Test(npt, entry_bits_follow_the_apm)
{
    const struct pt_format *f = &x86_npt_format;
    uint64_t big = f->make_leaf(2 * MiB, 2, PT_R | PT_W);
    cr_assert_eq(big & 7, 7, "P, RW, US (nested walks are user accesses)");
    cr_assert(big & (1ull << 7), "PS");
    cr_assert(big & (1ull << 63), "NX without PT_X");
    cr_assert_eq(f->entry_pa(big, 2), 2 * MiB);
    uint64_t ro = f->make_leaf(0x5000, 3, PT_R | PT_X);
    cr_assert_eq(ro & 7, 5, "read-only: RW clear");
    cr_assert_not(ro & (1ull << 63));
    cr_assert_eq(f->entry_perms(ro, 3), PT_R | PT_X);
    uint64_t dev = f->make_leaf(0xfec00000, 3, PT_R | PT_W | PT_DEVICE);
    cr_assert_eq(dev & 0x18, 0x18, "PCD and PWT: uncached");
    cr_assert_eq(f->make_leaf(0x5000, 3, PT_W), 0, "no read permission means not present");
}

Test(npt, unaligned_region_mixes_pages_and_blocks)
{
    start(&x86_npt_format);
    cr_assert_eq(pt_map(&pt, 1 * MiB, 1 * MiB, 5 * MiB, PT_RWX, 0), 0);  /* 1 MiB .. 6 MiB */
    cr_assert_eq(level_at(1 * MiB), 3);
    cr_assert_eq(level_at(2 * MiB), 2);
    cr_assert_eq(level_at(4 * MiB), 2);
    cr_assert_not(pt_lookup(&pt, 6 * MiB, NULL, NULL, NULL));
    cr_assert_eq(pt_protect(&pt, 3 * MiB, 4 * KiB, PT_R | PT_X), 0);
    uint32_t perms;
    cr_assert(pt_lookup(&pt, 3 * MiB, NULL, &perms, NULL));
    cr_assert_eq(perms, PT_R | PT_X);
    cr_assert(pt_lookup(&pt, 3 * MiB + 4 * KiB, NULL, &perms, NULL));
    cr_assert_eq(perms, PT_RWX);
    finish();
}
