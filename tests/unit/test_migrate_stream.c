/* Unit tests of the live-migration stream (kernel/migrate_stream.c): a stream written by the
 * encoder is received whole in any chunking; every corruption, truncation or mismatch is refused
 * with a message naming it, and nothing after the bad byte is handed on. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_stream.h"

/* A writer into a growing buffer. */
struct wbuf { uint8_t *p; size_t len, cap; };
static void wput(struct wbuf *w, const void *d, size_t n)
{
    if (w->len + n > w->cap) {
        w->cap = (w->len + n) * 2;
        w->p = realloc(w->p, w->cap);
    }
    memcpy(w->p + w->len, d, n);
    w->len += n;
}
static void wsection(struct wbuf *w, uint32_t type, const void *a, size_t alen, const void *b, size_t blen)
{
    struct migrate_section_tx tx;
    uint8_t h[8], c[4];
    cr_assert(migrate_section_begin(&tx, type, (uint32_t)(alen + blen), h));
    wput(w, h, 8);
    migrate_section_update(&tx, a, alen);
    wput(w, a, alen);
    if (blen) {
        migrate_section_update(&tx, b, blen);
        wput(w, b, blen);
    }
    cr_assert(migrate_section_end(&tx, c));
    wput(w, c, 4);
}
static void le32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void le64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> 8 * i); }

static const struct migrate_header HDR = { MIGRATE_VERSION, MIGRATE_ARCH_AARCH64, "payload", 2, 64u << 20 };

/* A stream: header, 3 page sections (gfn 0x40000 x2, 0x40010 x16, 0x40000 again), 2 vCPUs, 1
 * device, end. */
static struct wbuf make_stream(void)
{
    struct wbuf w = { 0 };
    uint8_t h[MIGRATE_HEADER_BYTES];
    cr_assert(migrate_header_encode(&HDR, h));
    wput(&w, h, sizeof(h));
    static uint8_t pages[16 * 4096];
    for (size_t i = 0; i < sizeof(pages); i++)
        pages[i] = (uint8_t)(i * 7 + i / 4096);
    uint8_t ph[16] = { 0 };
    le64(ph, 0x40000); le32(ph + 8, 2);
    wsection(&w, MIGRATE_SEC_PAGES, ph, 16, pages, 2 * 4096);
    le64(ph, 0x40010); le32(ph + 8, 16);
    wsection(&w, MIGRATE_SEC_PAGES, ph, 16, pages, 16 * 4096);
    le64(ph, 0x40000); le32(ph + 8, 1);
    wsection(&w, MIGRATE_SEC_PAGES, ph, 16, pages + 4096, 4096);
    for (uint32_t v = 0; v < 2; v++) {
        uint8_t id[4], st[100];
        le32(id, v);
        memset(st, 0xa0 + (int)v, sizeof(st));
        wsection(&w, MIGRATE_SEC_VCPU, id, 4, st, sizeof(st));
    }
    uint8_t dev[4 + 12] = { 0 };
    le32(dev, MIGRATE_DEV_PL011);
    wsection(&w, MIGRATE_SEC_DEVICE, dev, sizeof(dev), NULL, 0);
    uint8_t end[16] = { 0 };
    le64(end, 19); le32(end + 8, 6);
    wsection(&w, MIGRATE_SEC_END, end, 16, NULL, 0);
    return w;
}

/* What the receiver handed on. */
struct seen {
    int headers, vcpus, devices, ends;
    uint64_t pages;
    uint32_t last_gfn;
    uint8_t first_byte_of_gfn_40000;
    const char *refuse_header;
    int refuse_vcpu;   /* vcpu id to refuse, -1 none */
};
static const char *on_header(void *c, const struct migrate_header *h)
{
    struct seen *s = c;
    s->headers++;
    cr_assert_str_eq(h->name, "payload");
    cr_assert_eq(h->cpus, 2);
    cr_assert_eq(h->memory_bytes, 64u << 20);
    return s->refuse_header;
}
static const char *on_pages(void *c, uint64_t gfn, uint32_t count, const uint8_t *d)
{
    struct seen *s = c;
    s->pages += count;
    s->last_gfn = (uint32_t)gfn;
    if (gfn == 0x40000)
        s->first_byte_of_gfn_40000 = d[0];
    return NULL;
}
static const char *on_vcpu(void *c, uint32_t id, const uint8_t *d, uint32_t len)
{
    struct seen *s = c;
    cr_assert_eq(len, 100);
    cr_assert_eq(d[0], 0xa0 + id);
    s->vcpus++;
    return (int)id == s->refuse_vcpu ? "vcpu refused by test" : NULL;
}
static const char *on_device(void *c, uint32_t dev, const uint8_t *d, uint32_t len)
{
    (void)d;
    struct seen *s = c;
    cr_assert_eq(dev, MIGRATE_DEV_PL011);
    cr_assert_eq(len, 12);
    s->devices++;
    return NULL;
}
static const char *on_end(void *c, uint64_t pages)
{
    struct seen *s = c;
    cr_assert_eq(pages, 19);
    s->ends++;
    return NULL;
}
static const struct migrate_rx_ops OPS = { on_header, on_pages, on_vcpu, on_device, on_end };
static uint8_t rxbuf[MIGRATE_RX_BUF_BYTES];

static enum migrate_rx_state feed_chunks(struct migrate_rx *rx, const uint8_t *p, size_t len, size_t chunk)
{
    enum migrate_rx_state st = MIGRATE_RX_HEADER;
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        st = migrate_rx_feed(rx, p + off, n);
        if (st == MIGRATE_RX_FAILED)
            break;
    }
    return st;
}

Test(migrate_stream, crc32_matches_the_ieee_check_value)
{
    cr_assert_eq(migrate_crc32(0, "123456789", 9), 0xcbf43926u);
    /* incremental equals whole */
    cr_assert_eq(migrate_crc32(migrate_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
}

Test(migrate_stream, whole_stream_received_in_any_chunking)
{
    struct wbuf w = make_stream();
    size_t chunks[] = { 1, 3, 7, 68, 1460, 4096, 100000 };
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        struct seen s = { .refuse_vcpu = -1 };
        struct migrate_rx rx;
        migrate_rx_init(&rx, &OPS, &s, rxbuf);
        cr_assert_eq(feed_chunks(&rx, w.p, w.len, chunks[i]), MIGRATE_RX_DONE, "chunk %zu: %s", chunks[i], rx.error);
        cr_assert_null(migrate_rx_close(&rx));
        cr_assert_eq(s.headers, 1);
        cr_assert_eq(s.pages, 19);
        cr_assert_eq(s.vcpus, 2);
        cr_assert_eq(s.devices, 1);
        cr_assert_eq(s.ends, 1);
        /* the resend of gfn 0x40000 came last and carried page 1's bytes */
        cr_assert_eq(s.first_byte_of_gfn_40000, (uint8_t)(4096 * 7 + 1));
    }
    free(w.p);
}

Test(migrate_stream, every_flipped_byte_is_refused_before_the_end)
{
    struct wbuf w = make_stream();
    /* Flip each byte of the stream in turn (a stride keeps it quick but covers every section's
     * header, payload and crc): the stream never completes and the end callback never runs. */
    for (size_t at = 0; at < w.len; at += (at < 200 || at > w.len - 400) ? 1 : 509) {
        w.p[at] ^= 0x20;
        struct seen s = { .refuse_vcpu = -1 };
        struct migrate_rx rx;
        migrate_rx_init(&rx, &OPS, &s, rxbuf);
        /* a flipped length can leave it waiting for bytes that never come: the close fails it */
        enum migrate_rx_state st = feed_chunks(&rx, w.p, w.len, 1000);
        cr_assert_neq(st, MIGRATE_RX_DONE, "flip at %zu accepted", at);
        const char *why = migrate_rx_close(&rx);
        cr_assert_not_null(why);
        cr_assert_eq(rx.state, MIGRATE_RX_FAILED);
        cr_assert_eq(s.ends, 0);
        cr_assert(strlen(why) > 0);
        w.p[at] ^= 0x20;
    }
    free(w.p);
}

Test(migrate_stream, messages_name_what_was_wrong)
{
    struct wbuf w = make_stream();
    struct seen s = { .refuse_vcpu = -1 };
    struct migrate_rx rx;

    w.p[0] = 'X';
    migrate_rx_init(&rx, &OPS, &s, rxbuf);
    cr_assert_eq(migrate_rx_feed(&rx, w.p, w.len), MIGRATE_RX_FAILED);
    cr_assert_str_eq(rx.error, "not a migration stream (bad magic)");
    w.p[0] = 'H';

    w.p[8] = 2;   /* version 2 */
    migrate_rx_init(&rx, &OPS, &s, rxbuf);
    cr_assert_eq(migrate_rx_feed(&rx, w.p, w.len), MIGRATE_RX_FAILED);
    cr_assert_str_eq(rx.error, "stream version 2 not supported (this hypervisor reads 1)");
    w.p[8] = 1;

    w.p[50] ^= 1;   /* cpus, under the header crc */
    migrate_rx_init(&rx, &OPS, &s, rxbuf);
    cr_assert_eq(migrate_rx_feed(&rx, w.p, w.len), MIGRATE_RX_FAILED);
    cr_assert_str_eq(rx.error, "header checksum mismatch");
    w.p[50] ^= 1;

    size_t in_first_page = MIGRATE_HEADER_BYTES + 8 + 16 + 100;
    w.p[in_first_page] ^= 0xff;
    migrate_rx_init(&rx, &OPS, &s, rxbuf);
    cr_assert_eq(migrate_rx_feed(&rx, w.p, w.len), MIGRATE_RX_FAILED);
    cr_assert_str_eq(rx.error, "section 0 (pages, 8208 bytes): checksum mismatch");
    w.p[in_first_page] ^= 0xff;

    /* a length beyond the limit is refused from the section header alone */
    le32(w.p + MIGRATE_HEADER_BYTES + 4, MIGRATE_SECTION_MAX + 1);
    migrate_rx_init(&rx, &OPS, &s, rxbuf);
    cr_assert_eq(migrate_rx_feed(&rx, w.p, MIGRATE_HEADER_BYTES + 8), MIGRATE_RX_FAILED);
    cr_assert_str_eq(rx.error, "section 0 (pages): length 65553 over the limit 65552");
    free(w.p);
}

Test(migrate_stream, truncation_is_refused_at_every_length)
{
    struct wbuf w = make_stream();
    for (size_t cut = 0; cut < w.len; cut += cut < 100 ? 1 : 997) {
        struct seen s = { .refuse_vcpu = -1 };
        struct migrate_rx rx;
        migrate_rx_init(&rx, &OPS, &s, rxbuf);
        cr_assert_neq(migrate_rx_feed(&rx, w.p, cut), MIGRATE_RX_DONE);
        const char *why = migrate_rx_close(&rx);
        cr_assert_not_null(why, "cut at %zu accepted", cut);
        cr_assert(strstr(why, "truncated") || strstr(why, "mismatch"), "cut %zu: %s", cut, why);
        cr_assert_eq(s.ends, 0);
    }
    /* one byte short of the end: truncated after 6 sections */
    struct seen s = { .refuse_vcpu = -1 };
    struct migrate_rx rx;
    migrate_rx_init(&rx, &OPS, &s, rxbuf);
    migrate_rx_feed(&rx, w.p, w.len - 1);
    cr_assert_str_eq(migrate_rx_close(&rx), "stream truncated after 6 sections (78263 bytes), no end section");
    free(w.p);
}

Test(migrate_stream, refused_content_and_trailing_bytes_fail_the_stream)
{
    struct wbuf w = make_stream();
    struct seen s = { .refuse_vcpu = 1 };
    struct migrate_rx rx;
    migrate_rx_init(&rx, &OPS, &s, rxbuf);
    cr_assert_eq(migrate_rx_feed(&rx, w.p, w.len), MIGRATE_RX_FAILED);
    cr_assert_str_eq(rx.error, "section 4 (vcpu): vcpu refused by test");
    cr_assert_eq(s.devices, 0);
    cr_assert_eq(s.ends, 0);

    struct seen s2 = { .refuse_vcpu = -1, .refuse_header = "vm payload has 1 cpus here, stream has 2" };
    migrate_rx_init(&rx, &OPS, &s2, rxbuf);
    cr_assert_eq(migrate_rx_feed(&rx, w.p, w.len), MIGRATE_RX_FAILED);
    cr_assert_str_eq(rx.error, "vm payload has 1 cpus here, stream has 2");
    cr_assert_eq(s2.pages, 0);

    struct seen s3 = { .refuse_vcpu = -1 };
    migrate_rx_init(&rx, &OPS, &s3, rxbuf);
    cr_assert_eq(migrate_rx_feed(&rx, w.p, w.len), MIGRATE_RX_DONE);
    cr_assert_eq(migrate_rx_feed(&rx, (const uint8_t *)"x", 1), MIGRATE_RX_FAILED);
    cr_assert_str_eq(rx.error, "1 bytes after the end of the stream");
    free(w.p);
}

Test(migrate_stream, end_section_counts_must_match)
{
    struct wbuf w = { 0 };
    uint8_t h[MIGRATE_HEADER_BYTES];
    cr_assert(migrate_header_encode(&HDR, h));
    wput(&w, h, sizeof(h));
    uint8_t end[16] = { 0 };
    le64(end, 5);   /* claims 5 pages, none sent: a sender that lost sections */
    wsection(&w, MIGRATE_SEC_END, end, 16, NULL, 0);
    struct seen s = { .refuse_vcpu = -1 };
    struct migrate_rx rx;
    migrate_rx_init(&rx, &OPS, &s, rxbuf);
    cr_assert_eq(migrate_rx_feed(&rx, w.p, w.len), MIGRATE_RX_FAILED);
    cr_assert_str_eq(rx.error, "end: sender sent 0 sections with 5 pages, received 0 with 0");
    cr_assert_eq(s.ends, 0);
    free(w.p);
}

Test(migrate_stream, encoder_refuses_bad_input)
{
    struct migrate_header h = HDR;
    uint8_t out[MIGRATE_HEADER_BYTES];
    memset(h.name, 'a', sizeof(h.name));   /* no NUL */
    cr_assert_not(migrate_header_encode(&h, out));
    struct migrate_section_tx tx;
    uint8_t sh[8], c[4];
    cr_assert_not(migrate_section_begin(&tx, MIGRATE_SEC_VCPU, MIGRATE_SECTION_MAX + 1, sh));
    cr_assert(migrate_section_begin(&tx, MIGRATE_SEC_VCPU, 8, sh));
    migrate_section_update(&tx, "1234", 4);
    cr_assert_not(migrate_section_end(&tx, c));   /* 4 of 8 bytes */
}
