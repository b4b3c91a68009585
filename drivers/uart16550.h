/* uart16550.h: polled 16550 UART on an x86 I/O port (COM1 = 0x3F8). */
#ifndef UART16550_H
#define UART16550_H

#include <stdint.h>

#define UART16550_COM1 0x3F8

void uart16550_init(uint16_t port, uint32_t baud);
void uart16550_putc(uint16_t port, char c);
/* The next received byte, or -1 when none is waiting (never blocks). */
int uart16550_getc(uint16_t port);

#endif
