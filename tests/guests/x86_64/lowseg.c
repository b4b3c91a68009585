/* lowseg.c: an image with a segment at physical 0x8000 (section .low, rt/guest.lds), where the
 * hypervisor's Multiboot loader used to put its information block. The loader must place the block
 * elsewhere: the segment's bytes arrive intact, the information block and the command line are valid. */
#include "test.h"

#define LOW_TEXT "lowseg: the segment at 0x8000 is intact"
static const char low[] __attribute__((section(".low"), used, aligned(16))) = LOW_TEXT;

int main(void)
{
    uint32_t lower = 0, upper = 0;
    bool mem = mb_mem(&lower, &upper);
    const char *cmd = mb_cmdline();
    printf("lowseg: cmdline \"%s\"\n", cmd);
    check(mb_magic() == MB_BOOT_MAGIC && mem && lower == 639 && upper > 0, "multiboot_info_valid",
          "EAX 0x%x, mem_lower %u KiB, mem_upper %u KiB (%s)", mb_magic(), lower, upper,
          mem ? "valid" : "absent");
    const volatile char *p = (const volatile char *)0x8000;
    size_t same = 0;
    while (same < sizeof LOW_TEXT && p[same] == LOW_TEXT[same])
        same++;
    check(same == sizeof LOW_TEXT, "segment_at_0x8000_intact",
          "%lu of the %lu bytes at 0x8000 as linked", same, sizeof LOW_TEXT);
    size_t n = 0;
    while (cmd[n] && cmd[n] != ' ')
        n++;
    check(n >= 10 && !strncmp(cmd + n - 10, "lowseg.elf", 10), "multiboot_argv0_is_image_path",
          "command line \"%s\" (want the image's path first)", cmd);
    test_done();
}
