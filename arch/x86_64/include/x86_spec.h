/* x86_spec.h: speculative-execution hygiene at the guest boundary (spec.c), decided once from what the
 * CPU reports. The decision is pure (tests/unit/test_x86_spec.c); the world switches fill the RSB. */
#ifndef X86_SPEC_H
#define X86_SPEC_H

#include <stdbool.h>
#include <stdint.h>

#define CPUID_7_EDX_MD_CLEAR   (1u << 10)
#define CPUID_7_EDX_IBRS_IBPB  (1u << 26)
#define CPUID_7_EDX_L1D_FLUSH  (1u << 28)
#define CPUID_7_EDX_ARCH_CAPS  (1u << 29)
#define CPUID_80000008_EBX_IBPB (1u << 12)
#define ARCH_CAP_RDCL_NO       (1ull << 0)     /* not affected by L1TF / Meltdown */
#define ARCH_CAP_SKIP_L1DFL_VMENTRY (1ull << 3)
#define ARCH_CAP_MDS_NO        (1ull << 5)

struct x86_spec_cpu {            /* what the CPU reports */
    bool vmx;                    /* the VMX backend (L1TF is a VMX-only concern) */
    uint32_t cpuid7_edx, cpuid80000008_ebx;
    uint64_t arch_caps;          /* IA32_ARCH_CAPABILITIES, 0 when CPUID does not list it */
};

struct x86_spec_policy {
    bool rsb_fill;               /* always: the world switches refill the return stack buffer */
    bool ibpb;                   /* barrier when a pCPU starts another VM's vCPU */
    bool verw;                   /* VERW clears the CPU buffers before each VM entry (MDS) */
    bool l1d_flush;              /* IA32_FLUSH_CMD before each VM entry (L1TF; implies the VERW) */
};

struct x86_spec_policy x86_spec_decide(const struct x86_spec_cpu *cpu);

/* spec.c, the hypervisor side: once on CPU 0 (prints the policy), before each VM entry, and when a
 * pCPU switches to a vCPU of another VM. */
void x86_spec_init(bool vmx);
void x86_spec_vm_entry(void);
void x86_spec_vm_switch(uint32_t cpu, uint32_t vm_id);

#endif
