/* uart16550.c: polled output on a 16550 UART (register map: TI PC16550D data sheet, table 2). */
#include "uart16550.h"
#include "x86.h"

#define UART_THR 0          /* transmit holding (DLAB = 0) */
#define UART_RBR 0          /* receive buffer (DLAB = 0, read) */
#define UART_DLL 0          /* divisor latch low (DLAB = 1) */
#define UART_IER 1          /* interrupt enable (DLAB = 0) */
#define UART_DLM 1          /* divisor latch high (DLAB = 1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS 0x03
#define LSR_THRE 0x20       /* transmit holding register empty */
#define LSR_DR   0x01       /* data ready */
#define UART_CLOCK_HZ 1843200u

void uart16550_init(uint16_t port, uint32_t baud)
{
    uint16_t divisor = (uint16_t)(UART_CLOCK_HZ / 16 / baud);
    outb(port + UART_IER, 0);                 /* polled: no interrupts */
    outb(port + UART_LCR, LCR_DLAB);
    outb(port + UART_DLL, (uint8_t)divisor);
    outb(port + UART_DLM, (uint8_t)(divisor >> 8));
    outb(port + UART_LCR, LCR_8N1);
    outb(port + UART_FCR, FCR_ENABLE_CLEAR);
    outb(port + UART_MCR, MCR_DTR_RTS);
}

void uart16550_putc(uint16_t port, char c)
{
    while (!(inb(port + UART_LSR) & LSR_THRE))
        __asm__ volatile("pause");
    outb(port + UART_THR, (uint8_t)c);
}

int uart16550_getc(uint16_t port)
{
    if (!(inb(port + UART_LSR) & LSR_DR))
        return -1;
    return inb(port + UART_RBR);
}
