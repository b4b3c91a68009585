/* exception.c: the x86 vCPU core's exception-intercept policy, the same on both backends (they only
 * set the intercepts it names and report the exits): which guest exceptions exit, and what becomes of
 * them (#DB and #AC reflected with the delivery-loop guard, #MC to the host, RSM's #UD to smm.c). */
#include <inttypes.h>
#include "arch.h"
#include "kernel.h"
#include "x86_guest_walk.h"
#include "x86_regs.h"
#include "x86_vcpu.h"

/* #DB, #AC and #MC always (X86_EXC_INTERCEPTED); with SMM, #UD where RSM raises it rather than exiting
 * (VMX non-root operation; SVM has an RSM intercept). */
void x86_exception_reset(struct vcpu *v)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    uint32_t mask = X86_EXC_INTERCEPTED;
    if (v->vm->arch.smram.enabled && ops->rsm_raises_ud)
        mask |= 1u << X86_EXC_UD;
    ops->set_exception_intercepts(v, mask);
}

/* The entry of the guest's handler for vector, from its IDT gate (SDM Vol. 3A 6.11, 6.14.1), or ~0
 * when the gate cannot be read. */
static uint64_t guest_handler_rip(struct vcpu *v, uint8_t vector)
{
    struct x86_guest_mode m;
    x86_vcpu_backend()->get_mode(v, &m);
    uint32_t size = (m.efer & EFER_LMA) ? 16 : 8;
    uint8_t g[16];
    struct x86_paging_regs pr = { m.cr0, m.cr3, m.cr4, m.efer };
    if ((uint64_t)vector * size + size - 1 > m.idtr_limit ||
        !x86_guest_access_linear(x86_vcpu_slots(v), &pr, m.idtr_base + vector * size, g, size, 0))
        return ~0ull;
    uint64_t rip = (uint64_t)g[0] | (uint64_t)g[1] << 8 | (uint64_t)g[6] << 16 | (uint64_t)g[7] << 24;
    if (size == 16)
        rip |= (uint64_t)g[8] << 32 | (uint64_t)g[9] << 40 | (uint64_t)g[10] << 48 | (uint64_t)g[11] << 56;
    return rip;
}

/* An intercepted exception (X86_EXC_INTERCEPTED): #DB and #AC go back to the guest as they
 * happened (the hypervisor only wanted the exit); #MC is the host's. An exception that keeps
 * arising during its own delivery is the microcode loop the intercept exists for: after
 * X86_EXC_LOOP_MAX in a row the VM is stopped as crashed, with the pCPU still the hypervisor's.
 * A breakpoint the delivery of #DB hits (a data breakpoint on its stack frame) is a trap: its #DB
 * comes after that delivery, at the handler's first instruction (SDM Vol. 3A 17.3.1.2), so the
 * backends do not see it in delivery; a #DB reporting a breakpoint (DR6.B0-B3, not single-step) at
 * the entry of the guest's own #DB handler counts the same. */
#define X86_EXC_LOOP_MAX 1000
#define DR6_B0_B3 0xFull
#define DR6_BS (1ull << 14)
void x86_exception_exit(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    static const char *const names[32] = { [X86_EXC_DB] = "#DB", [X86_EXC_AC] = "#AC", [X86_EXC_MC] = "#MC" };
    uint8_t vec = x->exc.vector & 31;
    exit->reason = EXIT_ABORT;
    if (vec == X86_EXC_UD) {             /* VMX with SMM: the #UD of RSM (smm.c); any other goes back */
        if (!x86_smm_ud(v, x, exit))
            x86_vcpu_inject_exception(v, X86_EXC_UD, false, 0);
        return;
    }
    if (vec == X86_EXC_MC) {
        hv_printf("vm %s: vcpu %" PRIu32 ": machine check while the guest ran: the host's handler takes it\n",
                  v->vm->name, v->id);
        __asm__ volatile("int $18");       /* the host IDT's #MC: the dump and the stop */
        return;
    }
    /* In delivery: the exit interrupted the delivery of this same vector (SVM EXITINTINFO 15.7.2, VMX
     * IDT-vectoring information 27.2.4: valid bit 31, vector 7:0). */
    bool in_delivery = (x->vectoring & X86_EVENT_VALID) && (uint8_t)x->vectoring == vec;
    bool looping = in_delivery ||
                   (vec == X86_EXC_DB && (x->exc.dr6 & DR6_B0_B3) && !(x->exc.dr6 & DR6_BS) &&
                    v->arch.rip == guest_handler_rip(v, X86_EXC_DB));
    if (!looping)
        v->arch.exc_loop = 0;
    else if (++v->arch.exc_loop >= X86_EXC_LOOP_MAX) {
        hv_printf("vm %s: vcpu %" PRIu32 ": %s raised during its own delivery %u times in a row\n", v->vm->name,
                  v->id, names[vec] ? names[vec] : "exception", X86_EXC_LOOP_MAX);
        x86_vcpu_crash(v, exit, "exception loop in event delivery", x->code);
        return;
    }
    if (vec == X86_EXC_DB)
        ops->set_dr(v, 6, x->exc.dr6);
    x86_vcpu_inject_exception(v, vec, vec == X86_EXC_AC, 0);
}
