/* console.c: the hypervisor console; formats with newlib, writes whole lines under one lock. */
#include <stdio.h>
#include "kernel.h"
#include "spinlock.h"

static struct spinlock console_lock = SPINLOCK_INIT;   /* guards console_sink and the UART */
static void (*console_sink)(char c);

void console_set_sink(void (*putc)(char c))
{
    spin_lock(&console_lock);
    console_sink = putc;
    spin_unlock(&console_lock);
}

void console_write(const char *s, size_t len)
{
    spin_lock(&console_lock);
    if (console_sink) {
        for (size_t i = 0; i < len; i++) {
            if (s[i] == '\n')
                console_sink('\r');
            console_sink(s[i]);
        }
    }
    spin_unlock(&console_lock);
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
