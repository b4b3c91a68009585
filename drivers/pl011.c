/* pl011.c: polled transmit on an Arm PL011 UART (Arm DDI 0183, PrimeCell UART r1p5). */
#include "pl011.h"

#define UARTDR      0x000
#define UARTFR      0x018
#define UARTFR_TXFF (1u << 5)   /* DDI 0183 3.3.3: transmit FIFO full */
#define UARTFR_RXFE (1u << 4)   /* receive FIFO empty */

/* Set once by the boot CPU before the console sink points here; callers hold the console lock. */
static volatile uint32_t *pl011_regs;

void pl011_init(uint64_t base)
{
    pl011_regs = (volatile uint32_t *)(uintptr_t)base;
}

void pl011_putc(char c)
{
    if (!pl011_regs)
        return;
    while (pl011_regs[UARTFR / 4] & UARTFR_TXFF)
        __asm__ volatile("yield");
    pl011_regs[UARTDR / 4] = (uint8_t)c;
}

int pl011_getc(void)
{
    if (!pl011_regs || (pl011_regs[UARTFR / 4] & UARTFR_RXFE))
        return -1;
    return (int)(pl011_regs[UARTDR / 4] & 0xff);
}
