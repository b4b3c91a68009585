/* lapic.c: the local APIC in the mode the firmware left it: xAPIC (MMIO) or x2APIC (MSRs); SDM Vol. 3A, chapter 10. */
#include "arch.h"
#include "x86.h"
#include "x86_internal.h"
#include "x86_vplatform.h"

#define XAPIC_ID        0x020
#define XAPIC_TPR       0x080
#define XAPIC_EOI       0x0B0
#define XAPIC_SVR       0x0F0
#define XAPIC_ICR_LOW   0x300
#define XAPIC_ICR_HIGH  0x310
#define XAPIC_LVT_TIMER 0x320
#define XAPIC_LVT_LINT0 0x350
#define XAPIC_TMICT     0x380
#define XAPIC_TMCCT     0x390
#define XAPIC_TDCR      0x3E0
#define SVR_ENABLE      (1u << 8)
#define LVT_MASKED      (1u << 16)
#define TDCR_DIV_1      0xBu
#define CALIBRATE_TSC_TICKS_DIV 100     /* 10 ms of TSC */
#define ICR_SEND_PENDING (1u << 12)    /* delivery status (SDM 10.6.1) */
#define IPI_TIMEOUT_NS  (10ull * 1000 * 1000)

/* Set once by CPU 0. IA32_APIC_BASE is only read: QEMU and Bochs cannot re-enable an
 * APIC whose global-enable bit was cleared (FACTS.md). */
static volatile uint32_t *xapic;
static bool x2apic;

static uint32_t xapic_read(uint32_t reg) { return xapic[reg / 4]; }
static void xapic_write(uint32_t reg, uint32_t v) { xapic[reg / 4] = v; }

/* One register in either mode: x2APIC MSR 0x800 + offset / 16 (SDM 10.12.1.2). */
static uint32_t reg_read(uint32_t reg) { return x2apic ? (uint32_t)rdmsr(0x800 + reg / 16) : xapic_read(reg); }
static void reg_write(uint32_t reg, uint32_t v)
{
    if (x2apic)
        wrmsr(0x800 + reg / 16, v);
    else
        xapic_write(reg, v);
}

/* Set by each CPU for itself in lapic_cpu_init; read by any CPU to address it. */
static uint32_t cpu_apic_id[HV_MAX_CPUS];
/* Host LAPIC timer ticks per TSC tick, Q32; measured once by CPU 0. */
static uint64_t timer_per_tsc_q32;

void lapic_init(uint64_t base_pa)
{
    uint64_t apic_base = rdmsr(MSR_IA32_APIC_BASE);
    x2apic = apic_base & APIC_BASE_EXTD;
    if (!base_pa)   /* no MADT: the MSR knows it too (SDM 10.4.4) */
        base_pa = apic_base & 0x000FFFFFFFFFF000ull;
    xapic = (volatile uint32_t *)(uintptr_t)base_pa;
}

bool lapic_x2apic_mode(void) { return x2apic; }

uint32_t lapic_id(void)
{
    return x2apic ? (uint32_t)rdmsr(MSR_IA32_X2APIC_APICID) : xapic_read(XAPIC_ID) >> 24;
}

bool lapic_send_ipi(uint32_t apic_id, uint32_t icr_low)
{
    if (x2apic) {   /* one 64-bit ICR write, destination in bits 63:32 (SDM 10.12.9) */
        wrmsr(MSR_IA32_X2APIC_ICR, (uint64_t)apic_id << 32 | icr_low);
        return true;
    }
    xapic_write(XAPIC_ICR_HIGH, apic_id << 24);
    xapic_write(XAPIC_ICR_LOW, icr_low);   /* this write sends */
    uint64_t deadline = arch_time_ns() + IPI_TIMEOUT_NS;
    while (xapic_read(XAPIC_ICR_LOW) & ICR_SEND_PENDING)
        if (arch_time_ns() > deadline)
            return false;
    return true;
}

void lapic_eoi(void) { reg_write(XAPIC_EOI, 0); }

/* Per CPU, on that CPU: software-enabled with the spurious vector, TPR 0, its timer and LINT0 (the 8259's
 * ExtINT) masked: the hypervisor takes only its own kick and timer vectors. CPU 0 also measures the
 * timer's rate against the TSC (divide by 1). */
static void calibrate_timer(void);

void lapic_cpu_init(uint32_t index)
{
    cpu_apic_id[index] = lapic_id();
    reg_write(XAPIC_TPR, 0);
    reg_write(XAPIC_LVT_TIMER, LVT_MASKED | X86_VECTOR_TIMER);
    reg_write(XAPIC_TMICT, 0);
    reg_write(XAPIC_LVT_LINT0, LVT_MASKED);
    reg_write(XAPIC_SVR, SVR_ENABLE | X86_VECTOR_SPURIOUS);
    reg_write(XAPIC_TDCR, TDCR_DIV_1);
    if (index == 0)
        calibrate_timer();
    reg_write(XAPIC_LVT_TIMER, X86_VECTOR_TIMER);   /* one-shot, armed by lapic_timer_arm */
}

static void calibrate_timer(void)
{
    reg_write(XAPIC_TMICT, 0xFFFFFFFFu);
    uint64_t t0 = rdtsc(), span = x86_tsc_hz() / CALIBRATE_TSC_TICKS_DIV;
    uint32_t c0 = reg_read(XAPIC_TMCCT);
    while (rdtsc() - t0 < span)
        arch_cpu_relax();
    uint32_t c1 = reg_read(XAPIC_TMCCT);
    uint64_t dt = rdtsc() - t0;
    reg_write(XAPIC_TMICT, 0);
    timer_per_tsc_q32 = ((uint64_t)(c0 - c1) << 32) / (dt ? dt : 1);
    if (!timer_per_tsc_q32)
        timer_per_tsc_q32 = 1ull << 32;
}

/* One-shot at the host TSC deadline (0: stopped); an early expiry only costs a spurious exit. */
void lapic_timer_arm(uint64_t deadline)
{
    if (!deadline) {
        reg_write(XAPIC_TMICT, 0);
        return;
    }
    uint64_t now = rdtsc();
    uint64_t delta = deadline > now ? deadline - now : 1;
    uint64_t count = (uint64_t)(((unsigned __int128)delta * timer_per_tsc_q32) >> 32);
    reg_write(XAPIC_TMICT, count == 0 ? 1 : count > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)count);
}

void lapic_kick_cpu(uint32_t index)
{
    lapic_send_ipi(cpu_apic_id[index], X86_VECTOR_KICK);
}
