/* test.c: PASS/FAIL/SKIP/DONE/BENCH line output (formats in ../README.md). */
#include "test.h"

/* No lock: payloads report from one CPU at a time (see uart.c). */
static unsigned passed, failed;

bool check(bool ok, const char *name, const char *fmt, ...)
{
    if (ok) {
        passed++;
        printf("PASS %s\n", name);
        return true;
    }
    failed++;
    printf("FAIL %s: ", name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putc('\n');
    return false;
}

void skip(const char *name, const char *reason)
{
    printf("SKIP %s (%s)\n", name, reason);
}

void bench_report(const char *name, uint64_t total_ticks, uint64_t iterations)
{
    printf("BENCH %s total_ticks=%lu iterations=%lu cntfrq=%lu\n",
           name, total_ticks, iterations, counter_freq());
}

void test_done(void)
{
    printf("DONE passed=%u failed=%u\n", passed, failed);
    psci_system_off();
}
