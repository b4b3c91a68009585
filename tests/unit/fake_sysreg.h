/* fake_sysreg.h: the AArch64 system-register accessors for host unit tests (sysreg.h includes it
 * under HV_FAKE_SYSREG): every register is a named 64-bit cell in tests/unit/fake_sysreg.c. */
#ifndef FAKE_SYSREG_H
#define FAKE_SYSREG_H

#include <stdbool.h>
#include <stdint.h>

/* What the code under test calls, by the register's name as written in the source. */
uint64_t fake_sysreg_read(const char *name);
void fake_sysreg_write(const char *name, uint64_t value);
bool fake_sysreg_at(bool el0, uint64_t va);

#define read_sysreg(reg) fake_sysreg_read(#reg)
#define write_sysreg(reg, val) fake_sysreg_write(#reg, (uint64_t)(val))
#define isb() ((void)0)
#define dsb(opt) ((void)0)
#define at_s1e1r(va) fake_sysreg_at(false, (uint64_t)(va))
#define at_s1e0r(va) fake_sysreg_at(true, (uint64_t)(va))

/* What the tests use: every register 0 and never written; set or inspect a register
 * without counting as an access of the code under test. */
void fake_sysreg_reset(void);
void fake_sysreg_set(const char *name, uint64_t value);
uint64_t fake_sysreg_get(const char *name);
uint32_t fake_sysreg_write_count(const char *name);   /* writes by the code under test */

/* The guest's stage 1 for AT S1E1R / S1E0R: returns the PAR_EL1 value the translation leaves
 * (the default: PAR_EL1.F = 1, no translation), or FAKE_AT_EXTERNAL_ABORT: the walk took a
 * synchronous External abort at EL2 (the AT returns false, PAR_EL1 untouched). */
#define FAKE_AT_EXTERNAL_ABORT (~0ull)
extern uint64_t (*fake_sysreg_at_hook)(bool el0, uint64_t va);

#endif
