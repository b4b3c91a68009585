/* sysreg_trap.c: the guest's trapped system-register accesses (ESR_EL2.EC 0x18), one table
 * row per register: ID registers through the allow-list of id_regs.c (HCR_EL2.TID3), ACTLR_EL1 (TACR), set/way cache
 * maintenance (TSW); the vGIC's and the PMU's registers (MDCR_EL2.TPM) in their own tables.
 * Everything else that traps (IMPDEF via TIDCP, LORegions, RAS records, AMU, ...) is UNDEFINED
 * for the guest. */
#include "guest.h"
#include "pmu.h"
#include "id_regs.h"
#include "kernel.h"
#include "sysreg_table.h"

/* ISS for EC 0x18 (Arm ARM D17.2.40): Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10],
 * Rt [9:5], CRm [4:1], Direction [0] (1: read, MRS). Rows are keyed like Linux's sys_reg(). */
#define ISS_KEY(iss) SYS_KEY(BITS(iss, 21, 20), BITS(iss, 16, 14), BITS(iss, 13, 10), BITS(iss, 4, 1), \
                             BITS(iss, 19, 17))
#define ISS_RT(iss)   ((uint32_t)BITS(iss, 9, 5))
#define ISS_READ(iss) ((iss) & 1)

/* ID registers (HCR_EL2.TID3): the boot CPU's values through the allow-list of id_regs.c. */
#define READ_ID(op1, crm, op2) read_sysreg(S3_##op1##_C0_C##crm##_##op2)

/* Written once by the boot CPU (sysreg_init, before any guest runs), read-only after. */
static uint64_t id_value[ID_REG_COUNT];

#define MMFR1_HCX(v) BITS(v, 43, 40)     /* ID_AA64MMFR1_EL1.HCX: HCRX_EL2 exists */
#define ISAR2_MOPS(v) BITS(v, 19, 16)    /* ID_AA64ISAR2_EL1.MOPS */
#define HCRX_MSCEN (1ull << 11)          /* HCRX_EL2.MSCEn: MOPS at EL1 and EL0 (Arm ARM D17.2.50) */

static uint64_t hcrx_guest;              /* written with id_value, read-only after */
static bool host_hcx;

static void index_build(void);

void sysreg_init(void)
{
    uint64_t host[ID_REG_COUNT];
#define X(name, op1, crm, op2) host[IDR_##name] = READ_ID(op1, crm, op2);
    ID_REGS(X)
#undef X
    struct id_caps caps = {
        .pmuver = pmu_host_has_pmuv3() ? PMU_PMUVER : 0,
        .hcx = MMFR1_HCX(host[IDR_ID_AA64MMFR1_EL1]) != 0,
    };
    id_regs_sanitise(host, &caps, id_value);
    /* HCRX_EL2's reset value is UNKNOWN: where it exists every bit is chosen here, MSCEn
     * exactly when the guest sees MOPS. */
    host_hcx = caps.hcx;
    hcrx_guest = caps.hcx && ISAR2_MOPS(id_value[IDR_ID_AA64ISAR2_EL1]) ? HCRX_MSCEN : 0;
    index_build();
}

bool sysreg_hcrx(uint64_t *value)
{
    *value = hcrx_guest;
    return host_hcx;
}

/* ID_AA64ISAR2_EL1.WFxT [3:0] as the guest sees it: without it WFIT is UNDEFINED (Arm ARM
 * C6.2, WFIT), so a trapped WFI is a WFI and trap.c need not read the instruction. */
bool sysreg_guest_wfxt(void)
{
    return BITS(id_value[IDR_ID_AA64ISAR2_EL1], 3, 0) != 0;
}

enum sysreg_kind { SR_ID, SR_RAZ_WI, SR_NOP };

struct sysreg_row {
    uint32_t key;
    enum sysreg_kind kind;
    uint32_t id_index;        /* SR_ID */
};

static const struct sysreg_row sysreg_rows[] = {
#define X(name, op1, crm, op2) { SYS_KEY(3, op1, 0, crm, op2), SR_ID, IDR_##name },
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

/* Every key's row in one hash probe or a few, instead of the linear searches above (~400
 * instructions for ICC_SGI1R_EL1, behind the ID rows; issue 16). Built by sysreg_init with the
 * searches themselves, so a key finds the row they would; read-only after. `table` 0: empty
 * slot, 1: sysreg_rows, 2 + t: subsystem_tables[t]. */
#define INDEX_SLOTS 256u
struct index_slot {
    uint32_t key;
    uint16_t table;
    uint16_t row;
};
static struct index_slot sysreg_index[INDEX_SLOTS];

static uint32_t index_hash(uint32_t key)
{
    return (key * 0x9e3779b1u) >> 24;     /* Fibonacci hashing of the 16-bit key to 8 bits */
}

static const struct index_slot *index_find(uint32_t key)
{
    for (uint32_t n = 0, h = index_hash(key); n < INDEX_SLOTS; n++, h = (h + 1) % INDEX_SLOTS) {
        const struct index_slot *s = &sysreg_index[h];
        if (!s->table || s->key == key)
            return s->table ? s : NULL;
    }
    return NULL;
}

static void index_add(uint32_t key, uint16_t table, uint16_t row)
{
    for (uint32_t n = 0, h = index_hash(key); n < INDEX_SLOTS; n++, h = (h + 1) % INDEX_SLOTS) {
        struct index_slot *s = &sysreg_index[h];
        if (s->table && s->key == key)
            return;
        if (!s->table) {
            *s = (struct index_slot){ key, table, row };
            return;
        }
    }
    kernel_panic("sysreg: more trapped registers than index slots");
}

static void index_build(void)
{
    for (size_t i = 0; i < sizeof(sysreg_rows) / sizeof(sysreg_rows[0]); i++)
        index_add(sysreg_rows[i].key, 1, (uint16_t)(find_row(sysreg_rows[i].key) - sysreg_rows));
    for (size_t t = 0; t < sizeof(subsystem_tables) / sizeof(subsystem_tables[0]); t++)
        for (size_t i = 0; i < subsystem_tables[t]->row_count; i++) {
            uint32_t key = subsystem_tables[t]->rows[i].key;
            if (find_row(key) || find_handler(key) != &subsystem_tables[t]->rows[i])
                continue;                 /* an earlier row has the key: the searches never get here */
            index_add(key, (uint16_t)(2 + t), (uint16_t)i);
        }
}

/* Performs the access; false when the guest must get an UNDEF. */
static bool emulate(struct vcpu *v, uint32_t key, uint32_t rt, bool read)
{
    const struct index_slot *s = index_find(key);
    const struct sysreg_row *row = s && s->table == 1 ? &sysreg_rows[s->row] : NULL;
    const struct sysreg_handler_row *handler = s && s->table >= 2 ? &subsystem_tables[s->table - 2]->rows[s->row] : NULL;
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
            guest_skip_insn(v);     /* clears PSTATE.SS: a stepped MSR/MRS steps once */
        v->arch.retry = false;
        return;
    }
    vm_count_exit(v->vm, EXIT_ABORT);
    inject_undef(v);
}
