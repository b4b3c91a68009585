/* pmu.h: the PMUv3p5 of one vCPU (Arm ARM D11 "The Performance Monitors Extension"): pure
 * register and counter arithmetic, no system-register access, so it is unit-tested on the
 * host. Counters whose event the host PMU counts are backed by the physical counter of the
 * same index (pmu_backed; the values to program and the folding of what they counted are
 * here too); SW_INCR, CHAIN and, without a host counter, CPU_CYCLES are emulated.
 * pmu_sysreg.c connects it to the guest's trapped accesses, the world switch and the
 * physical PMU. */
#ifndef AARCH64_PMU_H
#define AARCH64_PMU_H

#include <stdbool.h>
#include <stdint.h>

#define PMU_PMUVER        6          /* ID_AA64DFR0_EL1.PMUVer: FEAT_PMUv3p5 (64-bit counters, PMCR.LP) */
#define PMU_COUNTER_COUNT 6u         /* PMCR_EL0.N: event counters 0..5, as QEMU's -cpu max */
#define PMU_CYCLE_IDX     31u        /* the cycle counter's bit in PMCNTEN, PMINTEN, PMOVS */
#define PMU_COUNTER_MASK  (((1u << PMU_COUNTER_COUNT) - 1) | 1u << PMU_CYCLE_IDX)

/* PMCR_EL0 (D17.5.7). P and C are write-only actions; N reads PMU_COUNTER_COUNT. */
#define PMCR_E       (1ull << 0)      /* enable all counters */
#define PMCR_P       (1ull << 1)      /* event counters reset to 0 */
#define PMCR_C       (1ull << 2)      /* cycle counter reset to 0 */
#define PMCR_D       (1ull << 3)      /* cycle counter counts every 64th cycle (when LC is 0) */
#define PMCR_X       (1ull << 4)      /* event export: none here, RAZ/WI */
#define PMCR_DP      (1ull << 5)      /* no counting-prohibited regions for a Non-secure guest: stored only */
#define PMCR_LC      (1ull << 6)      /* cycle counter overflows at 64 bits instead of 32 */
#define PMCR_LP      (1ull << 7)      /* event counters overflow at 64 bits instead of 32 (PMUv3p5) */
#define PMCR_N_SHIFT 11
#define PMCR_STORED  (PMCR_E | PMCR_D | PMCR_DP | PMCR_LC | PMCR_LP)

/* PMUSERENR_EL0 (D17.5.19): EL0 access enables. */
#define PMUSERENR_EN (1u << 0)        /* everything but the EL1-only registers */
#define PMUSERENR_SW (1u << 1)        /* PMSWINC_EL0 writes */
#define PMUSERENR_CR (1u << 2)        /* PMCCNTR_EL0 reads */
#define PMUSERENR_ER (1u << 3)        /* event counter reads, PMSELR_EL0 */
#define PMUSERENR_MASK 0xfu

/* PMEVTYPER<n>_EL0 and PMCCFILTR_EL0 (D17.5.10, D17.5.3): filter bits and the event number.
 * NSK/NSU exist only when EL3 does; NSH, M, SH are RES0 for a guest without EL2/Secure state. */
#define PMEVTYPER_P        (1ull << 31)   /* do not count at EL1 */
#define PMEVTYPER_U        (1ull << 30)   /* do not count at EL0 */
#define PMEVTYPER_NSK      (1ull << 29)   /* Non-secure EL1 counts when NSK == P */
#define PMEVTYPER_NSU      (1ull << 28)   /* Non-secure EL0 counts when NSU == U */
#define PMEVTYPER_NSH      (1ull << 27)   /* EL2 counts when set: never for a guest's counter */
#define PMEVTYPER_EVTCOUNT 0xffffull      /* 16-bit event numbers (PMUv3p1 and later) */

/* Common architectural events (Arm ARM D11.11). SW_INCR and CHAIN are always emulated, and
 * CPU_CYCLES is (from the generic counter) when no host counter backs it; PMCEID0/1 list
 * those plus what the host's own PMCEID0/1 say it counts (pmu_pmceid). */
#define PMU_EVENT_SW_INCR      0x00
#define PMU_EVENT_INST_RETIRED 0x08
#define PMU_EVENT_CPU_CYCLES   0x11
#define PMU_EVENT_CHAIN        0x1e
#define PMU_PMCEID0_EMULATED ((1ull << PMU_EVENT_SW_INCR) | (1ull << PMU_EVENT_CPU_CYCLES) | \
                              (1ull << PMU_EVENT_CHAIN))

/* The nominal CPU clock CPU_CYCLES counts: 1 GHz, derived from the generic counter. */
#define PMU_CLOCK_HZ 1000000000ull

enum pmu_el { PMU_EL0, PMU_EL1 };

/* The host's PMU as seen from EL2 (all zero: none usable, everything emulated). */
struct pmu_host {
    bool present;             /* PMUv3: its PMCCNTR_EL0 backs the guest's cycle counter */
    bool wide;                /* PMUv3p5: event counters are 64 bits (else 32) */
    uint32_t counters;        /* its PMCR_EL0.N: physical event counters 0..N-1 */
    uint64_t pmceid[2];       /* its PMCEID0/1_EL0: the events it counts */
};

/* Properties of the CPU the guest sees, fixed at vCPU creation. */
struct pmu_config {
    bool has_el3;             /* ID_AA64PFR0_EL1.EL3 != 0: the NSK/NSU filter bits exist */
    bool lc_res1;             /* no AArch32 at EL0: PMCR_EL0.LC is RES1 */
    struct pmu_host host;
};

/* Converts generic-counter ticks into CPU_CYCLES at PMU_CLOCK_HZ exactly: ticks * mul / div,
 * the remainder carried to the next call, integer only (no FP at EL2). */
struct pmu_clock {
    uint64_t mul, div;        /* PMU_CLOCK_HZ / freq as a reduced fraction */
    uint64_t frac;            /* remainder (< div) of the last conversion */
};

/* One vCPU's PMU. Each field is touched only by the vCPU's own pCPU (trap handlers and the
 * world switch run there), so no lock. */
struct pmu {
    struct pmu_config cfg;
    uint64_t pmcr;            /* PMCR_STORED bits only */
    uint32_t cnten;           /* PMCNTENSET/CLR: bit n event counter n, bit 31 the cycle counter */
    uint32_t inten;           /* PMINTENSET/CLR */
    uint32_t ovs;             /* PMOVSSET/CLR */
    uint32_t selr;            /* PMSELR_EL0.SEL */
    uint32_t userenr;         /* PMUSERENR_EL0 */
    uint32_t ccnt_prescale;   /* PMCR.D: cycles seen toward the next count (0..63) */
    uint64_t ccfiltr;         /* PMCCFILTR_EL0 */
    uint64_t ccntr;           /* PMCCNTR_EL0, always 64 bits */
    uint64_t evtyper[PMU_COUNTER_COUNT];
    uint64_t evcntr[PMU_COUNTER_COUNT];   /* 64 bits (PMUv3p5) */
};

/* A vCPU's PMU with what the world switch needs (pmu_sysreg.c). */
struct vpmu {
    struct pmu regs;
    struct pmu_clock clock;
    uint64_t entry_count;     /* CNTPCT_EL0 at the last guest entry */
    bool irq_level;           /* what was last given to vgic_set_ppi_level for PPI 23 */
    uint64_t irq_raised;      /* times PPI 23 went high (statistics; atomic for readers) */
    /* Backed counters: the raw physical value last written or read, and the guest value it
     * stood for then (while it still does, the entry need not write it again). */
    uint64_t hw_raw[PMU_COUNTER_COUNT + 1], hw_guest[PMU_COUNTER_COUNT + 1];   /* [N]: cycles */
};

/* Architectural reset (Arm ARM D11: PMCR_EL0.E resets to 0; the rest is UNKNOWN and is 0 here,
 * as QEMU does, with LC set when it is RES1). */
void pmu_reset(struct pmu *p, const struct pmu_config *cfg);

uint64_t pmu_pmcr_read(const struct pmu *p);
void pmu_pmcr_write(struct pmu *p, uint64_t value);     /* P and C act, E/D/DP/LC/LP stored */

/* PMEVTYPER<n> / PMCCFILTR: only the bits that exist are kept. n < PMU_COUNTER_COUNT. */
void pmu_evtyper_write(struct pmu *p, uint32_t n, uint64_t value);
void pmu_ccfiltr_write(struct pmu *p, uint64_t value);

/* PMSWINC_EL0 written at `el`: SW_INCR on each selected, enabled, unfiltered counter. */
void pmu_swinc(struct pmu *p, uint64_t mask, enum pmu_el el);

/* `cycles` CPU cycles passed while the guest ran at `el`: the cycle counter and every event
 * counter counting CPU_CYCLES advance, if enabled, not filtered out and not backed by a
 * host counter (pmu_backed: those count themselves). */
void pmu_count_cycles(struct pmu *p, uint64_t cycles, enum pmu_el el);

/* Whether a counter counts at all now (PMCR.E and its PMCNTENSET bit). */
bool pmu_counter_enabled(const struct pmu *p, uint32_t idx);
/* Whether an emulated (not backed) counter would count CPU_CYCLES (a cheap test for the world
 * switch). */
bool pmu_counts_cycles(const struct pmu *p);

/* The overflow interrupt request (level): PMCR.E and an overflow with its interrupt enabled. */
bool pmu_irq_level(const struct pmu *p);

/* PMCEID0_EL0 (which 0) or PMCEID1_EL0 (which 1): the emulated events and those the host
 * counts on an event counter. */
uint64_t pmu_pmceid(const struct pmu_config *cfg, uint32_t which);
/* Whether the host PMU counts `event` (a 16-bit event number) on its event counters. */
bool pmu_host_counts(const struct pmu_host *h, uint32_t event);

/* The counters (bit n event counter n, bit 31 the cycle counter) the host backs now: the
 * physical counter of the same index counts for them, with the guest's event and its EL
 * filter, never at EL2. */
uint32_t pmu_backed(const struct pmu *p);
/* Of those, the ones counting now (PMCR.E and PMCNTENSET): what to enable physically. */
uint32_t pmu_hw_enabled(const struct pmu *p);
/* What to write to the physical PMEVTYPER<n>_EL0 / PMCCFILTR_EL0 / PMCR_EL0: the guest's
 * event, P/U (and NSK/NSU equal to them) saying exactly the ELs the guest's filter counts,
 * NSH clear (Arm ARM D17.5.10: EL2 counts only when NSH is 1); PMCR's E, D, LC, LP as the
 * guest's, DP set (no cycle counting where counting is prohibited, i.e. EL2 with HPMD). */
uint64_t pmu_hw_evtyper(const struct pmu *p, uint32_t n);
uint64_t pmu_hw_ccfiltr(const struct pmu *p);
uint64_t pmu_hw_pmcr(const struct pmu *p);
/* A backed counter (idx < N or PMU_CYCLE_IDX) counted `delta` on the host while the guest
 * ran, last at `el`: added with the guest's overflow width, PMOVS and CHAIN as for an
 * emulated count. */
void pmu_hw_fold(struct pmu *p, uint32_t idx, uint64_t delta, enum pmu_el el);
/* The difference between two raw physical values of counter idx, modulo its host width. */
uint64_t pmu_hw_delta(const struct pmu_host *h, uint32_t idx, uint64_t before, uint64_t after);

void pmu_clock_init(struct pmu_clock *c, uint64_t counter_hz);
uint64_t pmu_clock_cycles(struct pmu_clock *c, uint64_t ticks);

#endif
