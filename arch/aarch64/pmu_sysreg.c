/* pmu_sysreg.c: the guest's PMU registers (MDCR_EL2.TPM/TPMCR trap them all). No PMU is
 * emulated yet (PMU issue), so the table is empty: every access is UNDEFINED for the guest
 * and ID_AA64DFR0_EL1.PMUVer reads 0. */
#include "sysreg_table.h"

const struct sysreg_table pmu_sysreg_table = { NULL, 0 };
