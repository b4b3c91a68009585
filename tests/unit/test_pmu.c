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

/* ---- backing by the host PMU ---- */

/* QEMU 7.2's -cpu max under -icount: 6 counters, SW_INCR, INST_RETIRED and CPU_CYCLES. */
static const struct pmu_config qemu_host = {
    .host = { .present = true, .wide = true, .counters = 6, .pmceid = { 0x20101, 0 } },
};

static struct pmu backed_pmu(const struct pmu_config *cfg)
{
    struct pmu p;
    memset(&p, 0x5a, sizeof(p));
    pmu_reset(&p, cfg);
    return p;
}

Test(pmu, pmceid_is_the_emulated_events_plus_the_hosts)
{
    cr_assert_eq(pmu_pmceid(&plain, 0), 0x40020001ull, "no host: SW_INCR, CPU_CYCLES, CHAIN");
    cr_assert_eq(pmu_pmceid(&plain, 1), 0);
    cr_assert_eq(pmu_pmceid(&qemu_host, 0), 0x40020101ull, "INST_RETIRED from the host");
    struct pmu_config c = qemu_host;
    c.host.pmceid[0] = 0x1000000000ull | 0x8;       /* event 0x4004 and INST_RETIRED */
    c.host.pmceid[1] = 0x2;                          /* event 0x21 (BR_RETIRED) */
    cr_assert_eq(pmu_pmceid(&c, 0), 0x1040020009ull);
    cr_assert_eq(pmu_pmceid(&c, 1), 0x2ull);
    c.host.counters = 0;
    cr_assert_eq(pmu_pmceid(&c, 0), 0x40020001ull, "no host event counter: nothing of the host's");
}

Test(pmu, host_counts_only_advertised_events_never_sw_incr_or_chain)
{
    struct pmu_host h = { .present = true, .counters = 6, .pmceid = { ~0ull, 0x2 } };
    cr_assert(pmu_host_counts(&h, PMU_EVENT_INST_RETIRED));
    cr_assert(pmu_host_counts(&h, 0x4004));
    cr_assert(pmu_host_counts(&h, 0x21));
    cr_assert_not(pmu_host_counts(&h, 0x22));
    cr_assert_not(pmu_host_counts(&h, PMU_EVENT_SW_INCR), "PMSWINC traps: emulated");
    cr_assert_not(pmu_host_counts(&h, PMU_EVENT_CHAIN), "CHAIN follows the emulated carry");
    cr_assert_not(pmu_host_counts(&h, 0x40), "IMPLEMENTATION DEFINED: no PMCEID bit");
    cr_assert_not(pmu_host_counts(&h, 0x8008), "not a common event number");
}

Test(pmu, backed_counters_are_host_counted_events_below_host_n)
{
    struct pmu_config c = qemu_host;
    c.host.counters = 4;
    struct pmu p = backed_pmu(&c);
    pmu_evtyper_write(&p, 0, PMU_EVENT_INST_RETIRED);
    pmu_evtyper_write(&p, 1, PMU_EVENT_CHAIN);
    pmu_evtyper_write(&p, 2, PMU_EVENT_SW_INCR);
    pmu_evtyper_write(&p, 3, PMU_EVENT_CPU_CYCLES);
    pmu_evtyper_write(&p, 4, PMU_EVENT_CPU_CYCLES);  /* no host counter 4 */
    pmu_evtyper_write(&p, 5, 0x21);                  /* not counted by this host */
    cr_assert_eq(pmu_backed(&p), 1u << 31 | 0x9u);
    cr_assert_eq(pmu_hw_enabled(&p), 0, "PMCR.E clear");
    p.cnten = 0xffffffffu;
    pmu_pmcr_write(&p, PMCR_E);
    cr_assert_eq(pmu_hw_enabled(&p), 1u << 31 | 0x9u);
    p.cnten = 0x8;
    cr_assert_eq(pmu_hw_enabled(&p), 0x8u);
    struct pmu none = backed_pmu(&plain);
    cr_assert_eq(pmu_backed(&none), 0, "no host PMU: everything emulated");
}

Test(pmu, hw_filters_never_count_el2_and_follow_the_guests_els)
{
    struct pmu p = backed_pmu(&qemu_host);
    pmu_evtyper_write(&p, 0, PMEVTYPER_NSH | PMU_EVENT_INST_RETIRED);   /* NSH is RES0: dropped */
    cr_assert_eq(pmu_hw_evtyper(&p, 0), PMU_EVENT_INST_RETIRED, "EL1 and EL0, not EL2");
    pmu_evtyper_write(&p, 1, PMEVTYPER_U | PMU_EVENT_CPU_CYCLES);
    cr_assert_eq(pmu_hw_evtyper(&p, 1), PMEVTYPER_U | PMEVTYPER_NSU | PMU_EVENT_CPU_CYCLES);
    pmu_ccfiltr_write(&p, PMEVTYPER_P);
    cr_assert_eq(pmu_hw_ccfiltr(&p), PMEVTYPER_P | PMEVTYPER_NSK);
    /* A guest CPU with EL3: Non-secure EL1 counts when NSK == P. */
    struct pmu_config c = qemu_host;
    c.has_el3 = true;
    struct pmu q = backed_pmu(&c);
    pmu_evtyper_write(&q, 0, PMEVTYPER_NSK | PMU_EVENT_INST_RETIRED);    /* P 0, NSK 1: EL1 no */
    cr_assert_eq(pmu_hw_evtyper(&q, 0), PMEVTYPER_P | PMEVTYPER_NSK | PMU_EVENT_INST_RETIRED);
    pmu_evtyper_write(&q, 0, PMEVTYPER_P | PMEVTYPER_NSK | PMU_EVENT_INST_RETIRED);   /* EL1 yes */
    cr_assert_eq(pmu_hw_evtyper(&q, 0), PMU_EVENT_INST_RETIRED);
    for (uint32_t i = 0; i < 2; i++)
        cr_assert_eq(pmu_hw_evtyper(&p, i) & PMEVTYPER_NSH, 0);
}

Test(pmu, hw_pmcr_copies_e_d_lc_lp_and_sets_dp)
{
    struct pmu p = backed_pmu(&qemu_host);
    pmu_pmcr_write(&p, PMCR_E | PMCR_D | PMCR_LC | PMCR_LP | PMCR_P | PMCR_C | PMCR_X);
    cr_assert_eq(pmu_hw_pmcr(&p), PMCR_E | PMCR_D | PMCR_LC | PMCR_LP | PMCR_DP);
    pmu_pmcr_write(&p, 0);
    cr_assert_eq(pmu_hw_pmcr(&p), PMCR_DP);
}

Test(pmu, emulated_cycles_skip_backed_counters)
{
    struct pmu_config c = qemu_host;
    c.host.counters = 2;
    struct pmu p = backed_pmu(&c);
    program(&p, 0x21, PMU_EVENT_CPU_CYCLES);         /* counter 0 backed, counter 5 not */
    p.cnten |= 1u << PMU_CYCLE_IDX;
    cr_assert(pmu_counts_cycles(&p), "counter 5 is emulated");
    pmu_count_cycles(&p, 100, PMU_EL1);
    cr_assert_eq(p.evcntr[0], 0, "the host counts counter 0");
    cr_assert_eq(p.ccntr, 0, "the host counts the cycle counter");
    cr_assert_eq(p.evcntr[5], 100);
    p.cnten &= ~0x20u;
    cr_assert_not(pmu_counts_cycles(&p), "everything counting cycles is backed");
}

Test(pmu, fold_overflows_at_the_guests_width_and_chains)
{
    struct pmu p = backed_pmu(&qemu_host);
    pmu_evtyper_write(&p, 0, PMU_EVENT_INST_RETIRED);
    pmu_evtyper_write(&p, 1, PMU_EVENT_CHAIN);
    p.cnten = 0x3;
    pmu_pmcr_write(&p, PMCR_E);
    p.evcntr[0] = 0xfffffff0ull;
    p.evcntr[1] = 7;
    pmu_hw_fold(&p, 0, 0x20, PMU_EL1);
    cr_assert_eq(p.evcntr[0], 0x100000010ull);
    cr_assert_eq(p.ovs, 1u, "32-bit overflow");
    cr_assert_eq(p.evcntr[1], 8, "CHAIN carried into the odd counter");
    pmu_pmcr_write(&p, PMCR_E | PMCR_LP);
    p.ovs = 0;
    pmu_hw_fold(&p, 0, 0x100000000ull, PMU_EL1);
    cr_assert_eq(p.ovs, 0, "LP: no overflow at 32 bits");
    p.evcntr[0] = ~0ull - 1;
    pmu_hw_fold(&p, 0, 3, PMU_EL1);
    cr_assert_eq(p.evcntr[0], 1);
    cr_assert_eq(p.ovs, 1u, "64-bit overflow");
    p.ccntr = 0xffffff00ull;
    pmu_hw_fold(&p, PMU_CYCLE_IDX, 0x200, PMU_EL1);
    cr_assert_eq(p.ccntr, 0x100000100ull);
    cr_assert(p.ovs >> PMU_CYCLE_IDX & 1, "cycle counter, LC clear: 32-bit overflow");
    pmu_hw_fold(&p, PMU_CYCLE_IDX, 0, PMU_EL1);
    cr_assert_eq(p.ccntr, 0x100000100ull);
}

Test(pmu, hw_delta_is_modulo_the_host_counter_width)
{
    struct pmu_host narrow = { .present = true, .counters = 6 }, wide = narrow;
    wide.wide = true;
    cr_assert_eq(pmu_hw_delta(&narrow, 0, 0xfffffff0ull, 0x10), 0x20);
    cr_assert_eq(pmu_hw_delta(&wide, 0, 0xfffffff0ull, 0x100000010ull), 0x20);
    cr_assert_eq(pmu_hw_delta(&wide, 0, 5, 0x100000005ull), 0x100000000ull);
    cr_assert_eq(pmu_hw_delta(&narrow, PMU_CYCLE_IDX, 5, 0x100000005ull), 0x100000000ull,
                 "PMCCNTR is 64 bits on every PMUv3");
}
