/* fake_arch.c: the arch interface for host unit tests: one CPU, time from a counter. */
#include "arch.h"

static uint64_t fake_now_ns;

uint32_t arch_cpu_index(void) { return 0; }
void arch_cpu_relax(void) {}
uint64_t arch_time_ns(void) { return fake_now_ns += 1000; }
