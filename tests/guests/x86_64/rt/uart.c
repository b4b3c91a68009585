/* uart.c: COM1 16550 output and printf (formatting: tests/guests/common/format.c), with a lock so each printf comes out whole when several CPUs print. */
#include "rt.h"
#include "format.h"
#include "internal.h"

#define UART_THR    (COM1_BASE + 0)     /* DLL when LCR.DLAB */
#define UART_IER    (COM1_BASE + 1)     /* DLM when LCR.DLAB */
#define UART_FCR    (COM1_BASE + 2)
#define UART_LCR    (COM1_BASE + 3)
#define UART_MCR    (COM1_BASE + 4)
#define UART_LSR    (COM1_BASE + 5)
#define LSR_THRE    (1u << 5)
#define LCR_DLAB    (1u << 7)
#define LCR_8N1     0x03

/* 115200 8N1, FIFOs on, no interrupts: what the firmware usually left, made certain. */
void uart_init(void)
{
    outb(UART_IER, 0);
    outb(UART_LCR, LCR_DLAB);
    outb(UART_THR, 1);                  /* divisor 1: 115200 baud */
    outb(UART_IER, 0);
    outb(UART_LCR, LCR_8N1);
    outb(UART_FCR, 0x07);               /* enable and clear both FIFOs */
    outb(UART_MCR, 0x03);               /* DTR, RTS */
}

void putc(char c)
{
    while (!(inb(UART_LSR) & LSR_THRE))
        ;
    outb(UART_THR, (uint8_t)c);
}

/* Console lock. Holder = CPU index + 1. A CPU that takes an exception while printing prints
 * the report without the lock rather than deadlock on itself. */
static uint32_t console_owner;

static bool console_lock(void)
{
    uint32_t me = cpu_index() + 1, free_ = 0;
    if (__atomic_load_n(&console_owner, __ATOMIC_RELAXED) == me)
        return false;
    while (!__atomic_compare_exchange_n(&console_owner, &free_, me, false,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        free_ = 0;
        cpu_relax();
    }
    return true;
}

static void console_unlock(bool taken)
{
    if (taken)
        __atomic_store_n(&console_owner, 0, __ATOMIC_RELEASE);
}

void vprintf(const char *fmt, va_list ap)
{
    struct sink k = { 0 };
    bool taken = console_lock();
    format(&k, fmt, ap);
    console_unlock(taken);
}

void puts(const char *s)
{
    bool taken = console_lock();
    while (*s)
        putc(*s++);
    console_unlock(taken);
}

void printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink k = { buf, size, 0 };
    format(&k, fmt, ap);
    if (size)
        buf[k.len < size ? k.len : size - 1] = '\0';
    return (int)k.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
