/* apic.c: the local APIC (xAPIC MMIO), the IOAPIC and the 8259 pair, which is masked. */
#include "rt.h"
#include "internal.h"

#define APIC_BASE_BSP   (1ull << 8)
#define APIC_BASE_EXTD  (1ull << 10)    /* x2APIC mode */
#define APIC_BASE_EN    (1ull << 11)
#define SVR_ENABLE      (1u << 8)

void lapic_init(void)
{
    /* xAPIC mode at LAPIC_BASE. Leaving x2APIC mode needs a disable first (SDM Vol. 3A,
     * 10.12.5); the firmware may also have moved or disabled the APIC. */
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    uint64_t want = LAPIC_BASE | APIC_BASE_EN | (base & APIC_BASE_BSP);
    if (base != want) {
        if (base & APIC_BASE_EXTD)
            wrmsr(MSR_IA32_APIC_BASE, base & ~(APIC_BASE_EN | APIC_BASE_EXTD));
        wrmsr(MSR_IA32_APIC_BASE, want);
    }
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
}

/* Destination APIC ID in ICR[63:56], physical mode (SDM Vol. 3A, 10.6.1). The ICR is this
 * CPU's own: no lock, but no interrupt handler may send while this runs. */
bool lapic_send_icr(uint32_t apic_id, uint32_t icr_lo)
{
    lapic_write(LAPIC_ICR_HI, apic_id << 24);
    lapic_write(LAPIC_ICR_LO, icr_lo);
    uint64_t start = tsc(), limit = us_to_tsc(10000);
    while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING)
        if (tsc() - start > limit)
            return false;
    return true;
}

void lapic_timer_stop(void)
{
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_write(LAPIC_TMICT, 0);        /* a 0 initial count stops the timer (SDM Vol. 3A, 10.5.4) */
}

uint32_t ioapic_read(uint32_t reg)
{
    mmio_write32(IOAPIC_BASE, reg);
    return mmio_read32(IOAPIC_BASE + 0x10);
}

void ioapic_write(uint32_t reg, uint32_t v)
{
    mmio_write32(IOAPIC_BASE, reg);
    mmio_write32(IOAPIC_BASE + 0x10, v);
}

uint64_t ioapic_read_rte(unsigned pin)
{
    uint64_t lo = ioapic_read(IOAPIC_REG_RTE(pin));
    return (uint64_t)ioapic_read(IOAPIC_REG_RTE(pin) + 1) << 32 | lo;
}

/* High half (destination) first, so the entry is never live with the old destination. */
void ioapic_write_rte(unsigned pin, uint64_t rte)
{
    ioapic_write(IOAPIC_REG_RTE(pin) + 1, (uint32_t)(rte >> 32));
    ioapic_write(IOAPIC_REG_RTE(pin), (uint32_t)rte);
}

/* Remap the 8259s to VEC_PIC_BASE (ICW1-4) so a spurious IRQ 7/15 cannot look like an
 * exception, then mask every line: interrupts come through the LAPIC and IOAPIC. */
void pic_disable(void)
{
    outb(0x20, 0x11);
    outb(0xA0, 0x11);
    outb(0x21, VEC_PIC_BASE);
    outb(0xA1, VEC_PIC_BASE + 8);
    outb(0x21, 0x04);                   /* slave on IRQ 2 */
    outb(0xA1, 0x02);
    outb(0x21, 0x01);                   /* 8086 mode */
    outb(0xA1, 0x01);
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
}
