/* entropy.c: RNDR, the Armv8.5 random number register (Arm ARM D23.2.147 RNDR, FEAT_RNG):
 * present when ID_AA64ISAR0_EL1.RNDR (bits [63:60]) is 0b0001. A read sets PSTATE.NZCV to
 * 0b0000 with a random value, or to 0b0100 (Z) with 0 when none was ready "in a reasonable
 * period of time": then software retries. */
#include "arch.h"
#include "sysreg.h"

#define ISAR0_RNDR_SHIFT 60
#define RNDR_RETRIES 16

static bool rndr(uint64_t *v)
{
    uint64_t ok;
    /* s3_3_c2_c4_0 is RNDR: named by encoding so older assemblers accept it. */
    __asm__ volatile("mrs %0, s3_3_c2_c4_0\n\tcset %1, ne" : "=r"(*v), "=r"(ok) : : "cc");
    return ok;
}

bool arch_entropy(uint64_t *out, const char **name)
{
    if (name)
        *name = "none";
    if (((read_sysreg(id_aa64isar0_el1) >> ISAR0_RNDR_SHIFT) & 0xf) != 1)
        return false;
    if (name)
        *name = "RNDR";
    for (int i = 0; i < RNDR_RETRIES; i++)
        if (rndr(out))
            return true;
    return false;
}
