/* nested_caps.c: the IA32_VMX_* capability MSRs L1 reads: the controls nested.c implements (each listed
 * with the reason it can be offered), limited to what the host allows, with the TRUE controls
 * (Intel SDM Vol. 3D, A.1-A.10). Pure: the host's values come through a function. */
#include "x86_nested_caps.h"
#include "nested_ept.h"

/* Default1 controls (A.2): reported as must-be-1 by the non-TRUE MSRs; the TRUE MSRs say which of
 * them may be 0 here (as KVM: CR3-load/store exiting, save / load debug controls). */
#define PIN_DEFAULT1     0x00000016ull
#define PROC_DEFAULT1    0x0401E172ull
#define EXIT_DEFAULT1    0x00036DFFull
#define ENTRY_DEFAULT1   0x000011FFull
#define PROC_CR3_LOAD    (1ull << 15)
#define PROC_CR3_STORE   (1ull << 16)
#define EXIT_SAVE_DEBUG  (1ull << 2)
#define ENTRY_LOAD_DEBUG (1ull << 2)

/* Pin-based (SDM 24.6.1): external-interrupt and NMI exiting, virtual NMIs, the preemption timer. */
#define PIN_OFFERED  (PIN_DEFAULT1 | (1ull << 0) | (1ull << 3) | (1ull << 5) | (1ull << 6))
/* Primary processor-based (24.6.2): each exit is reflected from L2 to L1 by nested.c when L1 asks;
 * interrupt / NMI window, TSC offsetting (added to L0's), HLT, INVLPG, MWAIT, RDPMC, RDTSC, CR3
 * load / store, CR8 load / store, MOV DR, unconditional I/O, I/O bitmaps, MSR bitmaps, MONITOR,
 * PAUSE, secondary controls. Not offered: TPR shadow (21), monitor trap flag (27). */
#define PROC_OFFERED (PROC_DEFAULT1 | (1ull << 2) | (1ull << 3) | (1ull << 7) | (1ull << 9) | (1ull << 10) | \
                      (1ull << 11) | (1ull << 12) | PROC_CR3_LOAD | PROC_CR3_STORE | (1ull << 19) |           \
                      (1ull << 20) | (1ull << 22) | (1ull << 23) | (1ull << 24) | (1ull << 25) | (1ull << 28) | \
                      (1ull << 29) | (1ull << 30) | (1ull << 31))
/* Secondary (24.6.2, table 24-7): enable EPT (nested_shadow.c builds the shadow EPT L2 runs on) and
 * enable VPID (L2 runs on a VPID of L0's, flushed at every entry and on INVVPID). Not offered:
 * unrestricted guest, APIC virtualization, VMCS shadowing and the rest. */
#define PROC2_EPT  (1ull << 1)
#define PROC2_VPID (1ull << 5)
#define PROC2_OFFERED (PROC2_EPT | PROC2_VPID)
/* VM-exit (24.7.1): host address-space size, acknowledge interrupt on exit, save / load PAT and EFER,
 * save the preemption timer. */
#define EXIT_OFFERED (EXIT_DEFAULT1 | (1ull << 9) | (1ull << 15) | (1ull << 18) | (1ull << 19) | (1ull << 20) | \
                      (1ull << 21) | (1ull << 22))
/* VM-entry (24.8.1): IA-32e mode guest, load PAT, load EFER. */
#define ENTRY_OFFERED (ENTRY_DEFAULT1 | (1ull << 9) | (1ull << 14) | (1ull << 15))

/* IA32_VMX_BASIC (A.1): revision, region size 4096 (44:32), memory type WB (53:50), TRUE controls (55). */
#define BASIC_VALUE ((uint64_t)NESTED_VMCS12_REVISION | 4096ull << 32 | 6ull << 50 | 1ull << 55)
/* IA32_VMX_MISC (A.6): the host's preemption-timer rate (4:0); EFER.LMA stored into the IA-32e mode
 * guest entry control on exits (5); no activity state but active, no CR3 targets, the smallest
 * MSR-list size (27:25 = 0: 512), no VMWRITE to exit-information fields. */
#define MISC_LMA_STORE (1ull << 5)

/* The controls offered, intersected with the host's allowed-1 settings (high word) and with the
 * default1 bits (low word) kept as required. */
static uint64_t ctl(nested_host_msr_fn host, uint32_t host_msr, uint64_t offered, uint64_t must1)
{
    uint64_t allowed1 = offered & (host(host_msr) >> 32);
    return must1 | allowed1 << 32;
}

uint64_t nested_ept_vpid_cap(nested_host_msr_fn host)
{
    return NESTED_EPT_VPID_CAP_OFFERED & host(MSR_IA32_VMX_EPT_VPID_CAP_NR);
}

void nested_vmx_ctls(nested_host_msr_fn host, struct nested_vmx_ctls *c)
{
    /* The host's TRUE MSRs where it has them (Bochs and every CPU since Nehalem do), else the plain. */
    bool host_true = host(MSR_IA32_VMX_BASIC_NR) & (1ull << 55);
    c->pin = ctl(host, host_true ? MSR_IA32_VMX_TRUE_PINBASED_NR : MSR_IA32_VMX_PINBASED_CTLS_NR, PIN_OFFERED,
                 PIN_DEFAULT1);
    c->proc = ctl(host, host_true ? MSR_IA32_VMX_TRUE_PROCBASED_NR : MSR_IA32_VMX_PROCBASED_CTLS_NR,
                  PROC_OFFERED, PROC_DEFAULT1 & ~(PROC_CR3_LOAD | PROC_CR3_STORE));
    /* EPT needs the host's 4-level write-back walks and both INVEPT types nested EPT offers; VPID both
     * INVVPID types (the shadow EPT and L2's VPID are invalidated with them). */
    uint64_t cap = host(MSR_IA32_VMX_EPT_VPID_CAP_NR), proc2 = PROC2_OFFERED;
    uint64_t ept_needs = EPT_CAP_WALK4 | EPT_CAP_WB | EPT_CAP_INVEPT | EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL;
    uint64_t vpid_needs = VPID_CAP_INVVPID | VPID_CAP_SINGLE | VPID_CAP_ALL;
    if ((cap & ept_needs) != ept_needs)
        proc2 &= ~PROC2_EPT;
    if ((cap & vpid_needs) != vpid_needs)
        proc2 &= ~PROC2_VPID;
    c->proc2 = ctl(host, MSR_IA32_VMX_PROCBASED_CTLS2_NR, proc2, 0);
    c->exit = ctl(host, host_true ? MSR_IA32_VMX_TRUE_EXIT_NR : MSR_IA32_VMX_EXIT_CTLS_NR, EXIT_OFFERED,
                  EXIT_DEFAULT1 & ~EXIT_SAVE_DEBUG);
    c->entry = ctl(host, host_true ? MSR_IA32_VMX_TRUE_ENTRY_NR : MSR_IA32_VMX_ENTRY_CTLS_NR, ENTRY_OFFERED,
                   ENTRY_DEFAULT1 & ~ENTRY_LOAD_DEBUG);
    c->cr0_fixed0 = host(MSR_IA32_VMX_CR0_FIXED0_NR);
    c->cr0_fixed1 = host(MSR_IA32_VMX_CR0_FIXED1_NR);
    c->cr4_fixed0 = host(MSR_IA32_VMX_CR4_FIXED0_NR);
    c->cr4_fixed1 = host(MSR_IA32_VMX_CR4_FIXED1_NR);
    c->misc = (host(MSR_IA32_VMX_MISC_NR) & 0x1F) | MISC_LMA_STORE;
    c->ept_vpid_cap = nested_ept_vpid_cap(host);
}

bool nested_vmx_cap_msr(nested_host_msr_fn host, uint32_t msr, uint64_t *value)
{
    struct nested_vmx_ctls c;
    nested_vmx_ctls(host, &c);
    switch (msr) {
    case MSR_IA32_VMX_BASIC_NR: *value = BASIC_VALUE; return true;
    /* The non-TRUE MSRs report every default1 bit as required (A.3.1, A.3.2, A.4.1, A.5). */
    case MSR_IA32_VMX_PINBASED_CTLS_NR: *value = c.pin | PIN_DEFAULT1; return true;
    case MSR_IA32_VMX_PROCBASED_CTLS_NR: *value = c.proc | PROC_DEFAULT1; return true;
    case MSR_IA32_VMX_EXIT_CTLS_NR: *value = c.exit | EXIT_DEFAULT1; return true;
    case MSR_IA32_VMX_ENTRY_CTLS_NR: *value = c.entry | ENTRY_DEFAULT1; return true;
    case MSR_IA32_VMX_TRUE_PINBASED_NR: *value = c.pin; return true;
    case MSR_IA32_VMX_TRUE_PROCBASED_NR: *value = c.proc; return true;
    case MSR_IA32_VMX_TRUE_EXIT_NR: *value = c.exit; return true;
    case MSR_IA32_VMX_TRUE_ENTRY_NR: *value = c.entry; return true;
    case MSR_IA32_VMX_MISC_NR: *value = c.misc; return true;
    case MSR_IA32_VMX_CR0_FIXED0_NR: *value = c.cr0_fixed0; return true;
    case MSR_IA32_VMX_CR0_FIXED1_NR: *value = c.cr0_fixed1; return true;
    case MSR_IA32_VMX_CR4_FIXED0_NR: *value = c.cr4_fixed0; return true;
    case MSR_IA32_VMX_CR4_FIXED1_NR: *value = c.cr4_fixed1; return true;
    /* A.9: bits 9:1 the highest field index; GUEST_VMX_PREEMPTION_TIMER_VALUE (0x482E) has index 0x17. */
    case MSR_IA32_VMX_VMCS_ENUM_NR: *value = 0x17ull << 1; return true;
    case MSR_IA32_VMX_PROCBASED_CTLS2_NR: *value = c.proc2; return true;
    /* A.10: exists with EPT or VPID offered (as they are when the host has them): the subset nested
     * EPT implements within the host's. VM functions: none (A.11). */
    case MSR_IA32_VMX_EPT_VPID_CAP_NR:
        if (!((c.proc2 >> 32) & (PROC2_EPT | PROC2_VPID)))
            return false;
        *value = nested_ept_vpid_cap(host);
        return true;
    default: return false;
    }
}
