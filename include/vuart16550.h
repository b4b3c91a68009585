/* vuart16550.h: the emulated 16550A UART an x86 VM sees at COM1 (transmit to and receive from the hypervisor console). */
#ifndef VUART16550_H
#define VUART16550_H

#include <stdint.h>
#include "mmio_bus.h"
#include "spinlock.h"

#define VUART16550_RX_FIFO 16u      /* the 16550A's receive FIFO depth */

#define VUART16550_COM1_PORT 0x3F8u
#define VUART16550_PORT_COUNT 8u

struct vm;

struct vuart16550 {
    struct vm *vm;
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    struct spinlock rx_lock;        /* guards rx[], rx_head, rx_count */
    uint8_t rx[VUART16550_RX_FIFO];
    uint32_t rx_head, rx_count;
};

/* Register offsets on the port bus, 1-byte accesses (wider ones reach the same registers). */
extern const struct mmio_ops vuart16550_ops;

void vuart16550_init(struct vuart16550 *u, struct vm *vm);
/* Console input for the VM: queues one received byte; false when the FIFO is full.
 * Guests poll LSR.DR; the receive interrupt is not modelled. */
bool vuart16550_rx_push(struct vuart16550 *u, uint8_t byte);

#endif
