/* vgic_sysreg.c: the GIC CPU-interface registers that trap to EL2 with HCR_EL2.IMO/FMO set:
 * the SGI generation registers (Arm IHI 0069, ICC_SGI1R_EL1, ICC_ASGI1R_EL1, ICC_SGI0R_EL1:
 * "trapped to EL2 when HCR_EL2.IMO (FMO for SGI0R) is 1"). Everything else the guest's
 * ICC_* accesses reach is the virtual CPU interface (ICV_*), handled by the hardware. */
#include "sysreg_table.h"
#include "vgic_internal.h"

/* Write-only registers: a read is UNDEFINED. */
static bool sgi1r(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    if (read)
        return false;
    vgic_send_sgi(v, *value, true);
    return true;
}

/* With a single security state (GICD_CTLR.DS = 1) ASGI1R and SGI0R generate Group 0 SGIs. */
static bool sgi0r(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    if (read)
        return false;
    vgic_send_sgi(v, *value, false);
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
