/* guest_dtb.h: building the device tree a guest boots with (guest_dtb.c). */
#ifndef AARCH64_GUEST_DTB_H
#define AARCH64_GUEST_DTB_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/* The virtual platform's fixed addresses (QEMU virt, ARCHITECTURE.md). */
#define VIRT_PL011_BASE 0x09000000ull

/* Writes the VM's DTB into buf (at most cap bytes): the configured one with /chosen
 * updated, or one generated for the virtual platform. initrd_size 0: no initrd.
 * Returns its size, or 0 (reported) on failure. */
size_t guest_dtb_build(const struct vm *vm, void *buf, size_t cap, uint64_t initrd_ipa,
                       uint64_t initrd_size);

#endif
