/* vpl011.h: the emulated PL011 UART a VM sees (transmit to the hypervisor console). */
#ifndef VPL011_H
#define VPL011_H

#include <stdint.h>
#include "mmio_bus.h"

#define VPL011_SIZE_BYTES 0x1000u

struct vm;

struct vpl011 {
    struct vm *vm;
    uint32_t cr, lcr_h, ibrd, fbrd, ifls, imsc, ris, dmacr;
};

extern const struct mmio_ops vpl011_ops;

void vpl011_init(struct vpl011 *u, struct vm *vm);

#endif
