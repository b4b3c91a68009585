/* format.c: the payloads' printf engine (format.h), shared by the aarch64 and x86_64 runtimes. */
#include "format.h"

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

void format(struct sink *k, const char *fmt, va_list ap)
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

