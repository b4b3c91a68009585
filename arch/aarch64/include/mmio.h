/* mmio.h: device register accessors (single-copy atomic, not reordered by the compiler). */
#ifndef AARCH64_MMIO_H
#define AARCH64_MMIO_H

#include <stdbool.h>
#include <stdint.h>

static inline uint32_t mmio_read32(uint64_t addr)
{
    return *(volatile uint32_t *)(uintptr_t)addr;
}

static inline uint64_t mmio_read64(uint64_t addr)
{
    return *(volatile uint64_t *)(uintptr_t)addr;
}

static inline void mmio_write32(uint64_t addr, uint32_t val)
{
    *(volatile uint32_t *)(uintptr_t)addr = val;
}

/* A 32-bit read that survives a synchronous external abort (nothing at addr, even
 * though a table claimed a device there): false then. Defined in exception.c. */
bool mmio_probe_read32(uint64_t addr, uint32_t *out);

#endif
