/* vgic_lr.c: the virtual CPU interface of the vCPU on this pCPU: ICH_LR<n>_EL2 loaded with the
 * interrupts to deliver before each entry and read back after each exit, ICH_HCR_EL2 (En, UIE,
 * NPIE), ICH_VMCR_EL2 and the active-priority registers (Arm IHI 0069, the ICH_* register
 * descriptions and the chapter "Virtual Interrupt Handling and Prioritization").
 *
 * One vCPU runs on a pCPU, so the ICH_* registers stay live between exits. While the
 * hypervisor runs the list registers are empty and ICH_HCR_EL2 is just En: the state is in
 * struct vgic_irq, and no maintenance interrupt can be asserted at EL2. */
#include "gicv3.h"
#include "guest.h"
#include "sysreg.h"
#include "vgic_internal.h"

#define ICH_LR_EOI         (1ull << 41)     /* HW = 0: maintenance interrupt on deactivation */
#define ICH_LR_PINTID_SHIFT 32              /* HW = 1: the physical INTID */
#define ICH_LR_PRIORITY_SHIFT 48
#define ICH_LR_GROUP       (1ull << 60)
#define ICH_LR_HW          (1ull << 61)
#define ICH_LR_PENDING     (1ull << 62)
#define ICH_LR_ACTIVE      (1ull << 63)

#define ICH_HCR_EN   (1ull << 0)
#define ICH_HCR_UIE  (1ull << 1)            /* underflow: at most one valid list register */
#define ICH_HCR_NPIE (1ull << 3)            /* no list register is pending */
#define ICH_HCR_TALL1 (1ull << 12)          /* trap the guest's Group 1 ICC_* accesses */

#define ICH_VMCR_VBPR1_SHIFT 18
#define ICH_VMCR_VBPR0_SHIFT 21
#define ICH_VMCR_VPMR_SHIFT  24

#define LR_INDEXES(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

/* System registers are named by their encoding: one generated case per list register. */
static uint64_t lr_read(uint32_t n)
{
    switch (n) {
#define X(i) case i: return read_sysreg(ich_lr##i##_el2);
        LR_INDEXES(X)
#undef X
    }
    return 0;
}

static void lr_write(uint32_t n, uint64_t value)
{
    switch (n) {
#define X(i) case i: write_sysreg(ich_lr##i##_el2, value); break;
        LR_INDEXES(X)
#undef X
    }
}

/* ICH_VTR_EL2.ListRegs + 1. The same on every PE of the system; each pCPU writes it before
 * its first flush (vgic_vcpu_hw_reset), always with the same value. */
static uint32_t lr_count;
static uint32_t apr_count;          /* ICH_AP0R<n>_EL2/ICH_AP1R<n>_EL2 implemented: 1, 2 or 4 */

static uint64_t apr_bits(void)
{
    uint64_t bits = read_sysreg(ich_ap0r0_el2) | read_sysreg(ich_ap1r0_el2);
    if (apr_count > 1)
        bits |= read_sysreg(ich_ap0r1_el2) | read_sysreg(ich_ap1r1_el2);
    if (apr_count > 2)
        bits |= read_sysreg(ich_ap0r2_el2) | read_sysreg(ich_ap1r2_el2) | read_sysreg(ich_ap0r3_el2) |
                read_sysreg(ich_ap1r3_el2);
    return bits;
}

static uint64_t lr_value(struct vm *vm, const struct vgic_irq *irq)
{
    uint64_t lr = irq->intid | (uint64_t)irq->priority << ICH_LR_PRIORITY_SHIFT | (irq->group ? ICH_LR_GROUP : 0);
    bool pending = vgic_irq_deliverable(vm, irq);
    if (irq->active)
        lr |= ICH_LR_ACTIVE;
    if (irq->hw) {
        /* Forwarded: the physical interrupt stays active while the virtual one is, so
         * "active and pending" cannot occur (ICH_LR<n>_EL2.HW). */
        lr |= ICH_LR_HW | (uint64_t)irq->intid << ICH_LR_PINTID_SHIFT;
        if (pending && !irq->active)
            lr |= ICH_LR_PENDING;
        return lr;
    }
    if (pending)
        lr |= ICH_LR_PENDING;
    /* A level interrupt whose line is high: exit when the guest deactivates it, so it
     * becomes pending again at once if the device still holds the line. */
    if (!irq->edge && irq->level)
        lr |= ICH_LR_EOI;
    return lr;
}

/* Worth a list register: active (the guest must be able to end it) or deliverable. Most
 * interrupts are idle: the flags first keep the scan before each entry cheap. */
static inline bool wants_lr(struct vm *vm, const struct vgic_irq *irq)
{
    if (!(irq->active | irq->latch | irq->level))
        return false;
    return irq->active || vgic_irq_deliverable(vm, irq);
}

/* Active interrupts first, then pending ones by priority (lower value first). */
static uint32_t lr_key(const struct vgic_irq *irq)
{
    return (irq->active ? 0 : 0x100u) | irq->priority;
}

/* A passed-through SPI loaded pending stays pending in its list register whatever its
 * device does until the guest takes it, with no exit in between: a guest that cannot take it
 * at once (IRQs masked, a higher or equal priority pending or active, its group off or PMR
 * below it; IHI 0069, "Virtual Interrupt Handling and Prioritization") may quieten the device
 * first, typically in the handler of the interrupt before it, and would then take it with
 * its line low. For that guest ICH_HCR_EL2.TALL1 traps the Group 1 CPU-interface accesses
 * (its ICC_IAR1_EL1 read first of all): the access runs again, untrapped, after the next
 * flush has resampled the line (vgic_sysreg.c), and finds 1023 if the line dropped. A
 * guest that takes it at entry saw the line as it was just read. */
static bool needs_ack_resample(struct vcpu *v, uint32_t used)
{
    struct vgic_cpu *c = &v->arch.vgic;
    uint32_t hw_spis = 0;                   /* loaded pending, forwarded SPIs: usually none */
    for (uint32_t i = 0; i < used; i++) {
        const struct vgic_irq *irq = c->lr_irq[i];
        if ((c->lr_pending >> i & 1) && irq->hw && irq->intid >= VGIC_NR_PRIVATE &&
            irq->intid < VGIC_NR_PRIVATE + VGIC_NR_SPIS)
            hw_spis |= 1u << i;
    }
    if (!hw_spis)
        return false;
    uint64_t vmcr = read_sysreg(ich_vmcr_el2);
    bool masked = (v->arch.pstate & PSR_I) || apr_bits();
    for (uint32_t i = 0; i < used; i++) {
        const struct vgic_irq *irq = c->lr_irq[i];
        if (!(hw_spis >> i & 1))
            continue;
        if (masked || !(vmcr >> irq->group & 1) || irq->priority >= BITS(vmcr, 31, ICH_VMCR_VPMR_SHIFT))
            return true;
        for (uint32_t j = 0; j < used; j++)
            if (j != i && (c->lr_irq[j]->active || ((c->lr_pending >> j & 1) &&
                                                    c->lr_irq[j]->priority <= irq->priority)))
                return true;
    }
    return false;
}

void vgic_flush(struct vcpu *v)
{
    struct vm *vm = v->vm;
    struct vgic_cpu *c = &v->arch.vgic;
    struct vgic_irq *cand[VGIC_NR_PRIVATE + VGIC_NR_SPIS + VGIC_LPI_SLOTS];
    uint32_t n = 0, pending_lrs = 0;
    /* Idle: nothing tracked, no LPI waiting in the guest's table. ICH_HCR_EL2 is already just
     * En (vgic_fold, vgic_vcpu_hw_reset), and no list register is in use. A bit set by another
     * pCPU after this look comes with a kick, which ends the entry at once. */
    if (!c->tall1_skip && !__atomic_load_n(&c->lpi_overflow, __ATOMIC_RELAXED) && vgic_track_idle(vm, v)) {
        c->tall1 = false;
        return;
    }
    vgic_lock(vm);
    if (c->lpi_overflow)
        vgic_lpi_pull_pending(v);
    uint32_t tracked = vgic_track_gather(vm, v, cand);
    for (uint32_t i = 0; i < tracked; i++) {
        struct vgic_irq *irq = cand[i];
        bool spi = irq->intid >= VGIC_NR_PRIVATE && irq->intid < VGIC_NR_PRIVATE + VGIC_NR_SPIS;
        if (spi && irq->lr_owner)
            continue;                       /* in another vCPU's list registers */
        if (spi && irq->hw && irq->latch)
            vgic_hw_spi_resample(irq);      /* its device may have dropped the line */
        if (wants_lr(vm, irq))
            cand[n++] = irq;
    }
    uint32_t used = n < lr_count ? n : lr_count;
    c->lr_pending = 0;
    for (uint32_t i = 0; i < used; i++) {
        uint32_t best = i;
        for (uint32_t j = i + 1; j < n; j++)
            if (lr_key(cand[j]) < lr_key(cand[best]))
                best = j;
        struct vgic_irq *irq = cand[best];
        cand[best] = cand[i];
        cand[i] = irq;
        uint64_t lr = lr_value(vm, irq);
        if (lr & ICH_LR_PENDING) {
            c->lr_pending |= 1u << i;
            pending_lrs++;
        }
        irq->lr_owner = (uint8_t)(v->id + 1);
        c->lr_irq[i] = irq;
        lr_write(i, lr);
    }
    c->lr_used = used;
    c->tall1 = !c->tall1_skip && needs_ack_resample(v, used);
    c->tall1_skip = false;
    /* More to deliver than list registers: come back when they drain (UIE: at most one
     * valid, so not with a single list register, which would fire at once), or when none
     * of the loaded ones is pending any more (NPIE). */
    uint64_t hcr = ICH_HCR_EN | (c->tall1 ? ICH_HCR_TALL1 : 0);
    if (n > used)
        hcr |= (used > 1 ? ICH_HCR_UIE : 0) | (pending_lrs ? ICH_HCR_NPIE : 0);
    write_sysreg(ich_hcr_el2, hcr);
    vgic_unlock(vm);
}

void vgic_fold(struct vcpu *v)
{
    struct vm *vm = v->vm;
    struct vgic_cpu *c = &v->arch.vgic;
    __atomic_store_n(&c->vmcr, read_sysreg(ich_vmcr_el2), __ATOMIC_RELAXED);
    if (!c->lr_used)
        return;
    vgic_lock(vm);
    for (uint32_t i = 0; i < c->lr_used; i++) {
        uint64_t lr = lr_read(i);
        struct vgic_irq *irq = c->lr_irq[i];
        irq->active = (lr & ICH_LR_ACTIVE) != 0;
        /* Pending went away: the guest acknowledged it (an edge, SGI or LPI is consumed;
         * a level interrupt stays pending while its line is high). */
        if ((c->lr_pending >> i & 1) && !(lr & ICH_LR_PENDING))
            irq->latch = false;
        /* Loaded pending or active, now neither: the guest's deactivation of a HW entry also
         * deactivated the physical interrupt. */
        if (irq->hw && !(lr & (ICH_LR_ACTIVE | ICH_LR_PENDING)))
            irq->hw_active = false;
        if (irq->req & VGIC_REQ_PEND)
            irq->latch = true;
        if (irq->req & VGIC_REQ_UNPEND)
            irq->latch = false;
        if (irq->req & VGIC_REQ_ACT)
            irq->active = true;
        if (irq->req & VGIC_REQ_DEACT)
            irq->active = false;
        irq->req = 0;
        irq->lr_owner = 0;
        /* Ended: nothing for the next WFI check or entry to look at (an SGI round trip ends
         * each interrupt here, and the vCPU then blocks). */
        vgic_irq_untrack_idle(irq);
        lr_write(i, 0);
    }
    c->lr_used = 0;
    write_sysreg(ich_hcr_el2, ICH_HCR_EN);
    vgic_unlock(vm);
}

/* The vCPU's CPU interface at reset, on its own pCPU: no list register in use, no active
 * priority, ICH_VMCR_EL2 with everything masked (ICV_PMR_EL1 0, groups off, the minimum
 * binary points: IHI 0069, ICV_BPR0_EL1/ICV_BPR1_EL1). Interrupts that were active end:
 * the guest starts over and cannot deactivate them any more. */
void vgic_vcpu_hw_reset(struct vcpu *v)
{
    struct vm *vm = v->vm;
    struct vgic_cpu *c = &v->arch.vgic;
    uint64_t vtr = read_sysreg(ich_vtr_el2);
    uint32_t prebits = (uint32_t)BITS(vtr, 28, 26) + 1, aprs = 1u << (prebits - 5);
    apr_count = aprs;
    lr_count = (uint32_t)BITS(vtr, 4, 0) + 1;
    if (lr_count > VGIC_MAX_LRS)
        lr_count = VGIC_MAX_LRS;
    for (uint32_t i = 0; i < lr_count; i++)
        lr_write(i, 0);
    write_sysreg(ich_ap0r0_el2, 0);
    write_sysreg(ich_ap1r0_el2, 0);
    if (aprs > 1) {
        write_sysreg(ich_ap0r1_el2, 0);
        write_sysreg(ich_ap1r1_el2, 0);
    }
    if (aprs > 2) {
        write_sysreg(ich_ap0r2_el2, 0);
        write_sysreg(ich_ap1r2_el2, 0);
        write_sysreg(ich_ap0r3_el2, 0);
        write_sysreg(ich_ap1r3_el2, 0);
    }
    uint64_t min_bpr0 = 7 - prebits;
    uint64_t vmcr = min_bpr0 << ICH_VMCR_VBPR0_SHIFT | (min_bpr0 + 1) << ICH_VMCR_VBPR1_SHIFT;
    write_sysreg(ich_vmcr_el2, vmcr);
    write_sysreg(ich_hcr_el2, ICH_HCR_EN);
    isb();

    uint32_t hw_end = 0;
    vgic_lock(vm);
    c->lr_used = 0;
    c->tall1 = c->tall1_skip = false;
    __atomic_store_n(&c->vmcr, vmcr, __ATOMIC_RELAXED);
    for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++) {
        struct vgic_irq *irq = &c->priv[i];
        if (irq->hw_active)
            hw_end |= 1u << i;
        irq->active = irq->hw_active = false;
        if (irq->hw)
            irq->latch = false;
        irq->lr_owner = irq->req = 0;
    }
    for (uint32_t i = 0; i < VGIC_LPI_SLOTS; i++)
        c->lpi[i].active = false;
    for (uint32_t i = 0; i < VGIC_NR_SPIS; i++)
        if (vm->arch.vgic.spi[i].target == v->id)
            vm->arch.vgic.spi[i].active = false;
    /* A passed-through SPI left active by the previous run: vCPU 0's reset ends it (the
     * device's line, if still up, makes it fire again for the new run). */
    uint32_t spi_end[VGIC_NR_SPIS / 32] = { 0 };
    for (uint32_t i = 0; v->id == 0 && i < VGIC_NR_SPIS; i++) {
        struct vgic_irq *irq = &vm->arch.vgic.spi[i];
        if (irq->hw && irq->hw_active && !irq->lr_owner) {
            spi_end[i / 32] |= 1u << (i % 32);
            irq->hw_active = irq->latch = irq->active = false;
        }
    }
    vgic_unlock(vm);
    for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++)
        if (hw_end >> i & 1)
            gicv3_deactivate(i);
    for (uint32_t i = 0; i < VGIC_NR_SPIS; i++)
        if (spi_end[i / 32] >> (i % 32) & 1)
            gicv3_deactivate(VGIC_NR_PRIVATE + i);
}
