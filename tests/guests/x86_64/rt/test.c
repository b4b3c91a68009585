/* test.c: PASS/FAIL/SKIP/DONE/BENCH line output (formats in ../README.md). */
#include "test.h"

/* Atomic: an AP may report a FAIL (unexpected exception) while the boot CPU checks. */
static unsigned passed, failed;

bool check(bool ok, const char *name, const char *fmt, ...)
{
    if (ok) {
        __atomic_fetch_add(&passed, 1, __ATOMIC_RELAXED);
        printf("PASS %s\n", name);
        return true;
    }
    __atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    printf("FAIL %s: %s\n", name, detail);  /* one printf: one unbroken line */
    return false;
}

void skip(const char *name, const char *reason)
{
    printf("SKIP %s (%s)\n", name, reason);
}

void bench_report(const char *name, uint64_t total_ticks, uint64_t iterations)
{
    printf("BENCH %s total_ticks=%lu iterations=%lu cntfrq=%lu\n",
           name, total_ticks, iterations, tsc_hz());
}

/* As test_done, but a run with no failure ends by ACPI S5 (ACPI 6.5, 7.4.2 / 16.1.7: SLP_TYPa with SLP_EN
 * into PM1a_CNT), as an OS powers off; without a PM1a_CNT port, or after a failure, as test_done. */
void test_done_acpi_s5(uint16_t pm1a_cnt_port, uint8_t slp_typ)
{
    unsigned f = __atomic_load_n(&failed, __ATOMIC_RELAXED);
    if (f || !pm1a_cnt_port)
        test_done();
    printf("DONE passed=%u failed=0\n", __atomic_load_n(&passed, __ATOMIC_RELAXED));
    uint16_t cnt = inw(pm1a_cnt_port);
    outw(pm1a_cnt_port, (uint16_t)((cnt & ~0x3C00u) | (uint32_t)(slp_typ & 7) << 10 | 1u << 13));
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* Checks that passed so far, and those that passed before a VM reset (a payload carries the count
 * across the reset itself, e.g. in CMOS RAM: pc.c). */
unsigned test_passed_count(void) { return __atomic_load_n(&passed, __ATOMIC_RELAXED); }
unsigned test_failed_count(void) { return __atomic_load_n(&failed, __ATOMIC_RELAXED); }
void test_carry_passed(unsigned n) { __atomic_fetch_add(&passed, n, __ATOMIC_RELAXED); }

void test_done(void)
{
    unsigned f = __atomic_load_n(&failed, __ATOMIC_RELAXED);
    printf("DONE passed=%u failed=%u\n", __atomic_load_n(&passed, __ATOMIC_RELAXED), f);
    outb(DEBUG_EXIT_PORT, f ? 1 : 0);
    for (;;)                    /* no isa-debug-exit device: stop here */
        __asm__ volatile("cli; hlt");
}
