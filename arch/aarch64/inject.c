/* inject.c: synchronous exceptions given to an EL1 guest (Arm ARM D1.10.2, "Exception entry"),
 * and the fault-loop guard that stops a guest that does nothing else. */
#include <inttypes.h>
#include "guest.h"
#include "kernel.h"

/* VBAR_EL1 offsets (Arm ARM D1.10.2, Table D1-7) by where the exception came from. */
#define VECTOR_CUR_SP0   0x000
#define VECTOR_CUR_SPX   0x200
#define VECTOR_LOWER_A64 0x400
#define VECTOR_LOWER_A32 0x600

static uint64_t vector_offset(uint64_t pstate)
{
    if (pstate & PSR_AARCH32)
        return VECTOR_LOWER_A32;
    switch (pstate & 0xc) {
    case 0: return VECTOR_LOWER_A64;                                   /* EL0 */
    default: return (pstate & 1) ? VECTOR_CUR_SPX : VECTOR_CUR_SP0;     /* EL1h / EL1t */
    }
}

/* Counts identical exceptions given to the guest's EL1 with no other kind of exit in between
 * (arch_vcpu_run resets the count): the same syndrome at the same PC, taken from EL1. A guest
 * that does only that is stopped as crashed. Exceptions taken from EL0 never count: a user
 * process looping on a trapped register under its own signal handler is the guest kernel's
 * business (each one runs the kernel's handler and returns), and so is EL1 code that faults
 * at one PC after another (a probe loop). */
static void fault_loop_check(struct vcpu *v, uint64_t pc, uint64_t pstate, uint32_t esr)
{
    struct arch_vcpu *a = &v->arch;
    a->injected = true;
    bool from_el1 = !(pstate & PSR_AARCH32) && (pstate & 0xc) != 0;
    if (!from_el1) {
        a->fault_loop = 0;
        return;
    }
    if (a->fault_loop && (pc != a->fault_pc || esr != a->fault_esr))
        a->fault_loop = 0;
    a->fault_pc = pc;
    a->fault_esr = esr;
    if (++a->fault_loop == FAULT_LOOP_LIMIT) {
        hv_printf("vm %s: fault loop at PC 0x%" PRIx64 ", stopping\n", v->vm->name, pc);
        vm_request_shutdown(v->vm, VM_SHUTDOWN_CRASH);
    }
}

/* The PSTATE fields exception entry leaves as they were (Arm ARM, AArch64.TakeException):
 * NZCV, DIT, and PAN unless SCTLR_EL1.SPAN is 0. Everything else is set or cleared. */
static uint64_t pstate_kept(uint64_t old, uint64_t sctlr)
{
    uint64_t dit = (old & PSR_AARCH32) ? (old & PSR_AARCH32_DIT ? PSR_DIT : 0) : (old & PSR_DIT);
    return (old & PSR_NZCV) | dit | (sctlr & SCTLR_EL1_SPAN ? old & PSR_PAN : PSR_PAN);
}

/* Takes an exception to EL1 with syndrome esr: ELR_EL1 = the faulting instruction,
 * SPSR_EL1 = PSTATE then, PC = VBAR_EL1 + offset, PSTATE = EL1h with DAIF masked, PAN
 * set if SCTLR_EL1.SPAN is 0, SSBS = SCTLR_EL1.DSSBS, NZCV and DIT kept. */
static void inject(struct vcpu *v, uint32_t esr, bool set_far, uint64_t far)
{
    struct arch_vcpu *a = &v->arch;
    uint64_t sctlr = read_sysreg(sctlr_el1);
    uint64_t pc = a->pc, pstate = a->pstate;
    write_sysreg(esr_el1, esr);
    if (set_far)
        write_sysreg(far_el1, far);
    write_sysreg(elr_el1, pc);
    write_sysreg(spsr_el1, a->pstate);
    a->pc = read_sysreg(vbar_el1) + vector_offset(a->pstate);
    a->pstate = PSR_MODE_EL1h | PSR_DAIF | pstate_kept(a->pstate, sctlr) |
                (sctlr & SCTLR_EL1_DSSBS ? PSR_SSBS : 0);
    fault_loop_check(v, pc, pstate, esr);
}

/* Unknown reason, EC 0 (Arm ARM D17.2.40): what an UNDEFINED instruction gives. */
void inject_undef(struct vcpu *v)
{
    inject(v, (EC_UNKNOWN << 26) | ESR_IL, false, 0);
}

/* Synchronous external abort: EC 0x25 from EL1, 0x24 from EL0, DFSC 0x10. */
void inject_data_abort(struct vcpu *v, uint64_t far)
{
    uint32_t ec = guest_at_el0(v) ? EC_DABT_LOW : EC_DABT_CUR;
    inject(v, (ec << 26) | ESR_IL | FSC_SEA, true, far);
}

/* The same for an instruction fetch: EC 0x21 from EL1, 0x20 from EL0, IFSC 0x10. */
void inject_prefetch_abort(struct vcpu *v, uint64_t far)
{
    uint32_t ec = guest_at_el0(v) ? EC_IABT_LOW : EC_IABT_CUR;
    inject(v, (ec << 26) | ESR_IL | FSC_SEA, true, far);
}

/* A system-register access trapped to EL1 (EC 0x18) with the instruction's own ISS: what an
 * EL0 access disabled by an EL1 control (PMUSERENR_EL0) takes. */
void inject_sysreg_trap(struct vcpu *v, uint32_t iss)
{
    inject(v, (EC_SYS64 << 26) | ESR_IL | iss, false, 0);
}

/* HCR_EL2.VSE (Arm ARM D17.2.48): a virtual SError pending for EL1, taken when the guest's
 * PSTATE.A allows; hardware clears it then. VSESR_EL2 (FEAT_RAS only: ID_AA64PFR0_EL1.RAS) is
 * the syndrome the guest's ESR_EL1 gets: IDS = 1, IMPLEMENTATION DEFINED, as KVM gives. */
#define HCR_VSE       (1ull << 8)
#define ESR_IDS       (1ull << 24)
#define PFR0_RAS(pfr) BITS(pfr, 31, 28)

void inject_serror(struct vcpu *v)
{
    (void)v;
    if (PFR0_RAS(read_sysreg(id_aa64pfr0_el1)))
        write_sysreg(S3_4_C5_C2_3, ESR_IDS);       /* VSESR_EL2 */
    write_sysreg(hcr_el2, read_sysreg(hcr_el2) | HCR_VSE);
    isb();
}
