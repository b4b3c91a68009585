/* pgtable.c: the generic translation-table walker and mapping policy (blocks where they fit,
 * pages where asked or needed, split and collapse with break-before-make). */
#include <stddef.h>
#include "pgtable.h"

static uint64_t *table(const struct pgtable *pt, uint64_t pa)
{
    return pt->env->table_ptr(pt->env->ctx, pa);
}

static uint32_t entry_index(uint64_t ia, uint32_t level)
{
    return (uint32_t)(ia >> pt_level_shift(level)) & (PT_ENTRIES - 1);
}

static bool is_table(const struct pgtable *pt, uint64_t e, uint32_t level)
{
    return level < PT_LAST_LEVEL && pt->fmt->is_present(e) && pt->fmt->is_table(e, level);
}

static bool block_allowed(const struct pgtable *pt, uint32_t level)
{
    return level == PT_LAST_LEVEL || (pt->fmt->block_levels >> level & 1);
}

static void free_subtree(struct pgtable *pt, uint64_t table_pa, uint32_t level)
{
    uint64_t *t = table(pt, table_pa);
    for (uint32_t i = 0; i < PT_ENTRIES; i++)
        if (is_table(pt, t[i], level))
            free_subtree(pt, pt->fmt->entry_pa(t[i], level), level + 1);
    pt->env->free_table(pt->env->ctx, table_pa);
}

/* Break-before-make (Arm ARM D8.14.1; also what EPT/NPT need when a mapping's size
 * changes): invalidate the entry, flush the TLBs for its range, then write the new one. */
static void replace_entry(struct pgtable *pt, uint64_t *slot, uint64_t ia_base, uint32_t level,
                          uint64_t new_entry)
{
    if (pt->fmt->is_present(*slot)) {
        __atomic_store_n(slot, 0, __ATOMIC_RELEASE);
        pt->env->tlb_invalidate(pt->env->ctx, ia_base, pt_level_size(level));
    }
    __atomic_store_n(slot, new_entry, __ATOMIC_RELEASE);
}

/* Turns the block in *slot (at level) into a table of level+1 leaves mapping the same. */
static int split_block(struct pgtable *pt, uint64_t *slot, uint64_t ia_base, uint32_t level)
{
    uint64_t e = *slot;
    uint64_t pa = pt->fmt->entry_pa(e, level);
    uint32_t perms = pt->fmt->entry_perms(e, level);
    uint64_t child_pa = pt->env->alloc_table(pt->env->ctx);
    if (!child_pa)
        return -1;
    uint64_t *child = table(pt, child_pa);
    uint64_t step = pt_level_size(level + 1);
    for (uint32_t i = 0; i < PT_ENTRIES; i++)
        child[i] = pt->fmt->make_leaf(pa + i * step, level + 1, perms);
    replace_entry(pt, slot, ia_base, level, pt->fmt->make_table(child_pa));
    return 0;
}

/* Makes *slot a table (allocating or splitting), so that level+1 can be walked. */
static int ensure_table(struct pgtable *pt, uint64_t *slot, uint64_t ia_base, uint32_t level)
{
    if (is_table(pt, *slot, level))
        return 0;
    if (pt->fmt->is_present(*slot))
        return split_block(pt, slot, ia_base, level);
    uint64_t child_pa = pt->env->alloc_table(pt->env->ctx);
    if (!child_pa)
        return -1;
    __atomic_store_n(slot, pt->fmt->make_table(child_pa), __ATOMIC_RELEASE);
    return 0;
}

static uint64_t chunk_of(uint64_t ia, uint64_t end, uint32_t level)
{
    uint64_t next = (ia & ~(pt_level_size(level) - 1)) + pt_level_size(level);
    return (next < end || next == 0 ? next : end) - ia;
}

static int map_level(struct pgtable *pt, uint64_t table_pa, uint32_t level, uint64_t ia, uint64_t pa,
                     uint64_t size, uint32_t perms, uint32_t flags)
{
    uint64_t *t = table(pt, table_pa);
    uint64_t end = ia + size;
    while (ia < end) {
        uint64_t esz = pt_level_size(level), base = ia & ~(esz - 1);
        uint64_t chunk = chunk_of(ia, end, level);
        uint64_t *slot = &t[entry_index(ia, level)];
        bool leaf = level == PT_LAST_LEVEL ||
                    (block_allowed(pt, level) && !(flags & PT_MAP_PAGES_ONLY) && chunk == esz &&
                     (pa & (esz - 1)) == 0);
        if (leaf) {
            uint64_t old = *slot, new_entry = pt->fmt->make_leaf(pa, level, perms);
            if (old != new_entry) {
                replace_entry(pt, slot, base, level, new_entry);
                /* A block over a former table: the table is unreachable now, free it
                 * (KVM: "Fix handling of stage2 huge mappings"). */
                if (is_table(pt, old, level))
                    free_subtree(pt, pt->fmt->entry_pa(old, level), level + 1);
            }
        } else {
            if (ensure_table(pt, slot, base, level) ||
                map_level(pt, pt->fmt->entry_pa(*slot, level), level + 1, ia, pa, chunk, perms, flags))
                return -1;
        }
        ia += chunk;
        pa += chunk;
    }
    return 0;
}

static bool range_ok(uint64_t ia, uint64_t size)
{
    return size && !((ia | size) & 0xfff) && ia + size > ia && ia + size <= (1ull << 48);
}

int pt_init(struct pgtable *pt, const struct pt_format *fmt, const struct pt_env *env)
{
    pt->fmt = fmt;
    pt->env = env;
    pt->root_pa = env->alloc_table(env->ctx);
    return pt->root_pa ? 0 : -1;
}

void pt_destroy(struct pgtable *pt)
{
    if (pt->root_pa)
        free_subtree(pt, pt->root_pa, 0);
    pt->root_pa = 0;
}

int pt_map(struct pgtable *pt, uint64_t ia, uint64_t pa, uint64_t size_bytes, uint32_t perms, uint32_t flags)
{
    if (!range_ok(ia, size_bytes) || (pa & 0xfff))
        return -1;
    return map_level(pt, pt->root_pa, 0, ia, pa, size_bytes, perms, flags);
}

enum walk_op { OP_UNMAP, OP_SPLIT, OP_PROTECT };

/* Walks [ia, end) applying op to leaves; blocks partly covered are split first. */
static int walk_level(struct pgtable *pt, uint64_t table_pa, uint32_t level, uint64_t ia, uint64_t end,
                      enum walk_op op, uint32_t perms)
{
    uint64_t *t = table(pt, table_pa);
    while (ia < end) {
        uint64_t esz = pt_level_size(level), base = ia & ~(esz - 1);
        uint64_t chunk = chunk_of(ia, end, level);
        uint64_t *slot = &t[entry_index(ia, level)];
        uint64_t e = *slot;
        bool whole = chunk == esz;
        if (!pt->fmt->is_present(e)) {
            /* nothing mapped here */
        } else if (is_table(pt, e, level)) {
            if (op == OP_UNMAP && whole) {
                replace_entry(pt, slot, base, level, 0);
                free_subtree(pt, pt->fmt->entry_pa(e, level), level + 1);
            } else if (walk_level(pt, pt->fmt->entry_pa(e, level), level + 1, ia, ia + chunk, op, perms)) {
                return -1;
            }
        } else if (level < PT_LAST_LEVEL && (op == OP_SPLIT || !whole)) {
            if (split_block(pt, slot, base, level) ||
                walk_level(pt, pt->fmt->entry_pa(*slot, level), level + 1, ia, ia + chunk, op, perms))
                return -1;
        } else if (op == OP_UNMAP) {
            replace_entry(pt, slot, base, level, 0);
        } else if (op == OP_PROTECT) {
            /* A permission change needs no break-before-make, only the TLB flush. */
            __atomic_store_n(slot, pt->fmt->make_leaf(pt->fmt->entry_pa(e, level), level, perms),
                             __ATOMIC_RELEASE);
            pt->env->tlb_invalidate(pt->env->ctx, base, esz);
        }
        ia += chunk;
    }
    return 0;
}

int pt_unmap(struct pgtable *pt, uint64_t ia, uint64_t size_bytes)
{
    return range_ok(ia, size_bytes) ? walk_level(pt, pt->root_pa, 0, ia, ia + size_bytes, OP_UNMAP, 0) : -1;
}

int pt_split(struct pgtable *pt, uint64_t ia, uint64_t size_bytes)
{
    return range_ok(ia, size_bytes) ? walk_level(pt, pt->root_pa, 0, ia, ia + size_bytes, OP_SPLIT, 0) : -1;
}

int pt_protect(struct pgtable *pt, uint64_t ia, uint64_t size_bytes, uint32_t perms)
{
    return range_ok(ia, size_bytes) ? walk_level(pt, pt->root_pa, 0, ia, ia + size_bytes, OP_PROTECT, perms)
                                    : -1;
}

/* True when the table at level maps one contiguous run from its first entry with
 * one set of permissions, all as leaves. */
static bool table_uniform(const struct pgtable *pt, uint64_t table_pa, uint32_t level, uint64_t *pa,
                          uint32_t *perms)
{
    const uint64_t *t = table(pt, table_pa);
    uint64_t step = pt_level_size(level);
    if (!pt->fmt->is_present(t[0]) || is_table(pt, t[0], level))
        return false;
    *pa = pt->fmt->entry_pa(t[0], level);
    *perms = pt->fmt->entry_perms(t[0], level);
    for (uint32_t i = 1; i < PT_ENTRIES; i++) {
        if (!pt->fmt->is_present(t[i]) || is_table(pt, t[i], level) ||
            pt->fmt->entry_pa(t[i], level) != *pa + i * step || pt->fmt->entry_perms(t[i], level) != *perms)
            return false;
    }
    return true;
}

static int collapse_level(struct pgtable *pt, uint64_t table_pa, uint32_t level, uint64_t ia, uint64_t end)
{
    uint64_t *t = table(pt, table_pa);
    while (ia < end) {
        uint64_t esz = pt_level_size(level), base = ia & ~(esz - 1);
        uint64_t chunk = chunk_of(ia, end, level);
        uint64_t *slot = &t[entry_index(ia, level)];
        uint64_t e = *slot;
        if (is_table(pt, e, level)) {
            uint64_t child = pt->fmt->entry_pa(e, level), pa;
            uint32_t perms;
            collapse_level(pt, child, level + 1, ia, ia + chunk);
            if (chunk == esz && block_allowed(pt, level) && table_uniform(pt, child, level + 1, &pa, &perms) &&
                (pa & (esz - 1)) == 0) {
                replace_entry(pt, slot, base, level, pt->fmt->make_leaf(pa, level, perms));
                free_subtree(pt, child, level + 1);
            }
        }
        ia += chunk;
    }
    return 0;
}

int pt_collapse(struct pgtable *pt, uint64_t ia, uint64_t size_bytes)
{
    return range_ok(ia, size_bytes) ? collapse_level(pt, pt->root_pa, 0, ia, ia + size_bytes) : -1;
}

bool pt_lookup(const struct pgtable *pt, uint64_t ia, uint64_t *pa, uint32_t *perms, uint32_t *level)
{
    uint64_t table_pa = pt->root_pa;
    for (uint32_t l = 0; l <= PT_LAST_LEVEL; l++) {
        uint64_t e = table(pt, table_pa)[entry_index(ia, l)];
        if (!pt->fmt->is_present(e))
            return false;
        if (is_table(pt, e, l)) {
            table_pa = pt->fmt->entry_pa(e, l);
            continue;
        }
        uint64_t mask = pt_level_size(l) - 1;
        if (pa)
            *pa = pt->fmt->entry_pa(e, l) + (ia & mask);
        if (perms)
            *perms = pt->fmt->entry_perms(e, l);
        if (level)
            *level = l;
        return true;
    }
    return false;
}
