/* caps.c: the "cap:" report: CPU vendor, the VMX or SVM features the hypervisor relies on, CPUs, PA width. */
#include <inttypes.h>
#include <string.h>
#include "arch.h"
#include "kernel.h"
#include "x86.h"
#include "x86_internal.h"

/* SDM Vol. 3D, appendix A: allowed-1 settings are the high 32 bits of a control MSR. */
#define VMX_BASIC_TRUE_CTLS      (1ull << 55)
#define PROCBASED_SECONDARY      (1u << 31)
#define PINBASED_PREEMPT_TIMER   (1u << 6)
#define SECONDARY_EPT            (1u << 1)
#define SECONDARY_VPID           (1u << 5)
#define SECONDARY_UNRESTRICTED   (1u << 7)
#define SECONDARY_VMCS_SHADOWING (1u << 14)
#define FEATURE_CONTROL_LOCK     (1u << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1u << 2)
/* AMD APM Vol. 3, E.4.22: CPUID 8000000AH EDX. */
#define SVM_NP            (1u << 0)
#define SVM_NRIPS         (1u << 3)
#define SVM_DECODE_ASSISTS (1u << 7)

static const char *yes_no(uint64_t bit) { return bit ? "yes" : "no"; }

/* Allowed-1 settings of a VMX control, from its TRUE_ MSR when IA32_VMX_BASIC bit 55 says
 * those exist (SDM Vol. 3D, A.2). */
static uint32_t allowed1(uint32_t msr, uint32_t true_msr, bool true_ctls)
{
    return (uint32_t)(rdmsr(true_ctls ? true_msr : msr) >> 32);
}

static void report_vmx(void)
{
    uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
    bool t = basic & VMX_BASIC_TRUE_CTLS;
    uint32_t pin = allowed1(MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED_CTLS, t);
    uint32_t proc = allowed1(MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_PROCBASED_CTLS, t);
    uint32_t exit = allowed1(MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS, t);
    uint32_t entry = allowed1(MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS, t);
    /* PROCBASED_CTLS2 exists only when secondary controls can be activated, and
     * EPT_VPID_CAP only when EPT or VPID can be enabled (SDM Vol. 3D, A.3.3 and A.10). */
    uint32_t proc2 = proc & PROCBASED_SECONDARY ? allowed1(MSR_IA32_VMX_PROCBASED_CTLS2, 0, false) : 0;
    uint64_t ept_vpid = proc2 & (SECONDARY_EPT | SECONDARY_VPID) ? rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) : 0;
    uint64_t misc = rdmsr(MSR_IA32_VMX_MISC);
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    hv_printf("cap: vmx=yes ept=%s vpid=%s unrestricted_guest=%s preemption_timer=%s vmcs_shadowing=%s\n",
              yes_no(proc2 & SECONDARY_EPT), yes_no(proc2 & SECONDARY_VPID),
              yes_no(proc2 & SECONDARY_UNRESTRICTED), yes_no(pin & PINBASED_PREEMPT_TIMER),
              yes_no(proc2 & SECONDARY_VMCS_SHADOWING));
    hv_printf("cap: vmx_basic=0x%" PRIx64 " vmcs_revision=%" PRIu32 " true_ctls=%s allowed1: pin=0x%"
              PRIx32 " proc=0x%" PRIx32 " proc2=0x%" PRIx32 " exit=0x%" PRIx32 " entry=0x%" PRIx32 "\n",
              basic, (uint32_t)basic & 0x7FFFFFFF, yes_no(t), pin, proc, proc2, exit, entry);
    hv_printf("cap: ept_vpid_cap=0x%" PRIx64 " vmx_misc=0x%" PRIx64 " (preemption timer = TSC >> %u)\n",
              ept_vpid, misc, (unsigned)(misc & 0x1F));
    hv_printf("cap: feature_control=0x%" PRIx64 " locked=%s vmx_outside_smx=%s\n", fc,
              yes_no(fc & FEATURE_CONTROL_LOCK), yes_no(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX));
}

static void report_svm(void)
{
    struct cpuid_regs r = cpuid(0x8000000A, 0);
    hv_printf("cap: svm=yes npt=%s nrip=%s decode_assists=%s asids=%" PRIu32 "\n", yes_no(r.edx & SVM_NP),
              yes_no(r.edx & SVM_NRIPS), yes_no(r.edx & SVM_DECODE_ASSISTS), r.ebx);
    hv_printf("cap: svm_revision=%" PRIu32 " svm_features=0x%" PRIx32 "\n", r.eax & 0xFF, r.edx);
}

void arch_report_caps(void)
{
    struct cpuid_regs r = cpuid(0, 0);
    char vendor[13];
    memcpy(vendor, &r.ebx, 4);
    memcpy(vendor + 4, &r.edx, 4);
    memcpy(vendor + 8, &r.ecx, 4);
    vendor[12] = 0;
    hv_printf("cap: vendor=%s\n", vendor);

    uint32_t max_ext = cpuid(0x80000000, 0).eax;
    bool vmx = r.eax >= 1 && (cpuid(1, 0).ecx & CPUID_1_ECX_VMX);
    bool svm = max_ext >= 0x8000000A && (cpuid(0x80000001, 0).ecx & CPUID_80000001_ECX_SVM);
    if (vmx)
        report_vmx();
    else if (svm)
        report_svm();
    else
        hv_printf("cap: vmx=no svm=no\n");

    if (x86_acpi.has_madt)
        hv_printf("cap: cpus=%" PRIu32 " (MADT)\n", x86_acpi.cpu_count);
    else
        hv_printf("cap: cpus=unknown (no MADT)\n");
    if (max_ext >= 0x80000008)
        hv_printf("cap: pa_bits=%" PRIu32 "\n", cpuid(0x80000008, 0).eax & 0xFF);
}
