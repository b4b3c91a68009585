/* x86_internal.h: interfaces between the files of arch/x86_64 (not for kernel/). */
#ifndef X86_INTERNAL_H
#define X86_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "acpi.h"

struct boot_info;

/* GDT selectors (percpu.c) and IST slots of the TSS (Intel SDM Vol. 3A, 7.7 and 6.14.5). */
#define GDT_CODE64  0x08
#define GDT_DATA    0x10
#define GDT_TSS     0x18
#define IST_DF      1
#define IST_NMI     2
#define IST_MC      3

/* platform.c: the ACPI tables, parsed and reported by arch_early_init (read-only
 * afterwards), and the local APIC they describe. */
extern struct acpi_info x86_acpi;
void x86_platform_init(const struct boot_info *bi);

/* percpu.c: GDT, TSS and GS base of each CPU. The boot CPU prepares a CPU's
 * state (x86_percpu_setup) before that CPU loads it (x86_percpu_load). */
void x86_percpu_setup(uint32_t index);
void x86_percpu_load(uint32_t index);

/* idt.c: one IDT shared by all CPUs; every vector dumps state and panics. */
void x86_idt_init(void);
void x86_idt_load(void);

/* paging.c: the hypervisor's identity map. */
void x86_paging_init(struct boot_info *bi);
uint64_t x86_paging_cr3(void);          /* CR3 of the identity map */
uint32_t x86_paging_cr3_low(void);      /* same map, PML4 below 4 GiB (AP trampoline) */
uint64_t x86_paging_map_end(void);      /* first address the identity map leaves unmapped */

/* tsc.c: TSC frequency from the ACPI PM timer or PIT channel 2. */
void x86_tsc_calibrate(void);

/* lapic.c: the local APIC in xAPIC (MMIO) or x2APIC (MSR) mode, as the firmware left it. */
void lapic_init(uint64_t base_pa);
uint32_t lapic_id(void);
bool lapic_x2apic_mode(void);
/* Sends an IPI (ICR low word: vector, delivery mode, level); false if it stayed pending. */
bool lapic_send_ipi(uint32_t apic_id, uint32_t icr_low);

#endif
