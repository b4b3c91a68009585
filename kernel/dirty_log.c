/* dirty_log.c: dirty logging of a memslot over its stage 2 (include/dirty_log.h): protect on
 * start, split and mark on write faults, re-protect on read-and-clear, collapse on stop. As
 * KVM's arm64 MMU does, a block is never made writable while logging: a write fault maps the
 * one 4 KiB page. Pure: host-tested (tests/unit/test_dirty_log.c). */
#include <string.h>
#include "dirty_log.h"

#define PAGE_BYTES 4096ull

static struct memslot *logged_slot(struct memslots *ms, uint32_t id)
{
    if (id >= VM_MAX_MEMSLOTS || !ms->slot[id].size_bytes || !(ms->slot[id].flags & MEMSLOT_DIRTY_LOG))
        return NULL;
    return &ms->slot[id];
}

int dirty_log_start(struct memslots *ms, struct pgtable *pt, uint32_t id, uint64_t *bitmap)
{
    if (id >= VM_MAX_MEMSLOTS || !bitmap)
        return MEMSLOT_EINVAL;
    int rc = MEMSLOT_OK;
    spin_lock(&ms->lock);
    struct memslot *s = &ms->slot[id];
    if (!s->size_bytes)
        rc = MEMSLOT_ENOENT;
    else if (s->flags & MEMSLOT_DIRTY_LOG)
        rc = MEMSLOT_EBUSY;
    else if (s->flags & MEMSLOT_READONLY)
        rc = MEMSLOT_EINVAL;
    if (rc == MEMSLOT_OK) {
        memset(bitmap, 0, dirty_log_bitmap_words(s->size_bytes) * sizeof(uint64_t));
        s->dirty_bitmap = bitmap;
        s->flags |= MEMSLOT_DIRTY_LOG;
        /* Read-only as it is mapped now: blocks stay blocks until a write splits them (KVM
         * does the same unless eager splitting is asked for). A permission change of whole
         * leaves allocates nothing; pt's tlb_invalidate runs for each. */
        pt_protect(pt, s->gpa, s->size_bytes, PT_R | PT_X);
    }
    spin_unlock(&ms->lock);
    return rc;
}

int dirty_log_stop(struct memslots *ms, struct pgtable *pt, uint32_t id, uint64_t **bitmap)
{
    int rc = MEMSLOT_OK;
    spin_lock(&ms->lock);
    struct memslot *s = logged_slot(ms, id);
    if (!s) {
        rc = MEMSLOT_ENOENT;
    } else {
        /* Writable everywhere first (uniform permissions), then every table that maps a whole
         * aligned contiguous 2 MiB / 1 GiB run becomes one block again: pt_collapse unlinks
         * the table (break-before-make, TLB invalidated) and frees it. */
        pt_protect(pt, s->gpa, s->size_bytes, PT_RWX);
        pt_collapse(pt, s->gpa, s->size_bytes);
        if (bitmap)
            *bitmap = s->dirty_bitmap;
        s->dirty_bitmap = NULL;
        s->flags &= ~MEMSLOT_DIRTY_LOG;
        ms->generation++;
    }
    spin_unlock(&ms->lock);
    return rc;
}

enum dirty_fault dirty_log_write_fault(struct memslots *ms, struct pgtable *pt, uint64_t gpa)
{
    enum dirty_fault r = DIRTY_FAULT_NOT_LOGGED;
    spin_lock(&ms->lock);
    struct memslot *s = memslot_find_locked(ms, gpa);
    if (s && (s->flags & MEMSLOT_DIRTY_LOG)) {
        uint64_t page = gpa & ~(PAGE_BYTES - 1), off = page - s->gpa;
        /* pt_protect of one page inside a block splits the block (break-before-make) down to
         * pages, which keep the block's read-only permission, and makes only this page
         * writable. Another vCPU may have done it already: then nothing changes. */
        if (pt_protect(pt, page, PAGE_BYTES, PT_RWX) == 0) {
            s->dirty_bitmap[off / PAGE_BYTES / 64] |= 1ull << (off / PAGE_BYTES % 64);
            r = DIRTY_FAULT_HANDLED;
        } else {
            r = DIRTY_FAULT_NOMEM;
        }
    } else if (s) {
        /* Logging stopped between the fault and now: if the page is writable again the
         * access just runs again. */
        uint32_t perms = 0;
        if (pt_lookup(pt, gpa, NULL, &perms, NULL) && (perms & PT_W))
            r = DIRTY_FAULT_HANDLED;
    }
    spin_unlock(&ms->lock);
    return r;
}

int64_t dirty_log_get_clear(struct memslots *ms, struct pgtable *pt, uint32_t id, uint64_t *out, size_t words)
{
    int64_t pages = 0;
    spin_lock(&ms->lock);
    struct memslot *s = logged_slot(ms, id);
    if (!s) {
        spin_unlock(&ms->lock);
        return MEMSLOT_ENOENT;
    }
    size_t n = dirty_log_bitmap_words(s->size_bytes);
    if (words > n)
        memset(out + n, 0, (words - n) * sizeof(uint64_t));
    else
        n = words;
    for (size_t w = 0; w < n; w++) {
        uint64_t bits = s->dirty_bitmap[w];
        out[w] = bits;
        for (uint64_t b = bits; b; b &= b - 1) {
            uint64_t page = s->gpa + (w * 64 + (uint64_t)__builtin_ctzll(b)) * PAGE_BYTES;
            /* Protect first, clear after: a write racing with this either landed before the
             * invalidation (reported now) or faults and sets the bit again. A page only the
             * hypervisor wrote (guest_write) may still sit in a read-only block: protecting it
             * splits the block into read-only pages, nothing becomes writable. */
            pt_protect(pt, page, PAGE_BYTES, PT_R | PT_X);
            pages++;
        }
        s->dirty_bitmap[w] = 0;
    }
    spin_unlock(&ms->lock);
    return pages;
}
