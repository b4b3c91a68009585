/* pl011.h: polled output and input on an Arm PL011 UART (the host console). */
#ifndef DRIVERS_PL011_H
#define DRIVERS_PL011_H

#include <stdint.h>

/* The firmware has already set the baud rate and enabled the UART; only its base is taken. */
void pl011_init(uint64_t base);
void pl011_putc(char c);
/* The next received byte, or -1 when none is waiting (never blocks). */
int pl011_getc(void);

#endif
