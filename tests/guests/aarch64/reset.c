/* reset.c: SYSTEM_RESET reloads the VM from its images while RAM outside them survives,
 * as a board reset does (and as QEMU's system reset does). */
#include "test.h"

#define RESET_MAGIC 0x5245534554303031ull            /* "RESET001" */
/* Well past the image and below where a DTB is placed; the MMU is off, so these
 * accesses go straight to memory. */
#define MARKER ((volatile uint64_t *)(RAM_BASE + 0x1000000))
#define ITS_WAS_ON ((volatile uint64_t *)(RAM_BASE + 0x1000008))
#define GITS_CTLR_ADDR 0x08080000ul          /* QEMU virt's ITS: GITS_CTLR.Enabled is bit 0 */

static volatile uint64_t image_word = 0x1234;         /* .data: comes from the image */

int main(void *dtb)
{
    (void)dtb;
    if (*MARKER == RESET_MAGIC) {
        *MARKER = 0;
        check(image_word == 0x1234, "system_reset_reloads_image", "image_word=%lx after reset",
              (unsigned long)image_word);
        /* The ITS was enabled before the reset: it must come back disabled. */
        if (*ITS_WAS_ON)
            CHECK_EQ(mmio_read32(GITS_CTLR_ADDR) & 1, 0, "system_reset_resets_its");
        else
            skip("system_reset_resets_its", "the ITS did not enable before the reset");
        test_done();
    }
    puts("reset: first boot, calling SYSTEM_RESET\n");
    image_word = 0xdead;
    mmio_write32(GITS_CTLR_ADDR, 1);
    *ITS_WAS_ON = mmio_read32(GITS_CTLR_ADDR) & 1;
    *MARKER = RESET_MAGIC;
    dsb(sy);
    int32_t ret = psci_system_reset();
    check(false, "system_reset", "SYSTEM_RESET returned %d", ret);
    test_done();
}
