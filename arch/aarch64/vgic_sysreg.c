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

static const struct sysreg_handler_row rows[] = {
    { SYS_KEY(3, 0, 12, 11, 5), sgi1r, "ICC_SGI1R_EL1" },
    { SYS_KEY(3, 1, 12, 11, 6), sgi0r, "ICC_ASGI1R_EL1" },
    { SYS_KEY(3, 2, 12, 11, 7), sgi0r, "ICC_SGI0R_EL1" },
};

const struct sysreg_table vgic_sysreg_table = { rows, sizeof(rows) / sizeof(rows[0]) };
