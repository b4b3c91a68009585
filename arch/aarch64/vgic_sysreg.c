/* vgic_sysreg.c: the GIC CPU-interface registers that trap to EL2 with HCR_EL2.IMO/FMO set:
 * the SGI generation registers (Arm IHI 0069, ICC_SGI1R_EL1, ICC_ASGI1R_EL1, ICC_SGI0R_EL1:
 * "trapped to EL2 when HCR_EL2.IMO (FMO for SGI0R) is 1"). Everything else the guest's
 * ICC_* accesses reach is the virtual CPU interface (ICV_*), handled by the hardware. */
#include "guest.h"
#include "kernel.h"
#include "sysreg_table.h"
#include "vgic_internal.h"

/* Write-only registers: a read is UNDEFINED. */
static bool sgi1r(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    if (read)
        return false;
    (void)vgic_send_sgi(v, *value, true);
    return true;
}

/* With a single security state (GICD_CTLR.DS = 1) ASGI1R and SGI0R generate Group 0 SGIs. */
static bool sgi0r(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    if (read)
        return false;
    (void)vgic_send_sgi(v, *value, false);
    return true;
}

/* The Group 1 registers ICH_HCR_EL2.TALL1 traps (IHI 0069, ICH_HCR_EL2): vgic_flush sets it
 * while a passed-through SPI waits in a list register for a guest that cannot take it at
 * once. The access is not emulated: it runs again without the trap, after the next entry's
 * flush has resampled the SPI's line (vgic_lr.c needs_ack_resample). Without TALL1 these
 * never trap: UNDEFINED as before. */
static bool group1_resample(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key, (void)read, (void)value;
    if (!v->arch.vgic.tall1)
        return false;
    v->arch.vgic.tall1_skip = true;
    v->arch.retry = true;
    return true;
}

static const struct sysreg_handler_row rows[] = {
    { SYS_KEY(3, 0, 12, 12, 0), group1_resample, "ICC_IAR1_EL1" },
    { SYS_KEY(3, 0, 12, 12, 1), group1_resample, "ICC_EOIR1_EL1" },
    { SYS_KEY(3, 0, 12, 12, 2), group1_resample, "ICC_HPPIR1_EL1" },
    { SYS_KEY(3, 0, 12, 12, 3), group1_resample, "ICC_BPR1_EL1" },
    { SYS_KEY(3, 0, 12, 12, 7), group1_resample, "ICC_IGRPEN1_EL1" },
    { SYS_KEY(3, 0, 12, 9, 0), group1_resample, "ICC_AP1R0_EL1" },
    { SYS_KEY(3, 0, 12, 9, 1), group1_resample, "ICC_AP1R1_EL1" },
    { SYS_KEY(3, 0, 12, 9, 2), group1_resample, "ICC_AP1R2_EL1" },
    { SYS_KEY(3, 0, 12, 9, 3), group1_resample, "ICC_AP1R3_EL1" },
    { SYS_KEY(3, 0, 12, 11, 5), sgi1r, "ICC_SGI1R_EL1" },
    { SYS_KEY(3, 1, 12, 11, 6), sgi0r, "ICC_ASGI1R_EL1" },
    { SYS_KEY(3, 2, 12, 11, 7), sgi0r, "ICC_SGI0R_EL1" },
};

const struct sysreg_table vgic_sysreg_table = { rows, sizeof(rows) / sizeof(rows[0]) };

/* ESR_EL2.ISS of a trapped MSR (EC 0x18, Direction 0), Rt [9:5] left out (Arm ARM D17.2.40). */
#define ISS_MSR(op0, op1, crn, crm, op2) \
    ((uint32_t)(op0) << 20 | (uint32_t)(op2) << 17 | (uint32_t)(op1) << 14 | (uint32_t)(crn) << 10 | (uint32_t)(crm) << 1)
#define ISS_RT_MASK (0x1fu << 5)

/* The fast tier for an SGI write (fast_exit.c): a vCPU signalling another takes an exit for
 * each SGI, often in an interrupt handler with the interrupt it handles active in a list
 * register. The SGI is sent as the table row above would, the exit counted by the same code
 * (vcpu_fast_exit) and the vCPU re-entered with its list registers as the guest left them:
 * they are the live state of its interrupts and nothing here changes them, as long as the
 * sender is not a target itself (its new SGI must be loaded), no list register holds a
 * forwarded interrupt (its line is resampled on entry, vtimer_sync) and no TALL1 resample or
 * LPI refill is due. Those cases take the generic entry after the SGI is sent. */
enum fast_result vgic_sgi_fast(struct vcpu *v, uint64_t esr)
{
    struct vgic_cpu *c = &v->arch.vgic;
    uint32_t iss = ESR_ISS(esr), rt = (uint32_t)BITS(iss, 9, 5);
    bool group1;
    switch (iss & ~ISS_RT_MASK) {
    case ISS_MSR(3, 0, 12, 11, 5):          /* ICC_SGI1R_EL1 */
        group1 = true;
        break;
    case ISS_MSR(3, 1, 12, 11, 6):          /* ICC_ASGI1R_EL1 */
    case ISS_MSR(3, 2, 12, 11, 7):          /* ICC_SGI0R_EL1 */
        group1 = false;
        break;
    default:
        return FAST_NONE;
    }
    bool self = vgic_send_sgi(v, rt == 31 ? 0 : v->arch.x[rt], group1);
    v->arch.insn_len = (esr & ESR_IL) ? 4 : 2;
    guest_skip_insn(v);
    struct vcpu_exit exit;                  /* not zeroed: a memset would touch FP/SIMD (trap) */
    exit.reason = EXIT_SYSREG;
    bool reenter = vcpu_fast_exit(v, &exit) && !self && !v->arch.injected && !c->tall1 && !c->tall1_skip &&
                   !__atomic_load_n(&c->lpi_overflow, __ATOMIC_RELAXED);
    for (uint32_t i = 0; reenter && i < c->lr_used; i++)
        reenter = !c->lr_irq[i]->hw;
    if (!reenter)
        return FAST_HANDLED;
    v->arch.fault_loop = 0;                 /* progress, as arch_vcpu_run notes for a fast re-entry */
    return FAST_REENTER;
}
