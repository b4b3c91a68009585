/* platform.c: the machine as its ACPI tables describe it (parsed by drivers/acpi.c), reported as "acpi:" lines. */
#include <inttypes.h>
#include <stdio.h>
#include "boot_info.h"
#include "kernel.h"
#include "x86.h"
#include "x86_internal.h"

struct acpi_info x86_acpi;   /* written once by CPU 0 in arch_early_init */

/* Tables are read in place through the identity map. */
static const void *acpi_map(void *ctx, uint64_t pa, uint64_t size_bytes)
{
    (void)ctx;
    if (pa + size_bytes < pa || pa + size_bytes > x86_paging_map_end())
        return NULL;
    return (const void *)(uintptr_t)pa;
}

static void report(const struct acpi_info *a)
{
    hv_printf("acpi: RSDP revision %u (OEM %s), %s lists %" PRIu32 " tables\n", a->rsdp_revision,
              a->oem_id, a->xsdt ? "XSDT" : "RSDT", a->table_count);
    if (a->has_madt) {
        char ids[64] = "";
        size_t used = 0;
        uint32_t shown = 0;
        for (; shown < a->cpu_count && shown < ACPI_MAX_CPUS && used < sizeof(ids) - 12; shown++)
            used += snprintf(ids + used, sizeof(ids) - used, " %" PRIu32, a->cpu_apic_id[shown]);
        hv_printf("acpi: MADT: %" PRIu32 " CPUs enabled (APIC IDs%s%s), LAPIC 0x%" PRIx64
                  ", %" PRIu32 " I/O APIC at 0x%" PRIx64 "\n", a->cpu_count, ids,
                  shown < a->cpu_count ? " ..." : "", a->lapic_pa, a->ioapic_count, a->ioapic_pa);
    }
    if (a->has_fadt)
        hv_printf("acpi: FADT: PM1a_CNT 0x%x PM1b_CNT 0x%x PM_TMR 0x%x (%u-bit) DSDT 0x%" PRIx64 "\n",
                  a->pm1a_cnt_port, a->pm1b_cnt_port, a->pm_tmr_port, a->pm_tmr_32bit ? 32 : 24,
                  a->dsdt_pa);
    if (a->has_s5)
        hv_printf("acpi: DSDT: \\_S5 SLP_TYPa=%u SLP_TYPb=%u\n", a->slp_typ_a, a->slp_typ_b);
}

/* PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2). */
static uint32_t pci_config_read32(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg)
{
    outl(0xCF8, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xFC));
    return inl(0xCFC);
}

/* No FADT: OVMF publishes no ACPI tables on Bochs. Its i440FX machine has the PIIX4 power
 * management function at 00:01.3 (Intel 82371AB PIIX4 data sheet: configuration registers
 * PMBA 40h and PMREGMISC 80h bit 0 = PMIOSE; I/O registers PMCNTRL at PMBA + 04h, where
 * SUS_TYP 0 with SUS_EN is soft off, and PMTMR at PMBA + 08h). Filled in as if ACPI said so. */
static void piix4_pm_fallback(struct acpi_info *a)
{
    if (pci_config_read32(0, 1, 3, 0x00) != 0x71138086 || !(pci_config_read32(0, 1, 3, 0x80) & 1))
        return;
    uint16_t pmba = (uint16_t)(pci_config_read32(0, 1, 3, 0x40) & 0xFFC0);
    if (!pmba)
        return;
    a->pm1a_cnt_port = pmba + 4;
    a->pm_tmr_port = pmba + 8;
    a->has_s5 = true;
    a->slp_typ_a = 0;
    hv_printf("acpi: no FADT; PIIX4 power management at 00:01.3: PMCNTRL 0x%x PMTMR 0x%x\n",
              a->pm1a_cnt_port, a->pm_tmr_port);
}

void x86_platform_init(const struct boot_info *bi)
{
    if (!bi->acpi_rsdp_pa) {
        hv_printf("acpi: the firmware gave no RSDP\n");
    } else {
        const char *error = acpi_parse(bi->acpi_rsdp_pa, acpi_map, NULL, &x86_acpi);
        if (error)
            hv_printf("acpi: %s at 0x%" PRIx64 "\n", error, bi->acpi_rsdp_pa);
        else
            report(&x86_acpi);
        for (uint32_t i = 0; i < x86_acpi.problem_count; i++)
            hv_printf("acpi: %s\n", x86_acpi.problems[i]);
    }
    if (!x86_acpi.has_fadt)
        piix4_pm_fallback(&x86_acpi);
    lapic_init(x86_acpi.has_madt ? x86_acpi.lapic_pa : 0);
    hv_printf("lapic: %s mode, boot CPU APIC ID %" PRIu32 "\n",
              lapic_x2apic_mode() ? "x2APIC" : "xAPIC", lapic_id());
}
