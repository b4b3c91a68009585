/* fpsimd.c: lazy FP/SIMD switching. The hypervisor's own code is built without FP/SIMD,
 * but newlib uses those registers (FACTS.md), so after every exit CPTR_EL2.TFP is set
 * (world_switch.S): with HCR_EL2.E2H=0 it traps FP/SIMD use at EL0, EL1 and EL2 (Arm ARM
 * D17.2.31, CPTR_EL2). The first such use at EL2 saves the guest's registers here; the
 * next entry loads them back. Exits that never reach newlib never touch FP/SIMD. */
#include <stddef.h>
#include <string.h>
#include "arch_vm.h"
#include "cpu_data.h"
#include "guest.h"
#include "vm.h"

/* CPTR_EL2 with E2H=0: RES1 bits 13, 12 (TSM without SME), 9, 8 (TZ without SVE), 7:0. */
#define CPTR_EL2_RES1 0x33ffull
#define CPTR_EL2_TZ   (1ull << 8)     /* trap SVE (hidden from guests) */
#define CPTR_EL2_TFP  (1ull << 10)
#define CPTR_EL2_TSM  (1ull << 12)    /* trap SME (hidden) */
#define CPTR_EL2_TTA  (1ull << 20)    /* trap trace registers (hidden) */
#define CPTR_EL2_TAM  (1ull << 30)    /* trap activity monitors (hidden) */

uint64_t fpsimd_cptr_guest(void)
{
    return CPTR_EL2_RES1 | CPTR_EL2_TZ | CPTR_EL2_TSM | CPTR_EL2_TTA | CPTR_EL2_TAM;
}

bool fpsimd_trap(void)
{
    struct cpu_data *c = this_cpu();
    write_sysreg(cptr_el2, read_sysreg(cptr_el2) & ~CPTR_EL2_TFP);
    isb();
    if (c && c->fp_owner) {
        fpsimd_save(&c->fp_owner->fp);
        vm_count_fpu_save(((struct vcpu *)((char *)c->fp_owner - offsetof(struct vcpu, arch)))->vm);
        c->fp_owner = NULL;
    }
    return true;      /* the trapped instruction runs again (ELR_EL2 points at it) */
}

void fpsimd_guest_enter(struct arch_vcpu *a)
{
    struct cpu_data *c = this_cpu();
    write_sysreg(cptr_el2, fpsimd_cptr_guest());
    isb();
    if (c->fp_owner != a) {
        fpsimd_load(&a->fp);
        c->fp_owner = a;
    }
}

void fpsimd_vcpu_reset(struct arch_vcpu *a)
{
    struct cpu_data *c = this_cpu();
    if (c->fp_owner == a)
        c->fp_owner = NULL;        /* the zeroed copy below is the state now */
    memset(&a->fp, 0, sizeof(a->fp));
}
