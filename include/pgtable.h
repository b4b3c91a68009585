/* pgtable.h: one walker for stage-2, EPT and NPT over per-format level descriptions. */
#ifndef PGTABLE_H
#define PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#define PT_LEVELS 4            /* level 0 (512 GiB per entry) .. level 3 (4 KiB pages) */
#define PT_ENTRIES 512
#define PT_LAST_LEVEL 3

/* Generic permissions and memory types; each format encodes them its own way. */
#define PT_R       (1u << 0)
#define PT_W       (1u << 1)
#define PT_X       (1u << 2)
#define PT_DEVICE  (1u << 3)   /* device / uncached memory type */
#define PT_RWX     (PT_R | PT_W | PT_X)

static inline uint32_t pt_level_shift(uint32_t level) { return 12 + 9 * (PT_LAST_LEVEL - level); }
static inline uint64_t pt_level_size(uint32_t level) { return 1ull << pt_level_shift(level); }

/* The bit layout of one translation format (arch/ supplies these). */
struct pt_format {
    const char *name;
    uint32_t block_levels;                  /* bit L set: a leaf may sit at level L (3 always) */
    uint64_t (*make_table)(uint64_t table_pa);
    uint64_t (*make_leaf)(uint64_t pa, uint32_t level, uint32_t perms);
    bool (*is_present)(uint64_t entry);
    bool (*is_table)(uint64_t entry, uint32_t level);
    uint64_t (*entry_pa)(uint64_t entry, uint32_t level);
    uint32_t (*entry_perms)(uint64_t entry, uint32_t level);
};

/* Memory for table pages and TLB maintenance, supplied by the caller. */
struct pt_env {
    uint64_t (*alloc_table)(void *ctx);     /* zeroed 4 KiB page, its physical address; 0 on failure */
    void (*free_table)(void *ctx, uint64_t pa);
    uint64_t *(*table_ptr)(void *ctx, uint64_t pa);
    /* Invalidate cached translations for [ia, ia+size): after break-before-make
     * and after any unmap or permission reduction. */
    void (*tlb_invalidate)(void *ctx, uint64_t ia, uint64_t size_bytes);
    void *ctx;
};

struct pgtable {
    const struct pt_format *fmt;
    const struct pt_env *env;
    uint64_t root_pa;                        /* level-0 table */
};

enum pt_map_flags {
    PT_MAP_PAGES_ONLY = 1u << 0,             /* 4 KiB entries even where a block would fit */
};

/* Return 0 on success, -1 when a table page could not be allocated or the range is bad. */
int pt_init(struct pgtable *pt, const struct pt_format *fmt, const struct pt_env *env);
void pt_destroy(struct pgtable *pt);
int pt_map(struct pgtable *pt, uint64_t ia, uint64_t pa, uint64_t size_bytes, uint32_t perms, uint32_t flags);
int pt_unmap(struct pgtable *pt, uint64_t ia, uint64_t size_bytes);
/* Splits every block in the range into 4 KiB pages (dirty logging, write protection). */
int pt_split(struct pgtable *pt, uint64_t ia, uint64_t size_bytes);
/* Replaces tables by blocks wherever the range maps a contiguous, aligned, uniform run. */
int pt_collapse(struct pgtable *pt, uint64_t ia, uint64_t size_bytes);
/* Changes permissions of present leaves in the range (no splitting: callers split first). */
int pt_protect(struct pgtable *pt, uint64_t ia, uint64_t size_bytes, uint32_t perms);
/* Translates ia; false when unmapped. Level of the leaf is returned in *level if non-NULL. */
bool pt_lookup(const struct pgtable *pt, uint64_t ia, uint64_t *pa, uint32_t *perms, uint32_t *level);

#endif
