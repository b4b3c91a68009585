/* vuart16550.h: the emulated 16550A UART an x86 VM sees at COM1 (transmit to the hypervisor console). */
#ifndef VUART16550_H
#define VUART16550_H

#include <stdint.h>
#include "mmio_bus.h"

#define VUART16550_COM1_PORT 0x3F8u
#define VUART16550_PORT_COUNT 8u

struct vm;

struct vuart16550 {
    struct vm *vm;
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
};

/* Register offsets on the port bus, 1-byte accesses (wider ones reach the same registers). */
extern const struct mmio_ops vuart16550_ops;

void vuart16550_init(struct vuart16550 *u, struct vm *vm);

#endif
