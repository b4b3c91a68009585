/* reset.c: SYSTEM_RESET reloads the VM from its images while RAM outside them survives,
 * as a board reset does (and as QEMU's system reset does). */
#include "test.h"

#define RESET_MAGIC 0x5245534554303031ull            /* "RESET001" */
/* Well past the image and below where a DTB is placed; the MMU is off, so these
 * accesses go straight to memory. */
#define MARKER ((volatile uint64_t *)(RAM_BASE + 0x1000000))

static volatile uint64_t image_word = 0x1234;         /* .data: comes from the image */

int main(void *dtb)
{
    (void)dtb;
    if (*MARKER == RESET_MAGIC) {
        *MARKER = 0;
        check(image_word == 0x1234, "system_reset_reloads_image", "image_word=%lx after reset",
              (unsigned long)image_word);
        test_done();
    }
    puts("reset: first boot, calling SYSTEM_RESET\n");
    image_word = 0xdead;
    *MARKER = RESET_MAGIC;
    dsb(sy);
    int32_t ret = psci_system_reset();
    check(false, "system_reset", "SYSTEM_RESET returned %d", ret);
    test_done();
}
