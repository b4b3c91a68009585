/* vgic_lpi.c: LPIs of the vGIC (Arm IHI 0069, "LPIs"): priority and enable from the guest's
 * LPI configuration table (GICR_PROPBASER), pending state in a bounded set of slots per vCPU
 * and, when those are full, in the guest's LPI pending table (GICR_PENDBASER). Guest memory
 * is touched only through guest_read/guest_write. */
#include "vgic_internal.h"

#define GICR_CTLR_ENABLE_LPIS (1u << 0)
#define PROPBASER_PA(v)   ((v) & 0x000ffffffffff000ull)    /* [51:12] */
#define PENDBASER_PA(v)   ((v) & 0x000fffffffff0000ull)    /* [51:16] */
#define LPI_CFG_ENABLE    0x01u                             /* configuration byte: Enable [0], */
#define LPI_CFG_PRIORITY  0xfcu                             /* Priority [7:2] */
#define PEND_CHUNK_BYTES  64u

/* INTIDs below this exist: GICR_PROPBASER.IDbits + 1 bits, at most GICD_TYPER's. */
uint32_t vgic_lpi_limit(const struct vcpu *v)
{
    uint32_t bits = (uint32_t)BITS(v->arch.vgic.propbaser, 4, 0) + 1;
    if (bits > VGIC_LPI_ID_BITS)
        bits = VGIC_LPI_ID_BITS;
    return 1u << bits;
}

static bool lpis_on(const struct vcpu *v, uint32_t intid)
{
    return (v->arch.vgic.ctlr & GICR_CTLR_ENABLE_LPIS) && intid >= VGIC_LPI_BASE && intid < vgic_lpi_limit(v);
}

/* The LPI's configuration byte; an unreadable table reads as disabled. */
static void read_config(struct vcpu *v, struct vgic_irq *irq)
{
    uint8_t cfg = 0;
    if (guest_read(&v->vm->slots, PROPBASER_PA(v->arch.vgic.propbaser) + (irq->intid - VGIC_LPI_BASE), &cfg, 1))
        cfg = 0;
    irq->enabled = cfg & LPI_CFG_ENABLE;
    irq->priority = (uint8_t)(cfg & LPI_CFG_PRIORITY & VGIC_PRIO_MASK);
}

static struct vgic_irq *slot_alloc(struct vcpu *v, uint32_t intid)
{
    uint64_t free = ~v->arch.vgic.lpi_used;
    if (!free)
        return NULL;
    uint32_t i = (uint32_t)__builtin_ctzll(free);
    struct vgic_irq *irq = &v->arch.vgic.lpi[i];
    *irq = (struct vgic_irq){ .intid = intid, .group = 1, .edge = true, .target = (uint8_t)v->id };
    __atomic_store_n(&v->arch.vgic.lpi_used, v->arch.vgic.lpi_used | 1ull << i, __ATOMIC_RELAXED);
    read_config(v, irq);
    return irq;
}

/* One bit per INTID in the pending table (GICR_PENDBASER); false if it is not in guest RAM. */
static bool table_bit(struct vcpu *v, uint32_t intid, int set)
{
    uint64_t gpa = PENDBASER_PA(v->arch.vgic.pendbaser) + intid / 8;
    uint8_t byte, bit = (uint8_t)(1u << (intid % 8));
    if (guest_read(&v->vm->slots, gpa, &byte, 1))
        return false;
    bool was = byte & bit;
    if (set >= 0) {
        byte = set ? (uint8_t)(byte | bit) : (uint8_t)(byte & ~bit);
        guest_write(&v->vm->slots, gpa, &byte, 1);
    }
    return was;
}

void vgic_inject_lpi(struct vcpu *v, uint32_t intid)
{
    struct vm *vm = v->vm;
    uint32_t kick = 0;
    vgic_lock(vm);
    if (lpis_on(v, intid)) {
        struct vgic_irq *irq = vgic_irq_lookup(vm, v, intid);
        if (!irq)
            irq = slot_alloc(v, intid);
        if (irq) {
            vgic_irq_set_pending(irq, true);
            kick = vgic_kick_bit(vm, v, irq);
        } else {
            table_bit(v, intid, 1);           /* no slot: the guest's pending table holds it */
            v->arch.vgic.lpi_overflow = true;
        }
    }
    vgic_unlock(vm);
    vgic_kick_mask(vm, kick);
}

/* Pending LPIs from the guest's pending table into free slots, clearing their bits. */
void vgic_lpi_pull_pending(struct vcpu *v)
{
    struct vgic_cpu *c = &v->arch.vgic;
    uint32_t limit = vgic_lpi_limit(v);
    uint64_t base = PENDBASER_PA(c->pendbaser);
    c->lpi_overflow = false;
    if (!(c->ctlr & GICR_CTLR_ENABLE_LPIS) || !base)
        return;
    for (uint32_t byte0 = VGIC_LPI_BASE / 8; byte0 < limit / 8; byte0 += PEND_CHUNK_BYTES) {
        uint8_t chunk[PEND_CHUNK_BYTES];
        if (guest_read(&v->vm->slots, base + byte0, chunk, sizeof(chunk)))
            return;
        for (uint32_t b = 0; b < sizeof(chunk); b++) {
            for (uint32_t bit = 0; chunk[b] && bit < 8; bit++) {
                if (!(chunk[b] >> bit & 1))
                    continue;
                uint32_t intid = (byte0 + b) * 8 + bit;
                struct vgic_irq *irq = vgic_irq_lookup(v->vm, v, intid);
                if (!irq)
                    irq = slot_alloc(v, intid);
                if (!irq) {
                    c->lpi_overflow = true;   /* still full: try again next entry */
                    return;
                }
                vgic_irq_set_pending(irq, true);
                table_bit(v, intid, 0);
                chunk[b] &= (uint8_t)~(1u << bit);
            }
        }
    }
}

/* EnableLPIs 0 -> 1: LPIs the guest marked pending in its table are taken at the next entry. */
void vgic_lpi_enable(struct vcpu *v)
{
    v->arch.vgic.lpi_overflow = !(v->arch.vgic.pendbaser & (1ull << 62));   /* PTZ: table is zero */
}

void vgic_lpi_config_changed(struct vm *vm, uint32_t intid)
{
    uint32_t kick = 0;
    vgic_lock(vm);
    for (uint32_t i = 0; i < vm->vcpu_count; i++) {
        struct vcpu *v = &vm->vcpu[i];
        for (uint64_t used = v->arch.vgic.lpi_used; used; used &= used - 1) {
            struct vgic_irq *irq = &v->arch.vgic.lpi[__builtin_ctzll(used)];
            if (irq->intid && (!intid || irq->intid == intid)) {
                read_config(v, irq);
                kick |= vgic_kick_bit(vm, v, irq);
            }
        }
    }
    vgic_unlock(vm);
    vgic_kick_mask(vm, kick);
}

bool vgic_clear_lpi(struct vcpu *v, uint32_t intid)
{
    struct vm *vm = v->vm;
    bool was = false;
    vgic_lock(vm);
    struct vgic_irq *irq = intid >= VGIC_LPI_BASE ? vgic_irq_lookup(vm, v, intid) : NULL;
    if (irq) {
        was = (irq->req & VGIC_REQ_PEND) || (!(irq->req & VGIC_REQ_UNPEND) && irq->latch);
        vgic_irq_set_pending(irq, false);
    } else if (lpis_on(v, intid) && v->arch.vgic.lpi_overflow) {
        was = table_bit(v, intid, 0);
    }
    vgic_unlock(vm);
    return was;
}

void vgic_move_lpi(struct vcpu *from, struct vcpu *to, uint32_t intid)
{
    if (from != to && vgic_clear_lpi(from, intid))
        vgic_inject_lpi(to, intid);
}

void vgic_move_all_lpis(struct vcpu *from, struct vcpu *to)
{
    if (from == to)
        return;
    for (uint32_t s = 0; s < VGIC_LPI_SLOTS; s++) {
        uint32_t intid = __atomic_load_n(&from->arch.vgic.lpi[s].intid, __ATOMIC_RELAXED);
        if (intid)
            vgic_move_lpi(from, to, intid);
    }
}
