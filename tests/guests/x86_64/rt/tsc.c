/* tsc.c: TSC frequency from PIT channel 2, the LAPIC timer's from the TSC, and waits. */
#include "rt.h"
#include "internal.h"

#define PIT_HZ          1193182u        /* 8254 input clock */
#define PIT_CH2         0x42
#define PIT_CMD         0x43
#define PORT_B          0x61            /* bit 0: channel 2 gate, bit 1: speaker, bit 5: OUT2 */
#define CAL_LATCH       59659u          /* 50 ms of PIT ticks, below the 16-bit limit */

static uint64_t tsc_freq = 1000000000, lapic_freq;

/* Channel 2 in mode 0 (interrupt on terminal count) with the gate up: OUT2 goes high after
 * CAL_LATCH ticks (8254 datasheet, mode 0). Returns the TSC ticks meanwhile, 0 if OUT2 never
 * rose, and in *gap the longest stretch between two TSC reads: a vCPU descheduled at the
 * wrong moment shows as a long gap, and the result is off by up to that much. */
static uint64_t pit_measure(uint64_t *gap)
{
    outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
    outb(PIT_CMD, 0xB0);                /* channel 2, lobyte/hibyte, mode 0, binary */
    outb(PIT_CH2, CAL_LATCH & 0xff);
    uint64_t t0 = tsc();
    outb(PIT_CH2, CAL_LATCH >> 8);      /* counting starts */
    uint64_t prev = tsc(), now, spins = 0;
    *gap = prev - t0;
    while (!(inb(PORT_B) & 0x20)) {
        now = tsc();
        *gap = now - prev > *gap ? now - prev : *gap;
        prev = now;
        if (++spins > 100000000)
            return 0;
    }
    now = tsc();
    *gap = now - prev > *gap ? now - prev : *gap;
    return now - t0;
}

uint64_t tsc_measure_hz(unsigned tries, uint64_t *gap_ppm)
{
    uint64_t best = 0, best_gap = ~0ull, gap;
    for (unsigned i = 0; i < tries && best_gap * 1000 > best; i++) {
        uint64_t dt = pit_measure(&gap);
        if (!dt)
            return 0;
        if (gap < best_gap) {
            best = dt;
            best_gap = gap;
        }
    }
    if (gap_ppm)
        *gap_ppm = best ? best_gap * 1000000 / best : 0;
    return best * PIT_HZ / CAL_LATCH;
}

uint32_t kvm_cpuid_base(void)
{
    for (uint32_t b = 0x40000000; b < 0x40010000; b += 0x100) {
        struct cpuid_regs r = cpuid(b, 0);
        if (r.ebx == 0x4b4d564bu && r.ecx == 0x564b4d56u && r.edx == 0x4du)   /* "KVMKVMKVM\0\0\0" */
            return b;
    }
    return 0;
}

/* The TSC rate a kvmclock offers (Linux's pvclock_tsc_khz, in Hz), with KVM_FEATURE_CLOCKSOURCE2: the
 * time page is enabled just long enough to read its scale. 0 without one. */
static uint64_t kvmclock_tsc_hz(void)
{
    static volatile struct pvclock_time_info page __attribute__((aligned(64)));
    uint32_t base = kvm_cpuid_base();
    if (!base || !(cpuid(base + 1, 0).eax & (1u << 3)))
        return 0;
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uintptr_t)&page | 1);
    uint32_t mul = page.mul;
    int8_t shift = page.shift;
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
    if (!mul)
        return 0;
    uint64_t hz = (1000000000ull << 32) / mul;
    return shift < 0 ? hz << -shift : hz >> shift;
}

/* Under a hypervisor with kvmclock, its rate (the host's calibration, done once on an idle machine);
 * otherwise PIT channel 2, up to 5 tries, keeping the one with the shortest gap; one under 0.1% is good
 * enough. A PIT measurement here is at the mercy of the host's load (seen 15% off with two emulators
 * running), and every timing check of a payload is measured in this rate. */
void tsc_calibrate(void)
{
    uint64_t hz = kvmclock_tsc_hz();
    if (hz) {
        tsc_freq = hz;
        return;
    }
    hz = tsc_measure_hz(5, NULL);
    if (!hz) {                          /* no PIT: keep the 1 GHz guess, say so */
        puts("rt: PIT channel 2 never fired; assuming a 1 GHz TSC\n");
        return;
    }
    tsc_freq = hz;
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

/* One-shot from 0xFFFFFFFF, masked, at divide-by-1: counts over 20 ms of TSC. Each count
 * read is bracketed by TSC reads; as above, up to 5 tries keep the tightest brackets. */
void lapic_timer_calibrate(void)
{
    uint64_t best_slack = ~0ull, best_dt = 1, best_dc = 0;
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | LVT_TIMER_ONESHOT | VEC_SPURIOUS);
    lapic_write(LAPIC_TDCR, TDCR_DIV_1);
    for (int i = 0; i < 5 && best_slack * 1000 > best_dt; i++) {
        lapic_write(LAPIC_TMICT, 0xFFFFFFFFu);
        uint64_t t0 = tsc();
        uint32_t c0 = lapic_read(LAPIC_TMCCT);
        uint64_t t0b = tsc();
        delay_us(20000);
        uint64_t t1 = tsc();
        uint32_t c1 = lapic_read(LAPIC_TMCCT);
        uint64_t t1b = tsc();
        uint64_t slack = (t0b - t0) + (t1b - t1);
        if (slack < best_slack) {
            best_slack = slack;
            best_dt = (t1 + t1b) / 2 - (t0 + t0b) / 2;
            best_dc = c0 - c1;
        }
    }
    lapic_write(LAPIC_TMICT, 0);
    lapic_freq = best_dc * tsc_freq / best_dt;
}

uint64_t lapic_timer_hz(void)
{
    return lapic_freq;
}
