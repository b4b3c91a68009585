/* migrate_send.c: pre-copy of a VM's memory in rounds over dirty logging, written as the
 * migration stream (include/migrate_send.h). Pure: host-tested with the receiver
 * (tests/unit/test_migrate_send.c). */
#include <string.h>

#include "dirty_log.h"
#include "migrate_send.h"

#define PAGE_BYTES 4096ull

size_t migrate_send_bitmap_words(struct memslots *ms)
{
    size_t words = 0;
    for (uint32_t id = 0; id < VM_MAX_MEMSLOTS; id++) {
        struct memslot m;
        if (memslot_get(ms, id, &m) && dirty_log_bitmap_words(m.size_bytes) > words)
            words = dirty_log_bitmap_words(m.size_bytes);
    }
    return words;
}

bool migrate_send_init(struct migrate_send *s, struct memslots *ms, struct pgtable *pt,
                       const struct migrate_header *h, uint64_t *bitmap, size_t bitmap_words,
                       uint8_t out[MIGRATE_HEADER_BYTES])
{
    memset(s, 0, sizeof(*s));
    s->ms = ms;
    s->pt = pt;
    s->bitmap = bitmap;
    s->bitmap_words = bitmap_words;
    s->dirty_pages_done = MIGRATE_DIRTY_PAGES_DONE;
    s->rounds_max = MIGRATE_ROUNDS_MAX;
    for (uint32_t id = 0; id < VM_MAX_MEMSLOTS; id++) {
        struct memslot m;
        if (!memslot_get(ms, id, &m) || (m.flags & MEMSLOT_READONLY))
            continue;                      /* read-only slots come from the images on both ends */
        if (!(m.flags & MEMSLOT_DIRTY_LOG) || dirty_log_bitmap_words(m.size_bytes) > bitmap_words)
            return false;
        s->slots |= 1u << id;
    }
    return migrate_header_encode(h, out);
}

/* Loads the current slot's pages of this round into the bitmap: every page in round 0, else
 * what dirty logging collected (read-and-clear: those pages are write-protected again first). */
static int64_t load_slot(struct migrate_send *s, struct memslot *m)
{
    size_t words = dirty_log_bitmap_words(m->size_bytes);
    if (s->round == 0) {
        uint64_t pages = m->size_bytes / PAGE_BYTES;
        memset(s->bitmap, 0, words * 8);
        for (uint64_t p = 0; p < pages; p++)
            s->bitmap[p / 64] |= 1ull << (p % 64);
        return 0;
    }
    return dirty_log_get_clear(s->ms, s->pt, s->cur_slot, s->bitmap, words);
}

static bool page_marked(const struct migrate_send *s, uint64_t p)
{
    return s->bitmap[p / 64] >> (p % 64) & 1;
}

int64_t migrate_send_pages(struct migrate_send *s, uint8_t *out, size_t cap)
{
    if (cap < MIGRATE_SECTION_HDR_BYTES + MIGRATE_SECTION_MAX + MIGRATE_SECTION_CRC_BYTES)
        return MEMSLOT_EINVAL;
    for (; s->cur_slot < VM_MAX_MEMSLOTS; s->cur_slot++, s->cur_page = 0, s->cur_loaded = false) {
        if (!(s->slots >> s->cur_slot & 1))
            continue;
        struct memslot m;
        if (!memslot_get(s->ms, s->cur_slot, &m))
            return MEMSLOT_ENOENT;         /* deleted while migrating */
        if (!s->cur_loaded) {
            int64_t rc = load_slot(s, &m);
            if (rc < 0)
                return rc;
            s->cur_loaded = true;
        }
        uint64_t pages = m.size_bytes / PAGE_BYTES;
        while (s->cur_page < pages && !page_marked(s, s->cur_page))
            s->cur_page++;
        if (s->cur_page == pages)
            continue;
        /* A run of consecutive marked pages, at most one section's worth. */
        uint64_t first = s->cur_page;
        uint32_t count = 0;
        while (first + count < pages && count < MIGRATE_PAGES_PER_SECTION && page_marked(s, first + count))
            count++;
        uint32_t len = MIGRATE_PAGES_HDR_BYTES + count * MIGRATE_PAGE_BYTES;
        struct migrate_section_tx tx;
        migrate_section_begin(&tx, MIGRATE_SEC_PAGES, len, out);
        uint8_t *p = out + MIGRATE_SECTION_HDR_BYTES;
        migrate_put64(p, m.gpa / PAGE_BYTES + first);
        migrate_put32(p + 8, count);
        migrate_put32(p + 12, 0);
        if (guest_read(s->ms, m.gpa + first * PAGE_BYTES, p + MIGRATE_PAGES_HDR_BYTES, count * PAGE_BYTES) != 0)
            return MEMSLOT_ENOENT;
        migrate_section_update(&tx, p, len);
        migrate_section_end(&tx, p + len);
        s->cur_page = first + count;
        s->round_pages += count;
        s->pages_total += count;
        s->sections++;
        return MIGRATE_SECTION_HDR_BYTES + len + MIGRATE_SECTION_CRC_BYTES;
    }
    return 0;
}

bool migrate_send_converged(const struct migrate_send *s)
{
    return (s->round > 0 && s->round_pages <= s->dirty_pages_done) || s->round + 1 >= s->rounds_max;
}

void migrate_send_next_round(struct migrate_send *s, bool final)
{
    s->last_round_pages = s->round_pages;
    s->round_pages = 0;
    s->round++;
    s->final = final;
    s->cur_slot = 0;
    s->cur_page = 0;
    s->cur_loaded = false;
}

size_t migrate_send_state(struct migrate_send *s, uint32_t type, uint32_t id, const uint8_t *state,
                          uint32_t len, uint8_t *out, size_t cap)
{
    if (len > MIGRATE_SECTION_MAX - 4 ||
        cap < MIGRATE_SECTION_HDR_BYTES + 4 + (size_t)len + MIGRATE_SECTION_CRC_BYTES)
        return 0;
    struct migrate_section_tx tx;
    migrate_section_begin(&tx, type, 4 + len, out);
    uint8_t *p = out + MIGRATE_SECTION_HDR_BYTES;
    migrate_put32(p, id);
    memcpy(p + 4, state, len);
    migrate_section_update(&tx, p, 4 + len);
    migrate_section_end(&tx, p + 4 + len);
    s->sections++;
    return MIGRATE_SECTION_HDR_BYTES + 4 + len + MIGRATE_SECTION_CRC_BYTES;
}

size_t migrate_send_end(struct migrate_send *s, uint8_t *out, size_t cap)
{
    if (cap < MIGRATE_SECTION_HDR_BYTES + 16 + MIGRATE_SECTION_CRC_BYTES)
        return 0;
    struct migrate_section_tx tx;
    migrate_section_begin(&tx, MIGRATE_SEC_END, 16, out);
    uint8_t *p = out + MIGRATE_SECTION_HDR_BYTES;
    migrate_put64(p, s->pages_total);
    migrate_put32(p + 8, s->sections);
    migrate_put32(p + 12, 0);
    migrate_section_update(&tx, p, 16);
    migrate_section_end(&tx, p + 16);
    return MIGRATE_SECTION_HDR_BYTES + 16 + MIGRATE_SECTION_CRC_BYTES;
}
