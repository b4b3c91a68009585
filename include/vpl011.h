/* vpl011.h: the emulated PL011 UART a VM sees (transmit to and receive from the hypervisor console). */
#ifndef VPL011_H
#define VPL011_H

#include <stdbool.h>
#include <stdint.h>
#include "mmio_bus.h"
#include "spinlock.h"

#define VPL011_RX_FIFO 32u          /* the PL011's receive FIFO depth (DDI 0183 2.4.3) */

#define VPL011_SIZE_BYTES 0x1000u

struct vm;

struct vpl011 {
    struct vm *vm;
    uint32_t cr, lcr_h, ibrd, fbrd, ifls, imsc, ris, dmacr;
    struct spinlock rx_lock;     /* guards rx[], rx_head, rx_count and the RX bits of ris */
    uint8_t rx[VPL011_RX_FIFO];
    uint32_t rx_head, rx_count;
    /* Optional, set by the arch after vpl011_init: the interrupt line UARTINTR, i.e.
     * (RIS & IMSC) != 0 (DDI 0183, "Interrupts"), given on every change. */
    void (*set_irq)(struct vpl011 *u, bool level);
};

extern const struct mmio_ops vpl011_ops;

void vpl011_init(struct vpl011 *u, struct vm *vm);
/* Console input for the VM: queues one received byte and raises the receive interrupt;
 * false when the FIFO is full (the caller keeps the byte: the host UART gives back-pressure). */
bool vpl011_rx_push(struct vpl011 *u, uint8_t byte);
/* Gives set_irq the current line: after anything that changes RIS or IMSC (e.g. RX data). */
void vpl011_update_irq(struct vpl011 *u);

#endif
