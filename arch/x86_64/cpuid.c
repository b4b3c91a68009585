/* cpuid.c: the CPUID policy: the host's values filtered to what the hypervisor virtualizes, one row per
 * leaf (Intel SDM Vol. 2A "CPUID"; AMD APM Vol. 3, appendix E). Leaves without a row read as zero. */
#include <string.h>
#include "x86.h"
#include "x86_vcpu.h"

enum { EAX, EBX, ECX, EDX };

#define MAX_BASIC_LEAF      0x7u
#define MAX_EXTENDED_LEAF   0x80000008u
#define HV_LEAF_BASE        0x40000000u
#define HV_LEAF_MAX         0x40000001u

/* Leaf 1 (SDM Vol. 2A, table 3-10 and 3-11). */
#define L1_ECX_HIDE ((1u << 2) /* DTES64 */ | (1u << 3) /* MONITOR */ | (1u << 4) /* DS-CPL */ | \
                     (1u << 5) /* VMX */ | (1u << 6) /* SMX */ | (1u << 7) /* EIST */ | (1u << 8) /* TM2 */ | \
                     (1u << 15) /* PDCM */ | (1u << 18) /* DCA */ | (1u << 26) /* XSAVE */ | \
                     (1u << 27) /* OSXSAVE */ | (1u << 28) /* AVX: needs XSAVE */ | (1u << 12) /* FMA */ | \
                     (1u << 29) /* F16C */)
#define L1_ECX_HYPERVISOR (1u << 31)
/* Emulated by vlapic.c whatever the host has: x2APIC (21) and the TSC-deadline timer (24). */
#define L1_ECX_EMULATED ((1u << 21) | (1u << 24))
#define L1_EDX_APIC (1u << 9)
#define L1_EDX_HIDE ((1u << 12) /* MTRR: no MTRR MSRs */ | (1u << 14) /* MCA */ | (1u << 7) /* MCE */ | \
                     (1u << 21) /* DS */ | (1u << 22) /* ACPI thermal MSRs */ | (1u << 29) /* TM */ | \
                     (1u << 31) /* PBE */ | (1u << 28) /* HTT */)
/* Leaf 7.0 EBX: only instruction-set extensions that need no hypervisor state. */
#define L7_EBX_KEEP ((1u << 0) /* FSGSBASE */ | (1u << 3) /* BMI1 */ | (1u << 7) /* SMEP */ | \
                     (1u << 8) /* BMI2 */ | (1u << 9) /* ERMS */ | (1u << 18) /* RDSEED */ | (1u << 19) /* ADX */ | \
                     (1u << 20) /* SMAP */ | (1u << 23) /* CLFLUSHOPT */ | (1u << 24) /* CLWB */)
/* 0x80000001 ECX (APM Vol. 3, E.4.2): hide SVM, the extended APIC space, SKINIT, watchdog, IBS, LWP,
 * core performance counters, MONITORX. */
#define E1_ECX_HIDE ((1u << 2) | (1u << 3) | (1u << 10) | (1u << 12) | (1u << 13) | (1u << 15) | \
                     (1u << 23) | (1u << 29))

typedef void (*cpuid_fn)(struct vcpu *vcpu, uint32_t subleaf, uint32_t r[4]);

static void leaf_0(struct vcpu *vcpu, uint32_t subleaf, uint32_t r[4])
{
    (void)vcpu; (void)subleaf;
    if (r[EAX] > MAX_BASIC_LEAF)
        r[EAX] = MAX_BASIC_LEAF;
}

static void leaf_1(struct vcpu *vcpu, uint32_t subleaf, uint32_t r[4])
{
    (void)subleaf;
    /* EBX: initial APIC ID in 31:24 = the vCPU index, CLFLUSH size in 15:8 kept. */
    r[EBX] = (r[EBX] & 0x0000FF00u) | vcpu->id << 24;
    r[ECX] = (r[ECX] & ~L1_ECX_HIDE) | L1_ECX_HYPERVISOR | L1_ECX_EMULATED;
    r[EDX] = (r[EDX] & ~L1_EDX_HIDE) | L1_EDX_APIC;
}

static void leaf_7(struct vcpu *vcpu, uint32_t subleaf, uint32_t r[4])
{
    (void)vcpu;
    if (subleaf != 0) {
        r[EAX] = r[EBX] = r[ECX] = r[EDX] = 0;
        return;
    }
    r[EAX] = 0;                       /* no further subleaves */
    r[EBX] &= L7_EBX_KEEP;
    r[ECX] = r[EDX] = 0;
}

static void leaf_passthrough(struct vcpu *vcpu, uint32_t subleaf, uint32_t r[4])
{
    (void)vcpu; (void)subleaf; (void)r;
}

/* 0x40000000: the hypervisor range: the highest leaf and the signature "hvhypervisor". */
static void leaf_hv(struct vcpu *vcpu, uint32_t subleaf, uint32_t r[4])
{
    (void)vcpu; (void)subleaf;
    r[EAX] = HV_LEAF_MAX;
    memcpy(&r[EBX], "hvhy", 4);
    memcpy(&r[ECX], "perv", 4);
    memcpy(&r[EDX], "isor", 4);
}

static void leaf_hv_features(struct vcpu *vcpu, uint32_t subleaf, uint32_t r[4])
{
    (void)vcpu; (void)subleaf;
    r[EAX] = r[EBX] = r[ECX] = r[EDX] = 0;   /* no paravirtual features yet */
}

static void leaf_ext_max(struct vcpu *vcpu, uint32_t subleaf, uint32_t r[4])
{
    (void)vcpu; (void)subleaf;
    if (r[EAX] > MAX_EXTENDED_LEAF)
        r[EAX] = MAX_EXTENDED_LEAF;
}

static void leaf_ext_features(struct vcpu *vcpu, uint32_t subleaf, uint32_t r[4])
{
    (void)vcpu; (void)subleaf;
    r[ECX] &= ~E1_ECX_HIDE;
}

/* 0x80000007: only the invariant-TSC bit (EDX 8). */
static void leaf_ext_power(struct vcpu *vcpu, uint32_t subleaf, uint32_t r[4])
{
    (void)vcpu; (void)subleaf;
    r[EAX] = r[EBX] = r[ECX] = 0;
    r[EDX] &= 1u << 8;
}

/* 0x80000008: address sizes kept; core counts and AMD feature IDs hidden. */
static void leaf_ext_sizes(struct vcpu *vcpu, uint32_t subleaf, uint32_t r[4])
{
    (void)subleaf;
    r[EAX] &= 0xFFFFu;
    r[EBX] = 0;
    r[ECX] = vcpu->vm->vcpu_count - 1;
    r[EDX] = 0;
}

static const struct {
    uint32_t leaf;
    cpuid_fn fn;
} cpuid_table[] = {
    { 0x00000000, leaf_0 },
    { 0x00000001, leaf_1 },
    { 0x00000002, leaf_passthrough },     /* cache and TLB descriptors */
    { 0x00000004, leaf_passthrough },     /* deterministic cache parameters */
    { 0x00000007, leaf_7 },
    /* 0x5 MONITOR, 0x6 power, 0xA PMU, 0xB topology, 0xD XSAVE: no row, zero */
    { HV_LEAF_BASE, leaf_hv },
    { HV_LEAF_MAX, leaf_hv_features },
    { 0x80000000, leaf_ext_max },
    { 0x80000001, leaf_ext_features },
    { 0x80000002, leaf_passthrough },     /* brand string */
    { 0x80000003, leaf_passthrough },
    { 0x80000004, leaf_passthrough },
    { 0x80000005, leaf_passthrough },     /* L1 cache and TLB */
    { 0x80000006, leaf_passthrough },     /* L2/L3 cache */
    { 0x80000007, leaf_ext_power },
    { 0x80000008, leaf_ext_sizes },
};

void x86_cpuid_policy(struct vcpu *vcpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    out[EAX] = out[EBX] = out[ECX] = out[EDX] = 0;
    for (size_t i = 0; i < sizeof(cpuid_table) / sizeof(cpuid_table[0]); i++) {
        if (cpuid_table[i].leaf != leaf)
            continue;
        if (leaf < HV_LEAF_BASE || leaf >= 0x80000000u) {
            struct cpuid_regs h = cpuid(leaf, subleaf);
            out[EAX] = h.eax;
            out[EBX] = h.ebx;
            out[ECX] = h.ecx;
            out[EDX] = h.edx;
        }
        cpuid_table[i].fn(vcpu, subleaf, out);
        return;
    }
}
