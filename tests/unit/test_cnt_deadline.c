/* test_cnt_deadline.c: a guest's CNTVCT deadline (CNTV_CVAL_EL0, a WFIT timeout) as a CNTPCT
 * one, saturating instead of wrapping into the past (arch/aarch64/include/cnt_deadline.h). */
#include <criterion/criterion.h>
#include "cnt_deadline.h"

Test(cnt_deadline, adds_the_offset)
{
    cr_assert_eq(cnt_virt_to_phys_deadline(1000, 0x123456789ull), 0x123456789ull + 1000);
    cr_assert_eq(cnt_virt_to_phys_deadline(0, 0), 0);
}

Test(cnt_deadline, cval_all_ones_with_an_offset_is_never)
{
    cr_assert_eq(cnt_virt_to_phys_deadline(~0ull, 0x5000000ull), ~0ull);
    cr_assert_eq(cnt_virt_to_phys_deadline(~0ull, 1), ~0ull);
}

Test(cnt_deadline, the_last_sum_that_fits_is_kept_the_first_that_wraps_saturates)
{
    uint64_t off = 0x40000000ull;
    cr_assert_eq(cnt_virt_to_phys_deadline(~0ull - off, off), ~0ull);
    cr_assert_eq(cnt_virt_to_phys_deadline(~0ull - off - 1, off), ~0ull - 1);
    cr_assert_eq(cnt_virt_to_phys_deadline(~0ull - off + 1, off), ~0ull, "wrapped to 0 otherwise");
    cr_assert_eq(cnt_virt_to_phys_deadline(1ull << 63, 1ull << 63), ~0ull, "wrapped to 0 otherwise");
}

Test(cnt_deadline, never_earlier_than_the_virtual_deadline_itself)
{
    for (uint64_t cval = ~0ull - 4096; cval != 0; cval++)
        cr_assert_geq(cnt_virt_to_phys_deadline(cval, 0x1000), cval);
}
