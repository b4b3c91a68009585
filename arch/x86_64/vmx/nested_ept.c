/* nested_ept.c: L1's EPT for nested VMX: the EPT-pointer checks and the walk of its paging structures
 * (pure; nested_ept.h). Section numbers: Intel SDM Vol. 3C, 2016 numbering. */
#include "nested_ept.h"

#define EPTE_R          (1ull << 0)
#define EPTE_W          (1ull << 1)
#define EPTE_X          (1ull << 2)
#define EPTE_MT_SHIFT   3
#define EPTE_LARGE      (1ull << 7)
#define EPTE_ADDR       0x000FFFFFFFFFF000ull      /* bits 51:12 */

static uint64_t above_phys(uint32_t phys_bits)
{
    return phys_bits >= 52 ? 0 : (0x000FFFFFFFFFFFFFull & ~((1ull << phys_bits) - 1));
}

/* 24.6.11: memory type 2:0 (0 UC, 6 WB), page-walk length - 1 in 5:3, accessed / dirty enable 6,
 * reserved 11:7 and N-1:MAXPHYADDR. */
const char *nested_eptp_invalid(uint64_t eptp, uint64_t cap, uint32_t phys_bits)
{
    uint64_t mt = eptp & 7;
    if (!((mt == 6 && (cap & EPT_CAP_WB)) || (mt == 0 && (cap & EPT_CAP_UC))))
        return "EPT pointer memory type not one IA32_VMX_EPT_VPID_CAP offers";
    if (((eptp >> 3) & 7) != 3)
        return "EPT pointer page-walk length not 4";
    if ((eptp & (1ull << 6)) && !(cap & EPT_CAP_AD))
        return "EPT pointer accessed/dirty enable without the capability";
    if (eptp & 0xF80)
        return "EPT pointer bits 11:7 set";
    if (eptp & (above_phys(phys_bits) | ~0x000FFFFFFFFFFFFFull))
        return "EPT pointer beyond MAXPHYADDR";
    return 0;
}

/* 28.2.3.1: an entry is misconfigured when it is writable but not readable, execute-only without the
 * capability, sets a reserved bit, or (a leaf) names memory type 2, 3 or 7. */
static const char *misconfigured(uint64_t e, uint32_t level, bool leaf, uint64_t cap, uint32_t phys_bits)
{
    if ((e & (EPTE_R | EPTE_W)) == EPTE_W)
        return "EPT entry writable but not readable";
    if ((e & 7) == EPTE_X && !(cap & EPT_CAP_EXEC_ONLY))
        return "EPT entry execute-only without the capability";
    if (e & above_phys(phys_bits))
        return "EPT entry address beyond MAXPHYADDR";
    if (!leaf)
        return (e & 0xF8) ? "EPT non-leaf entry bits 7:3 set" : 0;
    uint64_t mt = (e >> EPTE_MT_SHIFT) & 7;
    if (mt == 2 || mt == 3 || mt == 7)
        return "EPT leaf memory type 2, 3 or 7";
    /* A large leaf's address bits below its size are reserved (tables 28-3, 28-5). */
    if (level == 1 && (e & 0x3FFFF000ull))
        return "EPT 1 GiB leaf bits 29:12 set";
    if (level == 2 && (e & 0x1FF000ull))
        return "EPT 2 MiB leaf bits 20:12 set";
    return 0;
}

enum nept_result nested_ept_walk(nept_read_fn read, void *ctx, uint64_t eptp, uint64_t cap, uint32_t phys_bits,
                                 uint64_t gpa, uint32_t access, struct nept_walk *out)
{
    uint64_t table = eptp & EPTE_ADDR;
    uint32_t perms = 7;
    for (uint32_t level = 0; level < 4; level++) {
        uint32_t shift = 39 - 9 * level;
        uint64_t e = 0;
        if (!read(ctx, table + ((gpa >> shift) & 0x1FF) * 8, &e))
            e = 0;
        out->level = level;
        out->entry = e;
        if (!(e & 7)) {                               /* not present: permissions 0 (table 27-7) */
            out->perms = 0;
            return NEPT_VIOLATION;
        }
        /* A large leaf: bit 7 of a PDPTE (with 1 GiB pages) or a PDE (with 2 MiB pages); bit 7 of a
         * PML4E is reserved (28.2.2). */
        bool large = (e & EPTE_LARGE) && level > 0 && level < 3;
        if ((e & EPTE_LARGE) && level == 0) {
            out->why = "EPT PML4 entry bit 7 set";
            return NEPT_MISCONFIG;
        }
        if (large && !(cap & (level == 1 ? EPT_CAP_1G : EPT_CAP_2M))) {
            out->why = "EPT large page the capability does not offer";
            return NEPT_MISCONFIG;
        }
        bool leaf = large || level == 3;
        const char *why = misconfigured(e, level, leaf, cap, phys_bits);
        if (why) {
            out->why = why;
            return NEPT_MISCONFIG;
        }
        perms &= (uint32_t)(e & 7);
        if (!leaf) {
            table = e & EPTE_ADDR;
            continue;
        }
        out->perms = perms;
        if (access & ~perms)
            return NEPT_VIOLATION;
        uint64_t size_mask = (1ull << shift) - 1;
        out->l1_gpa = (e & EPTE_ADDR & ~size_mask) | (gpa & size_mask);
        return NEPT_OK;
    }
    return NEPT_VIOLATION;                            /* not reached: level 3 is a leaf */
}

uint64_t nested_ept_violation_qual(uint64_t hw_qual, uint32_t perms)
{
    return (hw_qual & (7ull | 1ull << 7 | 1ull << 8 | 1ull << 12)) | (uint64_t)(perms & 7) << 3;
}
