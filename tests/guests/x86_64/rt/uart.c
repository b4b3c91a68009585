/* uart.c: COM1 16550 output and a small printf (%d %i %u %x %X %p %s %c %%, flags 0 and -,
 * width, l/ll/z), with a lock so each printf comes out whole when several CPUs print. */
#include "rt.h"
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

struct sink { char *buf; size_t size, len; };   /* buf == NULL: the UART */

static void emit(struct sink *k, char c)
{
    if (!k->buf)
        putc(c);
    else if (k->len + 1 < k->size)
        k->buf[k->len] = c;
    k->len++;
}

static void emit_num(struct sink *k, uint64_t v, unsigned base, bool neg, bool upper,
                     unsigned width, char pad, bool left)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    unsigned n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    unsigned len = n + neg;
    if (neg && pad == '0')
        emit(k, '-');
    for (; !left && width > len; width--)
        emit(k, pad);
    if (neg && pad != '0')
        emit(k, '-');
    while (n)
        emit(k, tmp[--n]);
    for (; left && width > len; width--)
        emit(k, ' ');
}

static void format(struct sink *k, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(k, *fmt);
            continue;
        }
        fmt++;
        bool left = false;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        unsigned width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (unsigned)(*fmt++ - '0');
        unsigned longs = 0;
        while (*fmt == 'l' || *fmt == 'z') {
            longs++;
            fmt++;
        }
        if (left)
            pad = ' ';
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
            emit_num(k, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, false, width, pad, left);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            emit_num(k, v, *fmt == 'u' ? 10 : 16, false, *fmt == 'X', width, pad, left);
            break;
        }
        case 'p':
            emit(k, '0');
            emit(k, 'x');
            emit_num(k, (uintptr_t)va_arg(ap, void *), 16, false, false, width, pad, left);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            size_t n = strlen(s);
            for (; !left && width > n; width--)
                emit(k, ' ');
            while (*s)
                emit(k, *s++);
            for (; left && width > n; width--)
                emit(k, ' ');
            break;
        }
        case 'c':
            emit(k, (char)va_arg(ap, int));
            break;
        case '%':
            emit(k, '%');
            break;
        case '\0':
            return;
        default:                /* unknown conversion: show it rather than guess */
            emit(k, '%');
            emit(k, *fmt);
        }
    }
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
