/* console_ring.c: a VM's console output queue: escaped lines in a fixed ring, the newest dropped
 * and counted when it is full (include/console_ring.h). */
#include "console_ring.h"

/* A record is a 4-byte header, then the line's characters, or for a drop note the 8-byte count. */
#define REC_NOTE 0xffffffffu
#define HEADER_BYTES 4u
#define NOTE_BYTES (HEADER_BYTES + 8u)

void console_ring_init(struct console_ring *r, void *buf, uint32_t size_bytes)
{
    *r = (struct console_ring){ .buf = buf, .size_bytes = size_bytes };
}

uint32_t console_escape(uint8_t byte, char out[CONSOLE_ESCAPE_MAX])
{
    static const char hex[] = "0123456789abcdef";
    if (byte == '\r')
        return 0;
    if ((byte >= 0x20 && byte < 0x7f) || byte == '\t') {
        out[0] = (char)byte;
        return 1;
    }
    out[0] = '\\';
    out[1] = 'x';
    out[2] = hex[byte >> 4];
    out[3] = hex[byte & 15];
    return 4;
}

static uint32_t ring_free(const struct console_ring *r)
{
    return r->size_bytes - (r->tail - r->head);
}

static void ring_put(struct console_ring *r, const void *src, uint32_t n)
{
    const uint8_t *s = src;
    for (uint32_t i = 0; i < n; i++)
        r->buf[(r->tail + i) & (r->size_bytes - 1)] = s[i];
    r->tail += n;
}

static void ring_get(struct console_ring *r, void *dst, uint32_t n)
{
    uint8_t *d = dst;
    for (uint32_t i = 0; i < n; i++)
        d[i] = r->buf[(r->head + i) & (r->size_bytes - 1)];
    r->head += n;
}

/* The line goes in whole, after the note of what was dropped before it, or not at all: a line is
 * never cut, and the note sits exactly where the gap is. */
static void queue_line(struct console_ring *r)
{
    uint32_t need = HEADER_BYTES + r->line_len + (r->dropped_bytes ? NOTE_BYTES : 0);
    if (!r->buf || ring_free(r) < need) {
        r->dropped_bytes += r->line_raw;
        r->dropped_total += r->line_raw;
    } else {
        if (r->dropped_bytes) {
            uint32_t note = REC_NOTE;
            ring_put(r, &note, HEADER_BYTES);
            ring_put(r, &r->dropped_bytes, 8);
            r->dropped_bytes = 0;
        }
        ring_put(r, &r->line_len, HEADER_BYTES);
        ring_put(r, r->line, r->line_len);
    }
    r->line_len = r->line_raw = 0;
}

void console_ring_putc(struct console_ring *r, uint8_t byte)
{
    r->line_raw++;
    if (byte == '\n') {
        queue_line(r);
        return;
    }
    char e[CONSOLE_ESCAPE_MAX];
    uint32_t n = console_escape(byte, e);
    if (r->line_len + n > CONSOLE_LINE_MAX) {
        r->line_raw--;                       /* this byte starts the next line */
        queue_line(r);
        r->line_raw = 1;
    }
    for (uint32_t i = 0; i < n; i++)
        r->line[r->line_len++] = e[i];
}

void console_ring_end_line(struct console_ring *r)
{
    if (r->line_len)
        queue_line(r);
    r->line_raw = 0;                         /* a lone '\r' prints nothing */
}

bool console_ring_pending(const struct console_ring *r)
{
    return r->head != r->tail || r->dropped_bytes;
}

enum console_rec console_ring_pop(struct console_ring *r, char *out, uint32_t *len, uint64_t *dropped)
{
    if (r->head == r->tail) {
        if (!r->dropped_bytes)
            return CONSOLE_REC_NONE;
        *dropped = r->dropped_bytes;
        r->dropped_bytes = 0;
        return CONSOLE_REC_DROPPED;
    }
    uint32_t header;
    ring_get(r, &header, HEADER_BYTES);
    if (header == REC_NOTE) {
        ring_get(r, dropped, 8);
        return CONSOLE_REC_DROPPED;
    }
    ring_get(r, out, header);
    *len = header;
    return CONSOLE_REC_LINE;
}
