/* memslot_run.h: memslots of a running VM changed together with its stage 2 (kernel/memslot_run.c):
 * a slot added is mapped before the call returns, a slot deleted is unmapped and its
 * translations are invalidated on every CPU before the call returns. */
#ifndef MEMSLOT_RUN_H
#define MEMSLOT_RUN_H

#include <stdint.h>
#include "memslot.h"
#include "pgtable.h"

/* Adds slot id (unused so far) at [gpa, gpa + size_bytes) backed by host memory at hpa, and maps
 * it into pt: 2 MiB / 1 GiB blocks where aligned, pages at the edges. 0 or enum memslot_error
 * (MEMSLOT_EEXIST also when id is in use: delete it first). */
int memslot_add_mapped(struct memslots *ms, struct pgtable *pt, uint32_t id, uint64_t gpa, uint64_t size_bytes,
                       uint64_t hpa, uint32_t flags);

/* Deletes slot id as KVM_SET_USER_MEMORY_REGION with size 0 does: its range is unmapped from pt
 * (pt's tlb_invalidate runs for it before this returns), so the guest's next access to it exits
 * as to an address with nothing behind it (emulated MMIO, else an abort for the guest); *old
 * gets the slot as it was (its memory is the caller's to free once this returns: no accessor
 * and no guest translation can reach it any more). A dirty-logged slot is refused (EBUSY). */
int memslot_delete_mapped(struct memslots *ms, struct pgtable *pt, uint32_t id, struct memslot *old);

/* A stage-2 fault at gpa that a concurrent change already resolved: gpa is in a memslot and pt
 * maps it now, writable if write (a vCPU that faulted in the break-before-make window of a split
 * or collapse, or before a permission change landed). The access should simply run again. A
 * translation fault asks with write false: once mapped, a missing write permission is the next,
 * separate fault. */
bool memslot_fault_resolved(struct memslots *ms, const struct pgtable *pt, uint64_t gpa, bool write);

/* How pt maps the memslots now: leaves at each level (counts[1] 1 GiB blocks, counts[2] 2 MiB
 * blocks, counts[3] 4 KiB pages), for the statistics. */
void memslot_leaf_counts(struct memslots *ms, const struct pgtable *pt, uint64_t counts[PT_LEVELS]);

#endif
