/* idle.c: a VM that says it is up, then halts with interrupts off, for ever: the management
 * interface's test subject on x86_64 (tests/boot/x86_mgmt_svm.sh stops, resets and starts
 * it from outside). Each boot prints "idle: up" once. */
#include "test.h"

int main(void)
{
    puts("idle: up\n");
    for (;;)
        __asm__ volatile("cli; hlt" ::: "memory");
}
