/* vuart16550.h: the emulated 16550A UART an x86 VM sees at COM1 (transmit to and receive from the hypervisor
 * console, with its interrupt). */
#ifndef VUART16550_H
#define VUART16550_H

#include <stdbool.h>
#include <stdint.h>
#include "mmio_bus.h"
#include "spinlock.h"

#define VUART16550_RX_FIFO 16u      /* the 16550A's receive FIFO depth */

#define VUART16550_COM1_PORT 0x3F8u
#define VUART16550_PORT_COUNT 8u

struct vm;

struct vuart16550 {
    struct vm *vm;
    void (*set_irq)(struct vm *vm, bool level);   /* the INTR output as the platform wires it */
    struct spinlock lock;           /* guards everything below */
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    uint8_t msr_delta;              /* MSR bits 3:0 (DCTS, DDSR, TERI, DDCD) since the last MSR read */
    bool overrun;                   /* LSR.OE: a looped-back byte found the FIFO full */
    bool thre_pending;              /* the THRE interrupt (PC16550D Table IV): cleared by reading IIR
                                       when it is reported, or by writing THR */
    bool irq_level;                 /* what set_irq was last told */
    uint8_t rx[VUART16550_RX_FIFO];
    uint32_t rx_head, rx_count;
};

/* Register offsets on the port bus, 1-byte accesses (wider ones reach the same registers). */
extern const struct mmio_ops vuart16550_ops;

/* set_irq drives the interrupt line: high while an enabled interrupt is pending and MCR.OUT2 is set. */
void vuart16550_init(struct vuart16550 *u, struct vm *vm, void (*set_irq)(struct vm *vm, bool level));
/* Master reset (VM reset): the registers to their reset values, the line low; queued input kept. */
void vuart16550_reset(struct vuart16550 *u);
/* Console input for the VM: queues one received byte (raising the receive interrupt if enabled); false
 * when the FIFO is full or the receiver is looped back (SIN disconnected): offer it again later. */
bool vuart16550_rx_push(struct vuart16550 *u, uint8_t byte);

#endif
