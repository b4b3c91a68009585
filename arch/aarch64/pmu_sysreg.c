/* pmu_sysreg.c: the guest's PMU as KVM's pmu-emul gives it: MDCR_EL2.TPM/TPMCR trap every
 * PMU register access (one table row per register below, over the model in pmu.c). Where the
 * host PMU counts a counter's event, the physical counter of the same index counts for it
 * while the guest runs, filtered to the guest's ELs (never EL2), and is folded back into the
 * model at each exit; its overflow interrupt (host PPI 23) is itself an exit, after which the
 * guest's PPI 23 is raised through the vGIC. Without a host counter, CPU_CYCLES advance from
 * the time spent in the guest at each world switch. */
#include "arch.h"
#include "arch_guest.h"
#include "guest.h"
#include "host_irq.h"
#include "pmu.h"
#include "sysreg_table.h"
#include "vgic.h"

#define ID_PMUVER(dfr0) BITS(dfr0, 11, 8)
#define PMUVER_V3P1 4
#define PMUVER_V3P5 6

/* MDCR_EL2 (D17.2.86): HPMD (PMUv3p1) prohibits event counting at EL2 and HCCD (PMUv3p5)
 * cycle counting; HPMN = the host's N keeps every physical counter under PMCR_EL0.E. */
#define MDCR_HPMN_MASK 0x1full
#define MDCR_HPMD (1ull << 17)
#define MDCR_HCCD (1ull << 23)

/* Only a CPU with PMUv3 has the PMU registers that MDCR_EL2.TPM traps (otherwise they are
 * unallocated and UNDEFINED at EL1 without reaching EL2), so only then is a PMU emulated. */
bool pmu_host_has_pmuv3(void)
{
    uint64_t ver = ID_PMUVER(read_sysreg(id_aa64dfr0_el1));
    return ver != 0 && ver != 0xf;
}

/* The host PMU as the guest's counters may use it. */
static struct pmu_host host_pmu(void)
{
    if (!pmu_host_has_pmuv3())
        return (struct pmu_host){ 0 };
    uint64_t ver = ID_PMUVER(read_sysreg(id_aa64dfr0_el1));
    return (struct pmu_host){
        .present = true,
        .wide = ver >= PMUVER_V3P5,
        .counters = (uint32_t)BITS(read_sysreg(pmcr_el0), 15, 11),
        .pmceid = { read_sysreg(pmceid0_el0), read_sysreg(pmceid1_el0) },
    };
}

/* What the physical PMU of each CPU holds. Per CPU, touched only by that CPU (the world
 * switch and the vCPU reset run on it), so no lock. */
struct pmu_hw {
    const struct vcpu *owner;          /* whose counters (NULL: nothing trusted) */
    uint32_t enabled;                  /* PMCNTENSET/PMINTENSET as written */
    uint64_t pmcr;
    uint64_t type[PMU_COUNTER_COUNT + 1];   /* [N]: PMCCFILTR */
};
static struct pmu_hw pmu_hw[HV_MAX_CPUS];

static struct pmu_hw *hw_this(void) { return &pmu_hw[arch_cpu_index()]; }

/* Loaded with the vCPU's other EL2 controls: the physical PMUSERENR_EL0.EN is set, so that a
 * guest EL0 access is not trapped to the guest's EL1 by it (that check comes before
 * MDCR_EL2.TPM's, Arm ARM D17.5 accessibility pseudocode) but reaches EL2 and is checked
 * against the guest's own PMUSERENR_EL0 here. EN alone does that; SW, CR and ER stay clear
 * because QEMU 7.2 lets an EL0 access they enable bypass MDCR_EL2.TPM (it read the physical
 * PMCCNTR). A trap-routing control, no guest state; the hypervisor has no EL0. EL2 is also
 * kept from counting on the counters the guest's events use (HPMD, HCCD), on top of their
 * NSH = 0 filter. */
void pmu_vcpu_load(void)
{
    if (!pmu_host_has_pmuv3())
        return;
    write_sysreg(pmuserenr_el0, PMUSERENR_EN);
    uint64_t ver = ID_PMUVER(read_sysreg(id_aa64dfr0_el1));
    uint64_t mdcr = (read_sysreg(mdcr_el2) & ~MDCR_HPMN_MASK) | BITS(read_sysreg(pmcr_el0), 15, 11);
    mdcr |= (ver >= PMUVER_V3P1 ? MDCR_HPMD : 0) | (ver >= PMUVER_V3P5 ? MDCR_HCCD : 0);
    write_sysreg(mdcr_el2, mdcr);
}

/* The level of the PMU's PPI follows PMCR.E, PMOVSSET and PMINTENSET; only changes go to the vGIC. */
static void sync_irq(struct vcpu *v)
{
    struct vpmu *p = &v->arch.pmu;
    bool level = pmu_irq_level(&p->regs);
    if (level != p->irq_level) {
        p->irq_level = level;
        if (level)
            __atomic_fetch_add(&p->irq_raised, 1, __ATOMIC_RELAXED);
        vgic_set_ppi_level(v, VGIC_INTID_PMU, level);
    }
}

/* The management interface's view (arch_guest.h): the guests' own PMU state, read without
 * stopping them (each value is a single aligned 64-bit load). */
uint32_t arch_vm_stats(const struct vm *vm, struct arch_stat *out, uint32_t max)
{
    uint64_t ccntr = 0, raised = 0, enabled = 0;
    for (uint32_t i = 0; i < vm->vcpu_count; i++) {
        const struct vpmu *p = &vm->vcpu[i].arch.pmu;
        ccntr += __atomic_load_n(&p->regs.ccntr, __ATOMIC_RELAXED);
        raised += __atomic_load_n(&p->irq_raised, __ATOMIC_RELAXED);
        enabled += (__atomic_load_n(&p->regs.pmcr, __ATOMIC_RELAXED) & PMCR_E) != 0;
    }
    const struct arch_stat s[] = { { "pmu_enabled_vcpus", enabled }, { "pmu_ccntr_sum", ccntr },
                                   { "pmu_overflow_irqs", raised } };
    uint32_t n = 0;
    for (; n < max && n < sizeof(s) / sizeof(s[0]); n++)
        out[n] = s[n];
    return n;
}

/* Architectural reset of the PMU. Called from arch_vcpu_reset, which runs in the vCPU's own
 * run loop (kernel/vcpu.c wait_until_on) with no lock held: lowering the PPI may take the
 * vGIC's lock, so this must never move under a spinlock (KVM: "Reset the PMU in preemptible
 * context"). */
void pmu_vcpu_reset(struct vcpu *v)
{
    struct vpmu *p = &v->arch.pmu;
    uint64_t pfr0 = read_sysreg(id_aa64pfr0_el1);   /* the guest sees these fields unchanged */
    struct pmu_config cfg = { .has_el3 = BITS(pfr0, 15, 12) != 0, .lc_res1 = BITS(pfr0, 3, 0) == 1,
                              .host = host_pmu() };
    pmu_reset(&p->regs, &cfg);
    pmu_clock_init(&p->clock, read_sysreg(cntfrq_el0));
    struct pmu_hw *h = hw_this();
    if (h->owner == v)
        h->owner = NULL;          /* the physical values no longer stand for the guest's */
    if (p->irq_level) {
        p->irq_level = false;
        vgic_set_ppi_level(v, VGIC_INTID_PMU, false);
    }
}

/* The physical event counters by index (the registers are named, not indexed; PMSELR would
 * cost a write each). Only n < PMU_COUNTER_COUNT is ever backed. */
#define HW_EVENT_REGS(X) X(0) X(1) X(2) X(3) X(4) X(5)
_Static_assert(PMU_COUNTER_COUNT == 6, "HW_EVENT_REGS lists the backed counters");

static uint64_t hw_counter_read(uint32_t n)
{
    switch (n) {
#define X(i) case i: return read_sysreg(pmevcntr##i##_el0);
    HW_EVENT_REGS(X)
#undef X
    default: return read_sysreg(pmccntr_el0);
    }
}

static void hw_counter_write(uint32_t n, uint64_t value)
{
    switch (n) {
#define X(i) case i: write_sysreg(pmevcntr##i##_el0, value); break;
    HW_EVENT_REGS(X)
#undef X
    default: write_sysreg(pmccntr_el0, value); break;
    }
}

static void hw_type_write(uint32_t n, uint64_t value)
{
    switch (n) {
#define X(i) case i: write_sysreg(pmevtyper##i##_el0, value); break;
    HW_EVENT_REGS(X)
#undef X
    default: write_sysreg(pmccfiltr_el0, value); break;
    }
}

/* Slot in vpmu.hw_raw/hw_guest and pmu_hw.type of counter idx (31: the cycle counter). */
static uint32_t slot(uint32_t idx) { return idx == PMU_CYCLE_IDX ? PMU_COUNTER_COUNT : idx; }
static uint64_t guest_value(const struct pmu *r, uint32_t idx)
{
    return idx == PMU_CYCLE_IDX ? r->ccntr : r->evcntr[idx];
}

/* Programs the physical counters with the guest's backed, enabled counters: types, values
 * and enables are written only where they differ from what the registers hold (a vCPU that
 * stays on its pCPU writes nothing on most entries). PMCR_EL0 last, so counting starts with
 * everything in place; counters are filtered to EL1/EL0 and count nothing until the ERET. */
static void hw_load(struct vcpu *v, uint32_t enabled)
{
    struct vpmu *p = &v->arch.pmu;
    struct pmu_hw *h = hw_this();
    if (h->owner != v) {
        if (h->enabled) {
            write_sysreg(pmcntenclr_el0, h->enabled);
            write_sysreg(pmintenclr_el1, h->enabled);
        }
        write_sysreg(pmovsclr_el0, 0xffffffffull);
        *h = (struct pmu_hw){ .owner = v, .pmcr = ~0ull };
        for (uint32_t i = 0; i <= PMU_COUNTER_COUNT; i++)
            h->type[i] = ~0ull;
        for (uint32_t i = 0; i <= PMU_COUNTER_COUNT; i++)
            p->hw_guest[i] = ~guest_value(&p->regs, i == PMU_COUNTER_COUNT ? PMU_CYCLE_IDX : i);
    }
    for (uint32_t m = enabled; m; m &= m - 1) {
        uint32_t idx = (uint32_t)__builtin_ctz(m), s = slot(idx);
        uint64_t type = idx == PMU_CYCLE_IDX ? pmu_hw_ccfiltr(&p->regs) : pmu_hw_evtyper(&p->regs, idx);
        if (type != h->type[s]) {
            hw_type_write(idx, type);
            h->type[s] = type;
        }
        uint64_t value = guest_value(&p->regs, idx);
        if (value != p->hw_guest[s]) {   /* the guest wrote it, PMCR.P/C, or a new owner */
            hw_counter_write(idx, value);
            p->hw_raw[s] = p->hw_guest[s] = value;
        }
    }
    if (enabled != h->enabled) {
        /* Every backed counter interrupts on overflow, whatever the guest's PMINTENSET: the
         * exit folds it into PMOVS (and CHAIN) promptly; the guest's PPI follows its own. */
        if (h->enabled & ~enabled) {
            write_sysreg(pmcntenclr_el0, h->enabled & ~enabled);
            write_sysreg(pmintenclr_el1, h->enabled & ~enabled);
        }
        write_sysreg(pmintenset_el1, enabled);
        write_sysreg(pmcntenset_el0, enabled);
        h->enabled = enabled;
    }
    uint64_t pmcr = enabled ? pmu_hw_pmcr(&p->regs) : 0;
    if (pmcr != h->pmcr) {
        write_sysreg(pmcr_el0, pmcr);
        h->pmcr = pmcr;
    }
}

/* After an exit: what each enabled physical counter counted goes into the guest's counter
 * (overflow, PMOVS, CHAIN as pmu.c counts), and the physical overflow flags are cleared so
 * the host's PPI 23 drops (the exit it caused was its whole purpose). */
static bool hw_fold(struct vcpu *v)
{
    struct vpmu *p = &v->arch.pmu;
    struct pmu_hw *h = hw_this();
    if (h->owner != v || !h->enabled)
        return false;
    enum pmu_el el = guest_at_el0(v) ? PMU_EL0 : PMU_EL1;
    for (uint32_t m = h->enabled; m; m &= m - 1) {
        uint32_t idx = (uint32_t)__builtin_ctz(m), s = slot(idx);
        uint64_t raw = hw_counter_read(idx);
        pmu_hw_fold(&p->regs, idx, pmu_hw_delta(&p->regs.cfg.host, idx, p->hw_raw[s], raw), el);
        p->hw_raw[s] = raw;
        p->hw_guest[s] = guest_value(&p->regs, idx);
    }
    if (read_sysreg(pmovsset_el0) & h->enabled)
        write_sysreg(pmovsclr_el0, h->enabled);
    return true;
}

/* Host PPI 23: a backed counter overflowed while the guest ran. By the time it is acknowledged
 * pmu_guest_exit has folded the count and cleared its flag; the exit was the point. Any flag
 * still set belongs to no guest (e.g. left by the firmware): cleared, or the level-sensitive
 * line would stay high. */
enum host_irq_result pmu_host_irq(struct vcpu *v, uint32_t intid)
{
    (void)v, (void)intid;
    uint64_t stale = read_sysreg(pmovsset_el0);
    if (stale)
        write_sysreg(pmovsclr_el0, stale);
    return HOST_IRQ_DONE;
}

/* World switch. Backed counters: programmed before the entry, folded after the exit. The
 * others counting CPU_CYCLES: the generic counter's ticks between entry and exit at a nominal
 * 1 GHz (pmu_clock_cycles; 16 cycles per tick at QEMU's 62.5 MHz); time in the hypervisor
 * and blocked in WFI does not count, and the whole interval is charged to the EL the guest
 * was in when it exited (SPSR_EL2): the EL filters are approximate when the guest changed EL
 * between two exits. Nothing is read while no counter counts. */
/* The work of pmu_guest_enter when the guest's PMU or this pCPU's counters are on; apart, so
 * the usual case (both off) returns before any register is saved (issue 16). */
static __attribute__((noinline)) void guest_enter_counting(struct vcpu *v)
{
    struct vpmu *p = &v->arch.pmu;
    uint32_t enabled = pmu_hw_enabled(&p->regs);
    if (enabled || pmu_hw[v->pcpu].enabled)
        hw_load(v, enabled);
    if (pmu_counts_cycles(&p->regs)) {
        isb();
        p->entry_count = read_sysreg(cntpct_el0);
    }
}

static inline bool counting(const struct vcpu *v)
{
    return (v->arch.pmu.regs.pmcr & PMCR_E) || pmu_hw[v->pcpu].enabled;
}

bool pmu_guest_counting(const struct vcpu *v)
{
    return counting(v);
}

void pmu_guest_enter(struct vcpu *v)
{
    if (counting(v))
        guest_enter_counting(v);
}

static __attribute__((noinline)) void guest_exit_counting(struct vcpu *v)
{
    struct vpmu *p = &v->arch.pmu;
    bool counted = hw_fold(v);
    if (pmu_counts_cycles(&p->regs)) {   /* no trapped write happened since the entry */
        isb();
        uint64_t ticks = read_sysreg(cntpct_el0) - p->entry_count;
        pmu_count_cycles(&p->regs, pmu_clock_cycles(&p->clock, ticks), guest_at_el0(v) ? PMU_EL0 : PMU_EL1);
        counted = true;
    }
    if (counted)                         /* otherwise only trapped writes moved the level */
        sync_irq(v);
}

void pmu_guest_exit(struct vcpu *v)
{
    if (v->arch.pmu.regs.pmcr & PMCR_E)  /* clear since the entry: nothing counted */
        guest_exit_counting(v);
}

/* ---- register access ---------------------------------------------------------------- */

static struct pmu *regs(struct vcpu *v) { return &v->arch.pmu.regs; }

/* An EL0 access that the guest's PMUSERENR_EL0 does not enable (none of `enables` set) is
 * trapped to EL1 with its own syndrome, EC 0x18 (Arm ARM D17.5, each register's
 * AArch64.SystemAccessTrap(EL1, 0x18)). True when that happened: the handler is done. */
static bool el0_trapped(struct vcpu *v, uint32_t enables)
{
    if (!guest_at_el0(v) || (regs(v)->userenr & enables))
        return false;
    inject_sysreg_trap(v, ESR_ISS(read_sysreg(esr_el2)));   /* still this exit's syndrome */
    return true;
}

/* PMEVCNTR<n>_EL0 / PMEVTYPER<n>_EL0: n = CRm[1:0]:op2. */
static uint32_t counter_index(uint32_t key) { return ((key >> 3) & 3) << 3 | (key & 7); }

static bool pmcr_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    if (el0_trapped(v, PMUSERENR_EN))
        return true;
    if (read)
        *value = pmu_pmcr_read(regs(v));
    else
        pmu_pmcr_write(regs(v), *value);
    sync_irq(v);
    return true;
}

/* PMCNTENSET/CLR, PMOVSSET/CLR, PMINTENSET/CLR: read the bits, write ones to set or clear. */
static bool set_clr(struct vcpu *v, uint32_t *bits, bool set, bool read, uint64_t *value)
{
    if (read)
        *value = *bits;
    else if (set)
        *bits |= (uint32_t)*value & PMU_COUNTER_MASK;
    else
        *bits &= ~((uint32_t)*value & PMU_COUNTER_MASK);
    sync_irq(v);
    return true;
}

static bool pmcntenset_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    return el0_trapped(v, PMUSERENR_EN) || set_clr(v, &regs(v)->cnten, true, read, value);
}

static bool pmcntenclr_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    return el0_trapped(v, PMUSERENR_EN) || set_clr(v, &regs(v)->cnten, false, read, value);
}

static bool pmovsset_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    return el0_trapped(v, PMUSERENR_EN) || set_clr(v, &regs(v)->ovs, true, read, value);
}

static bool pmovsclr_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    return el0_trapped(v, PMUSERENR_EN) || set_clr(v, &regs(v)->ovs, false, read, value);
}

/* PMINTENSET_EL1 / PMINTENCLR_EL1: EL1 registers, UNDEFINED at EL0. */
static bool pmintenset_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    return !guest_at_el0(v) && set_clr(v, &regs(v)->inten, true, read, value);
}

static bool pmintenclr_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    return !guest_at_el0(v) && set_clr(v, &regs(v)->inten, false, read, value);
}

/* PMSWINC_EL0: write-only (MRS is UNDEFINED); EL0 needs EN or SW. */
static bool pmswinc_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    if (read)
        return false;
    if (el0_trapped(v, PMUSERENR_EN | PMUSERENR_SW))
        return true;
    pmu_swinc(regs(v), *value, guest_at_el0(v) ? PMU_EL0 : PMU_EL1);
    sync_irq(v);
    return true;
}

static bool pmselr_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    if (el0_trapped(v, PMUSERENR_EN | PMUSERENR_ER))
        return true;
    if (read)
        *value = regs(v)->selr;
    else
        regs(v)->selr = (uint32_t)*value & 0x1f;
    return true;
}

/* PMCEID0/1_EL0: read-only, exactly the events counted: the emulated ones and those the host
 * counts (pmu_pmceid). */
static bool pmceid_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    if (!read)
        return false;
    if (el0_trapped(v, PMUSERENR_EN))
        return true;
    *value = pmu_pmceid(&regs(v)->cfg, (key & 7) == 6 ? 0 : 1);
    return true;
}

/* PMMIR_EL1 (PMUv3p4 and later): read-only at EL1, no slot or bus information (0). */
static bool pmmir_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    if (!read || guest_at_el0(v))
        return false;
    *value = 0;
    return true;
}

static bool pmccntr_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    if (el0_trapped(v, read ? PMUSERENR_EN | PMUSERENR_CR : PMUSERENR_EN))
        return true;
    if (read)
        *value = regs(v)->ccntr;
    else
        regs(v)->ccntr = *value;
    return true;
}

static bool pmccfiltr_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    if (el0_trapped(v, PMUSERENR_EN))
        return true;
    if (read)
        *value = regs(v)->ccfiltr;
    else
        pmu_ccfiltr_write(regs(v), *value);
    return true;
}

/* Event counter n: n beyond PMCR.N is UNDEFINED (checked before the EL0 enables, as the Arm
 * ARM's accessibility pseudocode does). */
static bool evcntr(struct vcpu *v, uint32_t n, bool read, uint64_t *value)
{
    if (n >= PMU_COUNTER_COUNT)
        return false;
    if (el0_trapped(v, read ? PMUSERENR_EN | PMUSERENR_ER : PMUSERENR_EN))
        return true;
    if (read)
        *value = regs(v)->evcntr[n];
    else
        regs(v)->evcntr[n] = *value;
    return true;
}

static bool evtyper(struct vcpu *v, uint32_t n, bool read, uint64_t *value)
{
    if (n >= PMU_COUNTER_COUNT)
        return false;
    if (el0_trapped(v, PMUSERENR_EN))
        return true;
    if (read)
        *value = regs(v)->evtyper[n];
    else
        pmu_evtyper_write(regs(v), n, *value);
    return true;
}

static bool pmevcntr_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    return evcntr(v, counter_index(key), read, value);
}

static bool pmevtyper_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    return evtyper(v, counter_index(key), read, value);
}

/* PMXEVCNTR / PMXEVTYPER: the counter PMSELR_EL0.SEL names; SEL 31 makes PMXEVTYPER
 * PMCCFILTR. Other SEL values past N are CONSTRAINED UNPREDICTABLE: UNDEFINED here (after the
 * EL0 check, which comes first for these registers). */
static bool pmxevcntr_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    if (el0_trapped(v, read ? PMUSERENR_EN | PMUSERENR_ER : PMUSERENR_EN))
        return true;
    return evcntr(v, regs(v)->selr, read, value);
}

static bool pmxevtyper_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    if (el0_trapped(v, PMUSERENR_EN))
        return true;
    if (regs(v)->selr == PMU_CYCLE_IDX)
        return pmccfiltr_access(v, key, read, value);
    return evtyper(v, regs(v)->selr, read, value);
}

/* PMUSERENR_EL0: EL0 may read it; an EL0 write is UNDEFINED. */
static bool pmuserenr_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    (void)key;
    if (read) {
        *value = regs(v)->userenr;
        return true;
    }
    if (guest_at_el0(v))
        return false;
    regs(v)->userenr = (uint32_t)*value & PMUSERENR_MASK;
    return true;
}

/* Encodings (Arm ARM D17.5; op0 3, CRn 9 or 14). */
#define ROW(name, op1, crn, crm, op2, fn) { SYS_KEY(3, op1, crn, crm, op2), fn, #name },
#define EV_ROWS(n) \
    ROW(PMEVCNTR##n##_EL0, 3, 14, 8 + (n) / 8, (n) % 8, pmevcntr_access) \
    ROW(PMEVTYPER##n##_EL0, 3, 14, 12 + (n) / 8, (n) % 8, pmevtyper_access)

static const struct sysreg_handler_row pmu_rows[] = {
    ROW(PMCR_EL0,       3, 9, 12, 0, pmcr_access)
    ROW(PMCNTENSET_EL0, 3, 9, 12, 1, pmcntenset_access)
    ROW(PMCNTENCLR_EL0, 3, 9, 12, 2, pmcntenclr_access)
    ROW(PMOVSCLR_EL0,   3, 9, 12, 3, pmovsclr_access)
    ROW(PMSWINC_EL0,    3, 9, 12, 4, pmswinc_access)
    ROW(PMSELR_EL0,     3, 9, 12, 5, pmselr_access)
    ROW(PMCEID0_EL0,    3, 9, 12, 6, pmceid_access)
    ROW(PMCEID1_EL0,    3, 9, 12, 7, pmceid_access)
    ROW(PMCCNTR_EL0,    3, 9, 13, 0, pmccntr_access)
    ROW(PMXEVTYPER_EL0, 3, 9, 13, 1, pmxevtyper_access)
    ROW(PMXEVCNTR_EL0,  3, 9, 13, 2, pmxevcntr_access)
    ROW(PMUSERENR_EL0,  3, 9, 14, 0, pmuserenr_access)
    ROW(PMINTENSET_EL1, 0, 9, 14, 1, pmintenset_access)
    ROW(PMINTENCLR_EL1, 0, 9, 14, 2, pmintenclr_access)
    ROW(PMOVSSET_EL0,   3, 9, 14, 3, pmovsset_access)
    ROW(PMMIR_EL1,      0, 9, 14, 6, pmmir_access)
    ROW(PMCCFILTR_EL0,  3, 14, 15, 7, pmccfiltr_access)
    /* All 31 architectural event counters: those past PMCR.N are UNDEFINED. */
    EV_ROWS(0) EV_ROWS(1) EV_ROWS(2) EV_ROWS(3) EV_ROWS(4) EV_ROWS(5) EV_ROWS(6) EV_ROWS(7)
    EV_ROWS(8) EV_ROWS(9) EV_ROWS(10) EV_ROWS(11) EV_ROWS(12) EV_ROWS(13) EV_ROWS(14)
    EV_ROWS(15) EV_ROWS(16) EV_ROWS(17) EV_ROWS(18) EV_ROWS(19) EV_ROWS(20) EV_ROWS(21)
    EV_ROWS(22) EV_ROWS(23) EV_ROWS(24) EV_ROWS(25) EV_ROWS(26) EV_ROWS(27) EV_ROWS(28)
    EV_ROWS(29) EV_ROWS(30)
};

const struct sysreg_table pmu_sysreg_table = { pmu_rows, sizeof(pmu_rows) / sizeof(pmu_rows[0]) };
