/* vmcs12_reflect.h: whether an exit from L2 belongs to L1 (reflected as a VM exit of its own) or to L0,
 * decided from vmcs12's controls as the hardware would for L1 (Intel SDM Vol. 3C, 25.1-25.2 instructions
 * and events that cause VM exits; 24.6.3-24.6.9 bitmaps and masks). Pure: host-tested. */
#ifndef VMX_VMCS12_REFLECT_H
#define VMX_VMCS12_REFLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmcs12.h"

/* An exit from L2 as the hardware reported it to L0. */
struct nested_exit {
    uint32_t reason;             /* basic exit reason (bits 15:0); entry failures have entry_failure */
    bool entry_failure;          /* bit 31 of the exit reason */
    uint64_t qual;               /* exit qualification */
    uint32_t intr_info;          /* VM-exit interruption information */
    uint32_t intr_error;         /* its error code (#PF: the page-fault error code) */
    uint32_t msr;                /* RDMSR / WRMSR: ECX */
    uint64_t cr_value;           /* MOV to CR0 / CR4: the source register's value */
    bool l0_timer;               /* a preemption-timer exit L0 asked for (an immediate exit) */
};

/* Reads L1 memory (the I/O and MSR bitmaps); false when the address is not L1 RAM. */
typedef bool (*nested_read_gpa_fn)(void *ctx, uint64_t gpa, void *buf, size_t len);

/* True: L1 gets the exit. False: L0 handles it for L2 as it would for any guest. */
bool nested_vmx_exit_for_l1(const struct vmcs12 *v, const struct nested_exit *e, nested_read_gpa_fn read, void *ctx);

#endif
