/* tsc.c: arch_time_ns from the TSC, calibrated against the ACPI PM timer (or PIT channel 2). */
#include <inttypes.h>
#include "arch.h"
#include "kernel.h"
#include "x86.h"
#include "x86_internal.h"
#include "x86_vcpu.h"
#include "x86_vplatform.h"

#define PM_TIMER_HZ 3579545u           /* ACPI 6.5, 4.8.3.3 */
#define PIT_HZ 1193182u
#define CALIBRATE_MS 50u
#define SPIN_LIMIT 100000000u          /* a timer that never moves ends calibration */

/* Set once by CPU 0 in arch_early_init: ns = (tsc - tsc_base) * ns_per_tsc_q32 >> 32.
 * Until then time runs as if the TSC counted at 1 GHz, so early timeouts still end. */
static uint64_t tsc_base, ns_per_tsc_q32 = 1ull << 32, tsc_hz = 1000000000ull;

/* TSC ticks during CALIBRATE_MS of the PM timer (24 or 32 bits, wraps: read it often);
 * 0 when the timer does not count. */
static uint64_t tsc_ticks_pm_timer(uint16_t port, bool bits32)
{
    uint32_t mask = bits32 ? 0xFFFFFFFFu : 0xFFFFFFu;
    uint32_t target = PM_TIMER_HZ / 1000 * CALIBRATE_MS, elapsed = 0;
    uint32_t last = inl(port) & mask;
    uint64_t start = rdtsc();
    for (uint32_t spins = 0; elapsed < target; spins++) {
        if (spins == SPIN_LIMIT)
            return 0;
        uint32_t now = inl(port) & mask;
        elapsed += (now - last) & mask;
        last = now;
    }
    return (rdtsc() - start) * target / elapsed;   /* elapsed overshoots target a little */
}

/* TSC ticks during CALIBRATE_MS of PIT channel 2 in mode 0 (Intel 8254 data sheet):
 * the gate is port 0x61 bit 0, OUT2 reads back as port 0x61 bit 5. */
static uint64_t tsc_ticks_pit(void)
{
    uint16_t count = PIT_HZ / 1000 * CALIBRATE_MS;
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));   /* gate on, speaker off */
    outb(0x43, 0xB0);                                    /* channel 2, lo/hi byte, mode 0 */
    outb(0x42, (uint8_t)count);
    outb(0x42, (uint8_t)(count >> 8));
    uint64_t start = rdtsc();
    for (uint32_t spins = 0; !(inb(0x61) & 0x20) && spins < SPIN_LIMIT; spins++)
        ;
    return rdtsc() - start;
}

void x86_tsc_calibrate(void)
{
    const char *source = "ACPI PM timer";
    uint64_t ticks = 0;   /* per CALIBRATE_MS */
    if (x86_acpi.pm_tmr_port)
        ticks = tsc_ticks_pm_timer(x86_acpi.pm_tmr_port, x86_acpi.pm_tmr_32bit);
    if (!ticks) {
        source = "PIT channel 2";
        ticks = tsc_ticks_pit();
    }
    uint64_t hz = ticks * (1000 / CALIBRATE_MS);
    if (!hz)
        kernel_panic("TSC does not count");
    ns_per_tsc_q32 = (1000000000ull << 32) / hz;
    tsc_hz = hz;
    tsc_base = rdtsc();
    hv_printf("tsc: %" PRIu64 " kHz (calibrated against the %s)\n", hz / 1000, source);
}

uint64_t x86_tsc_hz(void) { return tsc_hz; }

uint64_t arch_time_ns(void)
{
    return (uint64_t)(((unsigned __int128)(rdtsc() - tsc_base) * ns_per_tsc_q32) >> 32);
}

/* IA32_TSC_AUX as RDTSCP and RDPID read it in the guest: neither VMRUN nor VM entry switches it, and the
 * hypervisor never reads it, so each pCPU holds its vCPU's value, written only when it changed. */
#define MSR_TSC_AUX 0xC0000103u
static uint64_t pcpu_tsc_aux[HV_MAX_CPUS];

/* The MSR exists where RDTSCP or RDPID does (CPUID 0x80000001:EDX[27], 7:ECX[22]). */
static bool host_has_tsc_aux(void)
{
    static int known = -1;
    if (known < 0)
        known = ((cpuid(0x80000001, 0).edx >> 27) & 1) || ((cpuid(7, 0).ecx >> 22) & 1);
    return known;
}

void x86_tsc_aux_enter(struct vcpu *vcpu)
{
    if (!host_has_tsc_aux())
        return;
    uint32_t cpu = arch_cpu_index();
    uint64_t want = vcpu->arch.msrs.tsc_aux;
    if (pcpu_tsc_aux[cpu] != want + 1) {     /* + 1: 0 means not written yet */
        wrmsr(MSR_TSC_AUX, want);
        pcpu_tsc_aux[cpu] = want + 1;
    }
}
