/* vvirtio_mmio.c: emulated virtio-mmio transports with no device (virtio 1.x, 4.2.2), read and
 * written as QEMU's hw/virtio/virtio-mmio.c answers with no backend plugged in. */
#include <stddef.h>
#include "vvirtio_mmio.h"

void vvirtio_mmio_init(struct vvirtio_mmio *bank, uint32_t transport_count)
{
    *bank = (struct vvirtio_mmio){ .transport_count = transport_count };
}

/* An empty transport: MagicValue, Version and VendorID, everything else (DeviceID included:
 * no device) reads as zero. As in QEMU, a register answers only an access at its own offset
 * (a byte read of MagicValue's offset gives its low byte, of the next offset 0). */
static uint32_t empty_reg(uint64_t offset)
{
    switch (offset) {
    case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION:     return VIRTIO_MMIO_VERSION_QEMU;
    case VIRTIO_MMIO_VENDOR_ID:   return VIRTIO_MMIO_VENDOR_QEMU;
    default:                      return 0;
    }
}

static uint64_t vvirtio_mmio_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)dev;
    (void)vcpu;
    uint64_t reg = off % VIRTIO_MMIO_TRANSPORT_BYTES;
    /* QEMU's registers are 32 bits: a 64-bit access is two, the low word first. The bus
     * truncates narrower reads to their size. */
    if (size == 8)
        return empty_reg(reg) | (uint64_t)empty_reg(reg + 4) << 32;
    return empty_reg(reg);
}

/* Writes are ignored (no write handler): there is no device to configure. */
const struct mmio_ops vvirtio_mmio_ops = { vvirtio_mmio_read, NULL };
