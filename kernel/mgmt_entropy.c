/* mgmt_entropy.c: seeds the management challenge with real randomness: the firmware's
 * EFI_RNG_PROTOCOL output (UEFI 2.10 37.5, read by boot/efi_main.c before ExitBootServices)
 * and the CPU's random instruction (arch_entropy: RNDR, RDSEED/RDRAND), mixed into the
 * challenge pool with the time and serial that make challenges unique within a boot. */
#include "arch.h"
#include "kernel.h"
#include "mgmt_entropy.h"

int mgmt_entropy_seed(struct mgmt_auth *a, const uint8_t *boot_rng, size_t boot_rng_len)
{
    int sources = 0;
    const char *insn = "none";
    uint64_t words[MGMT_ENTROPY_BOOT_WORDS];
    uint32_t got = 0;
    for (uint32_t i = 0; i < MGMT_ENTROPY_BOOT_WORDS; i++)
        if (arch_entropy(&words[got], &insn))
            got++;
    if (boot_rng_len) {
        mgmt_auth_mix(a, boot_rng, boot_rng_len);
        sources++;
    }
    if (got) {
        mgmt_auth_mix(a, words, got * sizeof(words[0]));
        sources++;
    }
    if (sources)
        hv_printf("mgmt: challenge entropy: %s%s%s\n", boot_rng_len ? "EFI_RNG_PROTOCOL" : "",
                  boot_rng_len && got ? ", " : "", got ? insn : "");
    else
        hv_printf("mgmt: no entropy source (no EFI_RNG_PROTOCOL, CPU random instruction: %s): challenges "
                  "may repeat after a reboot\n", insn);
    return sources;
}

void mgmt_entropy_fresh(struct mgmt_auth *a)
{
    uint64_t w;
    if (arch_entropy(&w, NULL))
        mgmt_auth_mix(a, &w, sizeof(w));
}
