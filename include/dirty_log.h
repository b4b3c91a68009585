/* dirty_log.h: dirty logging of one memslot (kernel/dirty_log.c), the base of live migration:
 * on start the slot is write-protected in stage 2 (blocks stay, read-only); a guest write
 * faults, the block around it is split and only that 4 KiB page is made writable and marked;
 * reading the bitmap write-protects the pages it reports before it clears their bits; on stop
 * the slot is writable again and collapsed back to 2 MiB / 1 GiB blocks where contiguous.
 * While logging, no writable block ever maps the slot. */
#ifndef DIRTY_LOG_H
#define DIRTY_LOG_H

#include <stddef.h>
#include <stdint.h>
#include "memslot.h"
#include "pgtable.h"

/* 64-bit words of the bitmap of a slot of size_bytes. */
static inline size_t dirty_log_bitmap_words(uint64_t size_bytes)
{
    return (size_t)((size_bytes / 4096 + 63) / 64);
}

/* Starts logging slot id with bitmap (dirty_log_bitmap_words zeroed words, the caller's until
 * dirty_log_stop hands it back). 0, or MEMSLOT_ENOENT, MEMSLOT_EBUSY (already logging),
 * MEMSLOT_EINVAL (a read-only slot: nothing to log). */
int dirty_log_start(struct memslots *ms, struct pgtable *pt, uint32_t id, uint64_t *bitmap);

/* Stops logging slot id: writable again, collapsed to blocks where the range allows; *bitmap
 * gets the bitmap back. 0, MEMSLOT_ENOENT (no slot, or not logging) or MEMSLOT_ENOMEM. */
int dirty_log_stop(struct memslots *ms, struct pgtable *pt, uint32_t id, uint64_t **bitmap);

enum dirty_fault {
    DIRTY_FAULT_NOT_LOGGED,           /* gpa is in no logged slot: the caller's usual handling */
    DIRTY_FAULT_HANDLED,              /* the page is writable (and marked, if logged): retry */
    DIRTY_FAULT_NOMEM,                /* no memory to split the block: the guest cannot go on */
};
/* A guest write hit a write-protected page (stage-2 permission fault) at gpa. */
enum dirty_fault dirty_log_write_fault(struct memslots *ms, struct pgtable *pt, uint64_t gpa);

/* Read-and-clear: copies slot id's bitmap into out (words words, at most the slot's), write-
 * protects every page it reports and only then clears its bit, all under the slot lock, so a
 * write after the copy faults and is reported next time. Returns the number of pages reported,
 * or a negative enum memslot_error. */
int64_t dirty_log_get_clear(struct memslots *ms, struct pgtable *pt, uint32_t id, uint64_t *out, size_t words);

#endif
