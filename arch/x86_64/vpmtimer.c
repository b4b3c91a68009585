/* vpmtimer.c: the ACPI power-management timer of a VM (ACPI 6.5, 4.8.3.3): a 24-bit counter at
 * 3.579545 MHz, read at the I/O port the FADT names (PM_TMR_BLK, as QEMU q35's ICH9 at PMBASE 0x600 + 8).
 * It is the host TSC scaled to that rate: nothing to keep, nothing to reset; writes are ignored. */
#include "x86.h"
#include "x86_vcpu.h"

static uint64_t pmtimer_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)dev; (void)vcpu;
    uint32_t count = (uint32_t)x86_scale(rdtsc(), X86_PM_TIMER_HZ, x86_tsc_hz()) & X86_PM_TIMER_MASK;
    uint32_t v = count >> (8 * (off & 3));
    return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void pmtimer_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)dev; (void)vcpu; (void)off; (void)size; (void)value;
}

static const struct mmio_ops pmtimer_ops = { pmtimer_read, pmtimer_write };

bool vpmtimer_register(struct vm *vm)
{
    return mmio_bus_register(&vm->pio, X86_PM_TIMER_PORT, 4, &pmtimer_ops, vm, "acpi-pm-timer") == 0;
}
