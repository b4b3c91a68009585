/* image_check.c: a checksum of the hypervisor's code and read-only data (hv.efi's .text, which
 * holds .rodata too), taken once relocated at start-up and compared at power-off, so a write
 * into the image by anyone (a device's DMA, a guest through a hole) shows in the log. */
#include <inttypes.h>
#include "image_check.h"
#include "kernel.h"

extern char _text[] __attribute__((visibility("hidden")));    /* linker/efi-aarch64.lds */
extern char _etext[] __attribute__((visibility("hidden")));

static uint64_t boot_sum;      /* written once by the boot CPU */

/* FNV-1a over 64-bit words: cheap, and any changed word changes it. */
static uint64_t image_sum(void)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const volatile uint64_t *p = (const uint64_t *)_text; p < (const uint64_t *)_etext; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return h;
}

void image_check_start(void)
{
    boot_sum = image_sum();
    hv_printf("hv: image text 0x%" PRIx64 "-0x%" PRIx64 " checksum 0x%016" PRIx64 "\n", (uint64_t)(uintptr_t)_text,
              (uint64_t)(uintptr_t)_etext, boot_sum);
}

void image_check_end(void)
{
    uint64_t now = image_sum();
    if (now == boot_sum)
        hv_printf("hv: image text checksum unchanged\n");
    else
        hv_printf("hv: image text CHANGED: checksum 0x%016" PRIx64 ", was 0x%016" PRIx64 "\n", now, boot_sum);
}
