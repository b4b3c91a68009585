/* cpu_data.h: per-CPU data reached through TPIDR_EL2, and the offsets secondary_entry (entry.S) uses. */
#ifndef AARCH64_CPU_DATA_H
#define AARCH64_CPU_DATA_H

#define CPU_DATA_STACK_TOP 0
#define CPU_DATA_MAIR      8
#define CPU_DATA_TCR       16
#define CPU_DATA_TTBR0     24
#define CPU_DATA_SCTLR     32
#define CPU_DATA_CPTR      40
#define CPU_DATA_INDEX     56
#define CPU_DATA_ONLINE    60

#ifndef __ASSEMBLY__
#include <stddef.h>
#include <stdint.h>
#include "arch.h"

struct arch_vcpu;

/* One per CPU, cache-line aligned. The boot CPU fills entry i before CPU_ON and
 * cleans it to the PoC (the secondary reads it with its MMU and caches off);
 * from then on CPU i owns it, except `online`, which the boot CPU polls. */
struct cpu_data {
    uint64_t stack_top;
    /* The boot CPU's EL2 translation and trap setup, loaded by secondary_entry. */
    uint64_t mair_el2, tcr_el2, ttbr0_el2, sctlr_el2, cptr_el2;
    uint64_t mpidr;
    uint32_t index;
    uint32_t online;          /* set to 1 by secondary_entry (store-release) once its MMU is on */
    uint32_t in_exception;    /* the exception dump is running on this CPU */
    uint32_t probe_active;    /* mmio_probe_read32 in progress for probe_addr ... */
    uint32_t probe_faulted;   /* ... and its load took a data abort (exception.c) */
    uint64_t probe_addr;
    /* Guest state on this CPU (vcpu.c, fpsimd.c); only this CPU touches them. */
    const void *loaded_vcpu;  /* whose EL2 controls (HCR, VTTBR, ...) are in the registers */
    struct arch_vcpu *fp_owner; /* whose FP/SIMD state is live in the registers, or NULL */
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct cpu_data, stack_top) == CPU_DATA_STACK_TOP, "asm offset");
_Static_assert(offsetof(struct cpu_data, mair_el2) == CPU_DATA_MAIR, "asm offset");
_Static_assert(offsetof(struct cpu_data, tcr_el2) == CPU_DATA_TCR, "asm offset");
_Static_assert(offsetof(struct cpu_data, ttbr0_el2) == CPU_DATA_TTBR0, "asm offset");
_Static_assert(offsetof(struct cpu_data, sctlr_el2) == CPU_DATA_SCTLR, "asm offset");
_Static_assert(offsetof(struct cpu_data, cptr_el2) == CPU_DATA_CPTR, "asm offset");
_Static_assert(offsetof(struct cpu_data, index) == CPU_DATA_INDEX, "asm offset");
_Static_assert(offsetof(struct cpu_data, online) == CPU_DATA_ONLINE, "asm offset");

extern struct cpu_data cpu_data[HV_MAX_CPUS];

/* The calling CPU's entry (TPIDR_EL2), or NULL before arch_enter_kernel set it. */
struct cpu_data *this_cpu(void);

/* Cleans [p, p + len) to the Point of Coherency, for an observer with caches off. */
void dcache_clean_poc(const void *p, size_t len);

/* entry.S */
__attribute__((noreturn)) void el2_call_on_stack(void *arg, uint64_t stack_top, void (*fn)(void *));
extern char secondary_entry[], secondary_entry_end[];
#endif

#endif
