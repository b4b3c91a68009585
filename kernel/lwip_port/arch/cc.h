/* cc.h: lwIP's compiler and platform glue for the hypervisor: diagnostics to the console,
 * assertions that report and carry on, randomness from the clock (kernel/net.c). */
#ifndef LWIP_ARCH_CC_H
#define LWIP_ARCH_CC_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

/* newlib's ssize_t (sys/types.h) without a SSIZE_MAX: give lwIP one so it keeps that type. */
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif
#define LWIP_NO_UNISTD_H 1

/* kernel.h's console; declared here so lwIP's own files need no hypervisor header. */
__attribute__((format(printf, 1, 2))) int hv_printf(const char *fmt, ...);
uint32_t net_rand(void);

#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN       /* aarch64 and x86_64, as the hypervisor runs them */
#endif

#define LWIP_PLATFORM_DIAG(x) do { hv_printf x; } while (0)
/* Never halt the hypervisor for the management stack: report and continue. FILE:LINE names the
 * assertion; its message text is left out of the image (issue 16: ~5 KiB of strings). */
#define LWIP_PLATFORM_ASSERT(x) \
    do { (void)(x); hv_printf("lwip: assertion failed at %s:%d\n", __FILE__, __LINE__); } while (0)

#define LWIP_RAND() (net_rand())

#endif
