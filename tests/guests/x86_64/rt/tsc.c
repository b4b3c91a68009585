/* tsc.c: TSC frequency from PIT channel 2, the LAPIC timer's from the TSC, and waits. */
#include "rt.h"

#define PIT_HZ          1193182u        /* 8254 input clock */
#define PIT_CH2         0x42
#define PIT_CMD         0x43
#define PORT_B          0x61            /* bit 0: channel 2 gate, bit 1: speaker, bit 5: OUT2 */
#define CAL_LATCH       59659u          /* 50 ms of PIT ticks, below the 16-bit limit */

static uint64_t tsc_freq = 1000000000, lapic_freq;

/* Channel 2 in mode 0 (interrupt on terminal count) with the gate up: OUT2 goes high after
 * CAL_LATCH ticks (8254 datasheet, mode 0). The TSC ticks counted meanwhile give its rate. */
void tsc_calibrate(void)
{
    outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
    outb(PIT_CMD, 0xB0);                /* channel 2, lobyte/hibyte, mode 0, binary */
    outb(PIT_CH2, CAL_LATCH & 0xff);
    outb(PIT_CH2, CAL_LATCH >> 8);
    uint64_t t0 = tsc(), spins = 0;
    while (!(inb(PORT_B) & 0x20))
        if (++spins > 100000000) {      /* no PIT: keep the 1 GHz guess, say so */
            puts("rt: PIT channel 2 never fired; assuming a 1 GHz TSC\n");
            return;
        }
    tsc_freq = (tsc() - t0) * PIT_HZ / CAL_LATCH;
}

uint64_t tsc_hz(void)
{
    return tsc_freq;
}

void delay_us(uint64_t us)
{
    uint64_t start = tsc(), ticks = us_to_tsc(us);
    while (tsc() - start < ticks)
        cpu_relax();
}

static bool wait_until(const volatile uint32_t *p, uint32_t want, bool ge, uint64_t timeout_us)
{
    uint64_t start = tsc(), ticks = us_to_tsc(timeout_us);
    for (;;) {
        uint32_t v = *p;
        if (ge ? v >= want : v == want)
            return true;
        if (tsc() - start > ticks)
            return false;
        cpu_relax();
    }
}

bool wait_eq(const volatile uint32_t *p, uint32_t want, uint64_t timeout_us)
{
    return wait_until(p, want, false, timeout_us);
}

bool wait_ge(const volatile uint32_t *p, uint32_t want, uint64_t timeout_us)
{
    return wait_until(p, want, true, timeout_us);
}

/* One-shot from 0xFFFFFFFF, masked, at divide-by-1: counts over 20 ms of TSC. */
void lapic_timer_calibrate(void)
{
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | LVT_TIMER_ONESHOT | VEC_SPURIOUS);
    lapic_write(LAPIC_TDCR, TDCR_DIV_1);
    lapic_write(LAPIC_TMICT, 0xFFFFFFFFu);
    uint64_t t0 = tsc();
    uint32_t c0 = lapic_read(LAPIC_TMCCT);
    delay_us(20000);
    uint32_t c1 = lapic_read(LAPIC_TMCCT);
    uint64_t t1 = tsc();
    lapic_write(LAPIC_TMICT, 0);
    lapic_freq = (uint64_t)(c0 - c1) * tsc_freq / (t1 - t0);
}

uint64_t lapic_timer_hz(void)
{
    return lapic_freq;
}
