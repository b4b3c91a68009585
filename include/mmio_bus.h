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
    uint32_t no_slot_gen;      /* atomic: the memslots' generation + 1 at which no memslot overlapped
                                  this range (0: not known), so the exit path can tell a device
                                  access without the slot lock (kernel/vcpu.c vm_device_at) */
};

struct mmio_bus {
    struct mmio_region region[MMIO_BUS_MAX_REGIONS];
    uint32_t region_count;
    uint32_t last_hit;         /* atomic: index of the region the last lookup found, tried first
                                  (a hint: guests poll one device in a loop) */
};

/* Registers [base, base+size); -1 when it overlaps a registered range or the bus is full. */
int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t size_bytes, const struct mmio_ops *ops,
                      void *dev, const char *name);
static inline bool mmio_region_claims(const struct mmio_region *r, uint64_t addr, uint32_t size)
{
    return addr >= r->base && addr - r->base < r->size_bytes && r->size_bytes - (addr - r->base) >= size;
}
/* The region that claims the whole access [addr, addr + size), or NULL (also for a size other
 * than 1, 2, 4, 8). Regions are registered before the VM runs, so no lock. The last one found is
 * tried first (inline, for the exit path), then all of them (mmio_bus_scan). */
struct mmio_region *mmio_bus_scan(struct mmio_bus *bus, uint64_t addr, uint32_t size);
static inline struct mmio_region *mmio_bus_find(struct mmio_bus *bus, uint64_t addr, uint32_t size)
{
    uint32_t hint = __atomic_load_n(&bus->last_hit, __ATOMIC_RELAXED);
    if (hint < MMIO_BUS_MAX_REGIONS && size - 1 < 8 && !(size & (size - 1)) &&
        mmio_region_claims(&bus->region[hint], addr, size))
        return &bus->region[hint];
    return mmio_bus_scan(bus, addr, size);
}
/* A read of region r (found by mmio_bus_find for the same addr and size), masked to size. */
static inline uint64_t mmio_region_read(const struct mmio_region *r, struct vcpu *vcpu, uint64_t addr, uint32_t size)
{
    uint64_t v = r->ops->read ? r->ops->read(r->dev, vcpu, addr - r->base, size) : 0;
    return size == 8 ? v : v & ((1ull << (size * 8)) - 1);
}
/* A write of region r (found by mmio_bus_find for the same addr and size), value masked to size. */
static inline void mmio_region_write(const struct mmio_region *r, struct vcpu *vcpu, uint64_t addr, uint32_t size,
                                     uint64_t value)
{
    if (r->ops->write)
        r->ops->write(r->dev, vcpu, addr - r->base, size, size == 8 ? value : value & ((1ull << (size * 8)) - 1));
}
/* Dispatches one access; false when no device claims the whole access. */
bool mmio_bus_read(struct mmio_bus *bus, struct vcpu *vcpu, uint64_t addr, uint32_t size, uint64_t *value);
bool mmio_bus_write(struct mmio_bus *bus, struct vcpu *vcpu, uint64_t addr, uint32_t size, uint64_t value);

#endif
