/* vgic_mmio.c: register-table dispatch for the vGIC's MMIO frames, and the per-interrupt
 * registers the distributor and the redistributors' SGI_base frames share (Arm IHI 0069:
 * GICD_/GICR_ IGROUPR, ISENABLER, ICENABLER, ISPENDR, ICPENDR, ISACTIVER, ICACTIVER,
 * IPRIORITYR, ICFGR). Everything here runs with the VM's vGIC lock held. */
#include "gicv3.h"
#include "vgic_internal.h"

/* Arm IHI 0069, "GIC memory-mapped register access": 32-bit accesses to every register,
 * 64-bit ones to the 64-bit registers, byte accesses to IPRIORITYR; anything else is
 * CONSTRAINED UNPREDICTABLE, and here reads as zero and is ignored. */
static const struct vgic_reg *find(const struct vgic_reg *rows, uint32_t n, uint64_t off, uint32_t size)
{
    for (uint32_t i = 0; i < n; i++) {
        const struct vgic_reg *r = &rows[i];
        if (off < r->offset || off >= (uint64_t)r->offset + r->length_bytes)
            continue;
        bool ok = (size == 4 && !(off & 3)) || (size == 8 && !(off & 7) && (r->access & VGIC_ACC_64)) ||
                  (size == 1 && (r->access & VGIC_ACC_8));
        return ok ? r : NULL;
    }
    return NULL;
}

/* 64-bit registers (IROUTER, TYPER, PROPBASER, ...) are handled whole; a 32-bit access
 * reads or merges its half. */
static bool is_wide(const struct vgic_reg *r)
{
    return r->bits_per_irq == 64 || (!r->bits_per_irq && r->length_bytes == 8);
}

static uint32_t row_arg(const struct vgic_reg *r, uint32_t rel)
{
    return r->bits_per_irq ? rel * 8 / r->bits_per_irq : rel;
}

uint64_t vgic_mmio_read(const struct vgic_reg *rows, uint32_t row_count, struct vgic_mmio_ctx *c, uint64_t offset,
                        uint32_t size)
{
    const struct vgic_reg *r = find(rows, row_count, offset, size);
    if (!r || !r->read)
        return 0;
    uint32_t rel = (uint32_t)(offset - r->offset);
    if (!is_wide(r))
        return r->read(c, row_arg(r, rel), size);
    uint64_t v = r->read(c, row_arg(r, rel & ~7u), 8) >> ((rel & 7) * 8);
    return size == 8 ? v : v & 0xffffffffull;
}

void vgic_mmio_write(const struct vgic_reg *rows, uint32_t row_count, struct vgic_mmio_ctx *c, uint64_t offset,
                     uint32_t size, uint64_t value)
{
    const struct vgic_reg *r = find(rows, row_count, offset, size);
    if (!r || !r->write)
        return;
    uint32_t rel = (uint32_t)(offset - r->offset);
    if (!is_wide(r)) {
        r->write(c, row_arg(r, rel), size, value);
        return;
    }
    uint32_t arg = row_arg(r, rel & ~7u);
    if (size == 4) {
        uint32_t shift = (rel & 7) * 8;
        uint64_t old = r->read ? r->read(c, arg, 8) : 0;
        value = (old & ~(0xffffffffull << shift)) | (value & 0xffffffffull) << shift;
    }
    r->write(c, arg, 8, value);
}

uint64_t vgic_read_raz(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size)
{
    (void)c, (void)arg, (void)size;
    return 0;
}

void vgic_write_wi(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size, uint64_t value)
{
    (void)c, (void)arg, (void)size, (void)value;
}

/* --- per-interrupt fields ---------------------------------------------------------------- */

/* GICD: SPIs only (with affinity routing the SGI/PPI fields there are RAZ/WI); GICR
 * SGI_base: that redistributor's SGIs and PPIs. */
static struct vgic_irq *irq_at(struct vgic_mmio_ctx *c, uint32_t intid)
{
    if (c->rd)
        return intid < VGIC_NR_PRIVATE ? &c->rd->arch.vgic.priv[intid] : NULL;
    if (intid >= VGIC_NR_PRIVATE && intid < VGIC_NR_PRIVATE + VGIC_NR_SPIS)
        return &c->vm->arch.vgic.spi[intid - VGIC_NR_PRIVATE];
    return NULL;
}

typedef bool (*bit_get_fn)(const struct vgic_irq *irq);
typedef void (*bit_set_fn)(struct vgic_mmio_ctx *c, struct vgic_irq *irq);

static uint64_t read_bits(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, bit_get_fn get)
{
    uint64_t v = 0;
    for (uint32_t k = 0; k < size * 8; k++) {
        struct vgic_irq *irq = irq_at(c, intid + k);
        if (irq && get(irq))
            v |= 1ull << k;
    }
    return v;
}

/* Write-1-to-act registers (ISENABLER, ICPENDR, ...): each set bit applies `set`. */
static void write_bits(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value, bit_set_fn set)
{
    for (uint32_t k = 0; k < size * 8; k++) {
        struct vgic_irq *irq = irq_at(c, intid + k);
        if (irq && (value >> k & 1)) {
            set(c, irq);
            c->kick |= vgic_kick_bit(c->vm, c->rd, irq);
        }
    }
}

static bool get_group(const struct vgic_irq *irq) { return irq->group; }
static bool get_enabled(const struct vgic_irq *irq) { return irq->enabled; }
static bool get_pending(const struct vgic_irq *irq)
{
    /* A change another vCPU has not applied yet is already the register's value. */
    if (irq->req & VGIC_REQ_PEND)
        return true;
    return !(irq->req & VGIC_REQ_UNPEND) && vgic_irq_pending(irq);
}
static bool get_active(const struct vgic_irq *irq)
{
    if (irq->req & VGIC_REQ_ACT)
        return true;
    return !(irq->req & VGIC_REQ_DEACT) && irq->active;
}

static void set_enable(struct vgic_mmio_ctx *c, struct vgic_irq *irq) { (void)c; irq->enabled = true; }
static void clear_enable(struct vgic_mmio_ctx *c, struct vgic_irq *irq) { (void)c; irq->enabled = false; }
static void set_pending(struct vgic_mmio_ctx *c, struct vgic_irq *irq) { (void)c; vgic_irq_set_pending(irq, true); }
/* ICPENDR clears the latch; a level interrupt whose line is still high stays pending
 * (IHI 0069, GICD_ICPENDR<n>). */
/* A passed-through SPI (HW) the guest made neither pending nor active through ICPENDR /
 * ICACTIVER: nothing will deactivate the physical SPI any more, so end it here (an SPI can be
 * deactivated from any PE). Not while a list register holds it: its read-back decides. */
static void hw_spi_check(struct vgic_irq *irq)
{
    if (irq->hw && irq->hw_active && irq->intid >= VGIC_NR_PRIVATE && irq->intid < VGIC_LPI_BASE &&
        !irq->lr_owner && !irq->latch && !irq->active) {
        irq->hw_active = false;
        gicv3_deactivate(irq->intid);
    }
}
static void clear_pending(struct vgic_mmio_ctx *c, struct vgic_irq *irq)
{
    (void)c;
    vgic_irq_set_pending(irq, false);
    hw_spi_check(irq);
}
static void set_active(struct vgic_mmio_ctx *c, struct vgic_irq *irq) { (void)c; vgic_irq_set_active(irq, true); }
static void clear_active(struct vgic_mmio_ctx *c, struct vgic_irq *irq)
{
    (void)c;
    vgic_irq_set_active(irq, false);
    hw_spi_check(irq);
}

uint64_t vgic_read_group(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size)
{
    return read_bits(c, intid, size, get_group);
}

/* IGROUPR is a plain read-write bit per interrupt (single security state: GICD_CTLR.DS = 1). */
void vgic_write_group(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value)
{
    for (uint32_t k = 0; k < size * 8; k++) {
        struct vgic_irq *irq = irq_at(c, intid + k);
        if (irq) {
            irq->group = (uint8_t)(value >> k & 1);
            c->kick |= vgic_kick_bit(c->vm, c->rd, irq);
        }
    }
}

uint64_t vgic_read_enable(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size)
{
    return read_bits(c, intid, size, get_enabled);
}

void vgic_write_set_enable(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value)
{
    write_bits(c, intid, size, value, set_enable);
}

void vgic_write_clear_enable(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value)
{
    write_bits(c, intid, size, value, clear_enable);
}

uint64_t vgic_read_pending(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size)
{
    /* A passed-through SPI reads as its device's line now (vgic_hw_spi_resample). */
    for (uint32_t k = 0; !c->rd && k < size * 8; k++) {
        struct vgic_irq *irq = irq_at(c, intid + k);
        if (irq)
            vgic_hw_spi_resample(irq);
    }
    return read_bits(c, intid, size, get_pending);
}

void vgic_write_set_pending(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value)
{
    write_bits(c, intid, size, value, set_pending);
}

void vgic_write_clear_pending(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value)
{
    write_bits(c, intid, size, value, clear_pending);
}

uint64_t vgic_read_active(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size)
{
    return read_bits(c, intid, size, get_active);
}

void vgic_write_set_active(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value)
{
    write_bits(c, intid, size, value, set_active);
}

void vgic_write_clear_active(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value)
{
    write_bits(c, intid, size, value, clear_active);
}

/* IPRIORITYR: one byte per interrupt; unimplemented low-order bits are RAZ/WI. */
uint64_t vgic_read_priority(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size)
{
    uint64_t v = 0;
    for (uint32_t k = 0; k < size; k++) {
        struct vgic_irq *irq = irq_at(c, intid + k);
        if (irq)
            v |= (uint64_t)irq->priority << (8 * k);
    }
    return v;
}

void vgic_write_priority(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value)
{
    for (uint32_t k = 0; k < size; k++) {
        struct vgic_irq *irq = irq_at(c, intid + k);
        if (irq) {
            irq->priority = (uint8_t)(value >> (8 * k)) & VGIC_PRIO_MASK;
            c->kick |= vgic_kick_bit(c->vm, c->rd, irq);
        }
    }
}

/* ICFGR: two bits per interrupt, bit 1 of each set for edge-triggered. SGIs are always edge
 * (read-only); PPIs and SPIs are programmable. */
uint64_t vgic_read_config(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size)
{
    uint64_t v = 0;
    for (uint32_t k = 0; k < size * 4; k++) {
        struct vgic_irq *irq = irq_at(c, intid + k);
        if (irq && irq->edge)
            v |= 2ull << (2 * k);
    }
    return v;
}

void vgic_write_config(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value)
{
    for (uint32_t k = 0; k < size * 4; k++) {
        struct vgic_irq *irq = irq_at(c, intid + k);
        if (irq && irq->intid >= 16 && !irq->hw)
            irq->edge = (value >> (2 * k + 1)) & 1;
    }
}
