/* npt.c: the nested-page-table entry format: long-mode paging entries (AMD APM Vol. 2 5.3, 15.25). */
#include "stage2.h"

#define PTE_P           (1ull << 0)
#define PTE_RW          (1ull << 1)
#define PTE_US          (1ull << 2)    /* nested walks are user accesses (APM 15.25.5): always set */
#define PTE_PWT         (1ull << 3)
#define PTE_PCD         (1ull << 4)
#define PTE_PS          (1ull << 7)    /* PDPE maps 1 GiB, PDE maps 2 MiB */
#define PTE_NX          (1ull << 63)
#define PTE_ADDR_MASK   0x000ffffffffff000ull
#define PTE_LARGE_PAT   (1ull << 12)   /* PAT bit of a large page sits in the address field */

static uint64_t npt_make_table(uint64_t table_pa)
{
    return (table_pa & PTE_ADDR_MASK) | PTE_P | PTE_RW | PTE_US;
}

static uint64_t npt_make_leaf(uint64_t pa, uint32_t level, uint32_t perms)
{
    /* Long-mode paging cannot express "not readable": an entry without R is absent. */
    if (!(perms & PT_R))
        return 0;
    uint64_t e = (pa & PTE_ADDR_MASK & ~(pt_level_size(level) - 1)) | PTE_P | PTE_US;
    if (level < PT_LAST_LEVEL)
        e |= PTE_PS;
    if (perms & PT_W)
        e |= PTE_RW;
    if (!(perms & PT_X))
        e |= PTE_NX;
    if (perms & PT_DEVICE)
        e |= PTE_PCD | PTE_PWT;
    return e;
}

static bool npt_is_present(uint64_t e)
{
    return e & PTE_P;
}

static bool npt_is_table(uint64_t e, uint32_t level)
{
    return level < PT_LAST_LEVEL && !(e & PTE_PS);
}

static uint64_t npt_entry_pa(uint64_t e, uint32_t level)
{
    if (npt_is_table(e, level))
        return e & PTE_ADDR_MASK;
    return e & PTE_ADDR_MASK & ~(pt_level_size(level) - 1) & ~(level < PT_LAST_LEVEL ? PTE_LARGE_PAT : 0);
}

static uint32_t npt_entry_perms(uint64_t e, uint32_t level)
{
    (void)level;
    uint32_t p = PT_R;
    if (e & PTE_RW)
        p |= PT_W;
    if (!(e & PTE_NX))
        p |= PT_X;
    if (e & PTE_PCD)
        p |= PT_DEVICE;
    return p;
}

const struct pt_format x86_npt_format = {
    .name = "npt",
    .block_levels = (1u << 1) | (1u << 2),
    .make_table = npt_make_table,
    .make_leaf = npt_make_leaf,
    .is_present = npt_is_present,
    .is_table = npt_is_table,
    .entry_pa = npt_entry_pa,
    .entry_perms = npt_entry_perms,
};
