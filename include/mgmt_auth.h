/* mgmt_auth.h: the management interface's challenge/response (kernel/mgmt_auth.c,
 * docs/management.md "Authentication"): the server sends a fresh challenge on every
 * connection, the client answers HMAC-SHA-256(key, "hv-mgmt-auth-v1 " CHALLENGE) in hex, and
 * nothing else is accepted before that. Pure (mbedtls's HMAC-SHA-256): built into the
 * hypervisor and into host unit tests. */
#ifndef MGMT_AUTH_H
#define MGMT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mgmt_cmd.h"

#define MGMT_AUTH_HEX 64                     /* a challenge or response: 32 bytes in lower-case hex */
#define MGMT_AUTH_KEY_MAX 64

struct mgmt_auth {
    uint8_t key[MGMT_AUTH_KEY_MAX];
    size_t key_len;
    uint64_t serial;                         /* challenges issued: never the same input twice */
    uint8_t pool[32];                        /* randomness mixed in (mgmt_auth_mix): what makes
                                                challenges differ across reboots */
};

/* False when the key is empty or longer than MGMT_AUTH_KEY_MAX. */
bool mgmt_auth_init(struct mgmt_auth *a, const uint8_t *key, size_t key_len);
/* Mixes len bytes of randomness (EFI_RNG_PROTOCOL, arch_entropy) into the pool:
 * pool = HMAC-SHA-256(pool, "hv-mgmt-entropy" bytes). Bytes that carry no entropy do no harm. */
void mgmt_auth_mix(struct mgmt_auth *a, const void *bytes, size_t len);
/* A new challenge into out (MGMT_AUTH_HEX digits and a NUL): HMAC(key, "hv-mgmt-challenge"
 * pool seed serial), unpredictable without the key; never the same twice within a boot (the
 * serial), and across reboots different as soon as the pool holds real randomness (seed, the
 * caller's time since boot, alone repeats: same boot time, same serial). */
void mgmt_auth_challenge(struct mgmt_auth *a, uint64_t seed, char out[MGMT_AUTH_HEX + 1]);
/* The answer a client must give to challenge (MGMT_AUTH_HEX digits and a NUL into out). */
void mgmt_auth_expected(const struct mgmt_auth *a, const char *challenge, char out[MGMT_AUTH_HEX + 1]);

/* The first line a connection sends, in answer to the greeting
 * "hv-mgmt 1 challenge CHALLENGE". MGMT_OK: "auth RESPONSE" with the right response, answered
 * "ok"; MGMT_QUIT: anything else, answered "error: ..." (the server then closes the
 * connection); MGMT_NONE: an empty line, no answer. The comparison takes the same time
 * whatever the response. */
enum mgmt_result mgmt_auth_line(const struct mgmt_auth *a, const char *challenge, const char *line, size_t len,
                                struct mgmt_out *out);

#endif
