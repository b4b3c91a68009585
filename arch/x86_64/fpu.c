/* fpu.c: lazy switching of the guest's x87/SSE state. The hypervisor's own C code never uses those
 * registers (-mgeneral-regs-only) but newlib's may (FACTS.md). While a guest's state is live in the
 * registers, the host runs with CR0.TS set, so the first x87/SSE instruction of the hypervisor raises
 * #NM (SDM Vol. 3A, 2.5 and 13.4): the handler saves the guest's state with FXSAVE and clears TS; the
 * next VM entry restores it with FXRSTOR and sets TS again.
 * Cost: nothing on exits that stay out of newlib's vector code (TS comes back set with the VMX host CR0
 * and with the CR0 SVM saved at VMRUN); one #NM, an FXSAVE, an FXRSTOR and a MOV to CR0 on those that
 * do. The guest sees no XSAVE (CPUID hides it, XSETBV is #UD), so the FXSAVE image is its whole state. */
#include <string.h>
#include "arch.h"
#include "x86.h"
#include "x86_internal.h"
#include "x86_vcpu.h"

#define CR0_TS (1ull << 3)
#define FXSAVE_FCW   0          /* FXSAVE layout (SDM Vol. 1, 10.5.1, table 10-2) */
#define FXSAVE_MXCSR 24
#define FCW_RESET    0x037Fu    /* FNINIT state (SDM Vol. 1, 8.1.x) */
#define MXCSR_RESET  0x1F80u

/* The vCPU whose state is live in this pCPU's registers, NULL when none: written by that pCPU only. */
static struct vcpu *fpu_owner[HV_MAX_CPUS];

static void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }

/* Power-up state: x87 as after FNINIT, SSE registers zero, MXCSR with every exception masked. */
void x86_fpu_reset(struct vcpu *vcpu)
{
    /* Disowned first: memset below may itself take #NM, which must not save over the new image. */
    uint32_t cpu = arch_cpu_index();
    if (fpu_owner[cpu] == vcpu)
        fpu_owner[cpu] = NULL;
    vcpu->arch.fpu.in_memory = true;
    uint8_t *a = vcpu->arch.fpu.area;
    memset(a, 0, sizeof(vcpu->arch.fpu.area));
    uint16_t fcw = FCW_RESET;
    uint32_t mxcsr = MXCSR_RESET;
    memcpy(a + FXSAVE_FCW, &fcw, sizeof(fcw));
    memcpy(a + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
}

/* Before VM entry: make the guest's state live, leave TS set for the hypervisor. */
void x86_fpu_enter(struct vcpu *vcpu)
{
    if (!vcpu->arch.fpu.in_memory)
        return;
    __asm__ volatile("clts");
    __asm__ volatile("fxrstor64 %0" :: "m"(vcpu->arch.fpu.area));
    vcpu->arch.fpu.in_memory = false;
    fpu_owner[arch_cpu_index()] = vcpu;
    write_cr0(read_cr0() | CR0_TS);
}

/* #NM in the hypervisor: save the owner's state; the registers are the hypervisor's from here on. */
void x86_fpu_nm(void)
{
    __asm__ volatile("clts");
    uint32_t cpu = arch_cpu_index();
    struct vcpu *v = fpu_owner[cpu];
    if (v && !v->arch.fpu.in_memory) {
        __asm__ volatile("fxsave64 %0" : "=m"(v->arch.fpu.area));
        v->arch.fpu.in_memory = true;
        vm_count_fpu_save(v->vm);
    }
    fpu_owner[cpu] = NULL;
}
