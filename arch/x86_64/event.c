/* event.c: the x86 vCPU core's event rules, the same on both backends (the KVM split: x86.c decides,
 * vmx.c / svm.c carry out): when an interrupt or an NMI may be injected, injecting it, the windows,
 * NMI blocking where the hardware does not track it, and re-delivery of an event an exit interrupted.
 * The backends report and take events in one layout (X86_EVENT_*) and what blocks them in another
 * (X86_BLOCKED_*). Pure over x86_vcpu_ops: host-tested (tests/unit/test_x86_event.c). */
#include "x86_regs.h"
#include "x86_vcpu.h"

bool x86_event_queued(struct vcpu *v)
{
    return x86_vcpu_backend()->get_event(v) & X86_EVENT_VALID;
}

/* SDM Vol. 3C 26.3.1.5 and Vol. 3A 6.8.3: RFLAGS.IF set and no STI / MOV-SS shadow; one event per entry. */
bool x86_interrupt_allowed(struct vcpu *v)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    if (x86_nested_l2_exits_on_l1_interrupt(v))
        return false;
    return (v->arch.rflags & RFLAGS_IF) && !(ops->get_interruptibility(v) & X86_BLOCKED_SHADOW) &&
           !x86_event_queued(v);
}

/* No NMI while one is blocking (SDM Vol. 3A 6.7.1), nor under a shadow: injecting one under MOV-SS
 * blocking fails VM entry (Vol. 3C 26.3.1.5). */
bool x86_nmi_allowed(struct vcpu *v)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    if (v->arch.nmi_soft.masked || x86_nested_l2_exits_on_l1_nmi(v))
        return false;
    return !(ops->get_interruptibility(v) & (X86_BLOCKED_SHADOW | X86_BLOCKED_NMI)) && !x86_event_queued(v);
}

void x86_inject_interrupt(struct vcpu *v, uint8_t vector)
{
    x86_vcpu_backend()->set_event(v, vector | X86_EVENT_TYPE_INTR | X86_EVENT_VALID, 0);
}

/* The NMI blocks further NMIs until its handler's IRET completes. Without hardware tracking (SVM
 * without vNMI, APM 15.21.4) the IRET is intercepted to see it start, as KVM does. */
void x86_inject_nmi(struct vcpu *v)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    ops->set_event(v, 2 | X86_EVENT_TYPE_NMI | X86_EVENT_VALID, 0);
    if (ops->intercept_iret) {
        ops->intercept_iret(v, true);
        v->arch.nmi_soft.masked = true;
        v->arch.nmi_soft.iret_seen = false;
    }
}

/* While L2 runs, L1's own window requests in vmcs12 decide too (vmx/nested.c). */
void x86_window_changed(struct vcpu *v, bool nmi, bool on)
{
    *(nmi ? &v->arch.nmi_window_requested : &v->arch.window_requested) = on;
    x86_vcpu_backend()->set_window(v, nmi, x86_nested_window(v, nmi, on));
}

void x86_event_exit_slow(struct vcpu *v, const struct x86_exit *x)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    struct arch_vcpu *a = &v->arch;
    /* NMI blocking in software: the IRET exit comes before the IRET executes; NMIs stay masked
     * until RIP has left that IRET (seen at a later exit), as KVM does. */
    if (a->nmi_soft.iret_seen && a->rip != a->nmi_soft.iret_rip)
        a->nmi_soft.masked = a->nmi_soft.iret_seen = false;
    if (x->kind == X86_EXIT_IRET) {
        ops->intercept_iret(v, false);
        a->nmi_soft.iret_seen = true;
        a->nmi_soft.iret_rip = a->rip;
    }
    /* An event whose delivery the exit interrupted is delivered again on the next entry (SDM Vol. 3C
     * 27.2.4, APM 15.7.2); bit 12 of the IDT-vectoring information is undefined (24.9.3). */
    if (x->vectoring & X86_EVENT_VALID)
        ops->set_event(v, x86_event_redelivered(x->vectoring), x->vectoring_error);
}

/* The event to queue again for what an exit reported in delivery. QEMU's TCG reports every event it
 * was delivering for the guest as an exception (type 3), hardware interrupts and NMIs too, where the
 * CPUs report their type (APM 15.7.2); VM entry refuses an exception-type EVENTINJ with vector 2 or
 * above 31 (APM 15.20; SDM Vol. 3C 26.2.1.3). Vectors 32-255 are interrupts and vector 2 the NMI
 * (SDM Vol. 3A 6.3.1), so those go back in as such, without an error code. */
uint32_t x86_event_redelivered(uint32_t vectoring)
{
    uint32_t info = vectoring & ~(1u << 12);
    uint8_t vector = (uint8_t)info;
    if ((info & (7u << 8)) == X86_EVENT_TYPE_EXCEPTION && (vector == 2 || vector >= 32))
        info = (info & ~(7u << 8 | X86_EVENT_ERROR_VALID)) | (vector == 2 ? X86_EVENT_TYPE_NMI : X86_EVENT_TYPE_INTR);
    return info;
}
