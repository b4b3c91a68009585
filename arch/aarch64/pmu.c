/* pmu.c: PMUv3p5 counter arithmetic for the emulated PMU: enables, EL filtering, SW_INCR,
 * CPU_CYCLES, 32/64-bit overflow and CHAIN (Arm ARM D11, and the pseudocode of
 * AArch64.IncrementEventCounter / PMUEvent / CountPMUEvents). Pure: no system registers. */
#include "pmu.h"

void pmu_reset(struct pmu *p, const struct pmu_config *cfg)
{
    *p = (struct pmu){ .cfg = *cfg };
    if (cfg->lc_res1)
        p->pmcr = PMCR_LC;
}

uint64_t pmu_pmcr_read(const struct pmu *p)
{
    return (p->pmcr & PMCR_STORED) | (uint64_t)PMU_COUNTER_COUNT << PMCR_N_SHIFT;
}

void pmu_pmcr_write(struct pmu *p, uint64_t value)
{
    if (value & PMCR_P)
        for (uint32_t i = 0; i < PMU_COUNTER_COUNT; i++)
            p->evcntr[i] = 0;                  /* all 64 bits (PMUv3p5) */
    if (value & PMCR_C) {
        p->ccntr = 0;
        p->ccnt_prescale = 0;
    }
    p->pmcr = (value & PMCR_STORED) | (p->cfg.lc_res1 ? PMCR_LC : 0);
}

static uint64_t filter_mask(const struct pmu *p)
{
    return PMEVTYPER_P | PMEVTYPER_U | (p->cfg.has_el3 ? PMEVTYPER_NSK | PMEVTYPER_NSU : 0);
}

void pmu_evtyper_write(struct pmu *p, uint32_t n, uint64_t value)
{
    p->evtyper[n] = value & (filter_mask(p) | PMEVTYPER_EVTCOUNT);
}

void pmu_ccfiltr_write(struct pmu *p, uint64_t value)
{
    p->ccfiltr = value & filter_mask(p);
}

bool pmu_counter_enabled(const struct pmu *p, uint32_t idx)
{
    return (p->pmcr & PMCR_E) && (p->cnten >> idx & 1);
}

/* Whether a filter (PMEVTYPER / PMCCFILTR) excludes `el`. The guest is Non-secure: with EL3
 * present it counts at EL1 when P == NSK and at EL0 when U == NSU; without, P and U decide. */
static bool filtered(const struct pmu *p, uint64_t filter, enum pmu_el el)
{
    bool exclude = filter & (el == PMU_EL1 ? PMEVTYPER_P : PMEVTYPER_U);
    if (!p->cfg.has_el3)
        return exclude;
    bool ns = filter & (el == PMU_EL1 ? PMEVTYPER_NSK : PMEVTYPER_NSU);
    return exclude != ns;
}

/* A counter of `width` bits (32 or 64) overflows when the increment carries out of bit
 * width-1; the register keeps all 64 bits either way (PMUv3p5; PMCCNTR always). */
static bool overflows(uint64_t old, uint64_t new, bool wide)
{
    bool carry64 = new < old;
    return wide ? carry64 : carry64 || (old >> 32) != (new >> 32);
}

static void event_count(struct pmu *p, uint32_t event, uint64_t inc, uint32_t idx, enum pmu_el el);

/* AArch64.IncrementEventCounter: overflow sets PMOVSSET<idx>; an even counter's 32-bit
 * overflow is a CHAIN event for the odd counter above it (none when LP makes them 64-bit). */
static void event_increment(struct pmu *p, uint32_t idx, uint64_t inc, enum pmu_el el)
{
    uint64_t old = p->evcntr[idx], new = old + inc;
    bool wide = p->pmcr & PMCR_LP;
    p->evcntr[idx] = new;
    if (!overflows(old, new, wide))
        return;
    p->ovs |= 1u << idx;
    if (!(idx & 1) && idx + 1 < PMU_COUNTER_COUNT && !wide)
        event_count(p, PMU_EVENT_CHAIN, 1, idx + 1, el);
}

/* PMUEvent: counter idx counts `event` if enabled, programmed with it and not filtered. */
static void event_count(struct pmu *p, uint32_t event, uint64_t inc, uint32_t idx, enum pmu_el el)
{
    uint64_t type = p->evtyper[idx];
    if (pmu_counter_enabled(p, idx) && (type & PMEVTYPER_EVTCOUNT) == event && !filtered(p, type, el))
        event_increment(p, idx, inc, el);
}

void pmu_swinc(struct pmu *p, uint64_t mask, enum pmu_el el)
{
    for (uint32_t i = 0; i < PMU_COUNTER_COUNT; i++)
        if (mask >> i & 1)
            event_count(p, PMU_EVENT_SW_INCR, 1, i, el);
}

/* PMCCNTR: every cycle, or every 64th with PMCR.D (ignored when LC is set); overflow at 32
 * bits unless PMCR.LC. */
static void cycle_counter_count(struct pmu *p, uint64_t cycles)
{
    uint64_t inc = cycles;
    if ((p->pmcr & (PMCR_D | PMCR_LC)) == PMCR_D) {
        uint64_t total = p->ccnt_prescale + cycles;
        inc = total / 64;
        p->ccnt_prescale = (uint32_t)(total % 64);
    }
    uint64_t old = p->ccntr, new = old + inc;
    p->ccntr = new;
    if (overflows(old, new, p->pmcr & PMCR_LC))
        p->ovs |= 1u << PMU_CYCLE_IDX;
}

void pmu_count_cycles(struct pmu *p, uint64_t cycles, enum pmu_el el)
{
    if (!(p->pmcr & PMCR_E) || cycles == 0)
        return;
    if (pmu_counter_enabled(p, PMU_CYCLE_IDX) && !filtered(p, p->ccfiltr, el))
        cycle_counter_count(p, cycles);
    for (uint32_t i = 0; i < PMU_COUNTER_COUNT; i++)
        event_count(p, PMU_EVENT_CPU_CYCLES, cycles, i, el);
}

bool pmu_counts_cycles(const struct pmu *p)
{
    if (!(p->pmcr & PMCR_E))
        return false;
    if (p->cnten >> PMU_CYCLE_IDX & 1)
        return true;
    for (uint32_t i = 0; i < PMU_COUNTER_COUNT; i++)
        if ((p->cnten >> i & 1) && (p->evtyper[i] & PMEVTYPER_EVTCOUNT) == PMU_EVENT_CPU_CYCLES)
            return true;
    return false;
}

/* CheckForPMUOverflow: with no EL2 counters (HPMN = N) every counter is gated by PMCR.E. */
bool pmu_irq_level(const struct pmu *p)
{
    return (p->pmcr & PMCR_E) && (p->ovs & p->inten) != 0;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

void pmu_clock_init(struct pmu_clock *c, uint64_t counter_hz)
{
    if (counter_hz == 0) {
        *c = (struct pmu_clock){ .mul = 0, .div = 1 };
        return;
    }
    uint64_t g = gcd(PMU_CLOCK_HZ, counter_hz);
    *c = (struct pmu_clock){ .mul = PMU_CLOCK_HZ / g, .div = counter_hz / g };
}

/* ticks * mul / div without 128-bit arithmetic: (ticks % div) * mul < div * mul, which fits
 * in 64 bits for any counter frequency below 18 GHz. QEMU's 62.5 MHz gives mul 16, div 1. */
uint64_t pmu_clock_cycles(struct pmu_clock *c, uint64_t ticks)
{
    if (c->div == 1)
        return ticks * c->mul;
    uint64_t r = (ticks % c->div) * c->mul + c->frac;
    c->frac = r % c->div;
    return (ticks / c->div) * c->mul + r / c->div;
}
