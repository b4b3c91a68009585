/* cpuid.c: the CPUID a guest sees, built from what the hypervisor emulates (Intel SDM Vol. 2A "CPUID";
 * AMD APM Vol. 3, appendix E). Feature flags are data: one row of cpuid_flags[] per flag the guest can
 * see, with its reason and the MSRs it brings (msr.c handles them; tests/unit/test_x86_cpuid_msr.c checks
 * that); every other flag reads 0. The other fields (vendor, signature, APIC IDs, topology, cache
 * geometry) are filled per leaf by cpuid_leaves[]. Leaves without a row read as zero. */
#include <string.h>
#include "x86.h"
#include "x86_cpuid.h"
#include "x86_vcpu.h"
#include "x86_regs.h"

/* Host tests supply the host's CPUID (tests/unit/fake_x86.c). */
#ifdef HV_FAKE_CPUID
struct cpuid_regs fake_host_cpuid(uint32_t leaf, uint32_t subleaf);
#define host_cpuid fake_host_cpuid
#else
#define host_cpuid cpuid
#endif

enum { EAX = CPUID_EAX, EBX = CPUID_EBX, ECX = CPUID_ECX, EDX = CPUID_EDX };
#define INTEL X86_VENDOR_INTEL
#define AMD   X86_VENDOR_AMD
#define ANY   X86_VENDOR_ANY
#define HOST  CPUID_HOST
#define ALWAYS CPUID_ALWAYS
#define COMPUTED CPUID_COMPUTED

#define MAX_BASIC_LEAF      0xDu          /* through the XSAVE leaf */
#define MAX_EXTENDED_LEAF   0x80000008u
#define HV_LEAF_BASE        0x40000000u
#define HV_LEAF_MAX         0x40000001u
#define L1_EDX_APIC_BIT     9
#define L1_EDX_HTT_BIT      28
#define L1_ECX_VMX_BIT      5
#define E1_ECX_CMP_LEGACY_BIT 1
#define APIC_BASE_EN        (1ull << 11)
#define L1_ECX_XSAVE_BIT    26
#define L1_ECX_OSXSAVE_BIT  27
/* XSAVE state components (SDM Vol. 1, 13.1): offset and size of AVX's in the standard form (13.4.3). */
#define XSAVE_LEGACY_AND_HEADER 576u
#define XSAVE_AVX_BYTES         256u

/* Instruction-set extensions need no hypervisor state: the guest runs them natively ("isa"). */
#define ISA "instruction set: runs natively, no hypervisor state"
static const struct cpuid_flag cpuid_flags[] = {
    /* leaf 1 ECX (SDM Vol. 2A, table 3-10) */
    { 1, 0, ECX, 0, HOST, ANY, 0, 0, "SSE3", ISA },
    { 1, 0, ECX, 1, HOST, ANY, 0, 0, "PCLMULQDQ", ISA },
    { 1, 0, ECX, 9, HOST, ANY, 0, 0, "SSSE3", ISA },
    { 1, 0, ECX, 5, COMPUTED, INTEL, 0x480, 0x491, "VMX",
      "with 'nested = vmx' on a VMX host: vmx/nested.c emulates VMX operation, msr.c the capability MSRs" },
    { 1, 0, ECX, 13, HOST, ANY, 0, 0, "CMPXCHG16B", ISA },
    { 1, 0, ECX, 17, HOST, ANY, 0, 0, "PCID", "CR4.PCIDE is guest state in the VMCB / VMCS" },
    { 1, 0, ECX, 19, HOST, ANY, 0, 0, "SSE4.1", ISA },
    { 1, 0, ECX, 20, HOST, ANY, 0, 0, "SSE4.2", ISA },
    { 1, 0, ECX, 21, ALWAYS, ANY, 0x800, 0x8FF, "x2APIC", "vlapic.c emulates the x2APIC MSRs" },
    { 1, 0, ECX, 22, HOST, ANY, 0, 0, "MOVBE", ISA },
    { 1, 0, ECX, 23, HOST, ANY, 0, 0, "POPCNT", ISA },
    { 1, 0, ECX, 24, ALWAYS, ANY, 0x6E0, 0x6E0, "TSC-deadline", "vlapic.c emulates IA32_TSC_DEADLINE" },
    { 1, 0, ECX, 12, COMPUTED, ANY, 0, 0, "FMA", "AVX state: host's, with YMM in the guest's XCR0 mask" },
    { 1, 0, ECX, 25, HOST, ANY, 0, 0, "AES", ISA },
    { 1, 0, ECX, L1_ECX_XSAVE_BIT, COMPUTED, ANY, 0, 0, "XSAVE",
      "fpu.c switches XCR0 and the XSAVE image; XSETBV is intercepted and checked (guest.c)" },
    { 1, 0, ECX, L1_ECX_OSXSAVE_BIT, COMPUTED, ANY, 0, 0, "OSXSAVE", "mirrors the guest's CR4.OSXSAVE" },
    { 1, 0, ECX, 28, COMPUTED, ANY, 0, 0, "AVX", "YMM state is an XCR0 component fpu.c switches" },
    { 1, 0, ECX, 29, COMPUTED, ANY, 0, 0, "F16C", "AVX state, as AVX" },
    { 1, 0, ECX, 30, HOST, ANY, 0, 0, "RDRAND", ISA },
    { 1, 0, ECX, 31, ALWAYS, ANY, 0, 0, "hypervisor", "the guest runs under a hypervisor (leaf 0x40000000)" },
    /* leaf 1 EDX (table 3-11) */
    { 1, 0, EDX, 0, HOST, ANY, 0, 0, "FPU", "x87 state is switched by fpu.c" },
    { 1, 0, EDX, 1, HOST, ANY, 0, 0, "VME", "CR4.VME is guest state" },
    { 1, 0, EDX, 2, HOST, ANY, 0, 0, "DE", "CR4.DE is guest state" },
    { 1, 0, EDX, 3, HOST, ANY, 0, 0, "PSE", "guest paging runs natively under NPT / EPT" },
    { 1, 0, EDX, 4, HOST, ANY, 0x10, 0x10, "TSC", "RDTSC runs natively with the TSC offset; msr.c has IA32_TSC" },
    { 1, 0, EDX, 5, ALWAYS, ANY, 0, 0, "MSR", "RDMSR/WRMSR are intercepted and answered by msr.c" },
    { 1, 0, EDX, 6, HOST, ANY, 0, 0, "PAE", "guest paging runs natively" },
    { 1, 0, EDX, 7, HOST, ANY, 0, 0, "MCE", "CR4.MCE is guest state; no #MC is ever injected" },
    { 1, 0, EDX, 8, HOST, ANY, 0, 0, "CX8", ISA },
    { 1, 0, EDX, L1_EDX_APIC_BIT, COMPUTED, ANY, 0x1B, 0x1B, "APIC",
      "follows IA32_APIC_BASE.EN, as KVM: 0 while the guest has its xAPIC disabled" },
    { 1, 0, EDX, 11, HOST, ANY, 0x174, 0x176, "SEP", "SYSENTER MSRs are VMCB / VMCS state" },
    { 1, 0, EDX, 13, HOST, ANY, 0, 0, "PGE", "CR4.PGE is guest state" },
    { 1, 0, EDX, 14, HOST, ANY, 0x179, 0x17A, "MCA", "msr.c: MCG_CAP with no banks, MCG_STATUS" },
    { 1, 0, EDX, 15, HOST, ANY, 0, 0, "CMOV", ISA },
    { 1, 0, EDX, 16, HOST, ANY, 0x277, 0x277, "PAT", "msr.c: IA32_PAT, given to the VMCB / VMCS" },
    { 1, 0, EDX, 17, HOST, ANY, 0, 0, "PSE-36", "guest paging runs natively" },
    { 1, 0, EDX, 19, HOST, ANY, 0, 0, "CLFSH", ISA },
    { 1, 0, EDX, 23, HOST, ANY, 0, 0, "MMX", ISA },
    { 1, 0, EDX, 24, HOST, ANY, 0, 0, "FXSR", "FXSAVE state is switched by fpu.c" },
    { 1, 0, EDX, 25, HOST, ANY, 0, 0, "SSE", ISA },
    { 1, 0, EDX, 26, HOST, ANY, 0, 0, "SSE2", ISA },
    { 1, 0, EDX, 27, HOST, ANY, 0, 0, "SS", "self snoop: a cache property" },
    { 1, 0, EDX, L1_EDX_HTT_BIT, COMPUTED, ANY, 0, 0, "HTT",
      "set with more than one vCPU: EBX[23:16] counts the package's logical processor IDs" },
    /* leaf 7.0 EBX (table 3-8) */
    { 7, 0, EBX, 0, HOST, ANY, 0, 0, "FSGSBASE", "CR4.FSGSBASE is guest state" },
    { 7, 0, EBX, 1, ALWAYS, ANY, 0x3B, 0x3B, "TSC_ADJUST", "msr.c: IA32_TSC_ADJUST follows IA32_TSC writes" },
    { 7, 0, EBX, 5, COMPUTED, ANY, 0, 0, "AVX2", "AVX state, as AVX" },
    { 7, 0, EBX, 3, HOST, ANY, 0, 0, "BMI1", ISA },
    { 7, 0, EBX, 7, HOST, ANY, 0, 0, "SMEP", "CR4.SMEP is guest state" },
    { 7, 0, EBX, 8, HOST, ANY, 0, 0, "BMI2", ISA },
    { 7, 0, EBX, 9, HOST, ANY, 0, 0, "ERMS", ISA },
    { 7, 0, EBX, 18, HOST, ANY, 0, 0, "RDSEED", ISA },
    { 7, 0, EBX, 19, HOST, ANY, 0, 0, "ADX", ISA },
    { 7, 0, EBX, 20, HOST, ANY, 0, 0, "SMAP", "CR4.SMAP is guest state" },
    { 7, 0, EBX, 23, HOST, ANY, 0, 0, "CLFLUSHOPT", ISA },
    { 7, 0, EBX, 24, HOST, ANY, 0, 0, "CLWB", ISA },
    /* leaf 7.0 ECX */
    { 7, 0, ECX, 22, HOST, ANY, 0xC0000103, 0xC0000103, "RDPID", "reads IA32_TSC_AUX, the guest's (msr.c)" },
    /* leaf 0xD.1 EAX (SDM Vol. 2A, CPUID leaf 0DH) */
    { 0xD, 1, EAX, 0, HOST, ANY, 0, 0, "XSAVEOPT", "runs natively on the guest's XCR0" },
    /* 0x80000001 ECX (APM Vol. 3, E.4.2) */
    { 0x80000001, 0, ECX, 0, HOST, ANY, 0, 0, "LAHF/SAHF", ISA },
    { 0x80000001, 0, ECX, E1_ECX_CMP_LEGACY_BIT, COMPUTED, AMD, 0, 0, "CmpLegacy",
      "set with more than one vCPU: cores, not threads (0x80000008 ECX)" },
    { 0x80000001, 0, ECX, 5, HOST, ANY, 0, 0, "ABM/LZCNT", ISA },
    { 0x80000001, 0, ECX, 6, HOST, AMD, 0, 0, "SSE4A", ISA },
    { 0x80000001, 0, ECX, 7, HOST, AMD, 0, 0, "MisAlignSse", ISA },
    { 0x80000001, 0, ECX, 8, HOST, ANY, 0, 0, "3DNowPrefetch/PREFETCHW", ISA },
    { 0x80000001, 0, ECX, 21, HOST, AMD, 0, 0, "TBM", ISA },
    /* 0x80000001 EDX (E.4.2): AMD repeats leaf 1's EDX flags here, Intel does not */
    { 0x80000001, 0, EDX, 0, HOST, AMD, 0, 0, "FPU", "as leaf 1" },
    { 0x80000001, 0, EDX, 1, HOST, AMD, 0, 0, "VME", "as leaf 1" },
    { 0x80000001, 0, EDX, 2, HOST, AMD, 0, 0, "DE", "as leaf 1" },
    { 0x80000001, 0, EDX, 3, HOST, AMD, 0, 0, "PSE", "as leaf 1" },
    { 0x80000001, 0, EDX, 4, HOST, AMD, 0x10, 0x10, "TSC", "as leaf 1" },
    { 0x80000001, 0, EDX, 5, ALWAYS, AMD, 0, 0, "MSR", "as leaf 1" },
    { 0x80000001, 0, EDX, 6, HOST, AMD, 0, 0, "PAE", "as leaf 1" },
    { 0x80000001, 0, EDX, 7, HOST, AMD, 0, 0, "MCE", "as leaf 1" },
    { 0x80000001, 0, EDX, 8, HOST, AMD, 0, 0, "CX8", "as leaf 1" },
    { 0x80000001, 0, EDX, L1_EDX_APIC_BIT, COMPUTED, AMD, 0x1B, 0x1B, "APIC", "as leaf 1" },
    { 0x80000001, 0, EDX, 11, HOST, ANY, 0xC0000081, 0xC0000084, "SYSCALL", "STAR/LSTAR/CSTAR/SFMASK are VMCB / VMCS state" },
    { 0x80000001, 0, EDX, 13, HOST, AMD, 0, 0, "PGE", "as leaf 1" },
    { 0x80000001, 0, EDX, 14, HOST, AMD, 0x179, 0x17A, "MCA", "as leaf 1" },
    { 0x80000001, 0, EDX, 15, HOST, AMD, 0, 0, "CMOV", "as leaf 1" },
    { 0x80000001, 0, EDX, 16, HOST, AMD, 0x277, 0x277, "PAT", "as leaf 1" },
    { 0x80000001, 0, EDX, 17, HOST, AMD, 0, 0, "PSE-36", "as leaf 1" },
    { 0x80000001, 0, EDX, 20, HOST, ANY, 0xC0000080, 0xC0000080, "NX", "msr.c: EFER.NXE" },
    { 0x80000001, 0, EDX, 22, HOST, AMD, 0, 0, "MmxExt", ISA },
    { 0x80000001, 0, EDX, 23, HOST, AMD, 0, 0, "MMX", "as leaf 1" },
    { 0x80000001, 0, EDX, 24, HOST, AMD, 0, 0, "FXSR", "as leaf 1" },
    { 0x80000001, 0, EDX, 26, HOST, ANY, 0, 0, "Page1GB", "guest paging runs natively" },
    { 0x80000001, 0, EDX, 27, HOST, ANY, 0xC0000103, 0xC0000103, "RDTSCP",
      "TSC with the offset; IA32_TSC_AUX is the guest's, loaded on entry (msr.c)" },
    { 0x80000001, 0, EDX, 29, HOST, ANY, 0xC0000080, 0xC0000080, "LM", "msr.c: EFER.LME/LMA" },
    { 0x80000001, 0, EDX, 29, HOST, ANY, 0xC0000100, 0xC0000102, "LM", "FS/GS base and KernelGSbase are VMCB / VMCS state" },
    { 0x80000001, 0, EDX, 30, HOST, AMD, 0, 0, "3DNowExt", ISA },
    { 0x80000001, 0, EDX, 31, HOST, AMD, 0, 0, "3DNow", ISA },
    /* 0x80000007 EDX (E.4.6) */
    { 0x80000007, 0, EDX, 8, HOST, ANY, 0, 0, "invariant TSC", "the guest TSC is the host TSC plus an offset" },
    /* 0x40000101 EAX: KVM's paravirtual features (Linux Documentation/virt/kvm/x86/cpuid.rst): the clock
     * only; no PV EOI, steal time, async page faults or PV unhalt */
    { X86_KVM_CPUID_BASE + 1, 0, EAX, KVM_FEATURE_CLOCKSOURCE, ALWAYS, ANY, MSR_KVM_WALL_CLOCK,
      MSR_KVM_SYSTEM_TIME, "kvmclock", "kvmclock.c: the time page and wall clock" },
    { X86_KVM_CPUID_BASE + 1, 0, EAX, KVM_FEATURE_CLOCKSOURCE2, ALWAYS, ANY, MSR_KVM_WALL_CLOCK_NEW,
      MSR_KVM_SYSTEM_TIME_NEW, "kvmclock2", "kvmclock.c, at KVM's newer MSR numbers" },
    { X86_KVM_CPUID_BASE + 1, 0, EAX, KVM_FEATURE_CLOCKSOURCE_STABLE_BIT, ALWAYS, ANY, 0, 0, "kvmclock stable",
      "every vCPU's time page describes the same line through the VM's start (kvmclock.c)" },
};
/* Deliberately absent, so they read 0 (each would #GP or misbehave): VMX without 'nested = vmx', SVM (no nested SVM),
 * MONITOR/MWAIT (intercepted), XSAVE components beyond AVX (MPX, AVX-512, PKRU, ...: the image holds
 * x87, SSE and AVX only) and XSAVEC/XSAVES (no IA32_XSS), XOP and FMA4, MTRR (no MTRR
 * MSRs), DS, ACPI thermal, TM, PBE, PDCM, xTPR, SDBG, DCA, PSN, FFXSR (EFER.FFXSR), OSVW, IBS, LWP, SKINIT, WDT, NodeId, TopologyExtensions, the
 * extended performance counters (PerfCtrExtCore: 0xC0010200.. are not emulated), DataBreakpointExtension,
 * MONITORX, the AMD extended APIC space, AltMovCr8 (CR8 is not tied to the virtual TPR). */

const struct cpuid_flag *x86_cpuid_flags(size_t *count)
{
    *count = sizeof(cpuid_flags) / sizeof(cpuid_flags[0]);
    return cpuid_flags;
}

enum x86_vendor x86_guest_vendor(const struct vm *vm)
{
    switch (vm->cfg ? vm->cfg->cpuid_vendor : CONFIG_CPUID_VENDOR_HOST) {
    case CONFIG_CPUID_VENDOR_INTEL:
        return X86_VENDOR_INTEL;
    case CONFIG_CPUID_VENDOR_AMD:
        return X86_VENDOR_AMD;
    default: {
        struct cpuid_regs r = host_cpuid(0, 0);
        /* "Auth" (AuthenticAMD) or "Hygo" (HygonGenuine) in EBX */
        return r.ebx == 0x68747541u || r.ebx == 0x6F677948u ? X86_VENDOR_AMD : X86_VENDOR_INTEL;
    }
    }
}

/* APIC IDs are the vCPU indexes (MADT, vlapic.c): one thread per core, all cores in one package. The
 * x2APIC ID's core field is this many bits wide (SDM Vol. 3A, 8.9.1). */
static uint32_t core_id_bits(const struct vcpu *v)
{
    uint32_t bits = 0;
    while ((1u << bits) < v->vm->vcpu_count)
        bits++;
    return bits;
}

/* The COMPUTED rows: the APIC flag (leaf 1 and AMD's copy) follows IA32_APIC_BASE.EN; VMX needs
 * 'nested = vmx' and a VMX host; HTT and CmpLegacy say there is more than one vCPU; XSAVE and the AVX family follow the XCR0 components fpu.c switches;
 * OSXSAVE mirrors CR4 (SDM Vol. 2A, table 3-10). */
static bool flag_on(const struct vcpu *v, const struct cpuid_flag *f, const uint32_t host[4])
{
    if (f->reg == EDX && f->bit == L1_EDX_APIC_BIT)
        return v->arch.apic_base & APIC_BASE_EN;
    if (f->leaf == 1 && f->reg == ECX && f->bit == L1_ECX_VMX_BIT)
        return x86_nested_vmx(v->vm) && (host_cpuid(1, 0).ecx >> L1_ECX_VMX_BIT & 1);
    if (f->leaf == 1 && f->reg == ECX && f->bit == L1_ECX_XSAVE_BIT)
        return x86_xcr0_supported() != 0;
    if (f->leaf == 1 && f->reg == ECX && f->bit == L1_ECX_OSXSAVE_BIT) {
        struct x86_guest_mode m = { 0 };
        x86_vcpu_backend()->get_mode((struct vcpu *)v, &m);
        return m.cr4 & CR4_OSXSAVE;
    }
    if ((f->reg == EDX && f->bit == L1_EDX_HTT_BIT) ||
        (f->leaf == 0x80000001 && f->reg == ECX && f->bit == E1_ECX_CMP_LEGACY_BIT))
        return v->vm->vcpu_count > 1;
    /* the AVX family (leaf 1 ECX, leaf 7 EBX): the host has it and YMM is switched */
    return (x86_xcr0_supported() & XCR0_YMM) && ((host[f->reg] >> f->bit) & 1);
}

/* The XCR0 components a guest may enable: x87, SSE and AVX where the host has XSAVE and them (SDM Vol. 1,
 * 13.2: CPUID.(EAX=0DH,ECX=0):EAX); 0 without XSAVE. The hypervisor runs with this XCR0 (fpu.c). */
uint64_t x86_xcr0_supported(void)
{
    if (!((host_cpuid(1, 0).ecx >> L1_ECX_XSAVE_BIT) & 1))
        return 0;
    uint64_t m = host_cpuid(0xD, 0).eax & (XCR0_X87 | XCR0_SSE | XCR0_YMM);
    return (m & (XCR0_X87 | XCR0_SSE)) == (XCR0_X87 | XCR0_SSE) ? m : 0;
}

/* XSETBV's checks (SDM Vol. 2C, XSETBV: #GP(0)): XCR0 is the only register; x87 always on; AVX only with
 * SSE; nothing the guest was not offered. CPL and CR4.OSXSAVE are the caller's. */
bool x86_xsetbv_valid(uint32_t index, uint64_t value, uint64_t supported)
{
    if (index != 0 || (value & ~supported) || !(value & XCR0_X87))
        return false;
    return !((value & XCR0_YMM) && !(value & XCR0_SSE));
}

/* Leaf 0xD (SDM Vol. 2A, CPUID leaf 0DH; Vol. 1, 13.2): subleaf 0 the components offered and the
 * standard-form sizes for the guest's XCR0 (EBX) and for all of them (ECX); subleaf 2 AVX's size and
 * offset. */
static void leaf_0d(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf, const struct cpuid_regs *h,
                    uint32_t r[4])
{
    (void)vendor; (void)h;
    uint64_t sup = x86_xcr0_supported();
    if (!sup)
        return;
    if (subleaf == 0) {
        r[EAX] = (uint32_t)sup;
        r[EBX] = XSAVE_LEGACY_AND_HEADER + ((v->arch.fpu.xcr0 & XCR0_YMM) ? XSAVE_AVX_BYTES : 0);
        r[ECX] = XSAVE_LEGACY_AND_HEADER + ((sup & XCR0_YMM) ? XSAVE_AVX_BYTES : 0);
    } else if (subleaf == 2 && (sup & XCR0_YMM)) {
        r[EAX] = XSAVE_AVX_BYTES;
        r[EBX] = XSAVE_LEGACY_AND_HEADER;
    }
}

/* The leaf functions: h is what the host CPU says, r is what the guest gets (flag registers already
 * built from cpuid_flags[]); they fill the non-flag fields. */
typedef void (*cpuid_fn)(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf,
                         const struct cpuid_regs *h, uint32_t r[4]);

static void vendor_string(enum x86_vendor vendor, uint32_t r[4])
{
    const char *s = vendor == X86_VENDOR_AMD ? "AuthenticAMD" : "GenuineIntel";
    memcpy(&r[EBX], s, 4);
    memcpy(&r[EDX], s + 4, 4);
    memcpy(&r[ECX], s + 8, 4);
}

static void leaf_0(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf, const struct cpuid_regs *h,
                   uint32_t r[4])
{
    (void)v; (void)subleaf; (void)h;
    r[EAX] = MAX_BASIC_LEAF;
    vendor_string(vendor, r);
}

/* Leaf 1: signature from the host; EBX: CLFLUSH size (15:8) from the host, addressable logical processor
 * IDs (23:16, with HTT), initial APIC ID (31:24). */
static void leaf_1(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf, const struct cpuid_regs *h,
                   uint32_t r[4])
{
    (void)vendor; (void)subleaf;
    r[EAX] = h->eax;
    r[EBX] = (h->ebx & 0x0000FF00u) | v->id << 24;
    if (v->vm->vcpu_count > 1)
        r[EBX] |= (1u << core_id_bits(v)) << 16;
}

static void leaf_host(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf, const struct cpuid_regs *h,
                      uint32_t r[4])
{
    (void)v; (void)vendor; (void)subleaf;
    r[EAX] = h->eax;
    r[EBX] = h->ebx;
    r[ECX] = h->ecx;
    r[EDX] = h->edx;
}

/* Leaf 2 (cache and TLB descriptors) and 4 (cache parameters) are Intel's; AMD CPUs answer 0. Leaf 4's
 * sharing fields describe the VM: EAX[31:26] cores per package - 1, EAX[25:14] logical processors sharing
 * the cache - 1 (one for L1/L2, the package for L3). */
static void leaf_2(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf, const struct cpuid_regs *h,
                   uint32_t r[4])
{
    if (vendor == X86_VENDOR_INTEL)
        leaf_host(v, vendor, subleaf, h, r);
}

static void leaf_4(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf, const struct cpuid_regs *h,
                   uint32_t r[4])
{
    if (vendor != X86_VENDOR_INTEL || !(h->eax & 0x1F))   /* type 0: no more caches */
        return;
    leaf_host(v, vendor, subleaf, h, r);
    uint32_t level = (h->eax >> 5) & 7, n = v->vm->vcpu_count;
    uint32_t cores = 1u << core_id_bits(v);
    r[EAX] = (h->eax & 0x3FFFu) | ((level >= 3 ? n - 1 : 0) & 0xFFFu) << 14 | ((cores - 1) & 0x3Fu) << 26;
}

/* Leaf 0xB (SDM Vol. 2A, table 3-8; Vol. 3A, 8.9.2): subleaf 0 the SMT level (one thread per core),
 * subleaf 1 the core level (every vCPU); EAX the shift to the next level's ID, EBX the logical
 * processors at this level, ECX the level number and type, EDX the x2APIC ID on every subleaf. */
static void leaf_0b(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf, const struct cpuid_regs *h,
                    uint32_t r[4])
{
    (void)vendor; (void)h;
    r[ECX] = subleaf & 0xFF;
    r[EDX] = v->id;
    if (subleaf == 0) {
        r[EAX] = 0;
        r[EBX] = 1;
        r[ECX] |= 1u << 8;                      /* SMT */
    } else if (subleaf == 1) {
        r[EAX] = core_id_bits(v);
        r[EBX] = v->vm->vcpu_count;
        r[ECX] |= 2u << 8;                      /* core */
    }
}

/* 0x40000000: the hypervisor range: the highest leaf and the signature "hvhypervisor". */
static void leaf_hv(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf, const struct cpuid_regs *h,
                    uint32_t r[4])
{
    (void)v; (void)vendor; (void)subleaf; (void)h;
    r[EAX] = HV_LEAF_MAX;
    memcpy(&r[EBX], "hvhy", 4);
    memcpy(&r[ECX], "perv", 4);
    memcpy(&r[EDX], "isor", 4);
}

/* X86_KVM_CPUID_BASE: KVM's signature, so Linux's kvm_para_available() finds the paravirtual clock; the
 * hypervisor's own signature keeps 0x40000000, where the hypercall interface is found (as KVM keeps
 * Hyper-V's there and its own at 0x40000100 when it emulates Hyper-V). */
static void leaf_kvm(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf, const struct cpuid_regs *h,
                     uint32_t r[4])
{
    (void)v; (void)vendor; (void)subleaf; (void)h;
    r[EAX] = X86_KVM_CPUID_BASE + 1;
    memcpy(&r[EBX], "KVMK", 4);
    memcpy(&r[ECX], "VMKV", 4);
    memcpy(&r[EDX], "M\0\0\0", 4);
}

static void leaf_none(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf, const struct cpuid_regs *h,
                      uint32_t r[4])
{
    (void)v; (void)vendor; (void)subleaf; (void)h; (void)r;
}

/* 0x80000000: the highest extended leaf; AMD repeats the vendor string, Intel has zeros. */
static void leaf_ext_max(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf,
                         const struct cpuid_regs *h, uint32_t r[4])
{
    (void)v; (void)subleaf; (void)h;
    r[EAX] = MAX_EXTENDED_LEAF;
    if (vendor == X86_VENDOR_AMD)
        vendor_string(vendor, r);
}

/* 0x80000001 EAX: AMD's extended signature (Intel: 0). */
static void leaf_ext_features(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf,
                              const struct cpuid_regs *h, uint32_t r[4])
{
    (void)v; (void)subleaf;
    if (vendor == X86_VENDOR_AMD)
        r[EAX] = h->eax;
}

/* 0x80000008: address sizes; AMD's ECX: NC (7:0) cores - 1, ApicIdCoreIdSize (15:12). */
static void leaf_ext_sizes(const struct vcpu *v, enum x86_vendor vendor, uint32_t subleaf,
                           const struct cpuid_regs *h, uint32_t r[4])
{
    (void)subleaf;
    r[EAX] = h->eax & 0xFFFFu;
    if (vendor == X86_VENDOR_AMD)
        r[ECX] = (v->vm->vcpu_count - 1) | core_id_bits(v) << 12;
}

static const struct {
    uint32_t leaf;
    bool host;             /* the host's values of this leaf are needed (HOST flags, or the function) */
    bool indexed;          /* ECX selects a subleaf; otherwise ECX is ignored */
    cpuid_fn fn;
} cpuid_leaves[] = {
    { 0x00000000, false, false, leaf_0 },
    { 0x00000001, true, false, leaf_1 },
    { 0x00000002, true, false, leaf_2 },
    { 0x00000004, true, true, leaf_4 },
    { 0x00000007, true, true, leaf_none },          /* flags only; EAX 0: no further subleaves */
    { 0x0000000B, false, true, leaf_0b },
    { 0x0000000D, true, true, leaf_0d },
    /* 0x5 MONITOR, 0x6 power, 0xA PMU, 0xC: no row, zero */
    { HV_LEAF_BASE, false, false, leaf_hv },
    { HV_LEAF_MAX, false, false, leaf_none },         /* no features of the hypervisor's own */
    { X86_KVM_CPUID_BASE, false, false, leaf_kvm },
    { X86_KVM_CPUID_BASE + 1, false, false, leaf_none },   /* flags only (cpuid_flags[]) */
    { 0x80000000, false, false, leaf_ext_max },
    { 0x80000001, true, false, leaf_ext_features },
    { 0x80000002, true, false, leaf_host },           /* brand string */
    { 0x80000003, true, false, leaf_host },
    { 0x80000004, true, false, leaf_host },
    { 0x80000005, true, false, leaf_host },           /* L1 cache and TLB (AMD) */
    { 0x80000006, true, false, leaf_host },           /* L2/L3 cache */
    { 0x80000007, true, false, leaf_none },
    { 0x80000008, true, false, leaf_ext_sizes },
};

void x86_cpuid_policy(struct vcpu *vcpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    out[EAX] = out[EBX] = out[ECX] = out[EDX] = 0;
    for (size_t i = 0; i < sizeof(cpuid_leaves) / sizeof(cpuid_leaves[0]); i++) {
        if (cpuid_leaves[i].leaf != leaf)
            continue;
        if (!cpuid_leaves[i].indexed)
            subleaf = 0;
        enum x86_vendor vendor = x86_guest_vendor(vcpu->vm);
        struct cpuid_regs h = { 0, 0, 0, 0 };
        if (cpuid_leaves[i].host)
            h = host_cpuid(leaf, subleaf);
        const uint32_t hr[4] = { h.eax, h.ebx, h.ecx, h.edx };
        cpuid_leaves[i].fn(vcpu, vendor, subleaf, &h, out);
        for (size_t f = 0; f < sizeof(cpuid_flags) / sizeof(cpuid_flags[0]); f++) {
            const struct cpuid_flag *c = &cpuid_flags[f];
            if (c->leaf != leaf || c->subleaf != subleaf || !(c->vendors & vendor))
                continue;
            bool on = c->source == CPUID_ALWAYS ? true
                    : c->source == CPUID_HOST   ? (hr[c->reg] >> c->bit) & 1
                                                : flag_on(vcpu, c, hr);
            if (on)
                out[c->reg] |= 1u << c->bit;
        }
        return;
    }
}
