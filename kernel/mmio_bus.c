/* mmio_bus.c: range lookup and dispatch for emulated devices (pure logic, host-tested). */
#include <stddef.h>
#include "mmio_bus.h"

int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t size_bytes, const struct mmio_ops *ops,
                      void *dev, const char *name)
{
    if (!size_bytes || base + size_bytes < base || bus->region_count == MMIO_BUS_MAX_REGIONS)
        return -1;
    for (uint32_t i = 0; i < bus->region_count; i++) {
        const struct mmio_region *r = &bus->region[i];
        if (base < r->base + r->size_bytes && r->base < base + size_bytes)
            return -1;
    }
    bus->region[bus->region_count++] = (struct mmio_region){ base, size_bytes, ops, dev, name, 0 };
    return 0;
}

struct mmio_region *mmio_bus_scan(struct mmio_bus *bus, uint64_t addr, uint32_t size)
{
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return NULL;
    for (uint32_t i = 0; i < bus->region_count; i++) {
        if (mmio_region_claims(&bus->region[i], addr, size)) {
            __atomic_store_n(&bus->last_hit, i, __ATOMIC_RELAXED);
            return &bus->region[i];
        }
    }
    return NULL;
}

bool mmio_bus_read(struct mmio_bus *bus, struct vcpu *vcpu, uint64_t addr, uint32_t size, uint64_t *value)
{
    const struct mmio_region *r = mmio_bus_find(bus, addr, size);
    if (!r)
        return false;
    *value = mmio_region_read(r, vcpu, addr, size);
    return true;
}

bool mmio_bus_write(struct mmio_bus *bus, struct vcpu *vcpu, uint64_t addr, uint32_t size, uint64_t value)
{
    const struct mmio_region *r = mmio_bus_find(bus, addr, size);
    if (!r)
        return false;
    mmio_region_write(r, vcpu, addr, size, value);
    return true;
}
