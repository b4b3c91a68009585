/* flood.c: a VM that prints as fast as it can (tests/boot/console_common.inc): numbered lines by
 * the arch's fastest path (rt.h: console_write_fast), for at least FLOOD_MIN_S and until the
 * hypervisor reports bytes dropped from its console ring (HV_STAT_CONSOLE_DROPPED), then its
 * results once there is room. Built for both arches. */
#include "hypercall.h"
#include "test.h"

#define FLOOD_MIN_S 3
#define FLOOD_MAX_S 30
#define LINE_XS 80

static int64_t dropped(void)
{
    return (int64_t)hypercall(HV_HC_VM_STAT, HV_STAT_CONSOLE_DROPPED, 0, 0);
}

int main(MAIN_PARAMS)
{
    bool hv = hv_present();
    puts("flood: start\n");
    char line[16 + LINE_XS];
    uint64_t freq = counter_freq(), t0 = counter(), t = 0;
    uint32_t lines = 0;
    int64_t lost = 0;
    for (;;) {
        t = counter() - t0;
        if (t >= FLOOD_MAX_S * freq || (t >= FLOOD_MIN_S * freq && (lost > 0 || !hv)))
            break;
        int n = snprintf(line, sizeof(line), "flood: %08u ", lines++);
        for (int i = 0; i < LINE_XS; i++)
            line[n + i] = 'x';
        line[n + LINE_XS] = '\n';
        line[n + LINE_XS + 1] = 0;
        console_write_fast(line, (size_t)(n + LINE_XS + 1));
        if (hv && lines % 64 == 0)
            lost = dropped();
    }
    uint64_t ms = t * 1000 / freq;
    /* The ring is still full: say it again until a line goes in whole (drops are whole lines),
     * then give the drain time to make room for the rest. */
    for (int tries = 0; tries < 100; tries++) {
        int64_t before = hv ? dropped() : 0;
        printf("flood: done, %u lines in %lu ms\n", lines, ms);
        if (!hv || dropped() == before)
            break;
        delay_us(100 * 1000);
    }
    delay_us(500 * 1000);
    SKIP_IF_NOT_HV("console_drops_counted") {
        lost = dropped();
        check(lost > 0, "console_drops_counted", "HV_STAT_CONSOLE_DROPPED = %ld after %u lines", lost, lines);
    }
    test_done();
}
