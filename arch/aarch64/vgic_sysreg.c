/* vgic_sysreg.c: GIC CPU-interface registers that trap to EL2 (ICC_SGI1R_EL1 and friends
 * under ICH_HCR_EL2). No vGIC yet (vGIC issue): ID_AA64PFR0_EL1.GIC reads 0 and the table
 * is empty. */
#include "sysreg_table.h"

const struct sysreg_table vgic_sysreg_table = { NULL, 0 };
