/* libFuzzer target for the management handshake (kernel/mgmt_auth.c): any first line is either
 * exactly "auth" and the right response (blanks around allowed) and opens the connection, or is
 * refused; every answer is one printable line. The input's first byte picks a key length. */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "mgmt_auth.h"

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t key[MGMT_AUTH_KEY_MAX];
    size_t key_len = 16 + data[0] % (MGMT_AUTH_KEY_MAX - 15);
    for (size_t i = 0; i < key_len; i++)
        key[i] = (uint8_t)(i * 37 + 11);
    struct mgmt_auth a;
    CHECK(mgmt_auth_init(&a, key, key_len));
    char challenge[MGMT_AUTH_HEX + 1], want[MGMT_AUTH_HEX + 1];
    mgmt_auth_challenge(&a, 1234, challenge);
    mgmt_auth_expected(&a, challenge, want);

    const char *line = (const char *)data + 1;
    size_t len = size - 1;
    char buf[MGMT_OUT_MAX];
    struct mgmt_out out = { buf, sizeof(buf), 0 };
    enum mgmt_result r = mgmt_auth_line(&a, challenge, line, len, &out);

    /* The model: trim blanks; "auth " + want opens; nothing else does. */
    size_t i = 0, end = len;
    while (i < end && is_blank(line[i]))
        i++;
    while (end > i && is_blank(line[end - 1]))
        end--;
    bool right = end - i == 5 + MGMT_AUTH_HEX && !memcmp(line + i, "auth ", 5) &&
                 !memcmp(line + i + 5, want, MGMT_AUTH_HEX);
    if (i == end)
        CHECK(r == MGMT_NONE && out.len == 0);
    else if (right)
        CHECK(r == MGMT_OK && !strcmp(buf, "ok\n"));
    else
        CHECK(r == MGMT_QUIT && !strncmp(buf, "error: ", 7));
    CHECK(out.len < out.cap && buf[out.len] == '\0' && strlen(buf) == out.len);
    for (size_t k = 0; k < out.len; k++)
        CHECK((buf[k] >= 0x20 && buf[k] < 0x7f) || (buf[k] == '\n' && k == out.len - 1));
    return 0;
}
