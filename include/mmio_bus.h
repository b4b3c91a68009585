/* mmio_bus.h: a VM's emulated-device bus: address ranges (MMIO or x86 ports) to device handlers. */
#ifndef MMIO_BUS_H
#define MMIO_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define MMIO_BUS_MAX_REGIONS 32

struct vcpu;

/* Handlers get the offset into their range and an access size of 1, 2, 4 or 8. */
struct mmio_ops {
    uint64_t (*read)(void *dev, struct vcpu *vcpu, uint64_t offset, uint32_t size);
    void (*write)(void *dev, struct vcpu *vcpu, uint64_t offset, uint32_t size, uint64_t value);
};

struct mmio_region {
    uint64_t base, size_bytes;
    const struct mmio_ops *ops;
    void *dev;
    const char *name;
};

struct mmio_bus {
    struct mmio_region region[MMIO_BUS_MAX_REGIONS];
    uint32_t region_count;
};

/* Registers [base, base+size); -1 when it overlaps a registered range or the bus is full. */
int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t size_bytes, const struct mmio_ops *ops,
                      void *dev, const char *name);
/* Dispatches one access; false when no device claims the whole access. */
bool mmio_bus_read(struct mmio_bus *bus, struct vcpu *vcpu, uint64_t addr, uint32_t size, uint64_t *value);
bool mmio_bus_write(struct mmio_bus *bus, struct vcpu *vcpu, uint64_t addr, uint32_t size, uint64_t value);

#endif
