/* migrate_send.h: the source side of a live migration's memory (kernel/migrate_send.c): pre-copy
 * in rounds over the VM's writable memslots with dirty logging (kernel/dirty_log.c), as QEMU and
 * KVM do: round 0 sends every page, each later round the pages dirtied since the one before,
 * until a round's dirty set is small or the rounds run out; then the VM is paused and the last
 * round, its vCPU and device state and the end section follow. Pure: it produces stream bytes
 * (include/migrate_stream.h) into the caller's buffer; the caller sends them. */
#ifndef MIGRATE_SEND_H
#define MIGRATE_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memslot.h"
#include "migrate_stream.h"
#include "pgtable.h"

/* Defaults of the convergence policy (docs/migration.md). */
#define MIGRATE_DIRTY_PAGES_DONE 256u     /* a round at most this dirty: pause and finish */
#define MIGRATE_ROUNDS_MAX 8u             /* pre-copy rounds before pausing regardless */

struct migrate_send {
    struct memslots *ms;
    struct pgtable *pt;
    uint32_t slots;                       /* bit n: slot n is sent (writable RAM, logged) */
    uint64_t *bitmap;                     /* the caller's: bitmap_words words */
    size_t bitmap_words;
    uint32_t round;                       /* 0: the full copy */
    bool final;                           /* the round after the pause */
    /* Where the current round is: slot and page within it; the round's bitmap for that slot. */
    uint32_t cur_slot;
    uint64_t cur_page;
    bool cur_loaded;                      /* bitmap holds cur_slot's pages of this round */
    uint64_t round_pages;                 /* pages sent in this round */
    uint64_t last_round_pages;            /* ... in the round before */
    uint64_t pages_total;                 /* pages sent so far */
    uint32_t sections;                    /* sections written so far (the end section counts them) */
    uint32_t dirty_pages_done, rounds_max;
};

/* Size in 64-bit words of the bitmap the sender needs for these memslots (the largest slot). */
size_t migrate_send_bitmap_words(struct memslots *ms);

/* Starts: dirty logging must already be on for every writable RAM slot (the caller turns it on,
 * kernel/migrate.c); out gets the stream header (MIGRATE_HEADER_BYTES). false if the header
 * cannot be written (bad name) or a writable slot is not logged. */
bool migrate_send_init(struct migrate_send *s, struct memslots *ms, struct pgtable *pt,
                       const struct migrate_header *h, uint64_t *bitmap, size_t bitmap_words,
                       uint8_t out[MIGRATE_HEADER_BYTES]);

/* The next section of the current round into out (cap at least MIGRATE_RX_BUF_BYTES): its length,
 * or 0 when the round is over (then migrate_send_next_round or, once paused, the final round).
 * Pages are read through guest_read; a negative value is a memslot error (e.g. a slot deleted
 * meanwhile: the migration fails). */
int64_t migrate_send_pages(struct migrate_send *s, uint8_t *out, size_t cap);

/* After a round: whether pre-copy is done (the VM should be paused now): the round sent at most
 * dirty_pages_done pages, or rounds_max rounds were sent. */
bool migrate_send_converged(const struct migrate_send *s);

/* The next round: pre-copy's, or with final the one after the VM was paused. */
void migrate_send_next_round(struct migrate_send *s, bool final);

/* One vCPU or device section (type MIGRATE_SEC_VCPU / MIGRATE_SEC_DEVICE) around the state the
 * arch gave, and the end section: lengths written into out, 0 if it does not fit. */
size_t migrate_send_state(struct migrate_send *s, uint32_t type, uint32_t id, const uint8_t *state,
                          uint32_t len, uint8_t *out, size_t cap);
size_t migrate_send_end(struct migrate_send *s, uint8_t *out, size_t cap);

#endif
