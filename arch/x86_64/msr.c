/* msr.c: the guest's MSRs, one row per MSR (or range) with the vendors that have it and its read and
 * write handlers, answered as KVM answers them (Intel SDM Vol. 4; AMD APM Vol. 2, appendix A; Linux
 * arch/x86/kvm/x86.c kvm_get/set_msr_common for the semantics). Anything without a row raises #GP(0). */
#include "x86.h"
#include "x86_cpuid.h"
#include "x86_nested_caps.h"
#include "x86_vcpu.h"
#include "x86_regs.h"

#define MSR_IA32_TSC            0x010u
#define MSR_IA32_PLATFORM_ID    0x017u
#define MSR_IA32_TSC_ADJUST     0x03Bu
#define MSR_SMI_COUNT           0x034u
#define MSR_IA32_SMBASE         0x09Eu
#define MSR_IA32_BIOS_SIGN_ID   0x08Bu
#define MSR_IA32_PMC0           0x0C1u
#define MSR_IA32_PMC1           0x0C2u
#define MSR_PLATFORM_INFO       0x0CEu
#define MSR_MISC_FEATURES_ENABLES 0x140u
#define MSR_IA32_MCG_CAP        0x179u
#define MSR_IA32_MCG_STATUS     0x17Au
#define MSR_IA32_PERFEVTSEL0    0x186u
#define MSR_IA32_PERFEVTSEL1    0x187u
#define MSR_IA32_MISC_ENABLE    0x1A0u
#define MSR_IA32_PAT            0x277u
#define MSR_IA32_TSC_DEADLINE   0x6E0u
#define MSR_X2APIC_FIRST        0x800u
#define MSR_TSC_AUX             0xC0000103u
#define MSR_X2APIC_LAST         0x8FFu
#define MSR_K7_EVNTSEL0         0xC0010000u
#define MSR_K7_EVNTSEL3         0xC0010003u
#define MSR_K7_PERFCTR0         0xC0010004u
#define MSR_K7_PERFCTR3         0xC0010007u
#define MSR_K7_HWCR             0xC0010015u
#define MSR_AMD64_NB_CFG        0xC001001Fu
#define MSR_K8_INT_PENDING_MSG  0xC0010055u    /* Linux reads it for the E400 erratum (C1E) */
#define MSR_AMD64_DC_CFG        0xC0011022u
#define MSR_AMD64_DE_CFG        0xC0011029u
#define MSR_AMD64_BU_CFG2       0xC001102Au

/* IA32_APIC_BASE (SDM Vol. 3A, 10.4.4): BSP flag, x2APIC enable, global enable, base in 51:12. */
#define APIC_BASE_BSP     (1ull << 8)
#define APIC_BASE_EN      (1ull << 11)
#define APIC_BASE_DEFAULT 0xFEE00000ull

/* IA32_EFER (SDM Vol. 3A, 2.2.1; APM Vol. 2, 3.1.7): SCE, LME, LMA, NXE; SVME is the host's. */
#define EFER_GUEST_BITS   (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

#define PAT_RESET         0x0007040600070406ull   /* SDM Vol. 3A, 11.12.4 */

/* IA32_MISC_ENABLE (SDM Vol. 4, table 2-2): reset as QEMU/KVM (fast strings, no BTS, no PEBS); the
 * "unavailable" bits are read-only (#GP when a write changes them), EMON is read-only without a fault;
 * every other bit is stored. */
#define MISC_ENABLE_FAST_STRINGS  (1ull << 0)
#define MISC_ENABLE_EMON          (1ull << 7)
#define MISC_ENABLE_BTS_UNAVAIL   (1ull << 11)
#define MISC_ENABLE_PEBS_UNAVAIL  (1ull << 12)
#define MISC_ENABLE_RESET (MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL)
#define MISC_ENABLE_RO    (MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL)

/* IA32_MCG_CAP (SDM Vol. 3B, 15.3.1.1): no banks, no MCG_CTL, no extensions. */
#define MCG_CAP_VALUE     0ull

/* IA32_FEATURE_CONTROL (SDM Vol. 3C, 23.7): locked with VMX off, so a guest cannot try to turn it on;
 * with 'nested = vmx' locked with VMX outside SMX on (bit 2), as firmware leaves it for a hypervisor. */
#define FEATURE_CONTROL_LOCKED 1ull
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)

/* AMD PerfEvtSel (APM Vol. 2, 13.2.1): the bits KVM treats as reserved; PerfCtr is 48 bits wide. */
/* AMD HWCR (BKDG): KVM ignores three bits and keeps only McStatusWrEn (18). */
#define HWCR_IGNORED        ((1ull << 3) | (1ull << 6) | (1ull << 8))
#define HWCR_MCSTATUSWREN   (1ull << 18)
/* AMD DE_CFG: only LFENCE-serializing (bit 1) is the guest's to set, as KVM's supported_de_cfg. */
#define DE_CFG_LFENCE_SERIALIZE (1ull << 1)

typedef bool (*msr_read_fn)(struct vcpu *vcpu, uint32_t msr, uint64_t *value);
typedef bool (*msr_write_fn)(struct vcpu *vcpu, uint32_t msr, uint64_t value);

static bool efer_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)msr;
    *value = x86_vcpu_backend()->get_efer(v) & EFER_GUEST_BITS;
    return true;
}

/* LMA is read-only (the CPU sets it when paging turns on with LME). */
static bool efer_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)msr;
    if (value & ~EFER_GUEST_BITS)
        return false;
    uint64_t old = x86_vcpu_backend()->get_efer(v);
    x86_vcpu_backend()->set_efer(v, (value & ~EFER_LMA) | (old & EFER_LMA));
    return true;
}

/* Each of the eight PAT entries must be a valid memory type: 0, 1, 4, 5, 6 or 7 (SDM 11.12.2). */
static bool pat_valid(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        uint8_t t = (uint8_t)(pat >> (8 * i));
        if (t > 7 || t == 2 || t == 3)
            return false;
    }
    return true;
}

static bool pat_read(struct vcpu *v, uint32_t msr, uint64_t *value) { (void)msr; *value = v->arch.pat; return true; }

static bool pat_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)msr;
    if (!pat_valid(value))
        return false;
    v->arch.pat = value;
    x86_vcpu_backend()->set_pat(v, value);
    return true;
}

static bool tsc_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)msr;
    *value = rdtsc() + (uint64_t)v->arch.tsc_offset;
    return true;
}

/* The guest's TSC moves by delta: the offset, and IA32_TSC_ADJUST with it (SDM Vol. 3B, 17.17.3). */
static void tsc_move(struct vcpu *v, int64_t delta)
{
    v->arch.tsc_offset += delta;
    v->arch.msrs.tsc_adjust += delta;
    x86_vcpu_backend()->set_tsc_offset(v, v->arch.tsc_offset);
    kvmclock_tsc_offset_changed(v);
}

static bool tsc_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)msr;
    tsc_move(v, (int64_t)(value - (rdtsc() + (uint64_t)v->arch.tsc_offset)));
    return true;
}

static bool tsc_adjust_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)msr;
    *value = (uint64_t)v->arch.msrs.tsc_adjust;
    return true;
}

static bool tsc_adjust_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)msr;
    tsc_move(v, (int64_t)(value - (uint64_t)v->arch.msrs.tsc_adjust));
    return true;
}

static bool tsc_aux_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)msr;
    *value = v->arch.msrs.tsc_aux;
    return true;
}

/* Bits 63:32 are reserved on Intel (#GP); AMD CPUs ignore them: as KVM, by the guest's vendor. The pCPU's
 * MSR gets it before the next entry (tsc.c), for RDTSCP and RDPID. */
static bool tsc_aux_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)msr;
    if ((value >> 32) && x86_guest_vendor(v->vm) == X86_VENDOR_INTEL)
        return false;
    v->arch.msrs.tsc_aux = (uint32_t)value;
    return true;
}

/* Virtual only: a guest write never reaches the real IA32_APIC_BASE (FACTS: QEMU and Bochs cannot
 * re-enable an xAPIC whose enable bit was cleared); vlapic.c checks the mode transitions. */
static bool apic_base_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)msr;
    *value = v->arch.apic_base;
    return true;
}

static bool apic_base_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)msr;
    return vlapic_apic_base_write(v, value);
}

static bool misc_enable_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)msr;
    *value = v->arch.msrs.misc_enable;
    return true;
}

static bool misc_enable_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)msr;
    uint64_t old = v->arch.msrs.misc_enable;
    if ((old ^ value) & MISC_ENABLE_RO)
        return false;
    v->arch.msrs.misc_enable = (value & ~MISC_ENABLE_EMON) | (old & MISC_ENABLE_EMON);
    return true;
}

static bool mcg_cap_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)v; (void)msr;
    *value = MCG_CAP_VALUE;
    return true;
}

static bool mcg_status_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)msr;
    *value = v->arch.msrs.mcg_status;
    return true;
}

static bool mcg_status_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)msr;
    v->arch.msrs.mcg_status = value;
    return true;
}

static bool hwcr_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)msr;
    *value = v->arch.msrs.hwcr;
    return true;
}

static bool hwcr_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)msr;
    value &= ~HWCR_IGNORED;
    if (value & ~HWCR_MCSTATUSWREN)
        return false;
    v->arch.msrs.hwcr = value;
    return true;
}

static bool de_cfg_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)msr;
    *value = v->arch.msrs.de_cfg;
    return true;
}

static bool de_cfg_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)msr;
    if (value & ~DE_CFG_LFENCE_SERIALIZE)
        return false;
    v->arch.msrs.de_cfg = value;
    return true;
}

/* MSR_MISC_FEATURES_ENABLES (SDM Vol. 4, table 2-12): no CPUID faulting, no ring-3 MWAIT (PLATFORM_INFO
 * offers neither), so only 0 may be written, as KVM without those features. */
static bool zero_write_only(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)v; (void)msr;
    return value == 0;
}

static bool feature_control_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)msr;
    *value = FEATURE_CONTROL_LOCKED | (x86_nested_vmx(v->vm) ? FEATURE_CONTROL_VMX_OUTSIDE_SMX : 0);
    return true;
}

bool x86_nested_vmx_msr_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    return x86_nested_vmx(v->vm) && nested_vmx_cap_msr(x86_vmx_host_msr, msr, value);
}

/* IA32_VMX_BASIC .. IA32_VMX_VMFUNC: only with nested VMX, read-only (SDM Vol. 3D, appendix A). */
static bool vmx_cap_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    return x86_nested_vmx_msr_read(v, msr, value);
}

static bool vlapic_read(struct vcpu *v, uint32_t msr, uint64_t *value) { return vlapic_msr_read(v, msr, value); }
static bool vlapic_write(struct vcpu *v, uint32_t msr, uint64_t value) { return vlapic_msr_write(v, msr, value); }
static bool zero_read(struct vcpu *v, uint32_t msr, uint64_t *value) { (void)v; (void)msr; *value = 0; return true; }
/* smm.c: SMIs taken since reset; SMBASE, readable in SMM only (#GP outside). */
static bool smm_read(struct vcpu *v, uint32_t msr, uint64_t *value) { return x86_smm_msr_read(v, msr, value); }
static bool ignore_write(struct vcpu *v, uint32_t msr, uint64_t value) { (void)v; (void)msr; (void)value; return true; }

#define INTEL X86_VENDOR_INTEL
#define AMD   X86_VENDOR_AMD
#define ANY   X86_VENDOR_ANY
/* Switched by VMRUN/VMLOAD/VMSAVE or VM entry/exit, or live in hardware and never used by the
 * hypervisor (no SYSCALL, SYSENTER or SWAPGS in it): never intercepted (x86_msr_passthrough). */
#define BACKEND NULL, NULL, true

static const struct msr_row {
    uint32_t first, last;
    uint8_t vendors;           /* X86_VENDOR_* whose guests have it; others #GP */
    msr_read_fn read;          /* NULL: reads raise #GP */
    msr_write_fn write;        /* NULL: writes raise #GP */
    bool backend;              /* guest state in the VMCB / VMCS: the access never reaches msr.c */
} msr_table[] = {
    { MSR_IA32_TSC, MSR_IA32_TSC, ANY, tsc_read, tsc_write, false },
    { MSR_IA32_TSC_ADJUST, MSR_IA32_TSC_ADJUST, ANY, tsc_adjust_read, tsc_adjust_write, false },
    { MSR_TSC_AUX, MSR_TSC_AUX, ANY, tsc_aux_read, tsc_aux_write, false },
    { MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME, ANY, kvmclock_msr_read, kvmclock_msr_write, false },
    { MSR_IA32_PLATFORM_ID, MSR_IA32_PLATFORM_ID, ANY, zero_read, NULL, false },
    { MSR_IA32_APIC_BASE, MSR_IA32_APIC_BASE, ANY, apic_base_read, apic_base_write, false },
    { MSR_IA32_FEATURE_CONTROL, MSR_IA32_FEATURE_CONTROL, INTEL, feature_control_read, NULL, false },
    { 0x480, 0x491, INTEL, vmx_cap_read, NULL, false },                         /* nested VMX (nested_caps.c) */
    { MSR_SMI_COUNT, MSR_SMI_COUNT, INTEL, smm_read, NULL, false },
    { MSR_IA32_SMBASE, MSR_IA32_SMBASE, INTEL, smm_read, NULL, false },
    { MSR_IA32_BIOS_SIGN_ID, MSR_IA32_BIOS_SIGN_ID, ANY, zero_read, ignore_write, false },   /* no microcode */
    /* Intel's first two counters: accepted and read as 0, as KVM with no architectural PMU (leaf 0xA) */
    { MSR_IA32_PMC0, MSR_IA32_PMC1, ANY, zero_read, ignore_write, false },
    { MSR_PLATFORM_INFO, MSR_PLATFORM_INFO, INTEL, zero_read, NULL, false },   /* no CPUID faulting */
    { MSR_MISC_FEATURES_ENABLES, MSR_MISC_FEATURES_ENABLES, INTEL, zero_read, zero_write_only, false },
    { 0x174, 0x176, ANY, BACKEND },                                             /* SYSENTER_CS/ESP/EIP */
    { MSR_IA32_MCG_CAP, MSR_IA32_MCG_CAP, ANY, mcg_cap_read, NULL, false },
    { MSR_IA32_MCG_STATUS, MSR_IA32_MCG_STATUS, ANY, mcg_status_read, mcg_status_write, false },
    { MSR_IA32_PERFEVTSEL0, MSR_IA32_PERFEVTSEL1, ANY, zero_read, ignore_write, false },
    { MSR_IA32_MISC_ENABLE, MSR_IA32_MISC_ENABLE, ANY, misc_enable_read, misc_enable_write, false },
    { MSR_IA32_PAT, MSR_IA32_PAT, ANY, pat_read, pat_write, false },
    { MSR_IA32_TSC_DEADLINE, MSR_IA32_TSC_DEADLINE, ANY, vlapic_read, vlapic_write, false },
    { MSR_X2APIC_FIRST, MSR_X2APIC_LAST, ANY, vlapic_read, vlapic_write, false },   /* vlapic.c decides */
    { MSR_IA32_EFER, MSR_IA32_EFER, ANY, efer_read, efer_write, false },
    { 0xC0000081, 0xC0000084, ANY, BACKEND },                                   /* STAR, LSTAR, CSTAR, SFMASK */
    { 0xC0000100, 0xC0000102, ANY, BACKEND },                                   /* FS/GS base, KernelGSbase */
    /* AMD's legacy counters: no virtual PMU on x86, so KVM's answer without one (enable_pmu=0):
     * accepted, read 0. Linux then finds no PMU ("not available due to virtualization") and uses
     * no counter, which RDPMC's #GP (guest.c) would break. */
    { MSR_K7_EVNTSEL0, MSR_K7_PERFCTR3, ANY, zero_read, ignore_write, false },
    { MSR_K7_HWCR, MSR_K7_HWCR, AMD, hwcr_read, hwcr_write, false },
    { MSR_K8_INT_PENDING_MSG, MSR_K8_INT_PENDING_MSG, AMD, zero_read, ignore_write, false },  /* as KVM */
    { MSR_AMD64_NB_CFG, MSR_AMD64_NB_CFG, AMD, zero_read, ignore_write, false },
    { MSR_AMD64_DC_CFG, MSR_AMD64_DC_CFG, AMD, zero_read, ignore_write, false },
    { MSR_AMD64_DE_CFG, MSR_AMD64_DE_CFG, AMD, de_cfg_read, de_cfg_write, false },
    { MSR_AMD64_BU_CFG2, MSR_AMD64_BU_CFG2, AMD, zero_read, ignore_write, false },
    /* KVM's paravirtual clock at its newer numbers (kvmclock.c; CPUID 0x40000101) */
    { MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_SYSTEM_TIME_NEW, ANY, kvmclock_msr_read, kvmclock_msr_write, false },
};

#define MSR_TABLE_COUNT (sizeof(msr_table) / sizeof(msr_table[0]))

void x86_msr_passthrough(void (*pass)(void *ctx, uint32_t msr), void *ctx)
{
    for (size_t i = 0; i < MSR_TABLE_COUNT; i++)
        for (uint32_t m = msr_table[i].first; msr_table[i].backend && m <= msr_table[i].last; m++)
            pass(ctx, m);
}

static const struct msr_row *msr_find(enum x86_vendor vendor, uint32_t msr)
{
    for (size_t i = 0; i < MSR_TABLE_COUNT; i++)
        if (msr >= msr_table[i].first && msr <= msr_table[i].last && (msr_table[i].vendors & vendor))
            return &msr_table[i];
    return NULL;
}

enum x86_msr_owner x86_msr_owner(enum x86_vendor vendor, uint32_t msr)
{
    const struct msr_row *r = msr_find(vendor, msr);
    return !r ? X86_MSR_NONE : r->backend ? X86_MSR_BACKEND : X86_MSR_EMULATED;
}

void x86_msr_reset(struct vcpu *vcpu)
{
    vcpu->arch.apic_base = APIC_BASE_DEFAULT | APIC_BASE_EN | (vcpu->id == 0 ? APIC_BASE_BSP : 0);
    vcpu->arch.pat = PAT_RESET;
    vcpu->arch.tsc_offset = 0;
    vcpu->arch.msrs = (struct x86_msrs){ .misc_enable = MISC_ENABLE_RESET };
}

bool x86_msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value)
{
    const struct msr_row *r = msr_find(x86_guest_vendor(vcpu->vm), msr);
    return r && r->read && r->read(vcpu, msr, value);
}

bool x86_msr_write(struct vcpu *vcpu, uint32_t msr, uint64_t value)
{
    const struct msr_row *r = msr_find(x86_guest_vendor(vcpu->vm), msr);
    return r && r->write && r->write(vcpu, msr, value);
}
