/* fake_sysreg.c: a register file in memory behind read_sysreg / write_sysreg for host unit tests
 * (see fake_sysreg.h). Registers are found by name; the first access creates one, reading 0. */
#include <criterion/criterion.h>
#include <string.h>
#include "fake_sysreg.h"

#define FAKE_SYSREG_MAX 128
#define FAKE_SYSREG_NAME_BYTES 24

struct fake_sysreg {
    char name[FAKE_SYSREG_NAME_BYTES];
    uint64_t value;
    uint32_t write_count;
};

/* One test runs at a time in its own process (Criterion), single-threaded: no lock. */
static struct fake_sysreg regs[FAKE_SYSREG_MAX];
static uint32_t reg_count;

uint64_t (*fake_sysreg_at_hook)(bool el0, uint64_t va);

static struct fake_sysreg *lookup(const char *name)
{
    for (uint32_t i = 0; i < reg_count; i++)
        if (strcmp(regs[i].name, name) == 0)
            return &regs[i];
    cr_assert_lt(reg_count, FAKE_SYSREG_MAX, "fake_sysreg: too many registers");
    cr_assert_lt(strlen(name), sizeof(regs[0].name), "fake_sysreg: name too long: %s", name);
    struct fake_sysreg *r = &regs[reg_count++];
    strcpy(r->name, name);
    return r;
}

uint64_t fake_sysreg_read(const char *name) { return lookup(name)->value; }

void fake_sysreg_write(const char *name, uint64_t value)
{
    struct fake_sysreg *r = lookup(name);
    r->value = value;
    r->write_count++;
}

bool fake_sysreg_at(bool el0, uint64_t va)
{
    uint64_t par = fake_sysreg_at_hook ? fake_sysreg_at_hook(el0, va) : 1;
    if (par == FAKE_AT_EXTERNAL_ABORT)
        return false;
    lookup("par_el1")->value = par;
    return true;
}

void fake_sysreg_reset(void)
{
    memset(regs, 0, sizeof(regs));
    reg_count = 0;
    fake_sysreg_at_hook = NULL;
}

void fake_sysreg_set(const char *name, uint64_t value) { lookup(name)->value = value; }
uint64_t fake_sysreg_get(const char *name) { return lookup(name)->value; }
uint32_t fake_sysreg_write_count(const char *name) { return lookup(name)->write_count; }
