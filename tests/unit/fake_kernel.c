/* fake_kernel.c: what the units under test use from the rest of kernel/ and nothing more: the
 * console (to stderr) and MMIO-bus registration (accepted, never dispatched). */
#include <stdarg.h>
#include <stdio.h>
#include "kernel.h"
#include "mmio_bus.h"

int hv_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stderr, fmt, ap);
    va_end(ap);
    return n;
}

int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t size, const struct mmio_ops *ops, void *dev,
                      const char *name)
{
    (void)bus, (void)base, (void)size, (void)ops, (void)dev, (void)name;
    return 0;
}
