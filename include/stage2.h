/* stage2.h: the translation formats arch/ provides to the generic walker. */
#ifndef STAGE2_H
#define STAGE2_H

#include "pgtable.h"

/* Arm VMSAv8-64 stage 2, 4 KiB granule, 48-bit IPA starting at level 0. */
extern const struct pt_format aarch64_stage2_format;

/* Intel EPT (SDM Vol. 3C 29.3), 4-level, 1 GiB and 2 MiB pages; the _2m variant for
 * CPUs without 1 GiB EPT pages (IA32_VMX_EPT_VPID_CAP bit 17 clear). */
extern const struct pt_format x86_ept_format;
extern const struct pt_format x86_ept_format_2m;

/* AMD NPT: long-mode page tables walked for guest-physical addresses (APM Vol. 2 15.25). */
extern const struct pt_format x86_npt_format;

#endif
