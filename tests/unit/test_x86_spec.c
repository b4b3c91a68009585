/* test_x86_spec.c: what the guest boundary does against speculative-execution attacks for each kind of
 * CPU (arch/x86_64/spec.c, x86_spec_decide), as KVM decides it. */
#include <criterion/criterion.h>
#include "x86_spec.h"

#define ALL7 (CPUID_7_EDX_MD_CLEAR | CPUID_7_EDX_IBRS_IBPB | CPUID_7_EDX_L1D_FLUSH | CPUID_7_EDX_ARCH_CAPS)

Test(x86_spec, rsb_is_always_filled_even_with_nothing_reported)
{
    struct x86_spec_cpu c = { 0 };
    struct x86_spec_policy p = x86_spec_decide(&c);
    cr_assert(p.rsb_fill);
    cr_assert_not(p.ibpb || p.verw || p.l1d_flush, "nothing offered: nothing to use");
}

Test(x86_spec, affected_intel_with_vmx_flushes_l1d_instead_of_verw)
{
    struct x86_spec_cpu c = { .vmx = true, .cpuid7_edx = ALL7, .arch_caps = 0 };
    struct x86_spec_policy p = x86_spec_decide(&c);
    cr_assert(p.ibpb);
    cr_assert(p.l1d_flush);
    cr_assert_not(p.verw, "the L1D flush clears the buffers too");
}

Test(x86_spec, l1tf_immune_cpu_uses_verw_only_while_mds_affected)
{
    struct x86_spec_cpu c = { .vmx = true, .cpuid7_edx = ALL7, .arch_caps = ARCH_CAP_RDCL_NO };
    struct x86_spec_policy p = x86_spec_decide(&c);
    cr_assert_not(p.l1d_flush);
    cr_assert(p.verw);
    c.arch_caps = ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO;
    p = x86_spec_decide(&c);
    cr_assert_not(p.verw, "MDS_NO");
    c.arch_caps = ARCH_CAP_SKIP_L1DFL_VMENTRY;
    p = x86_spec_decide(&c);
    cr_assert_not(p.l1d_flush, "the CPU says the VM-entry flush is not needed");
}

Test(x86_spec, arch_capabilities_count_only_when_cpuid_lists_them)
{
    struct x86_spec_cpu c = { .vmx = true, .cpuid7_edx = CPUID_7_EDX_L1D_FLUSH | CPUID_7_EDX_MD_CLEAR,
                              .arch_caps = ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO };
    struct x86_spec_policy p = x86_spec_decide(&c);
    cr_assert(p.l1d_flush, "no ARCH_CAPABILITIES in CPUID: its bits mean nothing");
}

Test(x86_spec, svm_never_flushes_l1d_and_takes_amd_ibpb)
{
    struct x86_spec_cpu c = { .vmx = false, .cpuid7_edx = CPUID_7_EDX_L1D_FLUSH,
                              .cpuid80000008_ebx = CPUID_80000008_EBX_IBPB };
    struct x86_spec_policy p = x86_spec_decide(&c);
    cr_assert_not(p.l1d_flush, "L1TF is an Intel / VMX concern");
    cr_assert(p.ibpb, "AMD's IBPB bit");
    cr_assert_not(p.verw);
}
