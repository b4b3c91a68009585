/* vgic_internal.h: what the vGICv3 files share (vgic.c, vgic_lr.c, vgic_mmio.c, vgic_dist.c,
 * vgic_redist.c, vgic_lpi.c, vgic_sysreg.c, vtimer.c). Not for the rest of the hypervisor:
 * that uses vgic.h. */
#ifndef VGIC_INTERNAL_H
#define VGIC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sysreg.h"
#include "vgic.h"
#include "vm.h"

#define VGIC_PRIO_MASK 0xf8u          /* 5 priority bits: the fewest a GICv3 virtual CPU
                                         interface implements (ICH_VTR_EL2.PRIbits >= 4) */
#define VGIC_IIDR      0x0100043bu    /* Implementer 0x43B (Arm), ProductID 1: this vGIC */
#define VGIC_PIDR2_V3  0x3bu          /* ArchRev 3 [7:4], JEDEC used [3], DES_1 [2:0] */
#define VGIC_LPI_ID_BITS 16           /* GICD_TYPER.IDbits + 1 */

static inline struct vgic_dist *vgic_dist_of(struct vm *vm) { return &vm->arch.vgic; }
static inline void vgic_lock(struct vm *vm) { spin_lock(&vm->arch.vgic.lock); }
static inline void vgic_unlock(struct vm *vm) { spin_unlock(&vm->arch.vgic.lock); }

/* The MPIDR affinity a vCPU has (vcpu.c's reset: Aff0 = vCPU id), also while it is off. */
static inline uint64_t vgic_vcpu_affinity(const struct vcpu *v) { return v->id; }

/* Pending as the architecture defines it: an edge/SGI/LPI latch, or a high level line. */
static inline bool vgic_irq_pending(const struct vgic_irq *irq)
{
    return irq->latch || (!irq->edge && irq->level);
}

/* Pending tracking (vgic_state.h): every change that can give an interrupt state (pending,
 * active, a high line) sets its bit, under the lock; the words are read without it by
 * vgic_flush's idle check, which a kick follows whenever a bit is set from another pCPU.
 * LPIs are tracked by their slot (vgic_cpu.lpi_used). */
static inline void vgic_irq_track(struct vgic_irq *irq)
{
    uint32_t intid = irq->intid;
    if (intid < VGIC_NR_PRIVATE) {
        struct vgic_cpu *c = (struct vgic_cpu *)((char *)(irq - intid) - offsetof(struct vgic_cpu, priv));
        __atomic_store_n(&c->track_priv, c->track_priv | 1u << intid, __ATOMIC_RELAXED);
    } else if (intid < VGIC_NR_PRIVATE + VGIC_NR_SPIS) {
        uint32_t n = intid - VGIC_NR_PRIVATE;
        struct vgic_dist *d = (struct vgic_dist *)((char *)(irq - n) - offsetof(struct vgic_dist, spi));
        __atomic_store_n(&d->track_spi[n / 64], d->track_spi[n / 64] | 1ull << (n % 64), __ATOMIC_RELAXED);
    }
}

/* Nothing left to deliver or end, and no vCPU's list registers or requests holding it. */
static inline bool vgic_irq_idle(const struct vgic_irq *irq)
{
    return !(irq->active | irq->latch | irq->level) && !irq->req && !irq->lr_owner;
}

/* Its tracking bit dropped once it is idle, as vgic_track_gather would drop it (SGIs/PPIs and
 * SPIs; an LPI's slot is freed by the gather). Lock held. */
static inline void vgic_irq_untrack_idle(struct vgic_irq *irq)
{
    uint32_t intid = irq->intid;
    if (!vgic_irq_idle(irq))
        return;
    if (intid < VGIC_NR_PRIVATE) {
        struct vgic_cpu *c = (struct vgic_cpu *)((char *)(irq - intid) - offsetof(struct vgic_cpu, priv));
        __atomic_store_n(&c->track_priv, c->track_priv & ~(1u << intid), __ATOMIC_RELAXED);
    } else if (intid < VGIC_NR_PRIVATE + VGIC_NR_SPIS) {
        uint32_t n = intid - VGIC_NR_PRIVATE;
        struct vgic_dist *d = (struct vgic_dist *)((char *)(irq - n) - offsetof(struct vgic_dist, spi));
        __atomic_store_n(&d->track_spi[n / 64], d->track_spi[n / 64] & ~(1ull << (n % 64)), __ATOMIC_RELAXED);
    }
}

/* Every tracked interrupt of v (its SGIs/PPIs, the SPIs routed to it, its LPI slots) into out
 * (room for VGIC_NR_PRIVATE + VGIC_NR_SPIS + VGIC_LPI_SLOTS), in INTID order; stale bits and
 * LPI slots with no state left are dropped on the way. Lock held. */
uint32_t vgic_track_gather(struct vm *vm, struct vcpu *v, struct vgic_irq **out);
/* Nothing tracked for v: no interrupt of it can be pending or active (no lock needed). */
static inline bool vgic_track_idle(const struct vm *vm, const struct vcpu *v)
{
    _Static_assert(sizeof(vm->arch.vgic.track_spi) == 2 * sizeof(uint64_t), "two words of SPIs");
    return !(__atomic_load_n(&v->arch.vgic.track_priv, __ATOMIC_RELAXED) |
             __atomic_load_n(&v->arch.vgic.lpi_used, __ATOMIC_RELAXED) |
             __atomic_load_n(&vm->arch.vgic.track_spi[0], __ATOMIC_RELAXED) |
             __atomic_load_n(&vm->arch.vgic.track_spi[1], __ATOMIC_RELAXED));
}
/* Every SPI tracked again (after a reset): the next gather sorts it out. Lock held. */
void vgic_track_all_spis(struct vm *vm);

/* Forwardable now: pending, enabled, and its group enabled at the distributor. */
bool vgic_irq_deliverable(struct vm *vm, const struct vgic_irq *irq);

/* The interrupt intid as seen by vCPU v (SGIs/PPIs and LPIs are v's own; SPIs the VM's);
 * NULL when there is none. Lock held. */
struct vgic_irq *vgic_irq_lookup(struct vm *vm, struct vcpu *v, uint32_t intid);
/* The vCPU an interrupt is delivered to (private: owner; SPI: IROUTER target), or NULL. */
struct vcpu *vgic_irq_vcpu(struct vm *vm, struct vcpu *owner, const struct vgic_irq *irq);

/* State changes that respect a running vCPU's list registers (VGIC_REQ_*). Lock held. */
void vgic_irq_set_pending(struct vgic_irq *irq, bool pending);
void vgic_irq_set_active(struct vgic_irq *irq, bool active);

/* A passed-through (HW) SPI pending only because its physical SPI fired, not taken by the
 * guest yet: withdrawn (and the physical SPI deactivated) if the device's line has dropped
 * meanwhile (vgic.c). Lock held; not while a list register holds it. */
void vgic_hw_spi_resample(struct vgic_irq *irq);

/* Kicks every vCPU in the mask that is not the caller's own (after unlocking). */
void vgic_kick_mask(struct vm *vm, uint32_t mask);
/* Bit of v in a kick mask when irq became deliverable on it. Lock held. */
uint32_t vgic_kick_bit(struct vm *vm, struct vcpu *owner, const struct vgic_irq *irq);

/* LPIs (vgic_lpi.c). Lock held. */
uint32_t vgic_lpi_limit(const struct vcpu *v);              /* first INTID past the table */
void vgic_lpi_pull_pending(struct vcpu *v);                 /* guest pending table -> slots */
void vgic_lpi_enable(struct vcpu *v);                       /* GICR_CTLR.EnableLPIs 0 -> 1 */

/* MMIO register tables (vgic_mmio.c): one row per register or per-interrupt range. */
struct vgic_mmio_ctx {
    struct vm *vm;
    struct vcpu *rd;            /* the redistributor's vCPU; NULL for the distributor */
    uint32_t kick;              /* vCPUs to kick once the lock is dropped */
};

struct vgic_reg {
    uint32_t offset, length_bytes;
    uint8_t bits_per_irq;       /* per-interrupt field width, 0: a plain register */
    uint8_t access;             /* VGIC_ACC_*: widths allowed besides 32 bits */
    /* arg: the first INTID of the access (per-interrupt rows) or the byte offset into
     * the register (plain rows). */
    uint64_t (*read)(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size);
    void (*write)(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size, uint64_t value);
};
#define VGIC_ACC_8  (1u << 0)   /* byte accesses (IPRIORITYR) */
#define VGIC_ACC_64 (1u << 1)   /* 64-bit accesses (IROUTER, TYPER, PROPBASER, PENDBASER) */

uint64_t vgic_mmio_read(const struct vgic_reg *rows, uint32_t row_count, struct vgic_mmio_ctx *c,
                        uint64_t offset, uint32_t size);
void vgic_mmio_write(const struct vgic_reg *rows, uint32_t row_count, struct vgic_mmio_ctx *c,
                     uint64_t offset, uint32_t size, uint64_t value);

/* Per-interrupt registers shared by GICD and GICR SGI_base (vgic_mmio.c). */
uint64_t vgic_read_group(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size);
void vgic_write_group(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value);
uint64_t vgic_read_enable(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size);
void vgic_write_set_enable(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value);
void vgic_write_clear_enable(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value);
uint64_t vgic_read_pending(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size);
void vgic_write_set_pending(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value);
void vgic_write_clear_pending(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value);
uint64_t vgic_read_active(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size);
void vgic_write_set_active(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value);
void vgic_write_clear_active(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value);
uint64_t vgic_read_priority(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size);
void vgic_write_priority(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value);
uint64_t vgic_read_config(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size);
void vgic_write_config(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value);
uint64_t vgic_read_raz(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size);
void vgic_write_wi(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size, uint64_t value);

extern const struct mmio_ops vgic_dist_ops;     /* vgic_dist.c */
extern const struct mmio_ops vgic_redist_ops;   /* vgic_redist.c */
void vgic_dist_reset(struct vm *vm);
void vgic_redist_reset(struct vcpu *v);
/* SGIs from ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 of vCPU v (vgic.c); true when v
 * itself is one of the targets given the SGI (its next entry must load it). */
bool vgic_send_sgi(struct vcpu *v, uint64_t sgir, bool group1);

#endif
