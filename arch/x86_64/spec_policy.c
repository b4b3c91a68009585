/* spec_policy.c: which speculative-execution measures the guest boundary takes for what the CPU
 * reports (spec.c applies them; tests/unit/test_x86_spec.c). Pure code. */
#include "x86_spec.h"

struct x86_spec_policy x86_spec_decide(const struct x86_spec_cpu *c)
{
    uint64_t caps = (c->cpuid7_edx & CPUID_7_EDX_ARCH_CAPS) ? c->arch_caps : 0;
    struct x86_spec_policy p = { .rsb_fill = true };
    p.ibpb = (c->cpuid7_edx & CPUID_7_EDX_IBRS_IBPB) || (c->cpuid80000008_ebx & CPUID_80000008_EBX_IBPB);
    p.l1d_flush = c->vmx && (c->cpuid7_edx & CPUID_7_EDX_L1D_FLUSH) &&
                  !(caps & (ARCH_CAP_RDCL_NO | ARCH_CAP_SKIP_L1DFL_VMENTRY));
    p.verw = !p.l1d_flush && (c->cpuid7_edx & CPUID_7_EDX_MD_CLEAR) && !(caps & ARCH_CAP_MDS_NO);
    return p;
}
