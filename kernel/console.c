/* console.c: the hypervisor console; formats with newlib, writes whole lines under one lock, and
 * gets a panic dump out even when that lock is held. */
#include <stdio.h>
#include "arch.h"
#include "kernel.h"
#include "spinlock.h"

#define NO_CPU UINT32_MAX
/* How long a panicking CPU waits for the console lock before it writes without it. A holder
 * prints one line at most (guest lines come one at a time from vm_console_drain): ~17 ms for 200
 * bytes at 115200 baud. */
#define PANIC_LOCK_WAIT_NS (100ull * 1000 * 1000)

static struct spinlock console_lock = SPINLOCK_INIT;   /* guards console_sink and the UART */
static void (*console_sink)(char c);
static uint32_t console_owner = NO_CPU;   /* atomic: the CPU inside console_lock */
static uint32_t panic_cpu = NO_CPU;       /* atomic: the CPU printing a panic or exception dump */
static bool panic_lockless;               /* panic_cpu only: it gave up on console_lock */

void console_set_sink(void (*putc)(char c))
{
    spin_lock(&console_lock);
    console_sink = putc;
    spin_unlock(&console_lock);
}

void console_panic_begin(void)
{
    uint32_t none = NO_CPU;
    __atomic_compare_exchange_n(&panic_cpu, &none, arch_cpu_index(), false, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
}

bool console_panicking(void)
{
    return __atomic_load_n(&panic_cpu, __ATOMIC_ACQUIRE) != NO_CPU;
}

/* False: the panicking CPU writes without the lock, because it faulted inside it or its holder
 * did not let go in time (a CPU that died holding it). */
static bool console_lock_take(void)
{
    uint32_t panicking = __atomic_load_n(&panic_cpu, __ATOMIC_ACQUIRE);
    if (panicking == NO_CPU || panicking != arch_cpu_index()) {
        spin_lock(&console_lock);
        __atomic_store_n(&console_owner, arch_cpu_index(), __ATOMIC_RELAXED);
        return true;
    }
    if (panic_lockless || __atomic_load_n(&console_owner, __ATOMIC_RELAXED) == arch_cpu_index()) {
        panic_lockless = true;
        return false;
    }
    uint64_t deadline = arch_time_ns() + PANIC_LOCK_WAIT_NS;
    while (!spin_trylock(&console_lock)) {
        if (arch_time_ns() >= deadline) {
            panic_lockless = true;
            return false;
        }
        arch_cpu_relax();
    }
    __atomic_store_n(&console_owner, arch_cpu_index(), __ATOMIC_RELAXED);
    return true;
}

static void console_lock_give(void)
{
    __atomic_store_n(&console_owner, NO_CPU, __ATOMIC_RELAXED);
    spin_unlock(&console_lock);
}

void console_write(const char *s, size_t len)
{
    bool locked = console_lock_take();
    if (console_sink) {
        for (size_t i = 0; i < len; i++) {
            if (s[i] == '\n')
                console_sink('\r');
            console_sink(s[i]);
        }
    }
    if (locked)
        console_lock_give();
}

int hv_vprintf(const char *fmt, va_list ap)
{
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n < 0)
        return n;
    console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    return n;
}

int hv_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = hv_vprintf(fmt, ap);
    va_end(ap);
    return n;
}
