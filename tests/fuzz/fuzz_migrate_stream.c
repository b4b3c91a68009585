/* libFuzzer target for the migration stream receiver (kernel/migrate_stream.c): any bytes, fed in
 * chunks the input's first byte picks, either end in a whole stream whose every callback came
 * after its checksum matched, or fail with a printable message; the state never goes back, an end
 * is reported at most once, and page callbacks stay within the section's bounds. */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "migrate_stream.h"

struct seen { int ends; uint64_t pages; };

static const char *on_pages(void *c, uint64_t gfn, uint32_t count, const uint8_t *d)
{
    struct seen *s = c;
    CHECK(count >= 1 && count <= MIGRATE_PAGES_PER_SECTION);
    CHECK(gfn <= (UINT64_MAX >> 12) - count);
    volatile uint8_t x = d[0];
    x = d[count * MIGRATE_PAGE_BYTES - 1];   /* ASan: the whole run is readable */
    (void)x;
    s->pages += count;
    return NULL;
}
static const char *on_blob(void *c, uint32_t id, const uint8_t *d, uint32_t len)
{
    (void)c;
    (void)id;
    if (len) {
        volatile uint8_t x = d[len - 1];
        (void)x;
    }
    return id == 7 ? "seven refused" : NULL;
}
static const char *on_end(void *c, uint64_t pages)
{
    struct seen *s = c;
    CHECK(pages == s->pages);
    s->ends++;
    return NULL;
}
static const struct migrate_rx_ops OPS = { NULL, on_pages, on_blob, on_blob, on_end };
static uint8_t buf[MIGRATE_RX_BUF_BYTES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = 1 + data[0] * 13;
    data++;
    size--;
    struct seen s = { 0 };
    struct migrate_rx rx;
    migrate_rx_init(&rx, &OPS, &s, buf);
    enum migrate_rx_state st = MIGRATE_RX_HEADER;
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        enum migrate_rx_state prev = st;
        st = migrate_rx_feed(&rx, data + off, n);
        CHECK(prev != MIGRATE_RX_FAILED || st == MIGRATE_RX_FAILED);
        CHECK(prev != MIGRATE_RX_DONE || st != MIGRATE_RX_HEADER);
    }
    const char *why = migrate_rx_close(&rx);
    if (st == MIGRATE_RX_DONE) {
        CHECK(why == NULL && s.ends == 1);
    } else {
        CHECK(why != NULL && rx.state == MIGRATE_RX_FAILED && s.ends <= 1);
        size_t n = strlen(why);
        CHECK(n > 0 && n < MIGRATE_RX_ERROR_MAX);
        for (size_t i = 0; i < n; i++)
            CHECK(why[i] >= 0x20 && why[i] < 0x7f);
    }
    return 0;
}
