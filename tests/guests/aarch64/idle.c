/* idle.c: a VM that says it is up, then waits in WFI with nothing to wake it, for ever: the
 * management interface's test subject (tests/boot/a64_mgmt.sh stops and resets it from
 * outside). After a reset it starts again from the top, so "idle: up" counts the boots. */
#include "test.h"

int main(void *dtb)
{
    (void)dtb;
    puts("idle: up\n");
    for (;;)
        __asm__ volatile("wfi" ::: "memory");
}
