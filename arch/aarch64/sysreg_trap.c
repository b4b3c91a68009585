/* sysreg_trap.c: the guest's trapped system-register accesses (ESR_EL2.EC 0x18), one table
 * row per register: sanitised ID registers (HCR_EL2.TID3), ACTLR_EL1 (TACR), set/way cache
 * maintenance (TSW); the vGIC's and the PMU's registers (MDCR_EL2.TPM) in their own tables.
 * Everything else that traps (IMPDEF via TIDCP, LORegions, RAS records, AMU, ...) is UNDEFINED
 * for the guest. */
#include "guest.h"
#include "pmu.h"
#include "sysreg_table.h"

/* ISS for EC 0x18 (Arm ARM D17.2.40): Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10],
 * Rt [9:5], CRm [4:1], Direction [0] (1: read, MRS). Rows are keyed like Linux's sys_reg(). */
#define ISS_KEY(iss) SYS_KEY(BITS(iss, 21, 20), BITS(iss, 16, 14), BITS(iss, 13, 10), BITS(iss, 4, 1), \
                             BITS(iss, 19, 17))
#define ISS_RT(iss)   ((uint32_t)BITS(iss, 9, 5))
#define ISS_READ(iss) ((iss) & 1)

#define F(hi, lo) (((2ull << ((hi) - (lo))) - 1) << (lo))   /* a field's mask */

/* ID registers: the guest reads the boot CPU's value with everything we do not give it
 * cleared (Arm ARM D17.2, ID_AA64*_EL1; 0 means "not implemented" for the fields hidden). */
#define ID_REGS(X) \
    X(ID_PFR0_EL1,      0, 1, 0, ~0ull) \
    X(ID_PFR1_EL1,      0, 1, 1, ~F(31, 28))               /* GIC */ \
    X(ID_DFR0_EL1,      0, 1, 2, ~F(27, 24))               /* PerfMon */ \
    X(ID_AFR0_EL1,      0, 1, 3, 0) \
    X(ID_MMFR0_EL1,     0, 1, 4, ~0ull) \
    X(ID_MMFR1_EL1,     0, 1, 5, ~0ull) \
    X(ID_MMFR2_EL1,     0, 1, 6, ~0ull) \
    X(ID_MMFR3_EL1,     0, 1, 7, ~0ull) \
    X(ID_ISAR0_EL1,     0, 2, 0, ~0ull) \
    X(ID_ISAR1_EL1,     0, 2, 1, ~0ull) \
    X(ID_ISAR2_EL1,     0, 2, 2, ~0ull) \
    X(ID_ISAR3_EL1,     0, 2, 3, ~0ull) \
    X(ID_ISAR4_EL1,     0, 2, 4, ~0ull) \
    X(ID_ISAR5_EL1,     0, 2, 5, ~0ull) \
    X(ID_MMFR4_EL1,     0, 2, 6, ~0ull) \
    X(ID_ISAR6_EL1,     0, 2, 7, ~0ull) \
    X(MVFR0_EL1,        0, 3, 0, ~0ull) \
    X(MVFR1_EL1,        0, 3, 1, ~0ull) \
    X(MVFR2_EL1,        0, 3, 2, ~0ull) \
    X(ID_AA64PFR0_EL1,  0, 4, 0, F(7, 0) | F(23, 12) | F(51, 48) | F(63, 56)) \
        /* keep EL0, EL1, EL3, FP, AdvSIMD, DIT, CSV2, CSV3; GIC set below; hide EL2, RAS, SVE, SEL2, MPAM, AMU, RME */ \
    X(ID_AA64PFR1_EL1,  0, 4, 1, F(7, 0) | F(35, 32))     /* BT, SSBS, CSV2_frac; no MTE, SME, NMI, RAS, MPAM */ \
    X(ID_AA64ZFR0_EL1,  0, 4, 4, 0)                       /* SVE */ \
    X(ID_AA64SMFR0_EL1, 0, 4, 5, 0)                       /* SME */ \
    X(ID_AA64DFR0_EL1,  0, 5, 0, F(3, 0) | F(15, 12) | F(23, 20) | F(31, 28) | F(39, 36)) \
        /* keep DebugVer, BRPs, WRPs, CTX_CMPs, DoubleLock; PMUVer set below; no SPE, trace, BRBE */ \
    X(ID_AA64DFR1_EL1,  0, 5, 1, 0) \
    X(ID_AA64AFR0_EL1,  0, 5, 4, 0) \
    X(ID_AA64AFR1_EL1,  0, 5, 5, 0) \
    X(ID_AA64ISAR0_EL1, 0, 6, 0, ~0ull) \
    X(ID_AA64ISAR1_EL1, 0, 6, 1, ~0ull) \
    X(ID_AA64ISAR2_EL1, 0, 6, 2, ~0ull) \
    X(ID_AA64MMFR0_EL1, 0, 7, 0, ~(F(3, 0) | F(63, 56)))  /* PARange set below; no FGT, ECV */ \
    X(ID_AA64MMFR1_EL1, 0, 7, 1, ~(F(11, 4) | F(19, 16) | F(35, 32) | F(43, 40))) \
        /* no VMIDBits, VH, LO, TWED, HCX: EL2 features */ \
    X(ID_AA64MMFR2_EL1, 0, 7, 2, ~(F(27, 24) | F(59, 56))) /* no NV, EVT */

enum id_index {
#define X(name, op1, crm, op2, keep) IDX_##name,
    ID_REGS(X)
#undef X
    ID_REG_COUNT
};

#define READ_ID(op1, crm, op2) read_sysreg(S3_##op1##_C0_C##crm##_##op2)

/* Written once by the boot CPU (sysreg_init, before any guest runs), read-only after. */
static uint64_t id_value[ID_REG_COUNT];

#define GUEST_PARANGE 5    /* 48-bit IPA: VTCR_EL2.T0SZ = 16 (vcpu.c) */

void sysreg_init(void)
{
#define X(name, op1, crm, op2, keep) id_value[IDX_##name] = READ_ID(op1, crm, op2) & (keep);
    ID_REGS(X)
#undef X
    uint64_t parange = BITS(read_sysreg(id_aa64mmfr0_el1), 3, 0);
    id_value[IDX_ID_AA64MMFR0_EL1] |= parange < GUEST_PARANGE ? parange : GUEST_PARANGE;
    /* GIC = 1: the GICv3 system-register CPU interface (the vGIC; 3 would claim GICv4.1). */
    id_value[IDX_ID_AA64PFR0_EL1] |= 1ull << 24;
    if (pmu_host_has_pmuv3())      /* the emulated PMU (pmu_sysreg.c) */
        id_value[IDX_ID_AA64DFR0_EL1] |= (uint64_t)PMU_PMUVER << 8;
}

enum sysreg_kind { SR_ID, SR_RAZ_WI, SR_NOP };

struct sysreg_row {
    uint32_t key;
    enum sysreg_kind kind;
    uint32_t id_index;        /* SR_ID */
};

static const struct sysreg_row sysreg_rows[] = {
#define X(name, op1, crm, op2, keep) { SYS_KEY(3, op1, 0, crm, op2), SR_ID, IDX_##name },
    ID_REGS(X)
#undef X
    { SYS_KEY(3, 0, 1, 0, 1), SR_RAZ_WI, 0 },    /* ACTLR_EL1 (HCR_EL2.TACR) */
    { SYS_KEY(1, 0, 7, 6, 2), SR_NOP, 0 },       /* DC ISW  (HCR_EL2.TSW): caches are coherent under */
    { SYS_KEY(1, 0, 7, 10, 2), SR_NOP, 0 },      /* DC CSW   QEMU; real hardware needs a clean of the */
    { SYS_KEY(1, 0, 7, 14, 2), SR_NOP, 0 },      /* DC CISW  VM's memory here (KVM: stage2_flush_vm) */
};

static const struct sysreg_row *find_row(uint32_t key)
{
    for (size_t i = 0; i < sizeof(sysreg_rows) / sizeof(sysreg_rows[0]); i++)
        if (sysreg_rows[i].key == key)
            return &sysreg_rows[i];
    return NULL;
}

/* The rest of the ID space (op0 3, op1 0, CRn 0, CRm 1-7) is reserved and reads as zero
 * (Arm ARM D17.3.1, "Reserved encodings in the ID register space"). */
static bool is_id_space(uint32_t key)
{
    return (key >> 7) == SYS_KEY(3, 0, 0, 0, 0) >> 7 && ((key >> 3) & 0xf) >= 1 && ((key >> 3) & 0xf) <= 7;
}

/* The subsystems' tables, searched after the rows above. */
static const struct sysreg_table *const subsystem_tables[] = { &vgic_sysreg_table, &pmu_sysreg_table };

static const struct sysreg_handler_row *find_handler(uint32_t key)
{
    for (size_t t = 0; t < sizeof(subsystem_tables) / sizeof(subsystem_tables[0]); t++)
        for (size_t i = 0; i < subsystem_tables[t]->row_count; i++)
            if (subsystem_tables[t]->rows[i].key == key)
                return &subsystem_tables[t]->rows[i];
    return NULL;
}

/* Performs the access; false when the guest must get an UNDEF. */
static bool emulate(struct vcpu *v, uint32_t key, uint32_t rt, bool read)
{
    const struct sysreg_row *row = find_row(key);
    const struct sysreg_handler_row *handler = row ? NULL : find_handler(key);
    if (handler) {
        uint64_t value = read ? 0 : (rt == 31 ? 0 : v->arch.x[rt]);
        if (!handler->access(v, key, read, &value))
            return false;
        if (read && !v->arch.retry)
            guest_set_reg(v, rt, value);
        return true;
    }
    if (!row) {
        if (is_id_space(key) && read)
            guest_set_reg(v, rt, 0);
        return is_id_space(key) && read;
    }
    switch (row->kind) {
    case SR_ID:
        if (read)
            guest_set_reg(v, rt, id_value[row->id_index]);
        return read;
    case SR_RAZ_WI:
        if (read)
            guest_set_reg(v, rt, 0);
        return true;
    case SR_NOP:
        return !read;
    }
    return false;
}

void sysreg_trap(struct vcpu *v, struct vcpu_exit *exit, uint64_t esr)
{
    uint32_t iss = ESR_ISS(esr);
    exit->reason = EXIT_SYSREG;
    if (emulate(v, (uint32_t)ISS_KEY(iss), ISS_RT(iss), ISS_READ(iss))) {
        /* A handler may have given the guest an exception instead, or asked for the
         * instruction to run again once the trap is gone. */
        if (!v->arch.injected && !v->arch.retry)
            v->arch.pc += v->arch.insn_len;
        v->arch.retry = false;
        return;
    }
    vm_count_exit(v->vm, EXIT_ABORT);
    inject_undef(v);
}
