/* migrate_stream.c: encoding and checked, incremental decoding of the live-migration stream
 * (include/migrate_stream.h; docs/migration.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "migrate_stream.h"

/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zlib's crc32(): crc is the value so far
 * (0 to start). Catches the corruption of a transfer; the peer was authenticated by HMAC before
 * the first byte (kernel/mgmt_auth.c). */
uint32_t migrate_crc32(uint32_t crc, const void *data, size_t len)
{
    static const uint32_t nibble[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
        0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
    };
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ nibble[crc & 15];
        crc = (crc >> 4) ^ nibble[crc & 15];
    }
    return ~crc;
}

bool migrate_header_encode(const struct migrate_header *h, uint8_t out[MIGRATE_HEADER_BYTES])
{
    size_t n = strnlen(h->name, MIGRATE_NAME_BYTES);
    if (n == 0 || n >= MIGRATE_NAME_BYTES)
        return false;
    memset(out, 0, MIGRATE_HEADER_BYTES);
    memcpy(out, MIGRATE_MAGIC, 8);
    migrate_put32(out + 8, h->version);
    migrate_put32(out + 12, h->arch);
    memcpy(out + 16, h->name, n);
    migrate_put32(out + 48, h->cpus);
    migrate_put64(out + 56, h->memory_bytes);
    migrate_put32(out + 64, migrate_crc32(0, out, 64));
    return true;
}

bool migrate_section_begin(struct migrate_section_tx *tx, uint32_t type, uint32_t length,
                           uint8_t out[MIGRATE_SECTION_HDR_BYTES])
{
    if (length > MIGRATE_SECTION_MAX)
        return false;
    migrate_put32(out, type);
    migrate_put32(out + 4, length);
    tx->crc = migrate_crc32(0, out, MIGRATE_SECTION_HDR_BYTES);
    tx->left = length;
    return true;
}

void migrate_section_update(struct migrate_section_tx *tx, const void *data, size_t len)
{
    tx->crc = migrate_crc32(tx->crc, data, len);
    tx->left = len > tx->left ? UINT32_MAX : tx->left - (uint32_t)len;
}

bool migrate_section_end(struct migrate_section_tx *tx, uint8_t out[MIGRATE_SECTION_CRC_BYTES])
{
    migrate_put32(out, tx->crc);
    return tx->left == 0;
}

/* ---- receiver ---- */

#define FAIL(rx, ...)                                                             \
    do {                                                                          \
        snprintf((rx)->error, sizeof((rx)->error), __VA_ARGS__);                  \
        (rx)->state = MIGRATE_RX_FAILED;                                          \
        return MIGRATE_RX_FAILED;                                                 \
    } while (0)

void migrate_rx_init(struct migrate_rx *rx, const struct migrate_rx_ops *ops, void *ctx, uint8_t *buf)
{
    memset(rx, 0, sizeof(*rx));
    rx->ops = ops;
    rx->ctx = ctx;
    rx->buf = buf;
    rx->state = MIGRATE_RX_HEADER;
}

static const char *section_name(uint32_t type)
{
    switch (type) {
    case MIGRATE_SEC_PAGES: return "pages";
    case MIGRATE_SEC_VCPU: return "vcpu";
    case MIGRATE_SEC_DEVICE: return "device";
    case MIGRATE_SEC_END: return "end";
    default: return "unknown";
    }
}

static enum migrate_rx_state rx_header(struct migrate_rx *rx)
{
    const uint8_t *b = rx->buf;
    if (memcmp(b, MIGRATE_MAGIC, 8) != 0)
        FAIL(rx, "not a migration stream (bad magic)");
    uint32_t version = migrate_get32(b + 8);
    if (version != MIGRATE_VERSION)
        FAIL(rx, "stream version %" PRIu32 " not supported (this hypervisor reads %u)", version,
             MIGRATE_VERSION);
    if (migrate_get32(b + 64) != migrate_crc32(0, b, 64))
        FAIL(rx, "header checksum mismatch");
    struct migrate_header h = { .version = version, .arch = migrate_get32(b + 12), .cpus = migrate_get32(b + 48),
                                .memory_bytes = migrate_get64(b + 56) };
    memcpy(h.name, b + 16, MIGRATE_NAME_BYTES);
    if (h.name[MIGRATE_NAME_BYTES - 1] != '\0' || h.name[0] == '\0')
        FAIL(rx, "header: bad vm name");
    const char *why = rx->ops->header ? rx->ops->header(rx->ctx, &h) : NULL;
    if (why)
        FAIL(rx, "%s", why);
    rx->state = MIGRATE_RX_SEC_HDR;
    return MIGRATE_RX_SEC_HDR;
}

/* The whole section is in buf and its CRC matched: check its payload's shape, hand it on. */
static enum migrate_rx_state rx_section(struct migrate_rx *rx)
{
    const uint8_t *p = rx->buf + MIGRATE_SECTION_HDR_BYTES;
    uint32_t len = rx->sec_len, n = rx->sections;
    const char *why = NULL;
    switch (rx->sec_type) {
    case MIGRATE_SEC_PAGES: {
        if (len < MIGRATE_PAGES_HDR_BYTES)
            FAIL(rx, "section %" PRIu32 " (pages): too short", n);
        uint64_t gfn = migrate_get64(p);
        uint32_t count = migrate_get32(p + 8);
        if (count == 0 || count > MIGRATE_PAGES_PER_SECTION ||
            len != MIGRATE_PAGES_HDR_BYTES + count * MIGRATE_PAGE_BYTES)
            FAIL(rx, "section %" PRIu32 " (pages): %" PRIu32 " pages do not match length %" PRIu32, n,
                 count, len);
        if (gfn > (UINT64_MAX >> 12) - count)
            FAIL(rx, "section %" PRIu32 " (pages): gfn 0x%" PRIx64 " out of range", n, gfn);
        why = rx->ops->pages ? rx->ops->pages(rx->ctx, gfn, count, p + MIGRATE_PAGES_HDR_BYTES) : NULL;
        rx->pages_total += count;
        break;
    }
    case MIGRATE_SEC_VCPU:
    case MIGRATE_SEC_DEVICE: {
        if (len < 4)
            FAIL(rx, "section %" PRIu32 " (%s): too short", n, section_name(rx->sec_type));
        uint32_t id = migrate_get32(p);
        if (rx->sec_type == MIGRATE_SEC_VCPU)
            why = rx->ops->vcpu ? rx->ops->vcpu(rx->ctx, id, p + 4, len - 4) : NULL;
        else
            why = rx->ops->device ? rx->ops->device(rx->ctx, id, p + 4, len - 4) : NULL;
        break;
    }
    case MIGRATE_SEC_END: {
        if (len != 16)
            FAIL(rx, "section %" PRIu32 " (end): length %" PRIu32 ", want 16", n, len);
        uint64_t pages = migrate_get64(p);
        uint32_t sections = migrate_get32(p + 8);
        if (pages != rx->pages_total || sections != rx->sections)
            FAIL(rx, "end: sender sent %" PRIu32 " sections with %" PRIu64 " pages, received %" PRIu32
                 " with %" PRIu64, sections, pages, rx->sections, rx->pages_total);
        why = rx->ops->end ? rx->ops->end(rx->ctx, pages) : NULL;
        if (why)
            FAIL(rx, "%s", why);
        rx->state = MIGRATE_RX_DONE;
        return MIGRATE_RX_DONE;
    }
    default:
        FAIL(rx, "section %" PRIu32 ": unknown type %" PRIu32, n, rx->sec_type);
    }
    if (why)
        FAIL(rx, "section %" PRIu32 " (%s): %s", n, section_name(rx->sec_type), why);
    rx->sections++;
    rx->state = MIGRATE_RX_SEC_HDR;
    return MIGRATE_RX_SEC_HDR;
}

enum migrate_rx_state migrate_rx_feed(struct migrate_rx *rx, const uint8_t *data, size_t len)
{
    while (len > 0) {
        uint32_t want;
        switch (rx->state) {
        case MIGRATE_RX_HEADER: want = MIGRATE_HEADER_BYTES; break;
        case MIGRATE_RX_SEC_HDR: want = MIGRATE_SECTION_HDR_BYTES; break;
        case MIGRATE_RX_SEC_BODY:
            want = MIGRATE_SECTION_HDR_BYTES + rx->sec_len + MIGRATE_SECTION_CRC_BYTES;
            break;
        case MIGRATE_RX_DONE:
            FAIL(rx, "%zu bytes after the end of the stream", len);
        default:
            return MIGRATE_RX_FAILED;
        }
        uint32_t take = want - rx->have;
        if (take > len)
            take = (uint32_t)len;
        memcpy(rx->buf + rx->have, data, take);
        rx->have += take;
        rx->bytes += take;
        data += take;
        len -= take;
        if (rx->have < want)
            break;
        switch (rx->state) {
        case MIGRATE_RX_HEADER:
            rx->have = 0;
            if (rx_header(rx) == MIGRATE_RX_FAILED)
                return MIGRATE_RX_FAILED;
            break;
        case MIGRATE_RX_SEC_HDR:
            rx->sec_type = migrate_get32(rx->buf);
            rx->sec_len = migrate_get32(rx->buf + 4);
            if (rx->sec_len > MIGRATE_SECTION_MAX)
                FAIL(rx, "section %" PRIu32 " (%s): length %" PRIu32 " over the limit %u", rx->sections,
                     section_name(rx->sec_type), rx->sec_len, MIGRATE_SECTION_MAX);
            rx->state = MIGRATE_RX_SEC_BODY;   /* the 8 header bytes stay in buf: the CRC covers them */
            break;
        case MIGRATE_RX_SEC_BODY: {
            uint32_t body = MIGRATE_SECTION_HDR_BYTES + rx->sec_len;
            rx->have = 0;
            if (migrate_get32(rx->buf + body) != migrate_crc32(0, rx->buf, body))
                FAIL(rx, "section %" PRIu32 " (%s, %" PRIu32 " bytes): checksum mismatch", rx->sections,
                     section_name(rx->sec_type), rx->sec_len);
            if (rx_section(rx) == MIGRATE_RX_FAILED)
                return MIGRATE_RX_FAILED;
            break;
        }
        default:
            break;
        }
    }
    return (enum migrate_rx_state)rx->state;
}

const char *migrate_rx_close(struct migrate_rx *rx)
{
    switch (rx->state) {
    case MIGRATE_RX_DONE:
        return NULL;
    case MIGRATE_RX_FAILED:
        return rx->error;
    case MIGRATE_RX_HEADER:
        snprintf(rx->error, sizeof(rx->error), "stream truncated in the header (%" PRIu64 " bytes)", rx->bytes);
        break;
    default:
        snprintf(rx->error, sizeof(rx->error),
                 "stream truncated after %" PRIu32 " sections (%" PRIu64 " bytes), no end section",
                 rx->sections, rx->bytes);
        break;
    }
    rx->state = MIGRATE_RX_FAILED;
    return rx->error;
}
