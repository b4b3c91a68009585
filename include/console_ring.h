/* console_ring.h: a VM's console output queue: guest bytes assembled into escaped lines and kept
 * in a fixed ring until the drain prints them, the newest dropped (and counted) when it is full.
 * Pure: no locks, no hardware; the caller serialises (kernel/vm_console.c, tests/unit). */
#ifndef CONSOLE_RING_H
#define CONSOLE_RING_H

#include <stdbool.h>
#include <stdint.h>

/* Characters of one line after escaping, the "[NAME] " prefix not counted: longer output is
 * split there (an escape is never split). */
#define CONSOLE_LINE_MAX 159u
/* The longest escaped form of one byte: "\xNN". */
#define CONSOLE_ESCAPE_MAX 4u

struct console_ring {
    uint8_t *buf;              /* size_bytes, a power of two */
    uint32_t size_bytes;
    uint32_t head, tail;       /* free-running: tail - head bytes queued, head is the oldest */
    uint64_t dropped_bytes;    /* guest bytes dropped since the last note was queued or taken */
    uint64_t dropped_total;    /* guest bytes ever dropped */
    uint32_t line_len;         /* the line being assembled (escaped), not queued yet */
    uint32_t line_raw;         /* guest bytes that made it, '\r' and the final '\n' included */
    char line[CONSOLE_LINE_MAX];
};

enum console_rec {
    CONSOLE_REC_NONE,          /* nothing queued */
    CONSOLE_REC_LINE,          /* a line, without its '\n' */
    CONSOLE_REC_DROPPED,       /* this many guest bytes were dropped here */
};

/* buf: size_bytes (a power of two, at least 64) for the ring's exclusive use. */
void console_ring_init(struct console_ring *r, void *buf, uint32_t size_bytes);

/* How one guest byte appears on the physical console: printable ASCII and '\t' as they are, '\r'
 * as nothing, every other byte (C0 controls, ESC, DEL, bytes >= 0x80) as "\xNN", so a guest can
 * neither move the cursor nor start a physical line itself. '\n' is not asked here (it ends the
 * line). Returns how many characters it wrote to out. */
uint32_t console_escape(uint8_t byte, char out[CONSOLE_ESCAPE_MAX]);

/* One guest byte: escaped into the line being assembled; a '\n', or a line that would grow past
 * CONSOLE_LINE_MAX, queues that line (or drops it when the ring has no room). */
void console_ring_putc(struct console_ring *r, uint8_t byte);

/* Queues the unfinished line, if any (its VM stops or resets). */
void console_ring_end_line(struct console_ring *r);

/* Takes the oldest record: a line (text into out, CONSOLE_LINE_MAX bytes, length into *len) or a
 * drop note (the count into *dropped). With nothing queued, bytes dropped since the last note
 * come out as a note: nothing older is left to print before it. */
enum console_rec console_ring_pop(struct console_ring *r, char *out, uint32_t *len, uint64_t *dropped);

/* Whether console_ring_pop has something to give. */
bool console_ring_pending(const struct console_ring *r);

#endif
