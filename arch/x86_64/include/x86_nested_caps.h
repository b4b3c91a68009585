/* x86_nested_caps.h: the VMX capability MSRs an L1 hypervisor reads (Intel SDM Vol. 3D, appendix A): the
 * subset of controls nested VMX implements, intersected with what the host CPU allows (pure, host-tested). */
#ifndef X86_NESTED_CAPS_H
#define X86_NESTED_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_IA32_VMX_BASIC_NR           0x480u
#define MSR_IA32_VMX_PINBASED_CTLS_NR   0x481u
#define MSR_IA32_VMX_PROCBASED_CTLS_NR  0x482u
#define MSR_IA32_VMX_EXIT_CTLS_NR       0x483u
#define MSR_IA32_VMX_ENTRY_CTLS_NR      0x484u
#define MSR_IA32_VMX_MISC_NR            0x485u
#define MSR_IA32_VMX_CR0_FIXED0_NR      0x486u
#define MSR_IA32_VMX_CR0_FIXED1_NR      0x487u
#define MSR_IA32_VMX_CR4_FIXED0_NR      0x488u
#define MSR_IA32_VMX_CR4_FIXED1_NR      0x489u
#define MSR_IA32_VMX_VMCS_ENUM_NR       0x48Au
#define MSR_IA32_VMX_PROCBASED_CTLS2_NR 0x48Bu
#define MSR_IA32_VMX_EPT_VPID_CAP_NR    0x48Cu
#define MSR_IA32_VMX_TRUE_PINBASED_NR   0x48Du
#define MSR_IA32_VMX_TRUE_PROCBASED_NR  0x48Eu
#define MSR_IA32_VMX_TRUE_EXIT_NR       0x48Fu
#define MSR_IA32_VMX_TRUE_ENTRY_NR      0x490u
#define MSR_IA32_VMX_VMFUNC_NR          0x491u

/* The VMCS revision identifier of a vmcs12 (its layout is this implementation's, vmcs12.h). */
#define NESTED_VMCS12_REVISION 0x12A5u     /* any 31-bit value other than the host's is as good */

/* What the host CPU reports (rdmsr on hardware; a table in tests). */
typedef uint64_t (*nested_host_msr_fn)(uint32_t msr);

/* The value of capability MSR msr (0x480-0x491) for L1, or false: #GP (not offered). */
bool nested_vmx_cap_msr(nested_host_msr_fn host, uint32_t msr, uint64_t *value);

/* The allowed-0 (low word: must be 1) and allowed-1 (high word: may be 1) settings of the TRUE
 * controls L1 sees, for the entry checks (SDM 26.2.1.1; A.3-A.5). */
struct nested_vmx_ctls { uint64_t pin, proc, proc2, exit, entry; uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1; uint64_t misc;
                         uint64_t ept_vpid_cap; };
void nested_vmx_ctls(nested_host_msr_fn host, struct nested_vmx_ctls *out);
/* IA32_VMX_EPT_VPID_CAP as L1 reads it (nested_ept.h's offered subset within the host's). */
uint64_t nested_ept_vpid_cap(nested_host_msr_fn host);

#endif
