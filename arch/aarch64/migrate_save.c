/* migrate_save.c: the aarch64 side of live migration (include/arch_migrate.h): a paused vCPU's
 * and the VM's device state taken from the hypervisor's structures and the live EL1 registers,
 * and put back on the destination before the VM first runs there. Layout and checks:
 * migrate_state.c. */
#include <string.h>

#include "arch_migrate.h"
#include "cpu_data.h"
#include "guest.h"
#include "migrate_state.h"
#include "migrate_stream.h"
#include "sysreg.h"
#include "vgic.h"
#include "vgic_internal.h"
#include "vm.h"

uint32_t arch_migrate_arch(void) { return MIGRATE_ARCH_AARCH64; }

const char *arch_migrate_check(struct vm *vm)
{
    if (vm->cfg->device_count || vm->cfg->pci_count)
        return "it has passed-through devices (their state and DMA cannot move)";
    if (vm->arch.its.state.ctlr & 1)
        return "it uses the ITS (GITS_CTLR.Enabled): migration of ITS tables and LPIs is not supported";
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        if (vm->vcpu[i].arch.vgic.ctlr & 1)
            return "it has LPIs enabled (GICR_CTLR.EnableLPIs): migration of LPIs is not supported";
    return NULL;
}

/* ICH_VTR_EL2.PREbits (Arm IHI 0069, 12.5.8): 5, 6 or 7 preemption bits implement 1, 2 or 4 of
 * ICH_AP0R<n>_EL2 / ICH_AP1R<n>_EL2. */
static uint32_t apr_count(void)
{
    uint32_t pre = (uint32_t)BITS(read_sysreg(ich_vtr_el2), 28, 26) + 1;
    return pre >= 7 ? 4 : pre == 6 ? 2 : 1;
}

static bool host_has_pac(void)
{
    uint64_t isar1 = read_sysreg(id_aa64isar1_el1);
    uint64_t isar2 = read_sysreg(S3_0_C0_C6_2);      /* ID_AA64ISAR2_EL1: APA3, GPA3 */
    return BITS(isar1, 7, 4) || BITS(isar1, 11, 8) || BITS(isar2, 15, 12);
}

uint32_t arch_migrate_vcpu_save(struct vcpu *v, uint8_t *buf, uint32_t cap)
{
    struct arch_vcpu *a = &v->arch;
    static struct a64_vcpu_state s;   /* one migration at a time (kernel/migrate.c's lock) */
    if (cap < sizeof(s))
        return 0;
    memset(&s, 0, sizeof(s));
    s.layout = A64_VCPU_LAYOUT;
    memcpy(s.x, a->x, sizeof(s.x));
    s.pc = a->pc;
    s.pstate = a->pstate;
    s.power = __atomic_load_n(&v->power, __ATOMIC_ACQUIRE);
    s.on_entry = v->on_entry;
    s.on_context = v->on_context;
    if (s.power == VCPU_OFF) {
        /* Off: no state of its own (CPU_ON resets it), and this may not be its pCPU: nothing is
         * read from the registers here (they may be another VM's). */
        s.pstate = PSR_MODE_EL1h | PSR_DAIF;
        a64_migrate_put_words(buf, &s, A64_VCPU_WORDS);
        return (uint32_t)sizeof(s);
    }
#define X(r) s.r = read_sysreg(r);
    A64_MIGRATE_EL1_REGS(X)
    s.has_pac = host_has_pac();
    if (s.has_pac) {
        A64_MIGRATE_PAC_REGS(X)
    }
#undef X
    isb();
    s.cntpct = read_sysreg(cntpct_el0);
    /* The guest's FP/SIMD registers may still be live (fpsimd.c): save them into a->fp. */
    fpsimd_trap();
    s.fpsr = a->fp.fpsr;
    s.fpcr = a->fp.fpcr;
    for (int i = 0; i < 32; i++) {
        s.q[2 * i] = (uint64_t)a->fp.q[i];
        s.q[2 * i + 1] = (uint64_t)(a->fp.q[i] >> 64);
    }
    /* The guest's virtual CPU interface: its priority mask and group enables were saved at the
     * exit (vgic_lr.c); its active priorities stay in ICH_AP<n>R (IHI 0069, 12.5.1-4). */
    s.ich_vmcr = __atomic_load_n(&a->vgic.vmcr, __ATOMIC_RELAXED);
    uint32_t aprs = apr_count();
    s.ich_ap0r[0] = read_sysreg(ich_ap0r0_el2);
    s.ich_ap1r[0] = read_sysreg(ich_ap1r0_el2);
    if (aprs > 1) {
        s.ich_ap0r[1] = read_sysreg(ich_ap0r1_el2);
        s.ich_ap1r[1] = read_sysreg(ich_ap1r1_el2);
    }
    if (aprs > 2) {
        s.ich_ap0r[2] = read_sysreg(ich_ap0r2_el2);
        s.ich_ap1r[2] = read_sysreg(ich_ap1r2_el2);
        s.ich_ap0r[3] = read_sysreg(ich_ap0r3_el2);
        s.ich_ap1r[3] = read_sysreg(ich_ap1r3_el2);
    }
    struct vgic_dist *d = &v->vm->arch.vgic;
    spin_lock(&d->lock);
    s.gicr_ctlr = a->vgic.ctlr;
    s.gicr_waker = a->vgic.waker;
    s.gicr_propbaser = a->vgic.propbaser;
    s.gicr_pendbaser = a->vgic.pendbaser;
    for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++)
        s.priv[i] = a64_migrate_irq_pack(&a->vgic.priv[i]);
    spin_unlock(&d->lock);
    /* The PMU's registers are current after the exit's fold (pmu_sysreg.c pmu_guest_exit). */
    const struct pmu *p = &a->pmu.regs;
    s.pmcr = p->pmcr;
    s.pmcnten = p->cnten;
    s.pminten = p->inten;
    s.pmovs = p->ovs;
    s.pmselr = p->selr;
    s.pmuserenr = p->userenr;
    s.pmccnt_prescale = p->ccnt_prescale;
    s.pmccfiltr = p->ccfiltr;
    s.pmccntr = p->ccntr;
    memcpy(s.pmevtyper, p->evtyper, sizeof(s.pmevtyper));
    memcpy(s.pmevcntr, p->evcntr, sizeof(s.pmevcntr));
    a64_migrate_put_words(buf, &s, A64_VCPU_WORDS);
    return (uint32_t)sizeof(s);
}

const char *arch_migrate_vcpu_check(struct vm *vm, const uint8_t *buf, uint32_t len)
{
    static struct a64_vcpu_state s;   /* one migration at a time */
    if (!a64_migrate_get_words(&s, A64_VCPU_WORDS, buf, len))
        return "vcpu state: wrong length";
    if (s.has_pac && !host_has_pac())
        return "vcpu state: the source has pointer authentication, this CPU does not";
    return a64_migrate_vcpu_check(&s, vm->vcpu_count);
}

void arch_migrate_vcpu_load(struct vcpu *v, const uint8_t *buf, uint32_t len)
{
    static struct a64_vcpu_state s;
    if (!a64_migrate_get_words(&s, A64_VCPU_WORDS, buf, len))
        return;                       /* checked before: cannot happen */
    struct arch_vcpu *a = &v->arch;
    memcpy(a->x, s.x, sizeof(a->x));
    a->pc = s.pc;
    a->pstate = s.pstate;
    a->wfe = a->injected = a->retry = false;
    a->wfit_deadline = ~0ull;
    a->fault_loop = 0;
    v->on_entry = s.on_entry;
    v->on_context = s.on_context;
    __atomic_store_n(&v->on_ready, s.power == VCPU_ON_PENDING, __ATOMIC_RELEASE);
    __atomic_store_n(&v->power, (uint32_t)s.power, __ATOMIC_RELEASE);
    if (s.power == VCPU_OFF)
        return;                       /* its CPU_ON will reset it */
    isb();
    uint64_t now = read_sysreg(cntpct_el0);
    s.cntp_cval_el0 = a64_migrate_cval_rebase(s.cntp_cval_el0, s.cntpct, now);
#define X(r) write_sysreg(r, s.r);
    A64_MIGRATE_EL1_REGS(X)
    if (s.has_pac) {
        A64_MIGRATE_PAC_REGS(X)
    }
#undef X
    isb();
    struct cpu_data *c = this_cpu();
    if (c->fp_owner == a)
        c->fp_owner = NULL;           /* the next entry loads a->fp */
    a->fp.fpsr = s.fpsr;
    a->fp.fpcr = s.fpcr;
    for (int i = 0; i < 32; i++)
        a->fp.q[i] = (__uint128_t)s.q[2 * i + 1] << 64 | s.q[2 * i];
    /* Empty list registers and active priorities on this pCPU. The reset also ends the active
     * state of SPIs routed here, which the distributor's state (loaded before) carries: keep it. */
    struct vgic_dist *d = &v->vm->arch.vgic;
    bool spi_active[VGIC_NR_SPIS];
    spin_lock(&d->lock);
    for (uint32_t i = 0; i < VGIC_NR_SPIS; i++)
        spi_active[i] = d->spi[i].active;
    spin_unlock(&d->lock);
    vgic_vcpu_hw_reset(v);
    uint32_t aprs = apr_count();
    write_sysreg(ich_ap0r0_el2, s.ich_ap0r[0]);
    write_sysreg(ich_ap1r0_el2, s.ich_ap1r[0]);
    if (aprs > 1) {
        write_sysreg(ich_ap0r1_el2, s.ich_ap0r[1]);
        write_sysreg(ich_ap1r1_el2, s.ich_ap1r[1]);
    }
    if (aprs > 2) {
        write_sysreg(ich_ap0r2_el2, s.ich_ap0r[2]);
        write_sysreg(ich_ap1r2_el2, s.ich_ap1r[2]);
        write_sysreg(ich_ap0r3_el2, s.ich_ap0r[3]);
        write_sysreg(ich_ap1r3_el2, s.ich_ap1r[3]);
    }
    write_sysreg(ich_vmcr_el2, s.ich_vmcr);
    isb();
    spin_lock(&d->lock);
    for (uint32_t i = 0; i < VGIC_NR_SPIS; i++)
        d->spi[i].active = spi_active[i];
    __atomic_store_n(&a->vgic.vmcr, s.ich_vmcr, __ATOMIC_RELAXED);
    a->vgic.ctlr = (uint32_t)s.gicr_ctlr;
    a->vgic.waker = (uint32_t)s.gicr_waker;
    a->vgic.propbaser = s.gicr_propbaser;
    a->vgic.pendbaser = s.gicr_pendbaser;
    for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++)
        a64_migrate_irq_unpack(&a->vgic.priv[i], s.priv[i]);
    a->vgic.track_priv = ~0u;         /* a superset is allowed: the next entry drops the idle */
    spin_unlock(&d->lock);
    pmu_vcpu_reset(v);                /* the physical counters no longer stand for this vCPU */
    struct pmu *p = &a->pmu.regs;
    p->pmcr = s.pmcr;
    p->cnten = (uint32_t)s.pmcnten;
    p->inten = (uint32_t)s.pminten;
    p->ovs = (uint32_t)s.pmovs;
    p->selr = (uint32_t)s.pmselr;
    p->userenr = (uint32_t)s.pmuserenr;
    p->ccnt_prescale = (uint32_t)s.pmccnt_prescale;
    p->ccfiltr = s.pmccfiltr;
    p->ccntr = s.pmccntr;
    memcpy(p->evtyper, s.pmevtyper, sizeof(p->evtyper));
    memcpy(p->evcntr, s.pmevcntr, sizeof(p->evcntr));
    a->pmu.irq_level = pmu_irq_level(p);   /* the PPI's line came with priv[23] */
    c->loaded_vcpu = NULL;            /* the next entry loads CNTVOFF_EL2 and the EL2 controls */
}

uint32_t arch_migrate_device_count(void) { return MIGRATE_DEV_TIMER; }

uint32_t arch_migrate_device_save(struct vm *vm, uint32_t device, uint8_t *buf, uint32_t cap)
{
    switch (device) {
    case MIGRATE_DEV_VGIC: {
        static struct a64_vgic_state s;
        if (cap < sizeof(s))
            return 0;
        s.layout = A64_VGIC_LAYOUT;
        struct vgic_dist *d = &vm->arch.vgic;
        spin_lock(&d->lock);
        s.gicd_ctlr = d->ctlr;
        for (uint32_t i = 0; i < VGIC_NR_SPIS; i++) {
            s.spi[i] = a64_migrate_irq_pack(&d->spi[i]);
            s.irouter[i] = d->spi[i].irouter;
        }
        spin_unlock(&d->lock);
        a64_migrate_put_words(buf, &s, sizeof(s) / 8);
        return sizeof(s);
    }
    case MIGRATE_DEV_PL011: {
        static struct a64_pl011_state s;
        if (cap < sizeof(s))
            return 0;
        memset(&s, 0, sizeof(s));
        s.layout = A64_PL011_LAYOUT;
        struct vpl011 *u = &vm->arch.uart;
        spin_lock(&u->rx_lock);
        s.cr = u->cr, s.lcr_h = u->lcr_h, s.ibrd = u->ibrd, s.fbrd = u->fbrd;
        s.ifls = u->ifls, s.imsc = u->imsc, s.ris = u->ris, s.dmacr = u->dmacr;
        s.rx_count = u->rx_count;
        for (uint32_t i = 0; i < u->rx_count; i++)
            s.rx[i] = u->rx[(u->rx_head + i) % VPL011_RX_FIFO];
        spin_unlock(&u->rx_lock);
        a64_migrate_put_words(buf, &s, sizeof(s) / 8);
        return sizeof(s);
    }
    case MIGRATE_DEV_TIMER: {
        struct a64_timer_state s = { .layout = A64_TIMER_LAYOUT, .cntfrq = read_sysreg(cntfrq_el0) };
        if (cap < sizeof(s))
            return 0;
        isb();
        s.cntvct = read_sysreg(cntpct_el0) - vm->arch.cntvoff;
        a64_migrate_put_words(buf, &s, sizeof(s) / 8);
        return sizeof(s);
    }
    default:
        return 0;
    }
}

const char *arch_migrate_device_check(struct vm *vm, uint32_t device, const uint8_t *buf, uint32_t len)
{
    switch (device) {
    case MIGRATE_DEV_VGIC: {
        static struct a64_vgic_state s;
        if (!a64_migrate_get_words(&s, sizeof(s) / 8, buf, len))
            return "vgic state: wrong length";
        return a64_migrate_vgic_check(&s, vm->vcpu_count);
    }
    case MIGRATE_DEV_PL011: {
        static struct a64_pl011_state s;
        if (!a64_migrate_get_words(&s, sizeof(s) / 8, buf, len))
            return "pl011 state: wrong length";
        return a64_migrate_pl011_check(&s);
    }
    case MIGRATE_DEV_TIMER: {
        struct a64_timer_state s;
        if (!a64_migrate_get_words(&s, sizeof(s) / 8, buf, len))
            return "timer state: wrong length";
        return a64_migrate_timer_check(&s, read_sysreg(cntfrq_el0));
    }
    default:
        return "unknown device";
    }
}

void arch_migrate_device_load(struct vm *vm, uint32_t device, const uint8_t *buf, uint32_t len)
{
    switch (device) {
    case MIGRATE_DEV_VGIC: {
        static struct a64_vgic_state s;
        if (!a64_migrate_get_words(&s, sizeof(s) / 8, buf, len))
            return;
        struct vgic_dist *d = &vm->arch.vgic;
        spin_lock(&d->lock);
        d->ctlr = (uint32_t)s.gicd_ctlr;
        for (uint32_t i = 0; i < VGIC_NR_SPIS; i++) {
            a64_migrate_irq_unpack(&d->spi[i], s.spi[i]);
            d->spi[i].irouter = s.irouter[i];
        }
        spin_unlock(&d->lock);
        vgic_track_all_spis(vm);
        return;
    }
    case MIGRATE_DEV_PL011: {
        static struct a64_pl011_state s;
        if (!a64_migrate_get_words(&s, sizeof(s) / 8, buf, len))
            return;
        struct vpl011 *u = &vm->arch.uart;
        spin_lock(&u->rx_lock);
        u->cr = (uint32_t)s.cr, u->lcr_h = (uint32_t)s.lcr_h, u->ibrd = (uint32_t)s.ibrd;
        u->fbrd = (uint32_t)s.fbrd, u->ifls = (uint32_t)s.ifls, u->imsc = (uint32_t)s.imsc;
        u->ris = (uint32_t)s.ris, u->dmacr = (uint32_t)s.dmacr;
        u->rx_head = 0;
        u->rx_count = (uint32_t)s.rx_count;
        for (uint32_t i = 0; i < u->rx_count; i++)
            u->rx[i] = (uint8_t)s.rx[i];
        spin_unlock(&u->rx_lock);
        vpl011_update_irq(u);
        return;
    }
    case MIGRATE_DEV_TIMER: {
        struct a64_timer_state s;
        if (!a64_migrate_get_words(&s, sizeof(s) / 8, buf, len))
            return;
        isb();
        /* Set before any vCPU loads it (vcpu.c vcpu_load writes CNTVOFF_EL2 from here). */
        vm->arch.cntvoff = a64_migrate_cntvoff(s.cntvct, read_sysreg(cntpct_el0));
        return;
    }
    default:
        return;
    }
}
