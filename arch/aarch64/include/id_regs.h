/* id_regs.h: the ID registers a guest reads (HCR_EL2.TID3 traps them) and the allow-list of
 * their fields (id_regs.c; pure, host-tested). */
#ifndef AARCH64_ID_REGS_H
#define AARCH64_ID_REGS_H

#include <stdbool.h>
#include <stdint.h>

/* name, op1, CRm, op2 of MRS S3_<op1>_C0_C<CRm>_<op2> (Arm ARM D17.2, "ID register space"). */
/* The rest of the ID space reads 0 (sysreg_trap.c): every field of ID_AA64PFR2, ZFR0 (SVE
 * hidden), SMFR0 (SME hidden), FPFR0, DFR1, ISAR3, MMFR3, MMFR4, ID_PFR2, ID_DFR1, ID_MMFR5. */
#define ID_REGS(X) \
    X(ID_PFR0_EL1,      0, 1, 0) X(ID_PFR1_EL1,      0, 1, 1) X(ID_DFR0_EL1,      0, 1, 2) \
    X(ID_MMFR0_EL1,     0, 1, 4) X(ID_MMFR1_EL1,     0, 1, 5) X(ID_MMFR2_EL1,     0, 1, 6) \
    X(ID_MMFR3_EL1,     0, 1, 7) X(ID_ISAR0_EL1,     0, 2, 0) X(ID_ISAR1_EL1,     0, 2, 1) \
    X(ID_ISAR2_EL1,     0, 2, 2) X(ID_ISAR3_EL1,     0, 2, 3) X(ID_ISAR4_EL1,     0, 2, 4) \
    X(ID_ISAR5_EL1,     0, 2, 5) X(ID_MMFR4_EL1,     0, 2, 6) X(ID_ISAR6_EL1,     0, 2, 7) \
    X(MVFR0_EL1,        0, 3, 0) X(MVFR1_EL1,        0, 3, 1) X(MVFR2_EL1,        0, 3, 2) \
    X(ID_AA64PFR0_EL1,  0, 4, 0) X(ID_AA64PFR1_EL1,  0, 4, 1) X(ID_AA64DFR0_EL1,  0, 5, 0) \
    X(ID_AA64ISAR0_EL1, 0, 6, 0) X(ID_AA64ISAR1_EL1, 0, 6, 1) X(ID_AA64ISAR2_EL1, 0, 6, 2) \
    X(ID_AA64MMFR0_EL1, 0, 7, 0) X(ID_AA64MMFR1_EL1, 0, 7, 1) X(ID_AA64MMFR2_EL1, 0, 7, 2)

enum id_reg {
#define X(name, op1, crm, op2) IDR_##name,
    ID_REGS(X)
#undef X
    ID_REG_COUNT
};

/* What the hypervisor offers that the allow-list depends on. */
struct id_caps {
    uint8_t pmuver;           /* PMUVer of the emulated PMU (pmu_sysreg.c: PMU_PMUVER), 0: none */
    bool hcx;                 /* HCRX_EL2 exists (ID_AA64MMFR1_EL1.HCX): MOPS can be enabled (MSCEn) */
};

enum id_policy {
    ID_KEEP,                  /* the host's value */
    ID_CAP,                   /* the host's value, at most .value (unsigned field) */
    ID_SET,                   /* .value, whatever the host has */
    ID_KEEP_IF_HCX,           /* the host's value where caps.hcx, else 0 */
    ID_PMU,                   /* caps.pmuver */
    ID_HIDE,                  /* 0: not implemented (the table keeps every field whose 0 means otherwise) */
};

/* One field the guest may see; every field not listed reads 0 ("not implemented" for every
 * field the list does not keep: the table keeps all fields whose 0 would mean "implemented"). */
struct id_field {
    uint8_t reg;              /* enum id_reg */
    uint8_t lo, width;        /* bits [lo + width - 1 : lo] */
    uint8_t policy;           /* enum id_policy */
    uint8_t value;
    const char *name;         /* the field's name in the Arm ARM */
    const char *reason;       /* why the guest may see it */
};

extern const struct id_field id_fields[];
extern const uint32_t id_field_count;

/* The guest's value of each ID register from the host's (both indexed by enum id_reg). */
void id_regs_sanitise(const uint64_t host[ID_REG_COUNT], const struct id_caps *caps, uint64_t guest[ID_REG_COUNT]);

#endif
