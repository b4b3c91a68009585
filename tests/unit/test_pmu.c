/* test_pmu.c: the emulated PMUv3p5's arithmetic (arch/aarch64/pmu.c): reset values, PMCR
 * P/C, enables, SW_INCR, 32/64-bit overflow, CHAIN, EL filtering, the overflow level and
 * the 1 GHz cycle clock. */
#include <criterion/criterion.h>
#include "pmu.h"

static const struct pmu_config plain = { .has_el3 = false, .lc_res1 = false };

static struct pmu fresh(void)
{
    struct pmu p;
    memset(&p, 0xa5, sizeof(p));       /* reset must not depend on what was there */
    pmu_reset(&p, &plain);
    return p;
}

/* Event counters 0..n with `event`, enabled, PMCR.E set. */
static void program(struct pmu *p, uint32_t mask, uint32_t event)
{
    for (uint32_t i = 0; i < PMU_COUNTER_COUNT; i++)
        if (mask >> i & 1)
            pmu_evtyper_write(p, i, event);
    p->cnten |= mask;
    pmu_pmcr_write(p, pmu_pmcr_read(p) | PMCR_E);
}

Test(pmu, reset_values_are_architectural_and_zero)
{
    struct pmu p = fresh();
    cr_assert_eq(pmu_pmcr_read(&p), (uint64_t)PMU_COUNTER_COUNT << PMCR_N_SHIFT, "PMCR: E=0, N=6");
    cr_assert_eq(p.cnten | p.inten | p.ovs | p.selr | p.userenr, 0);
    cr_assert_eq(p.ccntr, 0);
    cr_assert_eq(p.ccfiltr, 0);
    for (uint32_t i = 0; i < PMU_COUNTER_COUNT; i++)
        cr_assert(p.evcntr[i] == 0 && p.evtyper[i] == 0);
    cr_assert_not(pmu_irq_level(&p));
    cr_assert_not(pmu_counts_cycles(&p));
}

Test(pmu, lc_is_res1_without_aarch32_el0)
{
    struct pmu p;
    const struct pmu_config a64_only = { .lc_res1 = true };
    pmu_reset(&p, &a64_only);
    cr_assert(pmu_pmcr_read(&p) & PMCR_LC);
    pmu_pmcr_write(&p, 0);
    cr_assert(pmu_pmcr_read(&p) & PMCR_LC, "LC stays set");
}

Test(pmu, pmcr_p_and_c_reset_counters_and_read_as_zero)
{
    struct pmu p = fresh();
    p.evcntr[0] = 0x123456789ull;
    p.evcntr[5] = 7;
    p.ccntr = 0xffffffffffull;
    pmu_pmcr_write(&p, PMCR_P | PMCR_E);
    cr_assert_eq(p.evcntr[0], 0);
    cr_assert_eq(p.evcntr[5], 0);
    cr_assert_eq(p.ccntr, 0xffffffffffull, "P leaves the cycle counter");
    cr_assert_eq(pmu_pmcr_read(&p) & (PMCR_P | PMCR_C), 0, "P and C are write-only");
    cr_assert(pmu_pmcr_read(&p) & PMCR_E);
    p.evcntr[1] = 9;
    pmu_pmcr_write(&p, PMCR_C);
    cr_assert_eq(p.ccntr, 0);
    cr_assert_eq(p.evcntr[1], 9, "C leaves the event counters");
    pmu_pmcr_write(&p, PMCR_X | PMCR_LP | PMCR_LC | PMCR_D | PMCR_DP | (0x1full << PMCR_N_SHIFT));
    cr_assert_eq(pmu_pmcr_read(&p), PMCR_LP | PMCR_LC | PMCR_D | PMCR_DP | (uint64_t)PMU_COUNTER_COUNT << PMCR_N_SHIFT,
                 "X is RAZ/WI and N read-only");
}

Test(pmu, swinc_counts_only_selected_enabled_sw_incr_counters)
{
    struct pmu p = fresh();
    program(&p, 0x5, PMU_EVENT_SW_INCR);             /* counters 0 and 2 enabled */
    pmu_evtyper_write(&p, 1, PMU_EVENT_SW_INCR);     /* counter 1 programmed but disabled */
    pmu_evtyper_write(&p, 3, PMU_EVENT_CPU_CYCLES);  /* counter 3 enabled, other event */
    p.cnten |= 1u << 3;
    for (int i = 0; i < 5; i++)
        pmu_swinc(&p, 0xf, PMU_EL1);
    cr_assert_eq(p.evcntr[0], 5);
    cr_assert_eq(p.evcntr[1], 0);
    cr_assert_eq(p.evcntr[2], 5);
    cr_assert_eq(p.evcntr[3], 0);
    pmu_swinc(&p, 0x1, PMU_EL1);                    /* only counter 0 selected */
    cr_assert_eq(p.evcntr[0], 6);
    cr_assert_eq(p.evcntr[2], 5);
    pmu_pmcr_write(&p, 0);                          /* PMCR.E clear: nothing counts */
    pmu_swinc(&p, 0x5, PMU_EL1);
    cr_assert_eq(p.evcntr[0], 6);
}

Test(pmu, event_counter_overflows_at_32_bits_and_keeps_64)
{
    struct pmu p = fresh();
    program(&p, 0x1, PMU_EVENT_SW_INCR);
    p.evcntr[0] = 0xffffffffull;
    pmu_swinc(&p, 1, PMU_EL1);
    cr_assert_eq(p.evcntr[0], 0x100000000ull, "PMUv3p5: the upper half keeps counting");
    cr_assert_eq(p.ovs, 1u);
    p.ovs = 0;
    pmu_swinc(&p, 1, PMU_EL1);
    cr_assert_eq(p.ovs, 0, "no overflow without a carry out of bit 31");
    p.evcntr[0] = 0xffffffffffffffffull;
    pmu_swinc(&p, 1, PMU_EL1);
    cr_assert_eq(p.evcntr[0], 0);
    cr_assert_eq(p.ovs, 1u, "the 64-bit wrap carries out of bit 31 too");
}

Test(pmu, lp_makes_event_counters_overflow_at_64_bits)
{
    struct pmu p = fresh();
    program(&p, 0x1, PMU_EVENT_SW_INCR);
    pmu_pmcr_write(&p, PMCR_E | PMCR_LP);
    p.evcntr[0] = 0xffffffffull;
    pmu_swinc(&p, 1, PMU_EL1);
    cr_assert_eq(p.evcntr[0], 0x100000000ull);
    cr_assert_eq(p.ovs, 0);
    p.evcntr[0] = 0xffffffffffffffffull;
    pmu_swinc(&p, 1, PMU_EL1);
    cr_assert_eq(p.evcntr[0], 0);
    cr_assert_eq(p.ovs, 1u);
}

Test(pmu, chain_carries_even_overflow_into_odd_counter)
{
    struct pmu p = fresh();
    program(&p, 0x1, PMU_EVENT_SW_INCR);
    program(&p, 0x2, PMU_EVENT_CHAIN);
    p.evcntr[0] = 0xffffffffull;
    p.evcntr[1] = 0x41;
    pmu_swinc(&p, 1, PMU_EL1);
    cr_assert_eq((uint32_t)p.evcntr[0], 0);
    cr_assert_eq(p.evcntr[1], 0x42, "the odd counter counts the even one's overflow");
    cr_assert_eq(p.ovs, 1u, "only the even counter overflowed");
    p.evcntr[1] = 0xffffffffull;
    p.evcntr[0] = 0xffffffffull;
    pmu_swinc(&p, 1, PMU_EL1);
    cr_assert_eq(p.ovs, 3u, "the odd counter's own overflow is reported");
    cr_assert_eq(p.evcntr[2], 0, "no chain beyond the pair");
}

Test(pmu, chain_needs_odd_counter_enabled_and_no_lp)
{
    struct pmu p = fresh();
    program(&p, 0x1, PMU_EVENT_SW_INCR);
    pmu_evtyper_write(&p, 1, PMU_EVENT_CHAIN);          /* not enabled */
    p.evcntr[0] = 0xffffffffull;
    pmu_swinc(&p, 1, PMU_EL1);
    cr_assert_eq(p.evcntr[1], 0);
    p.cnten |= 2;
    pmu_pmcr_write(&p, PMCR_E | PMCR_LP);
    p.evcntr[0] = 0xffffffffffffffffull;
    pmu_swinc(&p, 1, PMU_EL1);
    cr_assert_eq(p.evcntr[1], 0, "no CHAIN events with 64-bit counters (LP)");
    cr_assert_eq(p.ovs, 1u);
}

Test(pmu, chain_of_cycle_counting_pair)
{
    struct pmu p = fresh();
    program(&p, 0x4, PMU_EVENT_CPU_CYCLES);
    program(&p, 0x8, PMU_EVENT_CHAIN);
    p.evcntr[2] = 0xfffffff0ull;
    pmu_count_cycles(&p, 0x20, PMU_EL1);
    cr_assert_eq(p.evcntr[2], 0x100000010ull);
    cr_assert_eq(p.evcntr[3], 1);
}

Test(pmu, cycle_counter_wraps_at_32_bits_unless_lc)
{
    struct pmu p = fresh();
    p.cnten = 1u << PMU_CYCLE_IDX;
    pmu_pmcr_write(&p, PMCR_E);
    p.ccntr = 0xfffffff0ull;
    pmu_count_cycles(&p, 0x20, PMU_EL1);
    cr_assert_eq(p.ccntr, 0x100000010ull, "PMCCNTR is always 64 bits wide");
    cr_assert_eq(p.ovs, 1u << 31);
    p.ovs = 0;
    pmu_pmcr_write(&p, PMCR_E | PMCR_LC);
    p.ccntr = 0xfffffff0ull;
    pmu_count_cycles(&p, 0x20, PMU_EL1);
    cr_assert_eq(p.ovs, 0, "LC: no overflow at 32 bits");
    p.ccntr = 0xfffffffffffffff0ull;
    pmu_count_cycles(&p, 0x20, PMU_EL1);
    cr_assert_eq(p.ccntr, 0x10);
    cr_assert_eq(p.ovs, 1u << 31);
}

Test(pmu, cycle_counter_divider_counts_every_64th)
{
    struct pmu p = fresh();
    p.cnten = 1u << PMU_CYCLE_IDX;
    pmu_pmcr_write(&p, PMCR_E | PMCR_D);
    pmu_count_cycles(&p, 100, PMU_EL1);
    cr_assert_eq(p.ccntr, 1);
    pmu_count_cycles(&p, 28, PMU_EL1);
    cr_assert_eq(p.ccntr, 2, "the remainder carries over");
    pmu_pmcr_write(&p, PMCR_E | PMCR_D | PMCR_LC);
    pmu_count_cycles(&p, 10, PMU_EL1);
    cr_assert_eq(p.ccntr, 12, "D is ignored with LC");
}

Test(pmu, counting_needs_pmcr_e_and_cntenset)
{
    struct pmu p = fresh();
    p.cnten = 1u << PMU_CYCLE_IDX;
    pmu_count_cycles(&p, 50, PMU_EL1);
    cr_assert_eq(p.ccntr, 0, "PMCR.E clear");
    cr_assert_not(pmu_counts_cycles(&p));
    pmu_pmcr_write(&p, PMCR_E);
    cr_assert(pmu_counts_cycles(&p));
    pmu_count_cycles(&p, 50, PMU_EL1);
    cr_assert_eq(p.ccntr, 50);
    p.cnten = 0;
    cr_assert_not(pmu_counts_cycles(&p));
    pmu_count_cycles(&p, 50, PMU_EL1);
    cr_assert_eq(p.ccntr, 50, "PMCNTENCLR froze it");
}

Test(pmu, el_filters_p_and_u)
{
    struct pmu p = fresh();
    program(&p, 0x3, PMU_EVENT_CPU_CYCLES);
    pmu_evtyper_write(&p, 0, PMEVTYPER_P | PMU_EVENT_CPU_CYCLES);    /* not at EL1 */
    pmu_evtyper_write(&p, 1, PMEVTYPER_U | PMU_EVENT_CPU_CYCLES);    /* not at EL0 */
    p.cnten |= 1u << PMU_CYCLE_IDX;
    pmu_ccfiltr_write(&p, PMEVTYPER_P);
    pmu_count_cycles(&p, 10, PMU_EL1);
    cr_assert_eq(p.evcntr[0], 0);
    cr_assert_eq(p.evcntr[1], 10);
    cr_assert_eq(p.ccntr, 0);
    pmu_count_cycles(&p, 3, PMU_EL0);
    cr_assert_eq(p.evcntr[0], 3);
    cr_assert_eq(p.evcntr[1], 10);
    cr_assert_eq(p.ccntr, 3);
    /* SW_INCR is filtered by the EL of the PMSWINC write (PMUEvent/CountPMUEvents). */
    pmu_evtyper_write(&p, 2, PMEVTYPER_U | PMU_EVENT_SW_INCR);
    p.cnten |= 4;
    pmu_swinc(&p, 4, PMU_EL0);
    pmu_swinc(&p, 4, PMU_EL1);
    cr_assert_eq(p.evcntr[2], 1);
}

Test(pmu, nsk_nsu_only_with_el3)
{
    struct pmu p = fresh();
    pmu_evtyper_write(&p, 0, PMEVTYPER_NSK | PMEVTYPER_NSU | 0x11);
    cr_assert_eq(p.evtyper[0], 0x11, "RES0 without EL3");
    const struct pmu_config el3 = { .has_el3 = true };
    pmu_reset(&p, &el3);
    program(&p, 0x3, PMU_EVENT_CPU_CYCLES);
    pmu_evtyper_write(&p, 0, PMEVTYPER_NSK | PMU_EVENT_CPU_CYCLES);        /* P != NSK: not at NS EL1 */
    pmu_evtyper_write(&p, 1, PMEVTYPER_P | PMEVTYPER_NSK | PMU_EVENT_CPU_CYCLES); /* P == NSK: counts */
    pmu_count_cycles(&p, 4, PMU_EL1);
    cr_assert_eq(p.evcntr[0], 0);
    cr_assert_eq(p.evcntr[1], 4);
    cr_assert_eq(p.evtyper[1], PMEVTYPER_P | PMEVTYPER_NSK | PMU_EVENT_CPU_CYCLES);
}

Test(pmu, evtyper_keeps_only_implemented_bits)
{
    struct pmu p = fresh();
    pmu_evtyper_write(&p, 4, ~0ull);
    cr_assert_eq(p.evtyper[4], PMEVTYPER_P | PMEVTYPER_U | PMEVTYPER_EVTCOUNT);
    pmu_ccfiltr_write(&p, ~0ull);
    cr_assert_eq(p.ccfiltr, PMEVTYPER_P | PMEVTYPER_U);
}

Test(pmu, overflow_level_follows_e_ovs_and_inten)
{
    struct pmu p = fresh();
    program(&p, 0x1, PMU_EVENT_SW_INCR);
    p.evcntr[0] = 0xffffffffull;
    pmu_swinc(&p, 1, PMU_EL1);
    cr_assert_eq(p.ovs, 1u);
    cr_assert_not(pmu_irq_level(&p), "PMINTENSET clear");
    p.inten = 1;
    cr_assert(pmu_irq_level(&p));
    pmu_pmcr_write(&p, 0);
    cr_assert_not(pmu_irq_level(&p), "PMCR.E clear masks it");
    pmu_pmcr_write(&p, PMCR_E);
    cr_assert(pmu_irq_level(&p));
    p.ovs &= ~1u;                                 /* PMOVSCLR */
    cr_assert_not(pmu_irq_level(&p));
    p.inten = 1u << 31;
    p.ovs = 1u << 31;
    cr_assert(pmu_irq_level(&p), "the cycle counter's overflow too");
}

Test(pmu, clock_scales_counter_ticks_to_1ghz_exactly)
{
    struct pmu_clock c;
    pmu_clock_init(&c, 62500000);                 /* QEMU virt */
    cr_assert_eq(pmu_clock_cycles(&c, 1), 16);
    cr_assert_eq(pmu_clock_cycles(&c, 62500000), 1000000000ull);
    pmu_clock_init(&c, 24000000);                 /* 24 MHz: 125/3 cycles per tick */
    uint64_t total = 0;
    for (int i = 0; i < 3000; i++)
        total += pmu_clock_cycles(&c, 1);
    cr_assert_eq(total, 125000, "the remainders add up");
    pmu_clock_init(&c, 1000000007);               /* a prime: mul 10^9, div itself */
    cr_assert_eq(pmu_clock_cycles(&c, 1000000007ull * 3), 3000000000ull);
    pmu_clock_init(&c, 0);
    cr_assert_eq(pmu_clock_cycles(&c, 1000), 0);
}
