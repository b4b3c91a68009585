/* vtimer.c: the guest's EL1 timers as interrupts. CNTV (virtual, INTID 27) and CNTP (physical,
 * INTID 30) stay live on the vCPU's pCPU and raise their physical PPIs there; with
 * HCR_EL2.IMO those reach EL2, which forwards them as HW-mapped virtual PPIs (vgic.c): the
 * physical interrupt stays active until the guest deactivates the virtual one, so it cannot
 * fire again meanwhile, and the guest's own CNTx_CTL_EL0 is never touched (a guest reads back
 * exactly what it wrote). This is KVM's arch-timer forwarding on a GIC with an active state. */
#include "cnt_deadline.h"
#include "guest.h"
#include "host_irq.h"
#include "vgic.h"

/* CNTx_CTL_EL0 (Arm DDI 0487, CNTV_CTL_EL0): ENABLE [0], IMASK [1], ISTATUS [2]. */
#define CNT_CTL_ENABLE  1ull
#define CNT_CTL_IMASK   2ull
#define CNT_CTL_ISTATUS 4ull

/* The timer's interrupt output: enabled, condition met, not masked. */
static bool line_high(uint64_t ctl)
{
    return (ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK | CNT_CTL_ISTATUS)) == (CNT_CTL_ENABLE | CNT_CTL_ISTATUS);
}

enum host_irq_result vtimer_irq(struct vcpu *v, uint32_t intid)
{
    if (!v || __atomic_load_n(&v->power, __ATOMIC_ACQUIRE) != VCPU_ON) {
        /* A timer left running by a guest that is gone: silence it. */
        if (intid == HOST_INTID_VTIMER)
            write_sysreg(cntv_ctl_el0, read_sysreg(cntv_ctl_el0) | CNT_CTL_IMASK);
        else
            write_sysreg(cntp_ctl_el0, read_sysreg(cntp_ctl_el0) | CNT_CTL_IMASK);
        isb();
        return HOST_IRQ_DONE;
    }
    vgic_hw_irq_fired(v, intid);
    return HOST_IRQ_FORWARDED;
}

/* Re-evaluates the lines from CNTV_CTL / CNTP_CTL before each entry: a forwarded interrupt
 * the guest has not taken yet is withdrawn if it reprogrammed or masked the timer. */
void vtimer_sync(struct vcpu *v)
{
    const struct vgic_irq *priv = v->arch.vgic.priv;
    if (__atomic_load_n(&priv[HOST_INTID_VTIMER].hw_active, __ATOMIC_RELAXED))
        vgic_hw_irq_resample(v, HOST_INTID_VTIMER, line_high(read_sysreg(cntv_ctl_el0)));
    if (__atomic_load_n(&priv[HOST_INTID_PTIMER].hw_active, __ATOMIC_RELAXED))
        vgic_hw_irq_resample(v, HOST_INTID_PTIMER, line_high(read_sysreg(cntp_ctl_el0)));
}

/* When the next enabled, unmasked guest timer fires, in physical counts (CNTVCT = CNTPCT -
 * CNTVOFF_EL2, saturating: a CVAL near 2^64 is "never", not a deadline in the past); ~0 for
 * none. */
uint64_t vtimer_deadline(struct vcpu *v)
{
    uint64_t d = ~0ull;
    if ((read_sysreg(cntv_ctl_el0) & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) == CNT_CTL_ENABLE)
        d = cnt_virt_to_phys_deadline(read_sysreg(cntv_cval_el0), v->vm->arch.cntvoff);
    if ((read_sysreg(cntp_ctl_el0) & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) == CNT_CTL_ENABLE) {
        uint64_t p = read_sysreg(cntp_cval_el0);
        d = p < d ? p : d;
    }
    return d;
}
