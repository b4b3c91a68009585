/* console.c: console input from the host PL011 (output is arch_console_putc in early_init.c). */
#include "arch.h"
#include "pl011.h"

int arch_console_getc(void)
{
    return pl011_getc();
}
