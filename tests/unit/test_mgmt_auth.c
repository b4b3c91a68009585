/* test_mgmt_auth.c: HMAC-SHA-256 (RFC 4231 vectors through the same mbedtls build) and the
 * management handshake: only the right response to this connection's challenge opens it. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "mbedtls/md.h"
#include "mgmt_auth.h"

static char obuf[MGMT_OUT_MAX];
static struct mgmt_out out = { obuf, sizeof(obuf), 0 };

static void hex(const uint8_t *b, size_t n, char *s)
{
    for (size_t i = 0; i < n; i++)
        sprintf(s + 2 * i, "%02x", b[i]);
}

Test(mgmt_auth, hmac_sha256_rfc4231_vectors)
{
    uint8_t mac[32], key1[20];
    char s[65];
    memset(key1, 0x0b, sizeof(key1));
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    cr_assert_eq(mbedtls_md_hmac(md, key1, sizeof(key1), (const uint8_t *)"Hi There", 8, mac), 0);
    hex(mac, 32, s);
    cr_assert_str_eq(s, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    cr_assert_eq(mbedtls_md_hmac(md, (const uint8_t *)"Jefe", 4, (const uint8_t *)"what do ya want for nothing?", 28,
                                 mac), 0);
    hex(mac, 32, s);
    cr_assert_str_eq(s, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static const uint8_t key[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

Test(mgmt_auth, expected_response_is_hmac_of_prefix_and_challenge)
{
    struct mgmt_auth a;
    cr_assert(mgmt_auth_init(&a, key, sizeof(key)));
    const char *challenge = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char want[65], got[65];
    uint8_t mac[32];
    char msg[128];
    snprintf(msg, sizeof(msg), "hv-mgmt-auth-v1 %s", challenge);
    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, sizeof(key), (const uint8_t *)msg,
                    strlen(msg), mac);
    hex(mac, 32, want);
    mgmt_auth_expected(&a, challenge, got);
    cr_assert_str_eq(got, want);
    /* What tools/hvctl computes (Python's hmac) for this key and challenge. */
    cr_assert_str_eq(got, "47deb212e543c26342cc061a001c0b8bfc90db5c9059d0c8c71e098a6b2fa269");
}

Test(mgmt_auth, challenges_differ)
{
    struct mgmt_auth a;
    cr_assert(mgmt_auth_init(&a, key, sizeof(key)));
    char c1[65], c2[65], c3[65];
    mgmt_auth_challenge(&a, 42, c1);
    mgmt_auth_challenge(&a, 42, c2);
    mgmt_auth_challenge(&a, 43, c3);
    cr_assert_eq(strlen(c1), 64);
    cr_assert_str_neq(c1, c2, "same seed, next serial: a new challenge");
    cr_assert_str_neq(c2, c3);
    struct mgmt_auth b;
    uint8_t other[16] = { 1 };
    cr_assert(mgmt_auth_init(&b, other, sizeof(other)));
    char d1[65];
    mgmt_auth_challenge(&b, 42, d1);
    cr_assert_str_neq(c1, d1, "another key, another challenge");
}

Test(mgmt_auth, only_the_right_response_opens)
{
    struct mgmt_auth a;
    cr_assert(mgmt_auth_init(&a, key, sizeof(key)));
    char challenge[65], resp[65], line[128];
    mgmt_auth_challenge(&a, 7, challenge);
    mgmt_auth_expected(&a, challenge, resp);

    snprintf(line, sizeof(line), "auth %s", resp);
    cr_assert_eq(mgmt_auth_line(&a, challenge, line, strlen(line), &out), MGMT_OK);
    cr_assert_str_eq(obuf, "ok\n");
    snprintf(line, sizeof(line), "  auth %s \t", resp);
    cr_assert_eq(mgmt_auth_line(&a, challenge, line, strlen(line), &out), MGMT_OK, "blanks around are fine");

    /* One wrong digit. */
    snprintf(line, sizeof(line), "auth %s", resp);
    line[5 + 63] = line[5 + 63] == '0' ? '1' : '0';
    cr_assert_eq(mgmt_auth_line(&a, challenge, line, strlen(line), &out), MGMT_QUIT);
    cr_assert_str_eq(obuf, "error: authentication failed\n");

    /* The right response to another challenge (a replay) does not open this one. */
    char other[65], other_resp[65];
    mgmt_auth_challenge(&a, 7, other);
    mgmt_auth_expected(&a, other, other_resp);
    snprintf(line, sizeof(line), "auth %s", other_resp);
    cr_assert_eq(mgmt_auth_line(&a, challenge, line, strlen(line), &out), MGMT_QUIT);

    /* A key that differs: refused. */
    struct mgmt_auth wrong;
    uint8_t k2[16];
    memcpy(k2, key, 16);
    k2[15] ^= 1;
    cr_assert(mgmt_auth_init(&wrong, k2, sizeof(k2)));
    mgmt_auth_expected(&wrong, challenge, resp);
    snprintf(line, sizeof(line), "auth %s", resp);
    cr_assert_eq(mgmt_auth_line(&a, challenge, line, strlen(line), &out), MGMT_QUIT);

    /* Commands before authenticating, truncated or overlong responses: refused. */
    const char *bad[] = { "list", "stop idle1", "auth", "auth 1234", "authx", "help" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(mgmt_auth_line(&a, challenge, bad[i], strlen(bad[i]), &out), MGMT_QUIT, "%s", bad[i]);
        cr_assert(!strncmp(obuf, "error: authenticate first", 25), "%s: %s", bad[i], obuf);
    }
    snprintf(line, sizeof(line), "auth %s0", resp);
    cr_assert_eq(mgmt_auth_line(&a, challenge, line, strlen(line), &out), MGMT_QUIT);
    cr_assert_eq(mgmt_auth_line(&a, challenge, "   ", 3, &out), MGMT_NONE);
}

Test(mgmt_auth, key_length_limits)
{
    struct mgmt_auth a;
    uint8_t big[65] = { 0 };
    cr_assert(!mgmt_auth_init(&a, big, 0));
    cr_assert(!mgmt_auth_init(&a, big, 65));
    cr_assert(mgmt_auth_init(&a, big, 64));
}

/* ---- entropy (kernel/mgmt_entropy.c over the fake arch's random instruction) ---------- */
#include <stdlib.h>
#include "mgmt_entropy.h"

extern bool fake_entropy_present;
extern uint64_t fake_entropy_next;
extern uint32_t fake_entropy_failures;

static char console[4096];
static size_t console_len;

int hv_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(console + console_len, sizeof(console) - console_len, fmt, ap);
    va_end(ap);
    if (n > 0)
        console_len += (size_t)n < sizeof(console) - console_len ? (size_t)n : sizeof(console) - console_len - 1;
    return n;
}

/* One "boot": a fresh mgmt_auth with the key, seeded as mgmt_init does, then its first challenge
 * at the same time since boot (so the same seed and serial every boot). */
static void boot_challenge(const uint8_t *efi, size_t efi_len, bool rng, uint64_t rng_value, char out[65])
{
    struct mgmt_auth a;
    cr_assert(mgmt_auth_init(&a, key, sizeof(key)));
    fake_entropy_present = rng;
    fake_entropy_next = rng_value;
    fake_entropy_failures = 0;
    mgmt_entropy_seed(&a, efi, efi_len);
    mgmt_entropy_fresh(&a);
    mgmt_auth_challenge(&a, 5000000000ull, out);
}

Test(mgmt_entropy, same_time_and_serial_different_cpu_entropy_differ)
{
    char c1[65], c2[65], c3[65];
    boot_challenge(NULL, 0, true, 0x1111, c1);
    boot_challenge(NULL, 0, true, 0x2222, c2);
    boot_challenge(NULL, 0, true, 0x1111, c3);
    cr_assert_str_neq(c1, c2, "another boot's randomness: another challenge");
    cr_assert_str_eq(c1, c3, "the randomness is the only difference");
    cr_assert(strstr(console, "mgmt: challenge entropy: FAKERNG\n"), "%s", console);
}

Test(mgmt_entropy, same_time_and_serial_different_efi_rng_differ)
{
    uint8_t e1[32] = { 1 }, e2[32] = { 2 };
    char c1[65], c2[65];
    boot_challenge(e1, sizeof(e1), false, 0, c1);
    boot_challenge(e2, sizeof(e2), false, 0, c2);
    cr_assert_str_neq(c1, c2);
    cr_assert(strstr(console, "mgmt: challenge entropy: EFI_RNG_PROTOCOL\n"), "%s", console);
    console_len = 0;
    boot_challenge(e1, sizeof(e1), true, 7, c2);
    cr_assert_str_neq(c1, c2, "both sources mixed");
    cr_assert(strstr(console, "mgmt: challenge entropy: EFI_RNG_PROTOCOL, FAKERNG\n"), "%s", console);
}

Test(mgmt_entropy, no_source_is_said_once_and_repeats_across_boots)
{
    char c1[65], c2[65];
    console_len = 0;
    console[0] = '\0';
    boot_challenge(NULL, 0, false, 0, c1);
    cr_assert_str_eq(console, "mgmt: no entropy source (no EFI_RNG_PROTOCOL, CPU random instruction: none): "
                              "challenges may repeat after a reboot\n");
    boot_challenge(NULL, 0, false, 0, c2);
    cr_assert_str_eq(c1, c2, "what the entropy is for: without it a reboot repeats the challenge");
}

Test(mgmt_entropy, failing_reads_are_retried_by_the_caller_of_each_word)
{
    struct mgmt_auth a, b;
    cr_assert(mgmt_auth_init(&a, key, sizeof(key)));
    cr_assert(mgmt_auth_init(&b, key, sizeof(key)));
    fake_entropy_present = true;
    fake_entropy_next = 9;
    fake_entropy_failures = 2;             /* two words lost, two mixed */
    cr_assert_eq(mgmt_entropy_seed(&a, NULL, 0), 1);
    cr_assert_eq(fake_entropy_next, 11);
    fake_entropy_present = false;
    cr_assert_eq(mgmt_entropy_seed(&b, NULL, 0), 0);
    cr_assert(memcmp(a.pool, b.pool, sizeof(a.pool)) != 0);
}

static int cmp_challenge(const void *x, const void *y)
{
    return memcmp(x, y, 64);
}

Test(mgmt_entropy, a_challenge_never_repeats_within_a_boot)
{
    enum { N = 20000 };
    char (*c)[65] = malloc(sizeof(*c) * N);
    cr_assert(c);
    struct mgmt_auth a;
    cr_assert(mgmt_auth_init(&a, key, sizeof(key)));
    fake_entropy_present = false;            /* the worst case: no randomness, a stopped clock */
    mgmt_entropy_seed(&a, NULL, 0);
    for (int i = 0; i < N; i++) {
        mgmt_entropy_fresh(&a);
        mgmt_auth_challenge(&a, 77, c[i]);
    }
    qsort(c, N, sizeof(*c), cmp_challenge);
    for (int i = 1; i < N; i++)
        cr_assert(memcmp(c[i - 1], c[i], 64) != 0, "challenge %d repeated", i);
    free(c);
}
