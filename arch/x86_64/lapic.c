/* lapic.c: the local APIC in the mode the firmware left it: xAPIC (MMIO) or x2APIC (MSRs); SDM Vol. 3A, chapter 10. */
#include "arch.h"
#include "x86.h"
#include "x86_internal.h"

#define XAPIC_ID        0x020
#define XAPIC_ICR_LOW   0x300
#define XAPIC_ICR_HIGH  0x310
#define ICR_SEND_PENDING (1u << 12)    /* delivery status (SDM 10.6.1) */
#define IPI_TIMEOUT_NS  (10ull * 1000 * 1000)

/* Set once by CPU 0. IA32_APIC_BASE is only read: QEMU and Bochs cannot re-enable an
 * APIC whose global-enable bit was cleared (FACTS.md). */
static volatile uint32_t *xapic;
static bool x2apic;

static uint32_t xapic_read(uint32_t reg) { return xapic[reg / 4]; }
static void xapic_write(uint32_t reg, uint32_t v) { xapic[reg / 4] = v; }

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
