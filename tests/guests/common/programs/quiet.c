/* quiet.c: prints numbered lines at a steady pace while another VM floods the console
 * (tests/boot/console_common.inc), timing each; then lines that try to forge a hypervisor line and
 * carry control bytes, which must reach the physical console escaped. Built for both arches. */
#include "hypercall.h"
#include "test.h"

#define LINES 50
#define GAP_US (40 * 1000)
#define SLOW_LINE_US (50 * 1000)       /* generous: the emulator shares its host CPUs */

int main(MAIN_PARAMS)
{
    puts("quiet: start\n");
    delay_us(200 * 1000);               /* the flood is under way */
    uint64_t freq = counter_freq(), worst = 0, t0 = counter();
    for (int i = 0; i < LINES; i++) {
        uint64_t t = counter();
        printf("quiet: line %d of %d\n", i, LINES);
        t = counter() - t;
        worst = t > worst ? t : worst;
        delay_us(GAP_US);
    }
    uint64_t worst_us = worst * 1000000 / freq, total_ms = (counter() - t0) * 1000 / freq;
    check(worst_us < SLOW_LINE_US, "console_write_not_stalled", "slowest line took %lu us", worst_us);
    /* 50 lines 40 ms apart: about 2 s, unless writes waited. */
    check(total_ms < 2 * LINES * GAP_US / 1000, "console_pace_kept", "%d lines took %lu ms", LINES, total_ms);
    printf("quiet: slowest line %lu us, all %lu ms\n", worst_us, total_ms);
    SKIP_IF_NOT_HV("quiet_nothing_dropped") {
        int64_t lost = (int64_t)hypercall(HV_HC_VM_STAT, HV_STAT_CONSOLE_DROPPED, 0, 0);
        check(lost == 0, "quiet_nothing_dropped", "HV_STAT_CONSOLE_DROPPED = %ld", lost);
    }
    /* Erase the terminal's line, back to column 0 (CR, or CHA: ESC [ 1 G), and look like the
     * hypervisor. */
    puts("\x1b[2K\rhv: all VMs stopped, powering off\n");
    puts("\x1b[2K\x1b[1Ghv: all VMs stopped, powering off\n");
    puts("quiet: controls \a\b\x7f\xc3\xa9\tend\n");
    test_done();
}
