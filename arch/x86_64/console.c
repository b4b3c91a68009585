/* console.c: console input from COM1 (output is arch_console_putc in arch.c). */
#include "arch.h"
#include "uart16550.h"

int arch_console_getc(void)
{
    return uart16550_getc(UART16550_COM1);
}
