/* nested.h: nested VMX's entry points for vmx.c (one call per exit it takes over) and guest.c. */
#ifndef VMX_NESTED_H
#define VMX_NESTED_H

#include <stdbool.h>
#include <stdint.h>
#include "x86_vcpu.h"

/* At vCPU creation (the vmcs12 cache and vmcs02 pages with 'nested = vmx') and at its reset. */
bool nested_vmx_vcpu_init(struct vcpu *v);
void nested_vmx_vcpu_reset(struct vcpu *v);
/* VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, INVEPT, INVVPID from L1:
 * the decode row of their exit reasons (x->code). */
void nested_vmx_instruction(struct vcpu *v, struct x86_exit *x);
/* An exit while L2 ran: true when it went to L1 (x->kind is X86_EXIT_NONE), false when L0 handles it. */
bool nested_vmx_l2_exit(struct vcpu *v, struct x86_exit *x, uint32_t reason);
/* Before entering L2: an interrupt or NMI pending for L1 that L1 takes as a VM exit. True when that
 * exit to L1 happened instead of the entry (x->kind is X86_EXIT_NONE). */
bool nested_vmx_before_l2_entry(struct vcpu *v, struct x86_exit *x);
/* While L2 runs, L0 injects nothing of L1's into it except where L1 lets its interrupts reach L2
 * (event.c asks through x86_nested_l2_exits_on_l1_interrupt / _nmi and x86_nested_window). */
bool nested_vmx_l2_takes_l1_interrupts(const struct vcpu *v);
bool nested_vmx_l2_takes_l1_nmis(const struct vcpu *v);

#endif
