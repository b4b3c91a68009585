/* stage2.c: the VMSAv8-64 stage-2 descriptor format (Arm ARM D8.3, 4 KiB granule). */
#include "stage2.h"

#define DESC_VALID      (1ull << 0)
#define DESC_TABLE      (1ull << 1)      /* table at levels 0-2, page at level 3 */
#define S2_MEMATTR(x)   ((uint64_t)(x) << 2)
#define S2_MEMATTR_MASK (0xfull << 2)
#define S2_MEMATTR_NORMAL_WB 0xf         /* outer WB, inner WB (HCR_EL2.FWB = 0) */
#define S2_MEMATTR_DEVICE_nGnRE 0x1
#define S2AP_R          (1ull << 6)
#define S2AP_W          (1ull << 7)
#define SH_INNER        (3ull << 8)
#define DESC_AF         (1ull << 10)
#define S2_XN           (1ull << 54)
#define OA_MASK         0x0000fffffffff000ull   /* output address bits [47:12] */

static uint64_t s2_make_table(uint64_t table_pa)
{
    return (table_pa & OA_MASK) | DESC_TABLE | DESC_VALID;
}

static uint64_t s2_make_leaf(uint64_t pa, uint32_t level, uint32_t perms)
{
    uint64_t e = (pa & OA_MASK & ~(pt_level_size(level) - 1)) | DESC_VALID | DESC_AF;
    if (level == PT_LAST_LEVEL)
        e |= DESC_TABLE;                 /* a page descriptor has bits[1:0] = 0b11 */
    if (perms & PT_DEVICE)
        e |= S2_MEMATTR(S2_MEMATTR_DEVICE_nGnRE);
    else
        e |= S2_MEMATTR(S2_MEMATTR_NORMAL_WB) | SH_INNER;
    if (perms & PT_R)
        e |= S2AP_R;
    if (perms & PT_W)
        e |= S2AP_W;
    if (!(perms & PT_X))
        e |= S2_XN;
    return e;
}

static bool s2_is_present(uint64_t e)
{
    return e & DESC_VALID;
}

static bool s2_is_table(uint64_t e, uint32_t level)
{
    return level < PT_LAST_LEVEL && (e & DESC_TABLE);
}

static uint64_t s2_entry_pa(uint64_t e, uint32_t level)
{
    if (s2_is_table(e, level))
        return e & OA_MASK;
    return e & OA_MASK & ~(pt_level_size(level) - 1);
}

static uint32_t s2_entry_perms(uint64_t e, uint32_t level)
{
    (void)level;
    uint32_t p = 0;
    if (e & S2AP_R)
        p |= PT_R;
    if (e & S2AP_W)
        p |= PT_W;
    if (!(e & S2_XN))
        p |= PT_X;
    if ((e & S2_MEMATTR_MASK) == S2_MEMATTR(S2_MEMATTR_DEVICE_nGnRE))
        p |= PT_DEVICE;
    return p;
}

const struct pt_format aarch64_stage2_format = {
    .name = "aarch64-stage2",
    .block_levels = (1u << 1) | (1u << 2),     /* 1 GiB and 2 MiB blocks; none at level 0 */
    .make_table = s2_make_table,
    .make_leaf = s2_make_leaf,
    .is_present = s2_is_present,
    .is_table = s2_is_table,
    .entry_pa = s2_entry_pa,
    .entry_perms = s2_entry_perms,
};
