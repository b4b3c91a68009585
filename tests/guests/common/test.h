/* test.h: one line per check on the console (PASS / FAIL / SKIP), then DONE and the end of the VM
 * (aarch64: PSCI SYSTEM_OFF; x86_64: isa-debug-exit). Shared by both guest runtimes. */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

#include "rt.h"

/* Prints "PASS name" or "FAIL name: <detail>" (detail is printf-formatted). Returns ok. */
bool check(bool ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints "SKIP name (reason)". */
void skip(const char *name, const char *reason);
/* Prints "BENCH name total_ticks=T iterations=N cntfrq=F": T counter ticks (aarch64: CNTVCT;
 * x86_64: TSC), F their frequency in Hz. */
void bench_report(const char *name, uint64_t total_ticks, uint64_t iterations);
/* Prints "DONE passed=N failed=M" and ends the VM (x86_64: writes 0 if all passed, else 1, to
 * isa-debug-exit, so QEMU exits with 1 or 3). */
void test_done(void) __attribute__((noreturn));

#define CHECK(cond, name) check((cond), (name), "%s", #cond)
#define CHECK_EQ(got, want, name) ({                                            \
    uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                       \
    check(g_ == w_, (name), "%s = 0x%lx, want 0x%lx", #got, g_, w_); })

/* For checks that need the hypervisor's own hypercalls. */
#define SKIP_IF_NOT_HV(name) \
    if (!hv_present()) { skip((name), "not under hv"); } else

#endif
