/* lib.c: the few string functions the payloads use and GCC may emit calls to, shared by both
 * guest runtimes. Byte-wise on purpose: on aarch64 with the MMU off memory is Device, where
 * unaligned or DC ZVA based versions would fault. */
#include "rt.h"

void *memset(void *d, int c, size_t n)
{
    volatile uint8_t *p = d;   /* volatile: keep GCC from turning this into a memset call */
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    volatile uint8_t *dp = d;
    const uint8_t *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (uint8_t)*a - (uint8_t)*b;
        if (!*a)
            break;
    }
    return 0;
}
