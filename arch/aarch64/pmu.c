/* pmu.c: PMUv3p5 counter arithmetic for the guest's PMU: enables, EL filtering, SW_INCR,
 * CPU_CYCLES, 32/64-bit overflow and CHAIN (Arm ARM D11, and the pseudocode of
 * AArch64.IncrementEventCounter / PMUEvent / CountPMUEvents), and which counters the host
 * PMU backs with what programming. Pure: no system registers. */
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
    uint32_t backed = pmu_backed(p);
    if (pmu_counter_enabled(p, PMU_CYCLE_IDX) && !(backed >> PMU_CYCLE_IDX & 1) &&
        !filtered(p, p->ccfiltr, el))
        cycle_counter_count(p, cycles);
    for (uint32_t i = 0; i < PMU_COUNTER_COUNT; i++)
        if (!(backed >> i & 1))
            event_count(p, PMU_EVENT_CPU_CYCLES, cycles, i, el);
}

bool pmu_counts_cycles(const struct pmu *p)
{
    if (!(p->pmcr & PMCR_E))
        return false;
    uint32_t emulated = p->cnten & ~pmu_backed(p);
    if (emulated >> PMU_CYCLE_IDX & 1)
        return true;
    for (uint32_t i = 0; i < PMU_COUNTER_COUNT; i++)
        if ((emulated >> i & 1) && (p->evtyper[i] & PMEVTYPER_EVTCOUNT) == PMU_EVENT_CPU_CYCLES)
            return true;
    return false;
}

/* ---- backing by the host PMU ---------------------------------------------------------- */

/* PMCEID0/1 bit of a common event (Arm ARM D17.5.1): events 0x0000-0x001f are PMCEID0[31:0],
 * 0x0020-0x003f PMCEID1[31:0], 0x4000-0x401f PMCEID0[63:32], 0x4020-0x403f PMCEID1[63:32].
 * False for any other number (no bit says whether it is counted). */
static bool pmceid_bit(uint32_t event, uint32_t *which, uint32_t *bit)
{
    uint32_t base = event & ~0x403fu ? 0xffffffffu : (event & 0x4000u ? 32u : 0u);
    if (base == 0xffffffffu)
        return false;
    *which = (event >> 5) & 1;
    *bit = base + (event & 0x1f);
    return true;
}

bool pmu_host_counts(const struct pmu_host *h, uint32_t event)
{
    uint32_t which, bit;
    if (h->counters == 0 || event == PMU_EVENT_SW_INCR || event == PMU_EVENT_CHAIN ||
        !pmceid_bit(event, &which, &bit))
        return false;                /* SW_INCR and CHAIN are emulated (PMSWINC traps) */
    return h->pmceid[which] >> bit & 1;
}

uint64_t pmu_pmceid(const struct pmu_config *cfg, uint32_t which)
{
    const struct pmu_host *h = &cfg->host;
    uint64_t host = h->counters ? h->pmceid[which & 1] : 0;
    if (which == 0)
        return PMU_PMCEID0_EMULATED | host;
    return host;
}

uint32_t pmu_backed(const struct pmu *p)
{
    const struct pmu_host *h = &p->cfg.host;
    if (!h->present)
        return 0;
    uint32_t mask = 1u << PMU_CYCLE_IDX;
    for (uint32_t i = 0; i < PMU_COUNTER_COUNT && i < h->counters; i++)
        if (pmu_host_counts(h, (uint32_t)(p->evtyper[i] & PMEVTYPER_EVTCOUNT)))
            mask |= 1u << i;
    return mask;
}

uint32_t pmu_hw_enabled(const struct pmu *p)
{
    return (p->pmcr & PMCR_E) ? p->cnten & pmu_backed(p) : 0;
}

/* The host counts at EL1 unless P and at EL0 unless U; NSK/NSU equal to them make a host
 * with EL3 agree (Non-secure ELs count when NSK == P, NSU == U); NSH and M stay 0. */
static uint64_t hw_filter(const struct pmu *p, uint64_t guest_filter)
{
    uint64_t f = 0;
    if (filtered(p, guest_filter, PMU_EL1))
        f |= PMEVTYPER_P | PMEVTYPER_NSK;
    if (filtered(p, guest_filter, PMU_EL0))
        f |= PMEVTYPER_U | PMEVTYPER_NSU;
    return f;
}

uint64_t pmu_hw_evtyper(const struct pmu *p, uint32_t n)
{
    return hw_filter(p, p->evtyper[n]) | (p->evtyper[n] & PMEVTYPER_EVTCOUNT);
}

uint64_t pmu_hw_ccfiltr(const struct pmu *p)
{
    return hw_filter(p, p->ccfiltr);
}

uint64_t pmu_hw_pmcr(const struct pmu *p)
{
    return (p->pmcr & (PMCR_E | PMCR_D | PMCR_LC | PMCR_LP)) | PMCR_DP;
}

uint64_t pmu_hw_delta(const struct pmu_host *h, uint32_t idx, uint64_t before, uint64_t after)
{
    uint64_t d = after - before;
    return idx == PMU_CYCLE_IDX || h->wide ? d : (uint32_t)d;   /* PMUv3 before p5: 32 bits */
}

void pmu_hw_fold(struct pmu *p, uint32_t idx, uint64_t delta, enum pmu_el el)
{
    if (delta == 0)
        return;
    if (idx == PMU_CYCLE_IDX) {
        uint64_t old = p->ccntr, new = old + delta;   /* PMCR.D was applied by the host */
        p->ccntr = new;
        if (overflows(old, new, p->pmcr & PMCR_LC))
            p->ovs |= 1u << PMU_CYCLE_IDX;
    } else if (idx < PMU_COUNTER_COUNT) {
        event_increment(p, idx, delta, el);
    }
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
