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
    bus->region[bus->region_count++] = (struct mmio_region){ base, size_bytes, ops, dev, name };
    return 0;
}

static const struct mmio_region *find(const struct mmio_bus *bus, uint64_t addr, uint32_t size)
{
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return NULL;
    for (uint32_t i = 0; i < bus->region_count; i++) {
        const struct mmio_region *r = &bus->region[i];
        if (addr >= r->base && addr - r->base < r->size_bytes && r->size_bytes - (addr - r->base) >= size)
            return r;
    }
    return NULL;
}

bool mmio_bus_read(struct mmio_bus *bus, struct vcpu *vcpu, uint64_t addr, uint32_t size, uint64_t *value)
{
    const struct mmio_region *r = find(bus, addr, size);
    if (!r)
        return false;
    uint64_t v = r->ops->read ? r->ops->read(r->dev, vcpu, addr - r->base, size) : 0;
    *value = size == 8 ? v : v & ((1ull << (size * 8)) - 1);
    return true;
}

bool mmio_bus_write(struct mmio_bus *bus, struct vcpu *vcpu, uint64_t addr, uint32_t size, uint64_t value)
{
    const struct mmio_region *r = find(bus, addr, size);
    if (!r)
        return false;
    if (r->ops->write)
        r->ops->write(r->dev, vcpu, addr - r->base, size,
                      size == 8 ? value : value & ((1ull << (size * 8)) - 1));
    return true;
}
