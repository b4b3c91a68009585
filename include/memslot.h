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
#define MEMSLOT_DIRTY_LOG (1u << 2)   /* writes tracked: pages write-protected until dirtied
                                         (kernel/dirty_log.c) */
#define MEMSLOT_RUNTIME   (1u << 3)   /* added while the VM ran: its host memory came from the page
                                         allocator and goes back there when it is deleted */

struct memslot {
    uint64_t gpa;
    uint64_t size_bytes;              /* 0: slot unused */
    uint64_t hpa;                     /* host physical (identity-mapped in the hypervisor) */
    uint32_t flags;
    uint64_t *dirty_bitmap;           /* while MEMSLOT_DIRTY_LOG: one bit per 4 KiB page, set when
                                         the page was written since it was last read and cleared */
};

struct memslots {
    struct memslot slot[VM_MAX_MEMSLOTS];
    struct spinlock lock;             /* guards slot[]; held across every guest-memory copy */
    uint32_t generation;              /* bumped on every change (lock; read without it: atomic) */
    uint32_t used;                    /* bit n: slot[n] in use (lock), so lookups skip empty slots */
};

enum memslot_error {
    MEMSLOT_OK = 0,
    MEMSLOT_EINVAL = -1,              /* bad id, unaligned, wrapping, or bad flags */
    MEMSLOT_EEXIST = -2,              /* overlaps another slot */
    MEMSLOT_ENOENT = -3,              /* deleting a slot that does not exist */
    MEMSLOT_EBUSY = -4,               /* the slot is dirty-logged (stop logging first) */
    MEMSLOT_ENOMEM = -5,              /* no memory for its stage-2 tables */
};

/* A short reason for an enum memslot_error, for messages. */
const char *memslot_error_name(int err);

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

/* True when no slot overlaps [gpa, gpa + size_bytes); *generation: the generation that answer
 * holds for (read under the lock). memslot_generation reads it without the lock (acquire): while it
 * is unchanged, so is the answer. */
bool memslot_range_free(struct memslots *ms, uint64_t gpa, uint64_t size_bytes, uint32_t *generation);
static inline uint32_t memslot_generation(const struct memslots *ms)
{
    return __atomic_load_n(&ms->generation, __ATOMIC_ACQUIRE);
}

/* For kernel/memslot_run.c and kernel/dirty_log.c, which change slots and stage 2 together
 * under ms->lock: memslot_set without taking the lock, and the slot holding gpa (or NULL). */
int memslot_set_locked(struct memslots *ms, uint32_t id, uint64_t gpa, uint64_t size_bytes, uint64_t hpa,
                       uint32_t flags);
struct memslot *memslot_find_locked(struct memslots *ms, uint64_t gpa);
/* memslot_get for a caller that holds ms->lock (a stage-2 change's followers, e.g. the SMMU
 * mirror, run inside it: taking the lock again would deadlock). */
bool memslot_get_locked(const struct memslots *ms, uint32_t id, struct memslot *out);

#endif
