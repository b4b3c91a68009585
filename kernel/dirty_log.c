/* dirty_log.c: dirty logging of a memslot over its stage 2 (include/dirty_log.h): protect on
 * start, split and mark on write faults, re-protect on read-and-clear, collapse on stop. As
 * KVM's arm64 MMU does, a block is never made writable while logging: a write fault maps the
 * one 4 KiB page. Pure: host-tested (tests/unit/test_dirty_log.c). */
#include <string.h>
#include "dirty_log.h"

#define PAGE_BYTES 4096ull

/* Permission changes of many leaves under the slot lock need their TLB invalidation only
 * before the lock is dropped (and, for read-and-clear, before the bits are cleared): a walk
 * over `deferred` collects the range, then one invalidation covers it (one broadcast TLBI
 * instead of one per page). Never for splits or collapses: their break-before-make needs the
 * invalidation in between. */
struct deferred_tlbi {
    struct pt_env env;
    const struct pt_env *real;
    uint64_t start, end;                     /* end == 0: nothing yet */
};

static void defer_tlbi(void *ctx, uint64_t ia, uint64_t size)
{
    struct deferred_tlbi *d = ctx;
    if (!d->end || ia < d->start)
        d->start = ia;
    if (ia + size > d->end)
        d->end = ia + size;
}

/* The allocator calls of the view go to the real env's context. */
static uint64_t deferred_alloc(void *ctx)
{
    struct deferred_tlbi *d = ctx;
    return d->real->alloc_table(d->real->ctx);
}

static void deferred_free(void *ctx, uint64_t pa)
{
    struct deferred_tlbi *d = ctx;
    d->real->free_table(d->real->ctx, pa);
}

static uint64_t *deferred_ptr(void *ctx, uint64_t pa)
{
    struct deferred_tlbi *d = ctx;
    return d->real->table_ptr(d->real->ctx, pa);
}

/* A view of pt whose leaf permission changes only record their invalidation. */
static struct pgtable deferred_view(const struct pgtable *pt, struct deferred_tlbi *d)
{
    *d = (struct deferred_tlbi){ *pt->env, pt->env, 0, 0 };
    d->env.alloc_table = deferred_alloc;
    d->env.free_table = deferred_free;
    d->env.table_ptr = deferred_ptr;
    d->env.tlb_invalidate = defer_tlbi;
    d->env.ctx = d;
    struct pgtable view = *pt;
    view.env = &d->env;
    return view;
}

static void deferred_flush(struct deferred_tlbi *d)
{
    if (d->end)
        d->real->tlb_invalidate(d->real->ctx, d->start, d->end - d->start);
}

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
        struct deferred_tlbi d;
        struct pgtable view = deferred_view(pt, &d);
        pt_protect(&view, s->gpa, s->size_bytes, PT_R | PT_X);
        deferred_flush(&d);
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
        struct deferred_tlbi d;
        struct pgtable view = deferred_view(pt, &d);
        pt_protect(&view, s->gpa, s->size_bytes, PT_RWX);
        deferred_flush(&d);
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
    struct deferred_tlbi d;
    struct pgtable view = deferred_view(pt, &d);
    for (size_t w = 0; w < n; w++) {
        uint64_t bits = s->dirty_bitmap[w];
        out[w] = bits;
        for (uint64_t b = bits; b; b &= b - 1) {
            uint64_t page = s->gpa + (w * 64 + (uint64_t)__builtin_ctzll(b)) * PAGE_BYTES;
            /* A page only the hypervisor wrote (guest_write) may still sit in a read-only
             * block: split it with the real invalidation (break-before-make), then protect. */
            uint32_t level = PT_LAST_LEVEL;
            if (pt_lookup(pt, page, NULL, NULL, &level) && level != PT_LAST_LEVEL)
                pt_split(pt, page, PAGE_BYTES);
            pt_protect(&view, page, PAGE_BYTES, PT_R | PT_X);
            pages++;
        }
    }
    /* Protect first, clear after: once this invalidation is complete, a write racing with the
     * read either landed before it (reported now) or faults and sets the bit again. */
    deferred_flush(&d);
    for (size_t w = 0; w < n; w++)
        s->dirty_bitmap[w] &= ~out[w];
    spin_unlock(&ms->lock);
    return pages;
}
