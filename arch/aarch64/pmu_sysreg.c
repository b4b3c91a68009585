/* pmu_sysreg.c: the guest's PMU, fully emulated as KVM's pmu-emul: MDCR_EL2.TPM/TPMCR trap
 * every PMU register access (one table row per register below, over the model in pmu.c),
 * CPU_CYCLES advance from the time spent in the guest at each world switch, the overflow
 * interrupt is PPI 23 through the vGIC. No guest PMU state is ever loaded on the physical PMU. */
#include "arch_guest.h"
#include "guest.h"
#include "pmu.h"
#include "sysreg_table.h"
#include "vgic.h"

#define ID_PMUVER(dfr0) BITS(dfr0, 11, 8)

/* Only a CPU with PMUv3 has the PMU registers that MDCR_EL2.TPM traps (otherwise they are
 * unallocated and UNDEFINED at EL1 without reaching EL2), so only then is a PMU emulated. */
bool pmu_host_has_pmuv3(void)
{
    uint64_t ver = ID_PMUVER(read_sysreg(id_aa64dfr0_el1));
    return ver != 0 && ver != 0xf;
}

/* Loaded with the vCPU's other EL2 controls: the physical PMUSERENR_EL0.EN is set, so that a
 * guest EL0 access is not trapped to the guest's EL1 by it (that check comes before
 * MDCR_EL2.TPM's, Arm ARM D17.5 accessibility pseudocode) but reaches EL2 and is checked
 * against the guest's own PMUSERENR_EL0 here. EN alone does that; SW, CR and ER stay clear
 * because QEMU 7.2 lets an EL0 access they enable bypass MDCR_EL2.TPM (it read the physical
 * PMCCNTR). A trap-routing control, no guest state; the hypervisor has no EL0. */
void pmu_vcpu_load(void)
{
    if (pmu_host_has_pmuv3())
        write_sysreg(pmuserenr_el0, PMUSERENR_EN);
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
    struct pmu_config cfg = { .has_el3 = BITS(pfr0, 15, 12) != 0, .lc_res1 = BITS(pfr0, 3, 0) == 1 };
    pmu_reset(&p->regs, &cfg);
    pmu_clock_init(&p->clock, read_sysreg(cntfrq_el0));
    if (p->irq_level) {
        p->irq_level = false;
        vgic_set_ppi_level(v, VGIC_INTID_PMU, false);
    }
}

/* World switch: the guest's CPU_CYCLES are the generic counter's ticks between entry and exit
 * at a nominal 1 GHz (pmu_clock_cycles; 16 cycles per tick at QEMU's 62.5 MHz). Time in the
 * hypervisor and blocked in WFI does not count. The whole interval is charged to the EL the
 * guest was in when it exited (SPSR_EL2): the EL filters are approximate when the guest
 * changed EL between two exits. Nothing is read while no counter counts CPU_CYCLES. */
void pmu_guest_enter(struct vcpu *v)
{
    struct vpmu *p = &v->arch.pmu;
    if (pmu_counts_cycles(&p->regs)) {
        isb();
        p->entry_count = read_sysreg(cntpct_el0);
    }
}

void pmu_guest_exit(struct vcpu *v)
{
    struct vpmu *p = &v->arch.pmu;
    if (!pmu_counts_cycles(&p->regs))
        return;                 /* no trapped write happened since the entry: same answer there */
    isb();
    uint64_t ticks = read_sysreg(cntpct_el0) - p->entry_count;
    pmu_count_cycles(&p->regs, pmu_clock_cycles(&p->clock, ticks), guest_at_el0(v) ? PMU_EL0 : PMU_EL1);
    sync_irq(v);
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

/* PMCEID0/1_EL0: read-only, exactly the events pmu.c counts. */
static bool pmceid_access(struct vcpu *v, uint32_t key, bool read, uint64_t *value)
{
    if (!read)
        return false;
    if (el0_trapped(v, PMUSERENR_EN))
        return true;
    *value = (key & 7) == 6 ? PMU_PMCEID0 : PMU_PMCEID1;
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
