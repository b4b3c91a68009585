/* power.c: arch_power_off through ACPI S5: \_S5's SLP_TYPx with SLP_EN into PM1a_CNT (and PM1b_CNT). */
#include <inttypes.h>
#include "arch.h"
#include "kernel.h"
#include "x86.h"
#include "x86_internal.h"

#define POWER_OFF_WAIT_NS (1000ull * 1000 * 1000)

static void pm1_cnt_sleep(uint16_t port, uint8_t slp_typ)
{
    if (port)
        outw(port, acpi_pm1_cnt_sleep(inw(port), slp_typ));
}

void arch_power_off(void)
{
    const struct acpi_info *a = &x86_acpi;
    __asm__ volatile("cli");
    if (!a->pm1a_cnt_port) {
        hv_printf("power: no PM1a_CNT block (no FADT), cannot power off; parking\n");
    } else if (!a->has_s5) {
        hv_printf("power: no \\_S5 in the DSDT, cannot power off; parking\n");
    } else {
        /* ACPI 6.5, 7.4.2 and 16.1.7: write SLP_TYPa to PM1a_CNT and SLP_TYPb to PM1b_CNT,
         * each with SLP_EN. The platform may take a moment to act. */
        pm1_cnt_sleep(a->pm1a_cnt_port, a->slp_typ_a);
        pm1_cnt_sleep(a->pm1b_cnt_port, a->slp_typ_b);
        uint64_t deadline = arch_time_ns() + POWER_OFF_WAIT_NS;
        while (arch_time_ns() < deadline)
            arch_cpu_relax();
        hv_printf("power: ACPI S5 (PM1a_CNT 0x%x) did not power off; parking\n", a->pm1a_cnt_port);
    }
    arch_cpu_park();
}
