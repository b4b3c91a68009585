/* counter.c: monotonic time from the generic timer's physical count (Arm DDI 0487, "The Generic Timer in AArch64 state"). */
#include "arch.h"
#include "sysreg.h"

uint64_t arch_time_ns(void)
{
    isb();   /* CNTPCT_EL0 may otherwise be read out of order (DDI 0487, CNTPCT_EL0) */
    uint64_t count = read_sysreg(cntpct_el0);
    uint64_t freq = read_sysreg(cntfrq_el0);
    if (!freq)
        return 0;
    /* Split so count * 1e9 cannot overflow: the remainder is < freq (< 2^32 in practice). */
    uint64_t sec = count / freq, rem = count % freq;
    return sec * 1000000000ull + rem * 1000000000ull / freq;
}
