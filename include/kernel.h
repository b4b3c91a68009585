/* kernel.h: entry points and services kernel/ offers to boot/ and arch/. */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct boot_info;

#define HV_VERSION "0.1.0"

/* Boot CPU entry after ExitBootServices; never returns. */
__attribute__((noreturn)) void kernel_main(struct boot_info *bi);
/* Secondary CPU entry, on its own stack with the hypervisor's tables live. */
__attribute__((noreturn)) void kernel_secondary_main(uint32_t cpu_index);
/* Unexpected exception: arch code prints the dump first, then calls this. */
__attribute__((noreturn)) void kernel_panic(const char *why);

/* Console: printf-style output, whole lines kept together across CPUs. */
__attribute__((format(printf, 1, 2))) int hv_printf(const char *fmt, ...);
int hv_vprintf(const char *fmt, va_list ap);
void console_write(const char *s, size_t len);
/* Where console bytes go: the firmware console before ExitBootServices, the
 * UART driver after. */
void console_set_sink(void (*putc)(char c));

/* newlib's sbrk arena. */
void heap_init(uint64_t base, uint64_t size_bytes);

#endif
