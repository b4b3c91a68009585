/* format.h: the payloads' printf engine, shared by the aarch64 and x86_64 guest runtimes
 * (%d %i %u %x %X %p %s %c %%, flags 0 and -, width, l/ll/z). */
#ifndef GUEST_FORMAT_H
#define GUEST_FORMAT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sink { char *buf; size_t size, len; };   /* buf == NULL: the console (putc) */

/* Each runtime provides the console output. */
void putc(char c);
void format(struct sink *k, const char *fmt, va_list ap);
size_t strlen(const char *s);   /* lib.c */

#endif
