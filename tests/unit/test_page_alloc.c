/* test_page_alloc.c: the page allocator's range arithmetic, on the host. */
#include <criterion/criterion.h>
#include "page_alloc.h"

static struct page_allocator pa;

static void setup(void) { page_alloc_init(&pa); }

TestSuite(page_alloc, .init = setup);

Test(page_alloc, add_rounds_inward_and_merges_neighbours)
{
    cr_assert(page_alloc_add(&pa, 0x10000 + 1, 0x4000));      /* 0x11000..0x14000 */
    cr_assert_eq(pa.range_count, 1);
    cr_assert_eq(pa.free[0].base, 0x11000);
    cr_assert_eq(pa.free[0].page_count, 3);
    cr_assert(page_alloc_add(&pa, 0x14000, 0x2000));           /* joins on the right */
    cr_assert(page_alloc_add(&pa, 0x20000, 0x1000));           /* separate */
    cr_assert(page_alloc_add(&pa, 0x16000, 0xa000));           /* bridges both */
    cr_assert_eq(pa.range_count, 1);
    cr_assert_eq(pa.free[0].base, 0x11000);
    cr_assert_eq(pa.free[0].page_count, 16);
    cr_assert_eq(pa.free_pages, 16);
}

Test(page_alloc, page_zero_is_never_handed_out)
{
    cr_assert(page_alloc_add(&pa, 0, 0x3000));
    cr_assert_eq(pa.free[0].base, 0x1000);
    cr_assert_eq(page_alloc(&pa, 1, 4096), 0x1000);
}

Test(page_alloc, overlapping_add_is_refused)
{
    cr_assert(page_alloc_add(&pa, 0x100000, 0x10000));
    cr_assert_not(page_alloc_add(&pa, 0x108000, 0x10000));
    cr_assert_not(page_alloc_add(&pa, 0xf8000, 0x10000));
    cr_assert_eq(pa.free_pages, 16);
}

Test(page_alloc, aligned_allocation_splits_the_range)
{
    cr_assert(page_alloc_add(&pa, 0x1000, 0x400000));          /* 0x1000..0x401000 */
    uint64_t p = page_alloc(&pa, 512, 0x200000);
    cr_assert_eq(p, 0x200000);
    cr_assert_eq(pa.range_count, 2);
    cr_assert_eq(pa.free[0].base, 0x1000);
    cr_assert_eq(pa.free[0].page_count, 0x1ff);
    cr_assert_eq(pa.free[1].base, 0x400000);
    cr_assert_eq(pa.free[1].page_count, 1);
    cr_assert_eq(pa.free_pages, 0x200);
    cr_assert(page_free(&pa, p, 512));
    cr_assert_eq(pa.range_count, 1);
    cr_assert_eq(pa.free_pages, 0x400);
}

Test(page_alloc, exhaustion_and_double_free)
{
    cr_assert(page_alloc_add(&pa, 0x1000, 0x2000));
    uint64_t a = page_alloc(&pa, 1, 4096), b = page_alloc(&pa, 1, 4096);
    cr_assert_eq(a, 0x1000);
    cr_assert_eq(b, 0x2000);
    cr_assert_eq(page_alloc(&pa, 1, 4096), 0);
    cr_assert(page_free(&pa, a, 1));
    cr_assert_not(page_free(&pa, a, 1));
    cr_assert_eq(page_alloc(&pa, 2, 4096), 0);
    cr_assert_eq(page_alloc(&pa, 1, 3000), 0);                  /* bad alignment */
}
