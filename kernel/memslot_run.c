/* memslot_run.c: adding and deleting memslots of a running VM together with its stage 2
 * (KVM_SET_USER_MEMORY_REGION's semantics, docs/management.md "memslot"). Pure: host-tested. */
#include <string.h>
#include "memslot_run.h"

static uint32_t slot_perms(uint32_t flags)
{
    return (flags & MEMSLOT_READONLY) ? PT_R | PT_X : PT_RWX;
}

int memslot_add_mapped(struct memslots *ms, struct pgtable *pt, uint32_t id, uint64_t gpa, uint64_t size_bytes,
                       uint64_t hpa, uint32_t flags)
{
    if (id >= VM_MAX_MEMSLOTS || size_bytes == 0)
        return MEMSLOT_EINVAL;
    /* The slot and its mapping appear together: an accessor or fault handler that finds the
     * slot (under the lock) also finds it mapped. */
    spin_lock(&ms->lock);
    int rc = ms->slot[id].size_bytes ? MEMSLOT_EEXIST : memslot_set_locked(ms, id, gpa, size_bytes, hpa, flags);
    if (rc == MEMSLOT_OK && pt_map(pt, gpa, hpa, size_bytes, slot_perms(flags), 0) != 0) {
        /* Out of table memory halfway: take back what was mapped, and the slot. */
        pt_unmap(pt, gpa, size_bytes);
        memslot_set_locked(ms, id, 0, 0, 0, 0);
        rc = MEMSLOT_ENOMEM;
    }
    spin_unlock(&ms->lock);
    return rc;
}

int memslot_delete_mapped(struct memslots *ms, struct pgtable *pt, uint32_t id, struct memslot *old)
{
    if (id >= VM_MAX_MEMSLOTS)
        return MEMSLOT_EINVAL;
    spin_lock(&ms->lock);
    struct memslot s = ms->slot[id];
    int rc = memslot_set_locked(ms, id, 0, 0, 0, 0);
    /* Unmapping whole blocks and tables never allocates. Every leaf removed is invalidated by
     * pt's tlb_invalidate: on aarch64 a broadcast TLBI ...IS completed by DSB ISH, which
     * reaches the vCPUs running on other CPUs before it returns (Arm ARM D8.13.4). */
    if (rc == MEMSLOT_OK)
        pt_unmap(pt, s.gpa, s.size_bytes);
    spin_unlock(&ms->lock);
    if (rc == MEMSLOT_OK && old)
        *old = s;
    return rc;
}

bool memslot_fault_resolved(struct memslots *ms, const struct pgtable *pt, uint64_t gpa, bool write)
{
    uint32_t perms = 0;
    /* Under the lock every split, collapse and unmap is complete: what pt says now is settled. */
    spin_lock(&ms->lock);
    bool mapped = memslot_find_locked(ms, gpa) && pt_lookup(pt, gpa, NULL, &perms, NULL);
    spin_unlock(&ms->lock);
    return mapped && (perms & PT_R) && (!write || (perms & PT_W));
}

/* Counts the leaves of the table at level that lie in [ia, end), one read per entry. */
static void count_level(const struct pgtable *pt, uint64_t table_pa, uint32_t level, uint64_t ia, uint64_t end,
                        uint64_t counts[PT_LEVELS])
{
    const uint64_t *t = pt->env->table_ptr(pt->env->ctx, table_pa);
    while (ia < end) {
        uint64_t next = (ia & ~(pt_level_size(level) - 1)) + pt_level_size(level);
        if (next > end || next == 0)
            next = end;
        uint64_t e = t[(ia >> pt_level_shift(level)) & (PT_ENTRIES - 1)];
        if (pt->fmt->is_present(e)) {
            if (level < PT_LAST_LEVEL && pt->fmt->is_table(e, level))
                count_level(pt, pt->fmt->entry_pa(e, level), level + 1, ia, next, counts);
            else
                counts[level]++;
        }
        ia = next;
    }
}

void memslot_leaf_counts(struct memslots *ms, const struct pgtable *pt, uint64_t counts[PT_LEVELS])
{
    memset(counts, 0, PT_LEVELS * sizeof(counts[0]));
    spin_lock(&ms->lock);
    for (uint32_t i = 0; i < VM_MAX_MEMSLOTS; i++) {
        const struct memslot *s = &ms->slot[i];
        if (s->size_bytes)
            count_level(pt, pt->root_pa, 0, s->gpa, s->gpa + s->size_bytes, counts);
    }
    spin_unlock(&ms->lock);
}
