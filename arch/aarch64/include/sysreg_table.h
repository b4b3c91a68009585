/* sysreg_table.h: tables of trapped system registers (ESR_EL2.EC 0x18), one row per register.
 * sysreg_trap.c owns the dispatch; subsystems (vGIC, PMU) each provide a table. */
#ifndef SYSREG_TABLE_H
#define SYSREG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcpu;

/* Encoding key of a register, like Linux's sys_reg(op0, op1, CRn, CRm, op2). */
#define SYS_KEY(op0, op1, crn, crm, op2) ((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2))

/* Emulates one access: for a read, *value is filled; for a write it holds the value.
 * Returns false when the guest must get an UNDEF instead. A handler that gave the guest
 * another exception itself (inject_*, e.g. an EL0 access trapped to EL1) returns true; so
 * does one that set v->arch.retry: the access is not performed, the guest executes it again. */
typedef bool (*sysreg_access_fn)(struct vcpu *v, uint32_t key, bool read, uint64_t *value);

struct sysreg_handler_row {
    uint32_t key;
    sysreg_access_fn access;
    const char *name;
};

struct sysreg_table {
    const struct sysreg_handler_row *rows;
    size_t row_count;
};

/* Provided by the subsystems that own the registers. */
extern const struct sysreg_table pmu_sysreg_table;   /* pmu_sysreg.c */
extern const struct sysreg_table vgic_sysreg_table;  /* vgic_sysreg.c */

#endif
