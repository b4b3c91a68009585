/* Host tests of nested EPT's pure parts: the EPT-pointer checks (arch/x86_64/vmx/nested_ept.c; SDM Vol. 3C
 * 24.6.11, 26.2.1.1), the walk of L1's EPT with its violations and misconfigurations (28.2.2, 28.2.3) and
 * their exit qualification (27.2.1, table 27-7), the capability MSR L1 reads (nested_caps.c, A.10), and
 * the shadow EPT's bounded pool (nested_shadow.c): full means dropped whole and built again. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "nested_ept.h"
#include "nested_shadow.h"
#include "x86_nested_caps.h"

#define CAP (EPT_CAP_WALK4 | EPT_CAP_WB | EPT_CAP_2M | EPT_CAP_1G)
#define RWX 7ull
#define WB (6ull << 3)

/* L1's memory: 64 KiB at GPA 0x100000; its EPT tables live there. */
#define L1_BASE 0x100000ull
static uint64_t l1_mem[0x10000 / 8];
static bool read_l1(void *ctx, uint64_t gpa, uint64_t *value)
{
    (void)ctx;
    if (gpa < L1_BASE || gpa + 8 > L1_BASE + sizeof(l1_mem))
        return false;
    *value = l1_mem[(gpa - L1_BASE) / 8];
    return true;
}
static uint64_t *table(unsigned n) { return &l1_mem[n * 512]; }
static uint64_t table_gpa(unsigned n) { return L1_BASE + n * 4096ull; }
#define EPTP (table_gpa(0) | 6 | 3 << 3)

/* PML4 (table 0) -> PDPT (1) -> PD (2) -> PT (3); PT[5] maps L2 0x5000 to L1 0x7000 with perms. */
static void tables(uint64_t leaf_perms)
{
    memset(l1_mem, 0, sizeof(l1_mem));
    table(0)[0] = table_gpa(1) | RWX;
    table(1)[0] = table_gpa(2) | RWX;
    table(2)[0] = table_gpa(3) | RWX;
    table(3)[5] = 0x7000 | leaf_perms | WB;
}

Test(eptp, valid_and_each_invalid_field)
{
    cr_expect_null(nested_eptp_invalid(0x1000 | 6 | 3 << 3, CAP, 40));
    cr_expect_not_null(nested_eptp_invalid(0x1000 | 0 | 3 << 3, CAP, 40), "UC not offered");
    cr_expect_null(nested_eptp_invalid(0x1000 | 0 | 3 << 3, CAP | EPT_CAP_UC, 40));
    cr_expect_not_null(nested_eptp_invalid(0x1000 | 2 | 3 << 3, CAP | EPT_CAP_UC, 40), "memory type 2");
    cr_expect_not_null(nested_eptp_invalid(0x1000 | 6 | 1 << 3, CAP, 40), "walk length 2");
    cr_expect_not_null(nested_eptp_invalid(0x1000 | 6 | 3 << 3 | 1 << 6, CAP, 40), "A/D without the capability");
    cr_expect_null(nested_eptp_invalid(0x1000 | 6 | 3 << 3 | 1 << 6, CAP | EPT_CAP_AD, 40));
    cr_expect_not_null(nested_eptp_invalid(0x1000 | 6 | 3 << 3 | 1 << 9, CAP, 40), "bit 9 reserved");
    cr_expect_not_null(nested_eptp_invalid((1ull << 40) | 6 | 3 << 3, CAP, 40), "beyond MAXPHYADDR");
    cr_expect_null(nested_eptp_invalid((1ull << 40) | 6 | 3 << 3, CAP, 41));
}

Test(walk, four_levels_to_a_4k_page)
{
    tables(RWX);
    struct nept_walk w;
    cr_assert_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x5123, NEPT_WRITE, &w), NEPT_OK);
    cr_expect_eq(w.l1_gpa, 0x7123);
    cr_expect_eq(w.perms, 7);
    cr_expect_eq(w.level, 3);
}

Test(walk, missing_entry_is_a_violation_with_no_permissions)
{
    tables(RWX);
    struct nept_walk w;
    cr_assert_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x6000, NEPT_READ, &w), NEPT_VIOLATION);
    cr_expect_eq(w.perms, 0);
    cr_expect_eq(w.level, 3);
    cr_assert_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 1ull << 30, NEPT_READ, &w), NEPT_VIOLATION);
    cr_expect_eq(w.level, 1, "the PDPTE for 1 GiB is not present");
    /* A table outside L1's RAM reads as not present. */
    table(2)[0] = 0x80000000ull | RWX;
    cr_assert_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x5000, NEPT_READ, &w), NEPT_VIOLATION);
}

Test(walk, permissions_are_anded_over_the_levels)
{
    tables(RWX);
    table(1)[0] = table_gpa(2) | 1 | 4;            /* the PDPTE denies writes */
    struct nept_walk w;
    cr_assert_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x5000, NEPT_READ | NEPT_FETCH, &w), NEPT_OK);
    cr_assert_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x5000, NEPT_WRITE, &w), NEPT_VIOLATION);
    cr_expect_eq(w.perms, 5);
    /* Table 27-7: access 2:0 and GLA bits 7, 8, 12 from the hardware, 5:3 the permissions. */
    cr_expect_eq(nested_ept_violation_qual(0x182 | 0x38 | 0x200, w.perms), 0x182 | 5 << 3);
}

Test(walk, large_pages)
{
    tables(RWX);
    table(2)[1] = 0x40000000ull | RWX | WB | 1 << 7;          /* L2 2 MiB..4 MiB -> L1 1 GiB */
    table(1)[1] = 0x80000000ull | 1 | WB | 1 << 7;            /* L2 1 GiB..2 GiB -> L1 2 GiB, read-only */
    struct nept_walk w;
    cr_assert_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x2ABCDE, NEPT_FETCH, &w), NEPT_OK);
    cr_expect_eq(w.l1_gpa, 0x400ABCDE);
    cr_assert_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x41234567, NEPT_READ, &w), NEPT_OK);
    cr_expect_eq(w.l1_gpa, 0x81234567);
    cr_assert_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x41234567, NEPT_WRITE, &w), NEPT_VIOLATION);
    cr_expect_eq(w.perms, 1);
    /* Without the 1 GiB capability the PDPTE's bit 7 is a misconfiguration. */
    cr_expect_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP & ~EPT_CAP_1G, 40, 0x41234567, NEPT_READ, &w), NEPT_MISCONFIG);
}

Test(walk, misconfigurations)
{
    struct nept_walk w;
    tables(2);                                      /* write without read */
    cr_expect_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x5000, NEPT_READ, &w), NEPT_MISCONFIG);
    tables(4);                                      /* execute-only without the capability */
    cr_expect_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x5000, NEPT_FETCH, &w), NEPT_MISCONFIG);
    cr_expect_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP | EPT_CAP_EXEC_ONLY, 40, 0x5000, NEPT_FETCH, &w), NEPT_OK);
    tables(RWX);
    table(3)[5] = 0x7000 | RWX | 2 << 3;            /* memory type 2 */
    cr_expect_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x5000, NEPT_READ, &w), NEPT_MISCONFIG);
    tables(RWX);
    table(2)[0] |= 1 << 4;                          /* a non-leaf's bit 4 */
    cr_expect_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x5000, NEPT_READ, &w), NEPT_MISCONFIG);
    tables(RWX);
    table(3)[5] |= 1ull << 45;                      /* beyond MAXPHYADDR 40 */
    cr_expect_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x5000, NEPT_READ, &w), NEPT_MISCONFIG);
    tables(RWX);
    table(0)[0] |= 1 << 7;                          /* PML4E bit 7 */
    cr_expect_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x5000, NEPT_READ, &w), NEPT_MISCONFIG);
    tables(RWX);
    table(2)[1] = 0x40001000ull | RWX | WB | 1 << 7;   /* 2 MiB leaf with bits 20:12 set */
    cr_expect_eq(nested_ept_walk(read_l1, NULL, EPTP, CAP, 40, 0x200000, NEPT_READ, &w), NEPT_MISCONFIG);
}

/* Bochs 2.7's IA32_VMX_EPT_VPID_CAP and secondary controls (as the x86_nvmx_vmx log shows). */
static uint64_t bochs_msr(uint32_t msr)
{
    switch (msr) {
    case 0x480: return 0x00d810000000002bull;
    case 0x48B: return 0x02177fff00000000ull;
    case 0x48C: return 0xf0106334141ull;
    default: return 0;
    }
}
static uint64_t no_ept_msr(uint32_t msr) { return msr == 0x48C ? 0 : msr == 0x48B ? 0 : bochs_msr(msr); }

Test(caps, ept_vpid_cap_is_the_offered_subset_of_the_hosts)
{
    uint64_t v = 0;
    cr_assert(nested_vmx_cap_msr(bochs_msr, MSR_IA32_VMX_EPT_VPID_CAP_NR, &v));
    cr_expect_eq(v, EPT_CAP_WALK4 | EPT_CAP_WB | EPT_CAP_2M | EPT_CAP_1G | EPT_CAP_INVEPT | EPT_CAP_INVEPT_SINGLE |
                    EPT_CAP_INVEPT_ALL | VPID_CAP_INVVPID | VPID_CAP_SINGLE | VPID_CAP_ALL);
    cr_expect(nested_vmx_cap_msr(bochs_msr, MSR_IA32_VMX_PROCBASED_CTLS2_NR, &v));
    cr_expect_eq(v >> 32, (1u << 1) | (1u << 5), "enable EPT and enable VPID only");
    cr_expect_not(nested_vmx_cap_msr(no_ept_msr, MSR_IA32_VMX_EPT_VPID_CAP_NR, &v), "#GP without EPT or VPID");
}

/* The shadow over host memory: "physical" addresses are the pages' own addresses here. */
static uint64_t *pool;
static struct nested_shadow shadow;
static void shadow_setup(void)
{
    pool = aligned_alloc(4096, NESTED_SHADOW_PAGES * 4096);
    cr_assert_not_null(pool);
    uint64_t pages[NESTED_SHADOW_PAGES];
    for (unsigned i = 0; i < NESTED_SHADOW_PAGES; i++)
        pages[i] = (uintptr_t)pool + i * 4096ull;
    nested_shadow_init(&shadow, pages);
}
static void shadow_teardown(void) { free(pool); }

Test(shadow, maps_and_looks_up, .init = shadow_setup, .fini = shadow_teardown)
{
    cr_assert(nested_shadow_map(&shadow, 0x40000123, 0x7654000, PT_R | PT_W));
    uint64_t pa;
    uint32_t perms, level;
    cr_assert(pt_lookup(&shadow.pt, 0x40000000, &pa, &perms, &level));
    cr_expect_eq(pa & ~0xFFFull, 0x7654000);
    cr_expect_eq(perms & PT_RWX, PT_R | PT_W);
    cr_expect_eq(level, 3);
    cr_expect_eq(nested_shadow_eptp(&shadow) & 0x3F, 6 | 3 << 3);
    cr_expect_eq(nested_shadow_eptp(&shadow) & ~0xFFFull, shadow.pt.root_pa);
}

Test(shadow, a_full_pool_drops_the_shadow_and_starts_over, .init = shadow_setup, .fini = shadow_teardown)
{
    /* Pages 512 GiB apart take a PDPT, a PD and a PT each: 21 fit next to the root in 64 pages. */
    unsigned mapped = 0;
    for (uint64_t i = 0; shadow.drops == 0; i++) {
        cr_assert(nested_shadow_map(&shadow, i << 39, 0x1000, PT_R));
        mapped++;
        cr_assert_lt(mapped, NESTED_SHADOW_PAGES, "never more pages than the pool");
    }
    cr_expect_eq(mapped, (NESTED_SHADOW_PAGES - 1) / 3 + 1, "the pool held (64 - root) / 3 pages, then dropped");
    uint64_t pa;
    cr_expect_not(pt_lookup(&shadow.pt, 0, &pa, NULL, NULL), "the old mappings are gone");
    cr_expect(pt_lookup(&shadow.pt, (uint64_t)(mapped - 1) << 39, &pa, NULL, NULL), "the new one is there");
    cr_expect(shadow.flush, "an INVEPT is due before L2 runs on it");
    nested_shadow_drop(&shadow);
    cr_expect_eq(shadow.drops, 2);
    cr_expect_eq(shadow.nfree, NESTED_SHADOW_PAGES - 1, "dropped: every page back but the root");
}
