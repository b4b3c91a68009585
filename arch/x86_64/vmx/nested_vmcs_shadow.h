/* nested_vmcs_shadow.h: VMCS shadowing for L1's VMREAD / VMWRITE (Intel SDM Vol. 3C, 2016 numbering:
 * 24.10, 24.6.15, 30.3 VMREAD / VMWRITE in VMX non-root operation). When the host CPU has it, vmcs01
 * points at a shadow VMCS holding the current vmcs12's fields while L1 runs with one, and L1's VMREAD
 * and VMWRITE of those fields complete without a VM exit; the rest (unsupported components, writes to
 * read-only fields) still exit to nested.c's software path. The vmcs12 cache stays the one nested.c
 * works on: pulled from the shadow VMCS before L0 looks at it, pushed after L0 changed it. */
#ifndef VMX_NESTED_VMCS_SHADOW_H
#define VMX_NESTED_VMCS_SHADOW_H

#include <stdbool.h>
#include "x86_vcpu.h"

/* At vCPU creation with 'nested = vmx': the shadow VMCS and the VMREAD / VMWRITE bitmaps, when the host
 * has VMCS shadowing and lets VMWRITE reach the exit-information fields (IA32_VMX_MISC bit 29). False
 * only when out of memory. */
bool nested_vmcs_shadow_init(struct vcpu *v);
/* vmcs01 current (L1's instruction exit, or before L0 reads vmcs12): L1's VMWRITEs into the cache. */
void nested_vmcs_shadow_pull(struct vcpu *v);
/* vmcs01 current, L1 about to run: the cache into the shadow VMCS and vmcs01's VMCS link pointer and
 * shadowing control set for the current vmcs12 (off without one, so VMREAD / VMWRITE exit and fail). */
void nested_vmcs_shadow_push(struct vcpu *v);

#endif
