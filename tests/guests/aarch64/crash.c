/* crash.c: a misbehaving guest: an HVC storm, then a fault loop (the code and the vectors
 * are both unmapped), which the hypervisor must contain without affecting other VMs. */
#include "test.h"

#define STORM_CALLS 100000
#define BAD_VBAR    0x1000      /* below the I/O devices: nothing mapped under hv */
#define BAD_PC      0x2000

int main(void *dtb)
{
    (void)dtb;
    puts("crash: starting hvc storm\n");
    unsigned unsupported = 0;
    for (unsigned i = 0; i < STORM_CALLS; i++)
        unsupported += (int64_t)hvc(0xC600DEAD, i, 0, 0) == -1;
    printf("crash: storm done, %u of %u NOT_SUPPORTED\n", unsupported, STORM_CALLS);
    puts("crash: entering fault loop\n");
    /* Every instruction abort vectors to VBAR + 0x200, which aborts again, forever. */
    __asm__ volatile("msr vbar_el1, %0\n\tisb\n\tbr %1" :: "r"(BAD_VBAR), "r"(BAD_PC));
    __builtin_unreachable();
}
