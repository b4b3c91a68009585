/* ept.c: the EPT paging-structure entry format (Intel SDM Vol. 3C 29.3.2, Tables 29-1..29-6). */
#include "stage2.h"

#define EPT_R           (1ull << 0)
#define EPT_W           (1ull << 1)
#define EPT_X           (1ull << 2)
#define EPT_MT(t)       ((uint64_t)(t) << 3)     /* memory type, leaves only */
#define EPT_MT_MASK     (7ull << 3)
#define EPT_MT_UC       0
#define EPT_MT_WB       6
#define EPT_IGNORE_PAT  (1ull << 6)
#define EPT_LARGE       (1ull << 7)              /* PDPTE maps 1 GiB, PDE maps 2 MiB */
#define EPT_ADDR_MASK   0x000ffffffffff000ull    /* bits 51:12 */

static uint64_t ept_make_table(uint64_t table_pa)
{
    /* Non-leaf entries grant everything; the leaf decides (29.3.3). */
    return (table_pa & EPT_ADDR_MASK) | EPT_R | EPT_W | EPT_X;
}

static uint64_t ept_make_leaf(uint64_t pa, uint32_t level, uint32_t perms)
{
    uint64_t e = (pa & EPT_ADDR_MASK & ~(pt_level_size(level) - 1)) | EPT_IGNORE_PAT;
    e |= EPT_MT(perms & PT_DEVICE ? EPT_MT_UC : EPT_MT_WB);
    if (level < PT_LAST_LEVEL)
        e |= EPT_LARGE;
    if (perms & PT_R)
        e |= EPT_R;
    if (perms & PT_W)
        e |= EPT_W;   /* write without read is a misconfiguration (29.3.3.1): callers give R too */
    if (perms & PT_X)
        e |= EPT_X;
    return e;
}

static bool ept_is_present(uint64_t e)
{
    return e & (EPT_R | EPT_W | EPT_X);
}

static bool ept_is_table(uint64_t e, uint32_t level)
{
    return level < PT_LAST_LEVEL && !(e & EPT_LARGE);
}

static uint64_t ept_entry_pa(uint64_t e, uint32_t level)
{
    if (ept_is_table(e, level))
        return e & EPT_ADDR_MASK;
    return e & EPT_ADDR_MASK & ~(pt_level_size(level) - 1);
}

static uint32_t ept_entry_perms(uint64_t e, uint32_t level)
{
    (void)level;
    uint32_t p = 0;
    if (e & EPT_R)
        p |= PT_R;
    if (e & EPT_W)
        p |= PT_W;
    if (e & EPT_X)
        p |= PT_X;
    if ((e & EPT_MT_MASK) == EPT_MT(EPT_MT_UC))
        p |= PT_DEVICE;
    return p;
}

/* The same entry layout, with or without 1 GiB pages. */
#define EPT_FORMAT(fmt_name, levels)       \
    {                                      \
        .name = fmt_name,                  \
        .block_levels = (levels),          \
        .make_table = ept_make_table,      \
        .make_leaf = ept_make_leaf,        \
        .is_present = ept_is_present,      \
        .is_table = ept_is_table,          \
        .entry_pa = ept_entry_pa,          \
        .entry_perms = ept_entry_perms,    \
    }

const struct pt_format x86_ept_format = EPT_FORMAT("ept", (1u << 1) | (1u << 2));
const struct pt_format x86_ept_format_2m = EPT_FORMAT("ept-2m", 1u << 2);
