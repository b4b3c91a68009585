/* test_console.c: the physical console's lock (kernel/console.c): a panic dump gets out when the
 * CPU faulted inside the lock, or when another CPU holds it and never lets go. */
#include <criterion/criterion.h>
#include <string.h>
#include "arch.h"
#include "kernel.h"

static uint32_t cpu;
static uint64_t now_ns;
static char out[4096];
static size_t out_len;
static void (*inside)(void);           /* run once from within the sink: "while holding the lock" */

uint32_t arch_cpu_index(void) { return cpu; }
uint64_t arch_time_ns(void) { return now_ns += 1000 * 1000; }   /* 1 ms per look */
void arch_cpu_relax(void) {}

static void sink(char c)
{
    out[out_len++] = c;
    if (inside) {
        void (*f)(void) = inside;
        inside = NULL;
        f();
    }
}

static void setup(void)
{
    console_set_sink(sink);
}

TestSuite(console, .init = setup, .timeout = 10);   /* a deadlock fails, not hangs */

Test(console, lines_get_crlf)
{
    hv_printf("a %d\n", 1);
    out[out_len] = 0;
    cr_assert_str_eq(out, "a 1\r\n");
    cr_assert_not(console_panicking());
}

/* CPU 0 faults while it prints (holding the lock): its dump must not wait for itself. */
static void fault_inside(void)
{
    console_panic_begin();
    hv_printf("DUMP\n");
}

Test(console, a_fault_inside_the_lock_still_prints_the_dump)
{
    inside = fault_inside;
    hv_printf("x\n");
    out[out_len] = 0;
    cr_assert_str_eq(out, "xDUMP\r\n\r\n");
    cr_assert(console_panicking());
    hv_printf("after\n");                 /* the lock was given back by the first writer */
}

/* CPU 1 holds the lock (stuck in its sink); CPU 0 panics: it waits a bounded time, then writes. */
static void other_cpu_panics(void)
{
    uint32_t holder = cpu;
    cpu = 0;
    uint64_t t0 = now_ns;
    console_panic_begin();
    hv_printf("PANIC\n");
    cr_assert_geq(now_ns - t0, 100ull * 1000 * 1000, "it waited for the holder first");
    cr_assert_lt(now_ns - t0, 200ull * 1000 * 1000, "but not for long");
    hv_printf("more\n");                  /* once given up, no second wait */
    cr_assert_lt(now_ns - t0, 200ull * 1000 * 1000);
    cpu = holder;
}

Test(console, a_lock_held_elsewhere_delays_the_dump_a_bounded_time)
{
    cpu = 1;
    inside = other_cpu_panics;
    hv_printf("y\n");
    out[out_len] = 0;
    cr_assert_str_eq(out, "yPANIC\r\nmore\r\n\r\n");
}
