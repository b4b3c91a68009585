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
/* Per CPU, on it: enable, mask the timer and LINT0, record the APIC ID (CPU 0: timer rate). */
void lapic_cpu_init(uint32_t index);
void lapic_eoi(void);
/* The host timer that forces a VM exit at the next virtual timer deadline (host TSC; 0: none). */
void lapic_timer_arm(uint64_t tsc_deadline);
/* Makes CPU index take an interrupt: a VM exit if it runs a guest (kick). */
void lapic_kick_cpu(uint32_t index);

/* Host interrupt vectors: handlers only EOI (exception_entry.S, idt.c); their point is the VM exit. */
#define X86_VECTOR_KICK     0xF0
#define X86_VECTOR_TIMER    0xF1
#define X86_VECTOR_SPURIOUS 0xFF

/* fpu.c: lazy switching of the guest's x87/SSE state (#NM in the hypervisor). */
struct vcpu;
void x86_fpu_reset(struct vcpu *vcpu);
void x86_fpu_enter(struct vcpu *vcpu);
void x86_fpu_nm(void);
void x86_fpu_host_init(void);
void x86_fpu_exit(struct vcpu *vcpu);
bool x86_fpu_xsetbv(struct vcpu *vcpu, uint32_t index, uint64_t value);
void x86_tsc_aux_enter(struct vcpu *vcpu);

#endif
