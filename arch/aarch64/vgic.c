/* vgic.c: a VM's virtual GICv3 (Arm IHI 0069): interrupt state, the level/pending interface the
 * devices use (vgic.h), SGIs, wake-up decisions, and VM/vCPU reset. The list registers are in
 * vgic_lr.c, the distributor and redistributor frames in vgic_dist.c / vgic_redist.c. */
#include "arch.h"
#include "arch_guest.h"
#include "kernel.h"
#include "gicv3.h"
#include "vgic_internal.h"

bool vgic_irq_deliverable(struct vm *vm, const struct vgic_irq *irq)
{
    /* GICD_CTLR.EnableGrp0 is bit 0, EnableGrp1 bit 1 (single security state, DS = 1). */
    return vgic_irq_pending(irq) && irq->enabled && (vm->arch.vgic.ctlr & (1u << irq->group));
}

struct vgic_irq *vgic_irq_lookup(struct vm *vm, struct vcpu *v, uint32_t intid)
{
    if (intid < VGIC_NR_PRIVATE)
        return v ? &v->arch.vgic.priv[intid] : NULL;
    if (intid < VGIC_NR_PRIVATE + VGIC_NR_SPIS)
        return &vm->arch.vgic.spi[intid - VGIC_NR_PRIVATE];
    if (intid >= VGIC_LPI_BASE && v)
        for (uint64_t used = v->arch.vgic.lpi_used; used; used &= used - 1)
            if (v->arch.vgic.lpi[__builtin_ctzll(used)].intid == intid)
                return &v->arch.vgic.lpi[__builtin_ctzll(used)];
    return NULL;
}

/* --- pending tracking ------------------------------------------------------------------ */

uint32_t vgic_track_gather(struct vm *vm, struct vcpu *v, struct vgic_irq **out)
{
    struct vgic_cpu *c = &v->arch.vgic;
    struct vgic_dist *d = &vm->arch.vgic;
    uint32_t n = 0, keep = 0;
    for (uint32_t bits = c->track_priv; bits; bits &= bits - 1) {
        uint32_t i = (uint32_t)__builtin_ctz(bits);
        if (vgic_irq_idle(&c->priv[i]))
            continue;
        keep |= 1u << i;
        out[n++] = &c->priv[i];
    }
    __atomic_store_n(&c->track_priv, keep, __ATOMIC_RELAXED);
    for (uint32_t w = 0; w < sizeof(d->track_spi) / sizeof(d->track_spi[0]); w++) {
        uint64_t spis = d->track_spi[w], drop = 0;
        for (uint64_t bits = spis; bits; bits &= bits - 1) {
            uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(bits);
            struct vgic_irq *irq = &d->spi[i];
            if (vgic_irq_idle(irq))
                drop |= 1ull << (i % 64);
            else if (irq->target == v->id)
                out[n++] = irq;
        }
        if (drop)
            __atomic_store_n(&d->track_spi[w], spis & ~drop, __ATOMIC_RELAXED);
    }
    uint64_t used = c->lpi_used;
    for (uint64_t bits = used; bits; bits &= bits - 1) {
        uint32_t i = (uint32_t)__builtin_ctzll(bits);
        struct vgic_irq *irq = &c->lpi[i];
        if (vgic_irq_idle(irq)) {
            irq->intid = 0;                 /* done with: the slot is free again */
            used &= ~(1ull << i);
        } else {
            out[n++] = irq;
        }
    }
    __atomic_store_n(&c->lpi_used, used, __ATOMIC_RELAXED);
    return n;
}

void vgic_track_all_spis(struct vm *vm)
{
    for (uint32_t w = 0; w < sizeof(vm->arch.vgic.track_spi) / sizeof(vm->arch.vgic.track_spi[0]); w++)
        vm->arch.vgic.track_spi[w] = w * 64 + 64 <= VGIC_NR_SPIS ? ~0ull : (1ull << (VGIC_NR_SPIS % 64)) - 1;
}

struct vcpu *vgic_irq_vcpu(struct vm *vm, struct vcpu *owner, const struct vgic_irq *irq)
{
    if (irq->intid < VGIC_NR_PRIVATE || irq->intid >= VGIC_LPI_BASE)
        return owner;
    return irq->target < vm->vcpu_count ? &vm->vcpu[irq->target] : NULL;
}

/* While another vCPU's list registers hold the interrupt they are the truth for its pending
 * and active state: ask that vCPU to apply the change when it reads them back. */
void vgic_irq_set_pending(struct vgic_irq *irq, bool pending)
{
    if (irq->lr_owner)
        irq->req = (uint8_t)((irq->req & ~(VGIC_REQ_PEND | VGIC_REQ_UNPEND)) |
                             (pending ? VGIC_REQ_PEND : VGIC_REQ_UNPEND));
    else
        irq->latch = pending;
    if (pending)
        vgic_irq_track(irq);
}

void vgic_irq_set_active(struct vgic_irq *irq, bool active)
{
    if (irq->lr_owner)
        irq->req = (uint8_t)((irq->req & ~(VGIC_REQ_ACT | VGIC_REQ_DEACT)) |
                             (active ? VGIC_REQ_ACT : VGIC_REQ_DEACT));
    else
        irq->active = active;
    if (active)
        vgic_irq_track(irq);
}

uint32_t vgic_kick_bit(struct vm *vm, struct vcpu *owner, const struct vgic_irq *irq)
{
    struct vcpu *t = vgic_irq_vcpu(vm, owner, irq);
    return t && (vgic_irq_deliverable(vm, irq) || irq->lr_owner) ? 1u << t->id : 0;
}

/* A vCPU's own pCPU needs no kick: it loads its list registers before the next entry. */
void vgic_kick_mask(struct vm *vm, uint32_t mask)
{
    uint32_t self = arch_cpu_index();
    for (uint32_t i = 0; i < vm->vcpu_count && mask; i++, mask >>= 1)
        if ((mask & 1) && vm->vcpu[i].pcpu != self)
            arch_vcpu_kick(&vm->vcpu[i]);
}

void vgic_set_ppi_level(struct vcpu *v, uint32_t intid, bool level)
{
    if (intid < 16 || intid >= VGIC_NR_PRIVATE)
        return;
    struct vm *vm = v->vm;
    vgic_lock(vm);
    struct vgic_irq *irq = &v->arch.vgic.priv[intid];
    bool changed = irq->level != level;
    irq->level = level;
    if (level)
        vgic_irq_track(irq);
    uint32_t kick = changed && level ? vgic_kick_bit(vm, v, irq) : 0;
    vgic_unlock(vm);
    vgic_kick_mask(vm, kick);
}

void vgic_set_spi_level(struct vm *vm, uint32_t intid, bool level)
{
    if (intid < VGIC_NR_PRIVATE || intid >= VGIC_NR_PRIVATE + VGIC_NR_SPIS)
        return;
    vgic_lock(vm);
    struct vgic_irq *irq = &vm->arch.vgic.spi[intid - VGIC_NR_PRIVATE];
    bool changed = irq->level != level;
    irq->level = level;
    if (level)
        vgic_irq_track(irq);
    uint32_t kick = changed && level ? vgic_kick_bit(vm, NULL, irq) : 0;
    vgic_unlock(vm);
    vgic_kick_mask(vm, kick);
}

/* ICC_SGI1R_EL1 (Arm IHI 0069, its register description): TargetList [15:0], Aff1 [23:16], INTID
 * [27:24], Aff2 [39:32], IRM [40], RS [47:44], Aff3 [55:48]. With IRM every PE but the sender
 * is a target; otherwise the PEs Aff3.Aff2.Aff1.(RS * 16 + n) for each bit n of TargetList. A
 * vCPU's affinity is its id (vgic_vcpu_affinity: Aff1-Aff3 zero), so each bit names vCPU
 * RS * 16 + n at most. An SGI is only forwarded to a target where it is in the group the
 * register generates (SGI1R: Group 1; SGI0R and, with a single security state, ASGI1R: Group 0). */
bool vgic_send_sgi(struct vcpu *v, uint64_t sgir, bool group1)
{
    struct vm *vm = v->vm;
    uint32_t intid = (uint32_t)BITS(sgir, 27, 24), kick = 0, targets = 0;
    uint64_t aff321 = BITS(sgir, 23, 16) << 8 | BITS(sgir, 39, 32) << 16 | BITS(sgir, 55, 48) << 24;
    uint64_t base = aff321 | BITS(sgir, 47, 44) * 16;
    _Static_assert(VM_MAX_VCPUS <= 32, "a vCPU mask in 32 bits");
    if (BITS(sgir, 40, 40))
        targets = (uint32_t)((1ull << vm->vcpu_count) - 1) & ~(1u << v->id);
    else
        for (uint32_t list = (uint32_t)BITS(sgir, 15, 0); list; list &= list - 1)
            if (base + (uint32_t)__builtin_ctz(list) < vm->vcpu_count)
                targets |= 1u << (base + (uint32_t)__builtin_ctz(list));
    vgic_lock(vm);
    uint32_t hit = 0;
    for (uint32_t bits = targets; bits; bits &= bits - 1) {
        struct vcpu *t = &vm->vcpu[__builtin_ctz(bits)];
        struct vgic_irq *irq = &t->arch.vgic.priv[intid];
        if (irq->group != (group1 ? 1 : 0))
            continue;
        vgic_irq_set_pending(irq, true);
        kick |= vgic_kick_bit(vm, t, irq);
        hit |= 1u << t->id;
    }
    vgic_unlock(vm);
    vgic_kick_mask(vm, kick & ~(1u << v->id));
    return hit >> v->id & 1;
}

/* Lowest active priority of v (the running priority as the guest's active interrupts set it;
 * sub-priority grouping by the BPRs is ignored, which only makes a wake-up earlier). */
static uint32_t running_priority(struct vgic_irq *const *irqs, uint32_t n)
{
    uint32_t rp = 0x100;
    for (uint32_t i = 0; i < n; i++)
        if (irqs[i]->active && irqs[i]->priority < rp)
            rp = irqs[i]->priority;
    return rp;
}

/* What the virtual CPU interface would signal (IHI 0069, chapter "Virtual Interrupt Handling
 * and Prioritization", and the CanSignalVirtualInterrupt pseudocode): group enabled in ICH_VMCR_EL2, priority above
 * ICV_PMR_EL1 and above the running priority. */
static bool can_signal(struct vm *vm, const struct vgic_irq *irq, uint64_t vmcr, uint32_t rp)
{
    uint32_t pmr = (uint32_t)BITS(vmcr, 31, 24);
    return vgic_irq_deliverable(vm, irq) && !irq->active && (vmcr & (1u << irq->group)) &&
           irq->priority < pmr && irq->priority < rp;
}

bool vgic_vcpu_pending(struct vcpu *v)
{
    struct vm *vm = v->vm;
    struct vgic_irq *irqs[VGIC_NR_PRIVATE + VGIC_NR_SPIS + VGIC_LPI_SLOTS];
    uint64_t vmcr = __atomic_load_n(&v->arch.vgic.vmcr, __ATOMIC_RELAXED);
    bool found = false;
    if (vgic_track_idle(vm, v))
        return false;
    vgic_lock(vm);
    uint32_t n = vgic_track_gather(vm, v, irqs);
    uint32_t rp = running_priority(irqs, n);
    for (uint32_t i = 0; i < n && !found; i++)
        found = can_signal(vm, irqs[i], vmcr, rp);
    vgic_unlock(vm);
    return found;
}

/* A physical PPI forwarded to the guest (the EL1 timers): the physical interrupt stays
 * active (the host only dropped its priority) and the list register's HW bit makes the
 * guest's deactivation of the virtual one deactivate it (IHI 0069, ICH_LR<n>_EL2.HW
 * and the virtual interrupt handling chapter). Called on the vCPU's own pCPU. */
void vgic_hw_irq_fired(struct vcpu *v, uint32_t intid)
{
    struct vm *vm = v->vm;
    vgic_lock(vm);
    struct vgic_irq *irq = &v->arch.vgic.priv[intid];
    irq->hw = true;
    irq->hw_active = true;
    vgic_irq_set_pending(irq, true);
    vgic_unlock(vm);
}

void vgic_hw_spi_fired(struct vm *vm, uint32_t intid)
{
    if (intid < VGIC_NR_PRIVATE || intid >= VGIC_NR_PRIVATE + VGIC_NR_SPIS)
        return;
    vgic_lock(vm);
    struct vgic_irq *irq = &vm->arch.vgic.spi[intid - VGIC_NR_PRIVATE];
    irq->hw = true;
    irq->hw_active = true;
    vgic_irq_set_pending(irq, true);
    uint32_t kick = vgic_kick_bit(vm, NULL, irq);
    vgic_unlock(vm);
    vgic_kick_mask(vm, kick);
}

/* A passed-through SPI is level-sensitive at the host (gicv3_spi_route) and, once forwarded,
 * active there (the host only dropped its priority), so the host distributor's pending bit
 * for it is the device's line (IHI 0069, 4.1 "Interrupt lifecycle": a level-sensitive
 * interrupt is active and pending while its line stays asserted, active only once it drops).
 * Its virtual pending state follows that line, as KVM resamples its mapped level interrupts
 * (vgic_irq_handle_resampling): while the guest has not taken it, a dropped line withdraws
 * it and the physical SPI is deactivated, so the device's next assertion fires it afresh.
 * That covers a level SPI that fired again because the guest's EOI came before its handler
 * quietened the device. Taken (active) it is left to the guest's deactivation. */
void vgic_hw_spi_resample(struct vgic_irq *irq)
{
    if (!irq->hw || !irq->hw_active || !irq->latch || irq->active || irq->lr_owner || irq->req ||
        irq->intid < VGIC_NR_PRIVATE || irq->intid >= VGIC_NR_PRIVATE + VGIC_NR_SPIS)
        return;
    if (gicv3_spi_line(irq->intid))
        return;
    irq->latch = false;
    irq->hw_active = false;
    gicv3_deactivate(irq->intid);       /* an SPI ends at the distributor, from any PE */
}

/* The device behind a forwarded PPI says whether its line is still up (vtimer.c, on every
 * entry). A virtual interrupt still only pending whose line dropped (the guest reprogrammed
 * the timer first) is withdrawn and the physical one deactivated so it can fire again; one
 * the guest already took is left to its deactivation. Own pCPU, no list registers loaded. */
void vgic_hw_irq_resample(struct vcpu *v, uint32_t intid, bool line)
{
    struct vm *vm = v->vm;
    vgic_lock(vm);
    struct vgic_irq *irq = &v->arch.vgic.priv[intid];
    bool drop = irq->hw_active && !irq->active && (!line || !irq->latch);
    if (drop) {
        irq->latch = false;
        irq->hw_active = false;
    }
    vgic_unlock(vm);
    if (drop)
        gicv3_deactivate(intid);
}

/* --- reset --------------------------------------------------------------------------- */

static void irq_reset(struct vgic_irq *irq, uint32_t intid)
{
    bool level = irq->level, hw = irq->hw, hw_active = irq->hw_active;
    *irq = (struct vgic_irq){ .intid = intid, .target = 0 };
    irq->level = level;                 /* the line belongs to the device, not the GIC */
    irq->hw = hw;
    irq->hw_active = hw_active;         /* the physical PPI: only its own pCPU may end it */
    irq->edge = intid < 16;             /* SGIs are edge; PPIs and SPIs level (GICR/GICD_ICFGR) */
}

void vgic_dist_reset(struct vm *vm)
{
    struct vgic_dist *d = &vm->arch.vgic;
    d->ctlr = 0;
    for (uint32_t i = 0; i < VGIC_NR_SPIS; i++)
        irq_reset(&d->spi[i], VGIC_NR_PRIVATE + i);
    vgic_track_all_spis(vm);           /* lines stay as they are: let the next entry look */
}

void vgic_redist_reset(struct vcpu *v)
{
    struct vgic_cpu *c = &v->arch.vgic;
    for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++)
        irq_reset(&c->priv[i], i);
    for (uint32_t i = 0; i < VGIC_LPI_SLOTS; i++)
        c->lpi[i] = (struct vgic_irq){ 0 };
    c->lpi_used = 0;
    c->track_priv = ~0u;                /* lines stay as they are: let the next entry look */
    c->lpi_overflow = false;
    c->ctlr = 0;
    c->waker = 1u << 1;                 /* GICR_WAKER.ProcessorSleep: asleep until woken */
    c->propbaser = c->pendbaser = 0;
}

/* Before the VM (re)starts, with none of its vCPUs running: the whole vGIC at reset. */
void vgic_vm_reset(struct vm *vm)
{
    vgic_lock(vm);
    vgic_dist_reset(vm);
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        vgic_redist_reset(&vm->vcpu[i]);
    vgic_unlock(vm);
}

bool vgic_vm_init(struct vm *vm)
{
    vm->arch.vgic.lock = (struct spinlock)SPINLOCK_INIT;
    vgic_vm_reset(vm);
    if (mmio_bus_register(&vm->mmio, VGIC_GICD_BASE, VGIC_GICD_SIZE, &vgic_dist_ops, vm, "gicd") ||
        mmio_bus_register(&vm->mmio, VGIC_GICR_BASE, VGIC_GICR_STRIDE * vm->vcpu_count, &vgic_redist_ops, vm,
                          "gicr")) {
        hv_printf("vm %s: cannot register the GIC distributor and redistributors\n", vm->name);
        return false;
    }
    return true;
}
