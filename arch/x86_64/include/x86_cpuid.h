/* x86_cpuid.h: the CPUID and MSR policy as data (cpuid.c, msr.c): the CPU vendor a VM sees, the table
 * of every feature flag it can see with the MSRs that flag brings, and which MSRs are handled, so a host
 * test can hold the two tables together (tests/unit/test_x86_cpuid_msr.c). */
#ifndef X86_CPUID_H
#define X86_CPUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

/* The vendor CPUID leaf 0 names: hv.cfg 'cpuid_vendor', or the host's (AMD and Hygon count as AMD). */
enum x86_vendor { X86_VENDOR_INTEL = 1, X86_VENDOR_AMD = 2 };
#define X86_VENDOR_ANY (X86_VENDOR_INTEL | X86_VENDOR_AMD)
enum x86_vendor x86_guest_vendor(const struct vm *vm);

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* Where a flag's value comes from. */
enum cpuid_source {
    CPUID_HOST,       /* shown when the host CPU has it: the hardware does it with no hypervisor state */
    CPUID_ALWAYS,     /* emulated by the hypervisor: shown whatever the host has */
    CPUID_COMPUTED,   /* follows the vCPU's state (cpuid.c computes it per request) */
};

/* One feature flag the guest can see. Every flag without a row reads 0. */
struct cpuid_flag {
    uint32_t leaf, subleaf;
    uint8_t reg;                 /* enum cpuid_reg */
    uint8_t bit;
    uint8_t source;              /* enum cpuid_source */
    uint8_t vendors;             /* X86_VENDOR_* that show it */
    uint32_t msr_first, msr_last;   /* the MSRs the feature brings; 0, 0: none */
    const char *name, *why;
};

const struct cpuid_flag *x86_cpuid_flags(size_t *count);

/* Who answers a guest RDMSR/WRMSR of msr for a guest of vendor v. */
enum x86_msr_owner {
    X86_MSR_NONE,       /* nobody: #GP(0) */
    X86_MSR_EMULATED,   /* a row of msr.c's table (or the virtual LAPIC's range) */
    X86_MSR_BACKEND,    /* guest state the VMCB / VMCS switches, never intercepted (svm.c, vmx.c) */
};
enum x86_msr_owner x86_msr_owner(enum x86_vendor v, uint32_t msr);

/* XCR0 state components (SDM Vol. 1, 13.1) the hypervisor switches: the guest may enable these. */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_YMM (1ull << 2)
uint64_t x86_xcr0_supported(void);
bool x86_xsetbv_valid(uint32_t index, uint64_t value, uint64_t supported);

#endif
