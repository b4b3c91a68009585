/* fake_arch.c: the arch interface for host unit tests: one CPU, time from a counter, and a
 * random instruction the test controls (fake_entropy_*). */
#include "arch.h"

static uint64_t fake_now_ns;
bool fake_entropy_present;                   /* arch_entropy: the CPU "has" the instruction */
uint64_t fake_entropy_next;                  /* its next value (then incremented) */
uint32_t fake_entropy_failures;              /* reads that fail before the next success */

uint32_t arch_cpu_index(void) { return 0; }
void arch_cpu_relax(void) {}
uint64_t arch_time_ns(void) { return fake_now_ns += 1000; }

bool arch_entropy(uint64_t *out, const char **name)
{
    if (name)
        *name = fake_entropy_present ? "FAKERNG" : "none";
    if (!fake_entropy_present)
        return false;
    if (fake_entropy_failures) {
        fake_entropy_failures--;
        return false;
    }
    *out = fake_entropy_next++;
    return true;
}
