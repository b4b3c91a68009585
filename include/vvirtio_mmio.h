/* vvirtio_mmio.h: a bank of emulated virtio-mmio transports (virtio 1.x, 4.2.2), laid out as
 * QEMU's: one after another, VIRTIO_MMIO_TRANSPORT_BYTES each. No transport has a device
 * behind it yet: each answers as QEMU's virtio-mmio with no backend, which guests probe and
 * pass over (DeviceID 0). Devices are to be added here, one per transport. */
#ifndef VVIRTIO_MMIO_H
#define VVIRTIO_MMIO_H

#include <stdint.h>
#include "mmio_bus.h"

#define VIRTIO_MMIO_TRANSPORT_BYTES 0x200u

/* Registers (virtio 1.x, 4.2.2) a transport with no device answers. */
#define VIRTIO_MMIO_MAGIC_VALUE   0x000
#define VIRTIO_MMIO_VERSION       0x004
#define VIRTIO_MMIO_DEVICE_ID     0x008
#define VIRTIO_MMIO_VENDOR_ID     0x00c

#define VIRTIO_MMIO_MAGIC         0x74726976u   /* "virt", little endian */
#define VIRTIO_MMIO_VENDOR_QEMU   0x554d4551u   /* "QEMU" */
/* QEMU's virtio-mmio defaults to the legacy interface (its property force-legacy = true,
 * which hw/arm/virt.c keeps): Version 1, also with no backend. */
#define VIRTIO_MMIO_VERSION_QEMU  1u

struct vvirtio_mmio {
    uint32_t transport_count;         /* the bank is transport_count * 0x200 bytes */
};

/* The bank's handlers for mmio_bus_register (dev = the struct vvirtio_mmio). */
extern const struct mmio_ops vvirtio_mmio_ops;

void vvirtio_mmio_init(struct vvirtio_mmio *bank, uint32_t transport_count);
static inline uint64_t vvirtio_mmio_size_bytes(const struct vvirtio_mmio *bank)
{
    return (uint64_t)bank->transport_count * VIRTIO_MMIO_TRANSPORT_BYTES;
}

#endif
