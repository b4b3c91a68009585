/* test_id_regs.c: the ID register allow-list (arch/aarch64/id_regs.c): every field of the
 * AArch64 ID registers has exactly one row with a reason, EL2-only and unemulated features
 * are hidden, WFxT is offered (WFIT honoured), MOPS only with HCRX_EL2 (MSCEn). */
#include <criterion/criterion.h>
#include <string.h>
#include "id_regs.h"

static uint64_t field(const uint64_t *regs, enum id_reg r, unsigned lo)
{
    return (regs[r] >> lo) & 0xf;
}

static const struct id_caps no_caps = { 0 };
static const struct id_caps qemu10_caps = { .pmuver = 6, .hcx = true };

/* A host that has every feature at value 0x1 .. 0xf. */
static void host_all(uint64_t host[ID_REG_COUNT], uint64_t v)
{
    for (unsigned r = 0; r < ID_REG_COUNT; r++)
        host[r] = v;
}

Test(id_regs, every_field_of_the_aarch64_registers_has_one_row_with_a_reason)
{
    static const enum id_reg a64[] = { IDR_ID_AA64PFR0_EL1, IDR_ID_AA64PFR1_EL1, IDR_ID_AA64DFR0_EL1,
                                       IDR_ID_AA64ISAR0_EL1, IDR_ID_AA64ISAR1_EL1, IDR_ID_AA64ISAR2_EL1,
                                       IDR_ID_AA64MMFR0_EL1, IDR_ID_AA64MMFR1_EL1, IDR_ID_AA64MMFR2_EL1 };
    uint64_t covered[ID_REG_COUNT] = { 0 };
    for (uint32_t i = 0; i < id_field_count; i++) {
        const struct id_field *f = &id_fields[i];
        cr_assert_lt(f->reg, ID_REG_COUNT);
        cr_assert(f->width > 0 && f->lo + f->width <= 64, "row %u", i);
        cr_assert(f->name && f->name[0] && f->reason && f->reason[0], "row %u has a name and a reason", i);
        uint64_t mask = (f->width == 64 ? ~0ull : (1ull << f->width) - 1) << f->lo;
        cr_assert_eq(covered[f->reg] & mask, 0, "row %u (%s) overlaps another row", i, f->name);
        covered[f->reg] |= mask;
    }
    for (unsigned i = 0; i < sizeof(a64) / sizeof(a64[0]); i++)
        cr_assert_eq(covered[a64[i]], ~0ull, "register %u: fields without a row 0x%lx", a64[i],
                     (unsigned long)~covered[a64[i]]);
    for (unsigned r = IDR_ID_PFR0_EL1; r <= IDR_MVFR2_EL1; r++)
        cr_assert_eq(covered[r], 0xffffffffull, "AArch32 register %u covered", r);
}

Test(id_regs, el2_and_unemulated_features_are_hidden)
{
    uint64_t host[ID_REG_COUNT], g[ID_REG_COUNT];
    host_all(host, 0x1111111111111111ull);
    id_regs_sanitise(host, &qemu10_caps, g);
    cr_assert_eq(field(g, IDR_ID_AA64PFR0_EL1, 8), 0, "EL2");
    cr_assert_eq(field(g, IDR_ID_AA64PFR0_EL1, 28), 0, "RAS");
    cr_assert_eq(field(g, IDR_ID_AA64PFR0_EL1, 32), 0, "SVE");
    cr_assert_eq(field(g, IDR_ID_AA64PFR1_EL1, 8), 0, "MTE");
    cr_assert_eq(field(g, IDR_ID_AA64PFR1_EL1, 24), 0, "SME");
    cr_assert_eq(field(g, IDR_ID_AA64PFR1_EL1, 36), 0, "NMI");
    cr_assert_eq(field(g, IDR_ID_AA64MMFR0_EL1, 56), 0, "FGT");
    cr_assert_eq(field(g, IDR_ID_AA64MMFR0_EL1, 60), 0, "ECV");
    cr_assert_eq(field(g, IDR_ID_AA64MMFR1_EL1, 8), 0, "VH");
    cr_assert_eq(field(g, IDR_ID_AA64MMFR1_EL1, 40), 0, "HCX");
    cr_assert_eq(field(g, IDR_ID_AA64MMFR2_EL1, 24), 0, "NV");
    cr_assert_eq(field(g, IDR_ID_AA64ISAR1_EL1, 60), 0, "LS64");
    cr_assert_eq(field(g, IDR_ID_AA64DFR0_EL1, 32), 0, "SPE");
    cr_assert_eq(field(g, IDR_ID_PFR1_EL1, 28), 0, "AArch32 GIC");
    cr_assert_eq(field(g, IDR_ID_DFR0_EL1, 24), 0, "AArch32 PerfMon");
}

Test(id_regs, what_the_hypervisor_implements_is_kept_or_set)
{
    uint64_t host[ID_REG_COUNT], g[ID_REG_COUNT];
    host_all(host, 0x2222222222222222ull);
    id_regs_sanitise(host, &qemu10_caps, g);
    cr_assert_eq(field(g, IDR_ID_AA64PFR0_EL1, 24), 1, "GIC: the GICv3 system registers, not 4.1");
    cr_assert_eq(field(g, IDR_ID_AA64PFR0_EL1, 16), 2, "FP kept");
    cr_assert_eq(field(g, IDR_ID_AA64ISAR2_EL1, 0), 2, "WFxT: WFIT honours its deadline");
    cr_assert_eq(field(g, IDR_ID_AA64ISAR0_EL1, 20), 2, "Atomic");
    cr_assert_eq(field(g, IDR_ID_AA64DFR0_EL1, 8), 6, "PMUVer: the emulated PMUv3p5");
    cr_assert_eq(field(g, IDR_ID_AA64MMFR0_EL1, 0), 2, "PARange below the cap kept");
    cr_assert_eq(g[IDR_ID_PFR0_EL1], 0x22222222ull, "AArch32 register: low 32 bits");
    host[IDR_ID_AA64MMFR0_EL1] = 6;      /* 52-bit PA host */
    id_regs_sanitise(host, &qemu10_caps, g);
    cr_assert_eq(field(g, IDR_ID_AA64MMFR0_EL1, 0), 5, "PARange capped at 48 bits (VTCR_EL2.T0SZ 16)");
}

Test(id_regs, mops_only_where_hcrx_el2_can_enable_it)
{
    uint64_t host[ID_REG_COUNT], g[ID_REG_COUNT];
    host_all(host, 0);
    host[IDR_ID_AA64ISAR2_EL1] = 1ull << 16 | 2;      /* MOPS, WFxT */
    id_regs_sanitise(host, &no_caps, g);
    cr_assert_eq(field(g, IDR_ID_AA64ISAR2_EL1, 16), 0, "no HCX: MOPS would UNDEF, hidden");
    cr_assert_eq(field(g, IDR_ID_AA64ISAR2_EL1, 0), 2);
    cr_assert_eq(field(g, IDR_ID_AA64DFR0_EL1, 8), 0, "no host PMUv3: no PMU");
    id_regs_sanitise(host, &qemu10_caps, g);
    cr_assert_eq(field(g, IDR_ID_AA64ISAR2_EL1, 16), 1, "HCX: MSCEn set, MOPS offered");
}

Test(id_regs, a_host_without_a_feature_never_gets_it_offered)
{
    uint64_t host[ID_REG_COUNT], g[ID_REG_COUNT];
    host_all(host, 0);
    id_regs_sanitise(host, &qemu10_caps, g);
    for (uint32_t i = 0; i < id_field_count; i++) {
        const struct id_field *f = &id_fields[i];
        if (f->policy == ID_KEEP || f->policy == ID_KEEP_IF_HCX || f->policy == ID_CAP || f->policy == ID_HIDE)
            cr_assert_eq((g[f->reg] >> f->lo) & ((1ull << f->width) - 1 + (f->width == 64)), 0, "%s", f->name);
    }
}
