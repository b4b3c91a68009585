/* cpu_state.c: a vCPU's whole architectural state (struct x86_cpu_state) read and loaded once for both
 * backends from their register primitives: the start state (cpu_reset.c), SMM entry and RSM (smm.c).
 * Pure over x86_vcpu_ops: host-tested (tests/unit/test_x86_event.c). */
#include <string.h>
#include "x86_vcpu.h"

void x86_vcpu_get_state(struct vcpu *v, struct x86_cpu_state *st)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    struct x86_guest_mode m;
    struct x86_segment g;
    for (unsigned i = 0; i < SREG_COUNT; i++)
        ops->get_segment(v, i, &st->seg[i]);
    ops->get_segment(v, X86_SEG_LDTR, &st->ldtr);
    ops->get_segment(v, X86_SEG_TR, &st->tr);
    ops->get_segment(v, X86_SEG_GDTR, &g);
    st->gdtr = (struct x86_dtable){ g.base, g.limit };
    ops->get_segment(v, X86_SEG_IDTR, &g);
    st->idtr = (struct x86_dtable){ g.base, g.limit };
    ops->get_mode(v, &m);
    st->cr0 = m.cr0, st->cr3 = m.cr3, st->cr4 = m.cr4;
    st->efer = ops->get_efer(v);
    st->dr6 = ops->get_dr(v, 6), st->dr7 = ops->get_dr(v, 7);
    memcpy(st->gpr, v->arch.gpr, sizeof(st->gpr));
    st->rip = v->arch.rip, st->rflags = v->arch.rflags;
}

/* CR0 before the segments: SVM's CPL follows SS.DPL only in protected mode (APM Vol. 2, 15.5.1). */
void x86_vcpu_set_state(struct vcpu *v, const struct x86_cpu_state *st)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    ops->set_cr0(v, st->cr0);
    ops->set_cr4(v, st->cr4);
    ops->set_cr3(v, st->cr3);
    ops->set_efer(v, st->efer);
    for (unsigned i = 0; i < SREG_COUNT; i++)
        ops->set_segment(v, i, &st->seg[i]);
    ops->set_segment(v, X86_SEG_LDTR, &st->ldtr);
    ops->set_segment(v, X86_SEG_TR, &st->tr);
    ops->set_segment(v, X86_SEG_GDTR, &(struct x86_segment){ 0, 0, st->gdtr.limit, st->gdtr.base });
    ops->set_segment(v, X86_SEG_IDTR, &(struct x86_segment){ 0, 0, st->idtr.limit, st->idtr.base });
    ops->set_dr(v, 6, st->dr6);
    ops->set_dr(v, 7, st->dr7);
    memcpy(v->arch.gpr, st->gpr, sizeof(st->gpr));
    v->arch.rip = st->rip, v->arch.rflags = st->rflags;
    x86_vcpu_clear_interrupt_shadow(v);
}
