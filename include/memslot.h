/* memslot.h: a VM's guest-physical memory regions, generic across architectures. */
#ifndef MEMSLOT_H
#define MEMSLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "spinlock.h"

/* The maximum number of memslots per VM; reported to guests as HV_STAT_MEMSLOT_MAX. */
#define VM_MAX_MEMSLOTS 16

#define MEMSLOT_READONLY  (1u << 0)   /* guest writes trap (and are refused by guest_write) */
#define MEMSLOT_RAM       (1u << 1)   /* the VM's main RAM */
#define MEMSLOT_DIRTY_LOG (1u << 2)   /* mapped with 4 KiB pages, write-protected until dirtied */

struct memslot {
    uint64_t gpa;
    uint64_t size_bytes;              /* 0: slot unused */
    uint64_t hpa;                     /* host physical (identity-mapped in the hypervisor) */
    uint32_t flags;
};

struct memslots {
    struct memslot slot[VM_MAX_MEMSLOTS];
    struct spinlock lock;             /* guards slot[]; held across every guest-memory copy */
    uint32_t generation;              /* bumped on every change (lock) */
    uint32_t used;                    /* bit n: slot[n] in use (lock), so lookups skip empty slots */
};

enum memslot_error {
    MEMSLOT_OK = 0,
    MEMSLOT_EINVAL = -1,              /* bad id, unaligned, wrapping, or bad flags */
    MEMSLOT_EEXIST = -2,              /* overlaps another slot */
    MEMSLOT_ENOENT = -3,              /* deleting a slot that does not exist */
};

void memslots_init(struct memslots *ms);
/* Creates, moves or resizes slot id; size_bytes == 0 deletes it (KVM semantics). */
int memslot_set(struct memslots *ms, uint32_t id, uint64_t gpa, uint64_t size_bytes, uint64_t hpa,
                uint32_t flags);
/* Copies slot id out (false when unused or out of range). */
bool memslot_get(struct memslots *ms, uint32_t id, struct memslot *out);
uint32_t memslot_count(struct memslots *ms);

/* The audited guest-memory accessors: every read or write the hypervisor makes to
 * guest memory goes through these. They bounds-check against the slots, refuse
 * writes to read-only slots and hold the slot lock for the whole copy, so a
 * concurrent memslot change cannot free memory under them. 0 on success, -1 when
 * any byte is outside a slot (or read-only for a write). */
int guest_read(struct memslots *ms, uint64_t gpa, void *buf, size_t len);
int guest_write(struct memslots *ms, uint64_t gpa, const void *buf, size_t len);

/* Translates one guest-physical address (no lock held afterwards: for mapping
 * decisions only, never to dereference later). */
bool memslot_translate(struct memslots *ms, uint64_t gpa, uint64_t *hpa, uint32_t *flags);

#endif
