/* stage2.h: the translation formats arch/ provides to the generic walker. */
#ifndef STAGE2_H
#define STAGE2_H

#include "pgtable.h"

/* Arm VMSAv8-64 stage 2, 4 KiB granule, 48-bit IPA starting at level 0. */
extern const struct pt_format aarch64_stage2_format;

#endif
