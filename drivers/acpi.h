/* acpi.h: ACPI table parsing (RSDP, XSDT/RSDT, MADT, FADT, DSDT \_S5, MCFG); pure, host-testable. */
#ifndef ACPI_H
#define ACPI_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_MAX_CPUS 256
#define ACPI_MAX_PROBLEMS 8

/* Makes [pa, pa + size_bytes) of physical memory readable; NULL when it is not
 * (the hypervisor casts identity-mapped addresses, a host test maps a buffer). */
typedef const void *(*acpi_map_fn)(void *ctx, uint64_t pa, uint64_t size_bytes);

struct acpi_info {
    uint8_t rsdp_revision;
    char oem_id[7];
    bool xsdt;                       /* tables listed by the XSDT, else by the RSDT */
    uint32_t table_count;

    bool has_madt;                   /* ACPI 6.5, 5.2.12 */
    uint64_t lapic_pa;               /* after any Local APIC Address Override */
    uint32_t cpu_count;              /* enabled Processor Local (x2)APIC entries */
    uint32_t cpu_apic_id[ACPI_MAX_CPUS];   /* the first ACPI_MAX_CPUS of them, MADT order */
    uint32_t ioapic_count;
    uint64_t ioapic_pa;              /* the first I/O APIC */

    bool has_fadt;                   /* ACPI 6.5, 5.2.9 */
    uint16_t pm1a_cnt_port, pm1b_cnt_port, pm_tmr_port;   /* 0 when absent */
    bool pm_tmr_32bit;               /* FADT flags TMR_VAL_EXT */
    uint64_t dsdt_pa;

    bool has_s5;                     /* \_S5 package found in the DSDT (ACPI 6.5, 7.4.2) */
    uint8_t slp_typ_a, slp_typ_b;

    /* MCFG (PCI Firmware 3.2, 4.1.2): the first ECAM allocation of segment 0. */
    uint64_t pci_ecam_base;          /* configuration space of bus pci_bus_start; 0: none */
    uint32_t pci_bus_start, pci_bus_end;

    uint32_t problem_count;          /* what was skipped and why (static strings) */
    const char *problems[ACPI_MAX_PROBLEMS];
};

/* Fills info from the tables reachable from the RSDP. Returns NULL, or why the
 * root (RSDP / XSDT / RSDT) is unusable; a bad MADT, FADT or DSDT is skipped and
 * listed in info->problems instead. */
const char *acpi_parse(uint64_t rsdp_pa, acpi_map_fn map, void *ctx, struct acpi_info *info);

/* Finds \_S5 in AML bytes (a DSDT body): true with SLP_TYPa/b when its package decodes. */
bool acpi_find_s5(const uint8_t *aml, uint64_t len, uint8_t *slp_typ_a, uint8_t *slp_typ_b);

/* PM1x_CNT value entering sleep state SLP_TYP, keeping the other bits of current
 * (ACPI 6.5, 4.8.3.2.1: SLP_TYPx bits 12:10, SLP_EN bit 13). */
uint16_t acpi_pm1_cnt_sleep(uint16_t current, uint8_t slp_typ);

#endif
