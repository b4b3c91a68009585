/* uart.c: PL011 output and printf (formatting: tests/guests/common/format.c). */
#include "rt.h"
#include "format.h"

#define UART_DR    (PL011_BASE + 0x00)
#define UART_FR    (PL011_BASE + 0x18)
#define FR_TXFF    (1u << 5)

/* No lock: exclusives are not usable with the MMU off (Device memory), so payloads
 * print from one CPU at a time. */
void putc(char c)
{
    while (mmio_read32(UART_FR) & FR_TXFF)
        ;
    mmio_write32(UART_DR, (uint8_t)c);
}

void puts(const char *s)
{
    while (*s)
        putc(*s++);
}

void vprintf(const char *fmt, va_list ap)
{
    struct sink k = { 0 };
    format(&k, fmt, ap);
}

void printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    struct sink k = { buf, size, 0 };
    va_list ap;
    va_start(ap, fmt);
    format(&k, fmt, ap);
    va_end(ap);
    if (size)
        buf[k.len < size ? k.len : size - 1] = '\0';
    return (int)k.len;
}
