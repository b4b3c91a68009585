/* pmu.c: the PMUv3 as the Arm ARM defines it, seen from EL1 and EL0: the cycle counter counts
 * only while enabled, SW_INCR counts exactly on the selected counters, a CHAIN pair carries,
 * overflow sets PMOVSSET and raises PPI 23 until cleared, EL filtering, PMUSERENR's EL0
 * enables, the reset state after CPU_OFF/CPU_ON and after SYSTEM_RESET; and the events the
 * host counts (INST_RETIRED, CPU_CYCLES under QEMU -icount): a known loop counted exactly,
 * EL2 work behind HVCs not counted, an overflow interrupt arriving while the guest spins
 * without exits. Runs on bare QEMU (-cpu max has a PMU) and under the hypervisor. */
#include "test.h"

#define PMCR_E   (1ull << 0)
#define PMCR_P   (1ull << 1)
#define PMCR_C   (1ull << 2)
#define PMCR_D   (1ull << 3)
#define PMCR_LC  (1ull << 6)
#define PMCR_LP  (1ull << 7)
#define PMCR_N(pmcr) (((pmcr) >> 11) & 0x1f)
#define CYCLE    (1ull << 31)
#define EVT_P    (1ull << 31)
#define EVT_U    (1ull << 30)
#define SW_INCR    0x00
#define INST_RETIRED 0x08
#define CPU_CYCLES 0x11
#define CHAIN      0x1e
#define USERENR_EN 1
#define USERENR_SW 2
#define USERENR_CR 4
#define USERENR_ER 8

#define PMU_PPI 23
#define GICD_BASE 0x08000000ul             /* QEMU virt */
#define GICR_BASE 0x080A0000ul             /* vCPU 0's RD_base; SGI_base 64 KiB above */
#define GICR_SGI  (GICR_BASE + 0x10000)

/* Reset checks are stored in RAM that survives SYSTEM_RESET (as reset.c does). */
#define MARKER_MAGIC 0x504d55524553ull        /* "PMURES" */
#define MARKER ((volatile uint64_t *)(RAM_BASE + 0x1000000))   /* magic, passed, failed */

static unsigned passed, failed;               /* of this boot, carried across SYSTEM_RESET */

static bool pcheck(bool ok, const char *name, const char *fmt, uint64_t got, uint64_t want)
{
    ok ? passed++ : failed++;
    return check(ok, name, fmt, got, want);
}
#define EQ(got, want, name) pcheck((uint64_t)(got) == (uint64_t)(want), name, #got " = 0x%lx, want 0x%lx", \
                                   (uint64_t)(got), (uint64_t)(want))
#define TRUE(cond, name, val) pcheck((cond), name, #cond " (value 0x%lx, 0x%lx)", (uint64_t)(val), 0)

static void isb_write_pmcr(uint64_t v) { write_sysreg(pmcr_el0, v); isb(); }
static void select_counter(unsigned n) { write_sysreg(pmselr_el0, n); isb(); }
static uint64_t evcntr(unsigned n) { select_counter(n); return read_sysreg(pmxevcntr_el0); }
static void set_evcntr(unsigned n, uint64_t v) { select_counter(n); write_sysreg(pmxevcntr_el0, v); }
static void set_evtyper(unsigned n, uint64_t v) { select_counter(n); write_sysreg(pmxevtyper_el0, v); }

/* Everything off and zero: counters disabled, no overflow, no interrupt enables. */
static void pmu_quiesce(void)
{
    isb_write_pmcr(PMCR_P | PMCR_C);
    write_sysreg(pmcntenclr_el0, ~0ull);
    write_sysreg(pmintenclr_el1, ~0ull);
    write_sysreg(pmovsclr_el0, ~0ull);
    write_sysreg(pmuserenr_el0, 0);
    write_sysreg(pmccfiltr_el0, 0);
    for (unsigned i = 0; i < 6; i++)
        set_evtyper(i, 0);
    isb_write_pmcr(PMCR_P | PMCR_C);
    isb();
}

/* Busy work at EL1 with no exits of its own (under the hypervisor time passes in the guest). */
static void spin(void)
{
    delay_us(2000);
}

static unsigned pmuver(void) { return (unsigned)(read_sysreg(id_aa64dfr0_el1) >> 8) & 0xf; }

static void test_identification(void)
{
    uint64_t pmcr = read_sysreg(pmcr_el0);
    unsigned v = pmuver();
    printf("pmu: PMUVer %u, PMCR_EL0 0x%lx (N %lu), PMCEID0 0x%lx, PMCEID1 0x%lx\n", v, pmcr, PMCR_N(pmcr),
           read_sysreg(pmceid0_el0), read_sysreg(pmceid1_el0));
    TRUE(v >= 1 && v != 0xf, "pmuver_pmuv3", v);
    TRUE(PMCR_N(pmcr) >= 6, "pmcr_n_six_counters", PMCR_N(pmcr));
    uint64_t ceid0 = read_sysreg(pmceid0_el0);
    TRUE((ceid0 & 1) && (ceid0 >> CPU_CYCLES & 1), "pmceid0_sw_incr_cpu_cycles", ceid0);
}

static void test_cycle_counter(void)
{
    pmu_quiesce();
    write_sysreg(pmcntenset_el0, CYCLE);
    isb_write_pmcr(PMCR_E | PMCR_C);
    spin();
    uint64_t c1 = read_sysreg(pmccntr_el0);
    /* 2 ms at a nominal 1 GHz (QEMU's cycle counter and the hypervisor's both): > 1e6. */
    TRUE(c1 >= 1000000, "cycle_counter_counts_when_enabled", c1);
    spin();
    uint64_t c2 = read_sysreg(pmccntr_el0);
    TRUE(c2 > c1, "cycle_counter_keeps_counting", c2);

    write_sysreg(pmcntenclr_el0, CYCLE);
    isb();
    uint64_t f1 = read_sysreg(pmccntr_el0);
    spin();
    uint64_t f2 = read_sysreg(pmccntr_el0);
    EQ(f2, f1, "cycle_counter_frozen_by_pmcntenclr");

    write_sysreg(pmcntenset_el0, CYCLE);
    isb_write_pmcr(0);
    f1 = read_sysreg(pmccntr_el0);
    spin();
    f2 = read_sysreg(pmccntr_el0);
    EQ(f2, f1, "cycle_counter_frozen_by_pmcr_e");
    isb_write_pmcr(PMCR_C);
    EQ(read_sysreg(pmccntr_el0), 0, "pmcr_c_resets_cycle_counter");
    EQ(read_sysreg(pmcr_el0) & (PMCR_P | PMCR_C), 0, "pmcr_p_c_read_as_zero");
    write_sysreg(pmccntr_el0, 0x123456789abull);
    EQ(read_sysreg(pmccntr_el0), 0x123456789abull, "cycle_counter_64bit_write");

    /* LC = 0: PMOVSSET<31> on the carry out of bit 31, the counter goes on in 64 bits. */
    write_sysreg(pmovsclr_el0, CYCLE);
    write_sysreg(pmccntr_el0, 0xffff0000ull);
    isb_write_pmcr(PMCR_E);
    spin();
    uint64_t w = read_sysreg(pmccntr_el0);
    TRUE((read_sysreg(pmovsset_el0) & CYCLE) && w > 0x100000000ull, "cycle_counter_overflow_32bit", w);
    isb_write_pmcr(0);
    write_sysreg(pmovsclr_el0, CYCLE);
    write_sysreg(pmccntr_el0, 0xffff0000ull);
    isb_write_pmcr(PMCR_E | PMCR_LC);
    spin();
    isb_write_pmcr(PMCR_LC);
    EQ(read_sysreg(pmovsset_el0) & CYCLE, 0, "cycle_counter_lc_no_32bit_overflow");
    write_sysreg(pmccntr_el0, 0xffffffffffff0000ull);
    isb_write_pmcr(PMCR_E | PMCR_LC);
    spin();
    isb_write_pmcr(PMCR_LC);
    w = read_sysreg(pmccntr_el0);
    TRUE((read_sysreg(pmovsset_el0) & CYCLE) && w < 0x100000000ull, "cycle_counter_lc_overflow_64bit", w);
    pmu_quiesce();
}

static void test_swincr(void)
{
    pmu_quiesce();
    for (unsigned i = 0; i < 3; i++)
        set_evtyper(i, SW_INCR);
    write_sysreg(pmcntenset_el0, 0x5);          /* counters 0 and 2; 1 stays disabled */
    isb_write_pmcr(PMCR_E | PMCR_P);
    for (int i = 0; i < 5; i++)
        write_sysreg(pmswinc_el0, 0x7);
    isb();
    uint64_t c0 = evcntr(0), c1 = evcntr(1), c2 = evcntr(2);
    EQ(c0, 5, "swincr_exact_on_selected_counter0");
    EQ(c1, 0, "swincr_disabled_counter1_stays_0");
    EQ(c2, 5, "swincr_exact_on_selected_counter2");
    write_sysreg(pmevcntr2_el0, 0);
    write_sysreg(pmswinc_el0, 0x1);             /* only counter 0 selected */
    isb();
    pcheck(read_sysreg(pmevcntr0_el0) == 6 && read_sysreg(pmevcntr2_el0) == 0, "swincr_only_written_bits",
           "counter 0 = 0x%lx, want 6 (counter 2 stays 0: 0x%lx)", read_sysreg(pmevcntr0_el0), read_sysreg(pmevcntr2_el0));
    isb_write_pmcr(0);
    write_sysreg(pmswinc_el0, 0x1);
    isb();
    EQ(read_sysreg(pmevcntr0_el0), 6, "swincr_ignored_when_pmcr_e_clear");
    isb_write_pmcr(PMCR_E | PMCR_P);
    EQ(read_sysreg(pmevcntr0_el0), 0, "pmcr_p_resets_event_counters");

    /* 32-bit overflow (LP = 0): PMOVSSET<0>; with PMUv3p5 the upper half counts on. */
    write_sysreg(pmovsclr_el0, ~0ull);
    write_sysreg(pmevcntr0_el0, 0xffffffffull);
    write_sysreg(pmswinc_el0, 0x1);
    isb();
    uint64_t want = pmuver() >= 6 ? 0x100000000ull : 0;
    pcheck(read_sysreg(pmevcntr0_el0) == want && (read_sysreg(pmovsset_el0) & 1), "event_counter_overflow_32bit",
           "counter 0x%lx (want 0x%lx) and PMOVSSET<0> set", read_sysreg(pmevcntr0_el0), want);
    if (pmuver() >= 6) {
        write_sysreg(pmovsclr_el0, ~0ull);
        isb_write_pmcr(PMCR_E | PMCR_LP);
        write_sysreg(pmevcntr0_el0, 0xffffffffull);
        write_sysreg(pmswinc_el0, 0x1);
        isb();
        uint64_t a = read_sysreg(pmevcntr0_el0), ovs_a = read_sysreg(pmovsset_el0);
        write_sysreg(pmevcntr0_el0, ~0ull);
        write_sysreg(pmswinc_el0, 0x1);
        isb();
        uint64_t b = read_sysreg(pmevcntr0_el0), ovs_b = read_sysreg(pmovsset_el0);
        pcheck(a == 0x100000000ull && ovs_a == 0 && b == 0 && ovs_b == 1, "event_counter_lp_overflow_64bit",
               "after 0xffffffff+1: 0x%lx, after ~0+1: 0x%lx (want 2^32, no overflow; 0, overflow)", a, b);
        isb_write_pmcr(PMCR_E);
    } else {
        skip("event_counter_lp_overflow_64bit", "PMUVer below PMUv3p5");
    }
    pmu_quiesce();
}

static void test_chain(void)
{
    if (!(read_sysreg(pmceid0_el0) >> CHAIN & 1)) {
        skip("chain_carries_into_odd_counter", "CHAIN not in PMCEID0");
        return;
    }
    pmu_quiesce();
    set_evtyper(0, SW_INCR);
    set_evtyper(1, CHAIN);
    write_sysreg(pmcntenset_el0, 0x3);
    isb_write_pmcr(PMCR_E);
    write_sysreg(pmevcntr0_el0, 0xffffffffull);
    set_evcntr(1, 0x41);                         /* through PMSELR + PMXEVCNTR */
    write_sysreg(pmswinc_el0, 0x1);
    isb();
    uint64_t lo = read_sysreg(pmevcntr0_el0), hi = read_sysreg(pmevcntr1_el0), ovs = read_sysreg(pmovsset_el0);
    pcheck((uint32_t)lo == 0 && hi == 0x42 && ovs == 1, "chain_carries_into_odd_counter",
           "low 0x%lx, high 0x%lx (want low 0 mod 2^32, high 0x42, PMOVSSET 1)", lo, hi);
    pmu_quiesce();
}

static void test_filtering(void)
{
    if (!(read_sysreg(pmceid0_el0) >> CPU_CYCLES & 1)) {
        skip("filter_p_excludes_el1", "CPU_CYCLES not in PMCEID0");
        return;
    }
    pmu_quiesce();
    set_evtyper(3, EVT_P | CPU_CYCLES);          /* not at EL1: we only run at EL1 */
    set_evtyper(4, CPU_CYCLES);                  /* everywhere */
    set_evtyper(5, EVT_U | CPU_CYCLES);          /* not at EL0: counts at EL1 */
    write_sysreg(pmccfiltr_el0, EVT_P);
    write_sysreg(pmcntenset_el0, 0x38 | CYCLE);
    isb_write_pmcr(PMCR_E | PMCR_P | PMCR_C);
    spin();
    isb_write_pmcr(0);
    uint64_t c3 = read_sysreg(pmevcntr3_el0), c4 = read_sysreg(pmevcntr4_el0), c5 = read_sysreg(pmevcntr5_el0);
    EQ(c3, 0, "filter_p_excludes_el1");
    TRUE(c4 >= 1000000, "filter_none_counts_cpu_cycles", c4);
    TRUE(c5 >= 1000000, "filter_u_counts_at_el1", c5);
    EQ(read_sysreg(pmccntr_el0), 0, "pmccfiltr_p_excludes_el1");
    EQ(read_sysreg(pmccfiltr_el0), EVT_P, "pmccfiltr_reads_back");
    pmu_quiesce();
}

/* ---- overflow interrupt: PPI 23 through the GICv3 ---- */

static volatile unsigned irq_count, irq_last;

#define ICC_IAR1_EL1    "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1   "S3_0_C12_C12_1"
#define ICC_SRE_EL1     "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"
#define ICC_PMR_EL1     "S3_0_C4_C6_0"
#define ICC_BPR1_EL1    "S3_0_C12_C12_3"
#define MSR_S(reg, v) __asm__ volatile("msr " reg ", %0" :: "r"((uint64_t)(v)) : "memory")
#define MRS_S(reg) ({ uint64_t v_; __asm__ volatile("mrs %0, " reg : "=r"(v_) :: "memory"); v_; })

static void pmu_irq(void)
{
    uint64_t intid = MRS_S(ICC_IAR1_EL1) & 0xffffff;
    irq_last = (unsigned)intid;
    irq_count++;
    if (intid == PMU_PPI)
        write_sysreg(pmovsclr_el0, ~0ull);     /* the device first: the level drops */
    isb();
    if (intid < 1020)
        MSR_S(ICC_EOIR1_EL1, intid);
    isb();
}

static bool ppi_pending(void) { return mmio_read32(GICR_SGI + 0x200) >> PMU_PPI & 1; }   /* GICR_ISPENDR0 */

static void gic_init_ppi(void)
{
    mmio_write32(GICD_BASE + 0x0, (1u << 4) | (1u << 1) | 1u);   /* GICD_CTLR: ARE, Grp1, Grp0 */
    while (mmio_read32(GICD_BASE + 0x0) >> 31)                   /* RWP */
        ;
    mmio_write32(GICR_BASE + 0x14, mmio_read32(GICR_BASE + 0x14) & ~2u);   /* GICR_WAKER.ProcessorSleep */
    while (mmio_read32(GICR_BASE + 0x14) & 4u)                   /* ChildrenAsleep */
        ;
    mmio_write32(GICR_SGI + 0x80, mmio_read32(GICR_SGI + 0x80) | 1u << PMU_PPI);       /* IGROUPR0: Group 1 */
    *(volatile uint8_t *)(GICR_SGI + 0x400 + PMU_PPI) = 0x80;                           /* IPRIORITYR */
    mmio_write32(GICR_SGI + 0xc04, mmio_read32(GICR_SGI + 0xc04) & ~(3u << 14));      /* ICFGR1: level */
    mmio_write32(GICR_SGI + 0x100, 1u << PMU_PPI);                                     /* ISENABLER0 */
    MSR_S(ICC_SRE_EL1, MRS_S(ICC_SRE_EL1) | 1);
    isb();
    MSR_S(ICC_PMR_EL1, 0xff);
    MSR_S(ICC_BPR1_EL1, 0);
    MSR_S(ICC_IGRPEN1_EL1, 1);
    isb();
}

/* Counter 0 at 0xffffffff counting SW_INCR: one PMSWINC overflows it. */
static void overflow_counter0(void)
{
    write_sysreg(pmevcntr0_el0, 0xffffffffull);
    write_sysreg(pmswinc_el0, 1);
    isb();
}

static void test_overflow_irq(const void *dtb)
{
    static const char *const names[] = { "overflow_irq_needs_pmintenset", "overflow_irq_pending_ppi23",
                                         "overflow_irq_delivered", "overflow_irq_cleared_by_pmovsclr",
                                         "overflow_irq_level_follows_pmovs" };
    if (!fdt_has_compatible(dtb, "arm,gic-v3")) {
        for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            skip(names[i], "no GICv3 in the DTB");
        return;
    }
    pmu_quiesce();
    gic_init_ppi();
    set_evtyper(0, SW_INCR);
    write_sysreg(pmcntenset_el0, 1);
    isb_write_pmcr(PMCR_E);

    overflow_counter0();                           /* interrupts masked (DAIF.I) throughout */
    delay_us(100);
    pcheck((read_sysreg(pmovsset_el0) & 1) && !ppi_pending(), names[0],
           "PMOVSSET 0x%lx, PPI 23 pending %lu (want overflow, not pending)", read_sysreg(pmovsset_el0), ppi_pending());
    write_sysreg(pmintenset_el1, 1);
    isb();
    delay_us(100);
    EQ(ppi_pending(), 1, names[1]);

    irq_count = 0;
    irq_set_handler(pmu_irq);
    __asm__ volatile("msr daifclr, #2" ::: "memory");
    delay_us(2000);
    __asm__ volatile("msr daifset, #2" ::: "memory");
    pcheck(irq_count == 1 && irq_last == PMU_PPI, names[2], "%lu IRQs, last INTID %lu (want 1, 23)", irq_count, irq_last);
    delay_us(100);
    pcheck(!ppi_pending() && !(read_sysreg(pmovsset_el0) & 1), names[3], "pending %lu, PMOVSSET 0x%lx",
           ppi_pending(), read_sysreg(pmovsset_el0));

    /* Clearing PMOVSCLR while masked also drops the line. */
    overflow_counter0();
    delay_us(100);
    bool high = ppi_pending();
    write_sysreg(pmovsclr_el0, 1);
    isb();
    delay_us(100);
    pcheck(high && !ppi_pending(), names[4], "pending before %lu, after %lu", high,
           ppi_pending());
    irq_set_handler(NULL);
    mmio_write32(GICR_SGI + 0x180, 1u << PMU_PPI);                 /* ICENABLER0 */
    pmu_quiesce();
}

/* ---- events the host counts: INST_RETIRED and CPU_CYCLES on physical counters ---- */

/* Exactly 2 instructions per iteration (SUBS, B.NE). */
static void known_loop(uint64_t n)
{
    __asm__ volatile("1: subs %0, %0, #1\n b.ne 1b" : "+r"(n) : : "cc");
}

/* Spins (4 instructions per iteration, no exits) until *flag is set or max iterations. */
static uint64_t spin_until(volatile unsigned *flag, uint64_t max)
{
    uint64_t n = max;
    __asm__ volatile("1: ldr w9, [%1]\n cbnz w9, 2f\n subs %0, %0, #1\n b.ne 1b\n2:"
                     : "+r"(n) : "r"(flag) : "x9", "cc", "memory");
    return max - n;
}

static volatile unsigned ovf_irqs, ovf_intid, ovf_counter;   /* ovf_counter: 31 = PMCCNTR */
static volatile uint64_t ovf_value;

/* Reads the overflowed counter first thing, then clears the overflow and ends the IRQ. */
static void ovf_irq(void)
{
    uint64_t intid = MRS_S(ICC_IAR1_EL1) & 0xffffff;
    if (intid == PMU_PPI) {
        ovf_value = ovf_counter == 31 ? read_sysreg(pmccntr_el0) : read_sysreg(pmevcntr0_el0);
        write_sysreg(pmovsclr_el0, ~0ull);
        isb();
    }
    ovf_intid = (unsigned)intid;
    ovf_irqs++;
    if (intid < 1020)
        MSR_S(ICC_EOIR1_EL1, intid);
    isb();
}

#define LOOP_N     ((uint64_t)1000000)        /* known_loop: 2,000,000 instructions */
#define HVC_CALLS  1000u
#define OVF_AHEAD  ((uint64_t)100000)        /* the counter overflows this many events after the start */

/* Counter 0 (INST_RETIRED) or the cycle counter starts OVF_AHEAD events short of a 32-bit
 * overflow with its interrupt enabled; the guest spins with no exits. The interrupt must come
 * at the overflow (the counter read in the handler just past 2^32), not at some later exit
 * (the hypervisor's 100 Hz tick would be millions of events later). */
static void overflow_while_spinning(unsigned counter, const char *name)
{
    pmu_quiesce();
    uint64_t start = 0x100000000ull - OVF_AHEAD;
    if (counter == 31) {
        write_sysreg(pmccfiltr_el0, EVT_U);
        write_sysreg(pmccntr_el0, start);
    } else {
        write_sysreg(pmevtyper0_el0, EVT_U | INST_RETIRED);
        write_sysreg(pmevcntr0_el0, start);
    }
    ovf_irqs = 0;
    ovf_value = 0;
    ovf_counter = counter;
    write_sysreg(pmintenset_el1, counter == 31 ? CYCLE : 1);
    write_sysreg(pmcntenset_el0, counter == 31 ? CYCLE : 1);
    irq_set_handler(ovf_irq);
    __asm__ volatile("msr daifclr, #2" ::: "memory");
    isb_write_pmcr(PMCR_E);
    uint64_t spun = spin_until(&ovf_irqs, 50000000);
    __asm__ volatile("msr daifset, #2" ::: "memory");
    isb_write_pmcr(0);
    irq_set_handler(NULL);
    uint64_t late = ovf_value - 0x100000000ull;
    pcheck(ovf_irqs == 1 && ovf_intid == PMU_PPI && ovf_value >= 0x100000000ull && late < 20000 &&
           spun < OVF_AHEAD / 4 + 5000, name,
           "counter 0x%lx in the handler (want at most 20000 past 2^32), %lu iterations spun",
           ovf_value, spun);
    pmu_quiesce();
}

static void test_host_events(const void *dtb)
{
    uint64_t ceid0 = read_sysreg(pmceid0_el0);
    TRUE((ceid0 >> INST_RETIRED & 1) && (ceid0 >> CPU_CYCLES & 1), "pmceid0_inst_retired_cpu_cycles", ceid0);

    /* A loop of known length at EL1, counters filtered to EL1 (U set). */
    pmu_quiesce();
    write_sysreg(pmevtyper0_el0, EVT_U | INST_RETIRED);
    write_sysreg(pmevtyper1_el0, EVT_U | CPU_CYCLES);
    write_sysreg(pmcntenset_el0, 0x3);
    isb_write_pmcr(PMCR_E | PMCR_P);
    known_loop(LOOP_N);
    isb_write_pmcr(0);
    uint64_t insns = read_sysreg(pmevcntr0_el0), cycles = read_sysreg(pmevcntr1_el0);
    printf("pmu: known loop of %lu instructions: INST_RETIRED %lu, CPU_CYCLES %lu\n", 2 * LOOP_N, insns, cycles);
    pcheck(insns >= 2 * LOOP_N && insns <= 2 * LOOP_N + 2 * LOOP_N / 100, "inst_retired_counts_known_loop",
           "INST_RETIRED 0x%lx (want 2e6 .. 2.02e6, i.e. within 1%%): 0x%lx", insns, 2 * LOOP_N);
    /* Under -icount shift=0 a cycle is an instruction's nanosecond. */
    pcheck(cycles >= 2 * LOOP_N - 2 * LOOP_N / 100 && cycles <= 2 * LOOP_N + 2 * LOOP_N / 20,
           "cpu_cycles_counts_known_loop", "CPU_CYCLES %lu (want about %lu)", cycles, 2 * LOOP_N);

    /* HVCs: each is hundreds of instructions and cycles at EL2, none of which may count. */
    isb_write_pmcr(PMCR_E | PMCR_P);
    for (unsigned i = 0; i < HVC_CALLS; i++)
        psci_version();
    isb_write_pmcr(0);
    insns = read_sysreg(pmevcntr0_el0);
    cycles = read_sysreg(pmevcntr1_el0);
    printf("pmu: %u HVCs: INST_RETIRED %lu, CPU_CYCLES %lu (EL1 only)\n", HVC_CALLS, insns, cycles);
    pcheck(insns > HVC_CALLS && insns < 64 * HVC_CALLS, "el2_work_not_counted_inst_retired",
           "INST_RETIRED %lu for %lu HVCs (want 1 .. 64 per call: the guest's own code)", insns, HVC_CALLS);
    pcheck(cycles > HVC_CALLS && cycles < 64 * HVC_CALLS, "el2_work_not_counted_cpu_cycles",
           "CPU_CYCLES %lu for %lu HVCs (want 1 .. 64 per call)", cycles, HVC_CALLS);
    pmu_quiesce();

    if (!fdt_has_compatible(dtb, "arm,gic-v3")) {
        skip("overflow_irq_while_spinning_inst_retired", "no GICv3 in the DTB");
        skip("overflow_irq_while_spinning_cycle_counter", "no GICv3 in the DTB");
        return;
    }
    gic_init_ppi();
    /* QEMU's TCG PMU (-cpu max: MIDR implementer 0) arms an event counter's overflow timer
     * one count short (target/arm pmevcntr_op_finish: -(count + 1)) and then never again,
     * so it raises the overflow only at its next PMU update (an EL change or a register
     * access); its cycle counter's timer is exact. */
    if ((read_sysreg(midr_el1) >> 24) == 0)
        skip("overflow_irq_while_spinning_inst_retired",
             "QEMU TCG raises an event counter's overflow only at its next exception or PMU access");
    else
        overflow_while_spinning(0, "overflow_irq_while_spinning_inst_retired");
    overflow_while_spinning(31, "overflow_irq_while_spinning_cycle_counter");
    mmio_write32(GICR_SGI + 0x180, 1u << PMU_PPI);                 /* ICENABLER0 */
}

/* ---- EL0: PMUSERENR_EL0 ---- */

/* One instruction each, at the *_insn label; run at EL0 through el0_call. */
uint64_t el0_read_pmccntr(uint64_t), el0_write_pmswinc(uint64_t), el0_read_pmcr(uint64_t),
    el0_write_pmuserenr(uint64_t), el0_read_pmuserenr(uint64_t), el0_read_pmintenset(uint64_t),
    el0_read_pmevcntr0(uint64_t), el0_write_pmccntr(uint64_t);
extern char el0_read_pmccntr_insn[], el0_write_pmswinc_insn[], el0_read_pmcr_insn[], el0_write_pmuserenr_insn[],
    el0_read_pmintenset_insn[], el0_write_pmccntr_insn[];
#define EL0_PROBE(name, insn) \
    "  .global " #name "\n" #name ":\n  .global " #name "_insn\n" #name "_insn: " insn "\n  ret\n"
__asm__(".text\n"
        EL0_PROBE(el0_read_pmccntr, "mrs x0, pmccntr_el0")
        EL0_PROBE(el0_write_pmswinc, "msr pmswinc_el0, x0")
        EL0_PROBE(el0_read_pmcr, "mrs x0, pmcr_el0")
        EL0_PROBE(el0_write_pmuserenr, "msr pmuserenr_el0, x0")
        EL0_PROBE(el0_read_pmuserenr, "mrs x0, pmuserenr_el0")
        EL0_PROBE(el0_read_pmintenset, "mrs x0, pmintenset_el1")
        EL0_PROBE(el0_read_pmevcntr0, "mrs x0, pmevcntr0_el0")
        EL0_PROBE(el0_write_pmccntr, "msr pmccntr_el0, x0"));

static uint64_t (*el0_fn)(uint64_t);
static uint64_t at_el0(uint64_t arg) { return el0_call(el0_fn, arg); }

/* The ISS of an MRS/MSR (ESR EC 0x18): Op0, Op2, Op1, CRn, Rt = x0, CRm, direction. */
static uint32_t sys_iss(unsigned op1, unsigned crn, unsigned crm, unsigned op2, bool read)
{
    return 3u << 20 | op2 << 17 | op1 << 14 | crn << 10 | crm << 1 | read;
}

/* Runs probe at EL0 and wants exactly one exception of class ec at insn (and, for EC 0x18,
 * the access's own syndrome); returns whether it held. */
static bool el0_expect(uint64_t (*probe)(uint64_t), uint64_t arg, uint32_t ec, const char *insn, uint32_t iss,
                       const char *name)
{
    struct exc_record rec;
    el0_fn = probe;
    bool ok = exc_expect(at_el0, arg, ec, insn, &rec) && (ec != EC_SYS64 || ESR_ISS(rec.esr) == iss);
    ok ? passed++ : failed++;
    return check(ok, name, "esr 0x%lx elr 0x%lx (want ec 0x%x iss 0x%x at %p)", rec.esr, rec.elr, ec, iss, insn);
}

/* Runs probe at EL0 and wants no exception; its result in *out. */
static bool el0_ok(uint64_t (*probe)(uint64_t), uint64_t arg, uint64_t *out)
{
    struct exc_record rec;
    el0_fn = probe;
    unsigned n = exc_catch(at_el0, arg, &rec);
    *out = rec.result;
    if (n)
        printf("  el0 exception: esr 0x%lx elr 0x%lx\n", rec.esr, rec.elr);
    return n == 0;
}

static void test_el0(void)
{
    uint64_t v;
    pmu_quiesce();
    write_sysreg(pmuserenr_el0, 0);
    isb();
    el0_expect(el0_read_pmccntr, 0, EC_SYS64, el0_read_pmccntr_insn, sys_iss(3, 9, 13, 0, true),
               "el0_pmccntr_read_traps_when_pmuserenr_0");
    el0_expect(el0_write_pmswinc, 1, EC_SYS64, el0_write_pmswinc_insn, sys_iss(3, 9, 12, 4, false),
               "el0_pmswinc_traps_when_pmuserenr_0");
    el0_expect(el0_read_pmcr, 0, EC_SYS64, el0_read_pmcr_insn, sys_iss(3, 9, 12, 0, true),
               "el0_pmcr_read_traps_when_pmuserenr_0");
    pcheck(el0_ok(el0_read_pmuserenr, 0, &v) && v == 0, "el0_pmuserenr_readable", "value 0x%lx (want 0x%lx)", v, 0);
    el0_expect(el0_write_pmuserenr, USERENR_EN, EC_UNKNOWN, el0_write_pmuserenr_insn, 0,
               "el0_pmuserenr_write_undefined");
    EQ(read_sysreg(pmuserenr_el0), 0, "el0_pmuserenr_write_had_no_effect");

    /* EN: everything but the EL1 registers. */
    write_sysreg(pmuserenr_el0, USERENR_EN);
    write_sysreg(pmccntr_el0, 0x1234);          /* the cycle counter is disabled: it stays */
    set_evtyper(0, SW_INCR);
    write_sysreg(pmcntenset_el0, 1);
    isb_write_pmcr(PMCR_E | PMCR_P);
    isb();
    pcheck(el0_ok(el0_read_pmccntr, 0, &v) && v == 0x1234, "el0_pmccntr_read_with_en", "value 0x%lx (want 0x%lx)", v,
           0x1234);
    pcheck(el0_ok(el0_write_pmswinc, 1, &v) && read_sysreg(pmevcntr0_el0) == 1, "el0_pmswinc_with_en",
           "counter 0 = 0x%lx (want 0x%lx)", read_sysreg(pmevcntr0_el0), 1);
    el0_expect(el0_read_pmintenset, 0, EC_UNKNOWN, el0_read_pmintenset_insn, 0, "el0_pmintenset_el1_undefined");

    /* CR: PMCCNTR reads only. */
    write_sysreg(pmuserenr_el0, USERENR_CR);
    isb();
    pcheck(el0_ok(el0_read_pmccntr, 0, &v) && v == 0x1234, "el0_pmccntr_read_with_cr", "value 0x%lx (want 0x%lx)", v,
           0x1234);
    el0_expect(el0_write_pmccntr, 0, EC_SYS64, el0_write_pmccntr_insn, sys_iss(3, 9, 13, 0, false),
               "el0_pmccntr_write_traps_with_cr_only");
    el0_expect(el0_read_pmcr, 0, EC_SYS64, el0_read_pmcr_insn, sys_iss(3, 9, 12, 0, true),
               "el0_pmcr_read_traps_with_cr_only");

    /* SW: PMSWINC writes. ER: event counter reads. */
    write_sysreg(pmuserenr_el0, USERENR_SW | USERENR_ER);
    isb();
    pcheck(el0_ok(el0_write_pmswinc, 1, &v) && read_sysreg(pmevcntr0_el0) == 2, "el0_pmswinc_with_sw",
           "counter 0 = 0x%lx (want 0x%lx)", read_sysreg(pmevcntr0_el0), 2);
    pcheck(el0_ok(el0_read_pmevcntr0, 0, &v) && v == 2, "el0_pmevcntr_read_with_er", "value 0x%lx (want 0x%lx)", v, 2);
    el0_expect(el0_read_pmccntr, 0, EC_SYS64, el0_read_pmccntr_insn, sys_iss(3, 9, 13, 0, true),
               "el0_pmccntr_read_traps_without_cr");
    pmu_quiesce();
}

/* ---- reset state ---- */

enum { R_PMCR, R_CNTEN, R_INTEN, R_OVS, R_USERENR, R_SELR, R_EVTYPER0, R_EVCNTR0, R_CCFILTR, R_CCNTR, R_COUNT };
static const char *const reg_names[R_COUNT] = { "PMCR", "PMCNTENSET", "PMINTENSET", "PMOVSSET", "PMUSERENR",
                                                "PMSELR", "PMEVTYPER0", "PMEVCNTR0", "PMCCFILTR", "PMCCNTR" };

static void read_state(volatile uint64_t *r)
{
    r[R_PMCR] = read_sysreg(pmcr_el0) & 0xff;   /* E, D, LC, LP, ... (N and IMP are fixed) */
    r[R_CNTEN] = read_sysreg(pmcntenset_el0);
    r[R_INTEN] = read_sysreg(pmintenset_el1);
    r[R_OVS] = read_sysreg(pmovsset_el0);
    r[R_USERENR] = read_sysreg(pmuserenr_el0);
    r[R_SELR] = read_sysreg(pmselr_el0);
    r[R_EVTYPER0] = read_sysreg(pmevtyper0_el0);
    r[R_EVCNTR0] = read_sysreg(pmevcntr0_el0);
    r[R_CCFILTR] = read_sysreg(pmccfiltr_el0);
    r[R_CCNTR] = read_sysreg(pmccntr_el0);
}

/* Everything away from its reset value. */
static void dirty_state(void)
{
    write_sysreg(pmevtyper0_el0, EVT_U | CPU_CYCLES);
    write_sysreg(pmevcntr0_el0, 0x1234);
    write_sysreg(pmccfiltr_el0, EVT_P);
    write_sysreg(pmccntr_el0, 0x5678);
    write_sysreg(pmcntenset_el0, 0x3f | CYCLE);
    write_sysreg(pmintenset_el1, 0x3);
    write_sysreg(pmovsset_el0, 0x2);         /* with PMINTENSET<1> and PMCR.E: line high */
    write_sysreg(pmuserenr_el0, 0xf);
    write_sysreg(pmselr_el0, 3);
    isb_write_pmcr(PMCR_E | PMCR_D | PMCR_LC | (pmuver() >= 6 ? PMCR_LP : 0));
}

/* Reset values: PMCR.E is 0 architecturally; the rest is UNKNOWN in the Arm ARM and 0 both in
 * QEMU and in the hypervisor's emulation. */
static bool state_is_reset(const volatile uint64_t *r, char *why, size_t len)
{
    for (unsigned i = 0; i < R_COUNT; i++)
        if (r[i] != 0) {
            snprintf(why, len, "%s = 0x%lx", reg_names[i], r[i]);
            return false;
        }
    return true;
}

static volatile uint64_t sec_state[R_COUNT];
static volatile uint64_t sec_done, sec_line_dirty, sec_line_reset;

/* PPI 23 pending on this CPU's own redistributor (GICR_ISPENDR0; QEMU virt: 128 KiB each).
 * For a level PPI that is the overflow line's level: PMINTENSET is never enabled there. */
static uint64_t own_ppi_pending(void)
{
    return mmio_read32(GICR_BASE + 0x20000ul * cpu_index() + 0x10000 + 0x200) >> PMU_PPI & 1;
}

void secondary_main(uint64_t context)
{
    if (context == 1) {
        dirty_state();                       /* then CPU_OFF (rt) */
        shared_store(&sec_line_dirty, own_ppi_pending());
    } else {
        /* The line first: any PMU register access below makes the hypervisor recompute it. */
        shared_store(&sec_line_reset, own_ppi_pending());
        uint64_t r[R_COUNT];
        read_state(r);
        for (unsigned i = 0; i < R_COUNT; i++)
            shared_store(&sec_state[i], r[i]);
    }
    shared_store(&sec_done, context);
}

static bool wait_off(uint64_t target)
{
    for (int i = 0; i < 100000; i++) {
        if (psci_affinity_info(target) == AFFINITY_OFF)
            return true;
        delay_us(10);
    }
    return false;
}

static void test_reset_cpu_on(const void *dtb)
{
    uint64_t mpidrs[2];
    if (fdt_cpus(dtb, mpidrs, 2) < 2) {
        skip("reset_after_cpu_off_on", "one CPU");
        return;
    }
    shared_store(&sec_done, 0);
    bool ok = psci_cpu_on_entry(mpidrs[1], 1) == PSCI_SUCCESS && shared_wait(&sec_done, 1, 2000000) &&
              wait_off(mpidrs[1]);
    ok = ok && psci_cpu_on_entry(mpidrs[1], 2) == PSCI_SUCCESS && shared_wait(&sec_done, 2, 2000000) &&
         wait_off(mpidrs[1]);
    char why[64] = "CPU_ON / CPU_OFF failed";
    uint64_t r[R_COUNT];
    for (unsigned i = 0; i < R_COUNT; i++)
        r[i] = shared_load(&sec_state[i]);
    ok = ok && state_is_reset(r, why, sizeof(why));
    /* The reset must also lower the overflow line it found high (the vCPU reset path that
     * takes the vGIC's lock, which must run outside any other lock): proven only if it was. */
    uint64_t before = shared_load(&sec_line_dirty), after = shared_load(&sec_line_reset);
    if (ok && (before != 1 || after != 0)) {
        snprintf(why, sizeof(why), "overflow PPI pending %lu before CPU_OFF (want 1), %lu after (want 0)",
                 before, after);
        ok = false;
    }
    ok ? passed++ : failed++;
    check(ok, "reset_after_cpu_off_on", "%s", why);
}

int main(void *dtb)
{
    volatile uint64_t *m = MARKER;
    if (m[0] == MARKER_MAGIC) {             /* after our SYSTEM_RESET */
        unsigned first_passed = (unsigned)m[1], first_failed = (unsigned)m[2];
        m[0] = 0;
        dsb(sy);
        printf("pmu: after SYSTEM_RESET (first boot: passed=%u failed=%u)\n", first_passed, first_failed);
        uint64_t r[R_COUNT];
        char why[64] = "";
        read_state(r);
        check(state_is_reset(r, why, sizeof(why)), "reset_after_system_reset", "%s", why);
        check(first_failed == 0 && first_passed > 0, "first_boot_all_passed", "passed=%u failed=%u", first_passed,
              first_failed);
        return 0;
    }
    puts("pmu: start\n");
    test_identification();
    test_cycle_counter();
    test_swincr();
    test_chain();
    test_filtering();
    test_overflow_irq(dtb);
    test_host_events(dtb);
    test_el0();
    test_reset_cpu_on(dtb);

    dirty_state();
    m[1] = passed;
    m[2] = failed;
    m[0] = MARKER_MAGIC;
    dsb(sy);
    puts("pmu: calling SYSTEM_RESET\n");
    int32_t ret = psci_system_reset();
    check(false, "system_reset", "SYSTEM_RESET returned %d", ret);
    return 0;
}
