/* mgmt_auth.c: challenge/response for the management interface with mbedtls's HMAC-SHA-256
 * (RFC 2104, FIPS 180-4; include/mgmt_auth.h). */
#include <stdio.h>
#include <string.h>
#include "mbedtls/md.h"
#include "mgmt_auth.h"

#define RESPONSE_PREFIX "hv-mgmt-auth-v1 "
#define CHALLENGE_PREFIX "hv-mgmt-challenge"
#define ENTROPY_PREFIX "hv-mgmt-entropy"
#define MIX_CHUNK 64

bool mgmt_auth_init(struct mgmt_auth *a, const uint8_t *key, size_t key_len)
{
    memset(a, 0, sizeof(*a));
    if (key_len == 0 || key_len > sizeof(a->key))
        return false;
    memcpy(a->key, key, key_len);
    a->key_len = key_len;
    return true;
}

static void hmac_hex(const struct mgmt_auth *a, const uint8_t *msg, size_t len, char out[MGMT_AUTH_HEX + 1])
{
    uint8_t mac[32];
    static const char digits[] = "0123456789abcdef";
    /* Only fails for a bad md_info or no memory for its context: then the all-zero MAC, which
     * no client is ever told to send (the handshake fails, it does not open). */
    if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), a->key, a->key_len, msg, len, mac) != 0)
        memset(mac, 0, sizeof(mac));
    for (size_t i = 0; i < sizeof(mac); i++) {
        out[2 * i] = digits[mac[i] >> 4];
        out[2 * i + 1] = digits[mac[i] & 15];
    }
    out[MGMT_AUTH_HEX] = '\0';
}

void mgmt_auth_mix(struct mgmt_auth *a, const void *bytes, size_t len)
{
    const uint8_t *p = bytes;
    do {
        uint8_t msg[sizeof(ENTROPY_PREFIX) - 1 + MIX_CHUNK];
        size_t n = len < MIX_CHUNK ? len : MIX_CHUNK;
        memcpy(msg, ENTROPY_PREFIX, sizeof(ENTROPY_PREFIX) - 1);
        if (n)
            memcpy(msg + sizeof(ENTROPY_PREFIX) - 1, p, n);
        uint8_t next[sizeof(a->pool)];
        /* On failure (no memory for mbedtls's context) the pool keeps what it had. */
        if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), a->pool, sizeof(a->pool), msg,
                            sizeof(ENTROPY_PREFIX) - 1 + n, next) == 0)
            memcpy(a->pool, next, sizeof(a->pool));
        p += n;
        len -= n;
    } while (len);
}

void mgmt_auth_challenge(struct mgmt_auth *a, uint64_t seed, char out[MGMT_AUTH_HEX + 1])
{
    enum { PRE = sizeof(CHALLENGE_PREFIX) - 1, POOL = sizeof(a->pool) };
    uint8_t msg[PRE + POOL + 16];
    uint64_t serial = ++a->serial;
    memcpy(msg, CHALLENGE_PREFIX, PRE);
    memcpy(msg + PRE, a->pool, POOL);
    for (int i = 0; i < 8; i++) {
        msg[PRE + POOL + i] = (uint8_t)(seed >> (8 * i));
        msg[PRE + POOL + 8 + i] = (uint8_t)(serial >> (8 * i));
    }
    hmac_hex(a, msg, sizeof(msg), out);
}

void mgmt_auth_expected(const struct mgmt_auth *a, const char *challenge, char out[MGMT_AUTH_HEX + 1])
{
    char msg[sizeof(RESPONSE_PREFIX) - 1 + MGMT_AUTH_HEX];
    memcpy(msg, RESPONSE_PREFIX, sizeof(RESPONSE_PREFIX) - 1);
    memcpy(msg + sizeof(RESPONSE_PREFIX) - 1, challenge, MGMT_AUTH_HEX);
    hmac_hex(a, (const uint8_t *)msg, sizeof(msg), out);
}

static void answer(struct mgmt_out *out, const char *text)
{
    int n = snprintf(out->buf, out->cap, "%s", text);
    out->len = n < 0 ? 0 : (size_t)n < out->cap ? (size_t)n : out->cap - 1;
}

enum mgmt_result mgmt_auth_line(const struct mgmt_auth *a, const char *challenge, const char *line, size_t len,
                                struct mgmt_out *out)
{
    size_t i = 0, end = len;
    while (i < end && (line[i] == ' ' || line[i] == '\t'))
        i++;
    while (end > i && (line[end - 1] == ' ' || line[end - 1] == '\t'))
        end--;
    out->len = 0;
    if (out->cap)
        out->buf[0] = '\0';
    if (i == end)
        return MGMT_NONE;
    static const char cmd[] = "auth ";
    if (end - i != sizeof(cmd) - 1 + MGMT_AUTH_HEX || memcmp(line + i, cmd, sizeof(cmd) - 1) != 0) {
        answer(out, "error: authenticate first: auth HMAC-SHA-256(key, \"" RESPONSE_PREFIX "\" CHALLENGE) in hex\n");
        return MGMT_QUIT;
    }
    char want[MGMT_AUTH_HEX + 1];
    mgmt_auth_expected(a, challenge, want);
    /* Constant time: every byte compared whatever the first difference. */
    uint8_t diff = 0;
    const char *got = line + i + sizeof(cmd) - 1;
    for (size_t k = 0; k < MGMT_AUTH_HEX; k++)
        diff |= (uint8_t)(want[k] ^ got[k]);
    if (diff) {
        answer(out, "error: authentication failed\n");
        return MGMT_QUIT;
    }
    answer(out, "ok\n");
    return MGMT_OK;
}
