/* mgmt_entropy.h: randomness for the management challenge (kernel/mgmt_entropy.c,
 * docs/management.md "Authentication"): without it a challenge is HMAC(key, time since boot,
 * serial), which repeats after a reboot, so a recorded response could be replayed. */
#ifndef MGMT_ENTROPY_H
#define MGMT_ENTROPY_H

#include <stddef.h>
#include <stdint.h>
#include "mgmt_auth.h"

#define MGMT_ENTROPY_BOOT_WORDS 4            /* arch_entropy values mixed in at boot (256 bits) */

/* Boot CPU, once, after mgmt_auth_init: mixes the firmware's EFI_RNG_PROTOCOL bytes (boot_rng,
 * boot_rng_len; 0 when the firmware had none) and MGMT_ENTROPY_BOOT_WORDS values of the CPU's
 * random instruction into a's pool. Says on the console which sources it used, or, once,
 * that there was none. Returns how many sources gave something (0, 1 or 2). */
int mgmt_entropy_seed(struct mgmt_auth *a, const uint8_t *boot_rng, size_t boot_rng_len);
/* Before each challenge: one more value of the CPU's random instruction, when it has one. */
void mgmt_entropy_fresh(struct mgmt_auth *a);

#endif
