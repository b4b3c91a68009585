/* guest_dtb.h: building the device tree a guest boots with (guest_dtb.c). */
#ifndef AARCH64_GUEST_DTB_H
#define AARCH64_GUEST_DTB_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/* The virtual platform's fixed addresses (QEMU virt, ARCHITECTURE.md). */
#define VIRT_PL011_BASE 0x09000000ull
#define VIRT_VIRTIO_MMIO_BASE 0x0a000000ull     /* 32 transports of 0x200 bytes */
#define VIRT_VIRTIO_MMIO_COUNT 32u
#define VIRT_VIRTIO_MMIO_INTID 48u              /* transport n: SPI 16 + n, INTID 48 + n */
#define VIRT_PCI_ECAM_BASE 0x4010000000ull     /* high ECAM; the VM sees bus 0 (1 MiB) */
#define VIRT_PCI_MMIO_BASE 0x10000000u          /* 32-bit memory window */
#define VIRT_PCI_MMIO_BYTES 0x2eff0000u
#define VIRT_PCI_MMIO64_BASE 0x8000000000ull    /* 64-bit memory window */
#define VIRT_PCI_MMIO64_BYTES 0x8000000000ull

/* Writes the VM's DTB into buf (at most cap bytes): the configured one with /chosen
 * updated, or one generated for the virtual platform. initrd_size 0: no initrd.
 * Returns its size, or 0 (reported) on failure. */
size_t guest_dtb_build(const struct vm *vm, void *buf, size_t cap, uint64_t initrd_ipa,
                       uint64_t initrd_size);

#endif
