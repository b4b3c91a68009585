/* vgic_redist.c: one emulated GICv3 redistributor per vCPU from 0x080A0000, 0x20000 apart:
 * RD_base (control, LPI tables) and SGI_base (SGIs and PPIs) frames (Arm IHI 0069, "The GIC
 * Redistributor register map"). One table row per register; the rest is RAZ/WI. */
#include "vgic_internal.h"

#define GICR_SGI_BASE 0x10000u

#define GICR_CTLR_ENABLE_LPIS  (1u << 0)
#define GICR_TYPER_PLPIS       (1ull << 0)
#define GICR_TYPER_LAST        (1ull << 4)
#define GICR_TYPER_PROC_SHIFT  8
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)
/* GICR_PROPBASER: IDbits [4:0], InnerCache [9:7], Shareability [11:10], PA [51:12],
 * OuterCache [58:56]. GICR_PENDBASER: PA [51:16], PTZ [62] (write-only). */
#define GICR_PROPBASER_MASK (0x1full | 0x7ull << 7 | 0x3ull << 10 | 0xffffffffffull << 12 | 0x7ull << 56)
#define GICR_PENDBASER_MASK (0x7ull << 7 | 0x3ull << 10 | 0xfffffffffull << 16 | 0x7ull << 56)
#define GICR_PENDBASER_PTZ  (1ull << 62)

static uint64_t ctlr_read(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size)
{
    (void)arg, (void)size;
    return c->rd->arch.vgic.ctlr;
}

/* EnableLPIs 0 -> 1 makes the redistributor look at the pending table (GICR_CTLR). */
static void ctlr_write(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size, uint64_t value)
{
    (void)arg, (void)size;
    struct vgic_cpu *vc = &c->rd->arch.vgic;
    bool was = vc->ctlr & GICR_CTLR_ENABLE_LPIS;
    vc->ctlr = (uint32_t)value & GICR_CTLR_ENABLE_LPIS;
    if (!was && (vc->ctlr & GICR_CTLR_ENABLE_LPIS)) {
        vgic_lpi_enable(c->rd);
        c->kick |= 1u << c->rd->id;
    }
}

static uint64_t iidr_read(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size)
{
    (void)c, (void)arg, (void)size;
    return VGIC_IIDR;
}

/* GICR_TYPER: PLPIS, Last (the final frame), Processor_Number [23:8] (the ITS's target
 * address with GITS_TYPER.PTA = 0) and Affinity_Value [63:32] = Aff3.Aff2.Aff1.Aff0. */
static uint64_t typer_read(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size)
{
    (void)arg, (void)size;
    const struct vcpu *v = c->rd;
    uint64_t mpidr = vgic_vcpu_affinity(v);
    uint64_t aff = BITS(mpidr, 39, 32) << 24 | BITS(mpidr, 23, 0);
    return GICR_TYPER_PLPIS | (v->id + 1 == c->vm->vcpu_count ? GICR_TYPER_LAST : 0) |
           (uint64_t)v->id << GICR_TYPER_PROC_SHIFT | aff << 32;
}

/* GICR_WAKER: ChildrenAsleep follows ProcessorSleep at once (nothing to quiesce). */
static uint64_t waker_read(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size)
{
    (void)arg, (void)size;
    uint32_t sleep = c->rd->arch.vgic.waker & GICR_WAKER_PROCESSOR_SLEEP;
    return sleep | (sleep ? GICR_WAKER_CHILDREN_ASLEEP : 0);
}

static void waker_write(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size, uint64_t value)
{
    (void)arg, (void)size;
    c->rd->arch.vgic.waker = (uint32_t)value & GICR_WAKER_PROCESSOR_SLEEP;
}

static uint64_t propbaser_read(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size)
{
    (void)arg, (void)size;
    return c->rd->arch.vgic.propbaser;
}

/* Writable only while EnableLPIs is 0 (GICR_PROPBASER, GICR_PENDBASER: otherwise
 * UNPREDICTABLE; ignored here). */
static void propbaser_write(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size, uint64_t value)
{
    (void)arg, (void)size;
    struct vgic_cpu *vc = &c->rd->arch.vgic;
    if (!(vc->ctlr & GICR_CTLR_ENABLE_LPIS))
        vc->propbaser = value & GICR_PROPBASER_MASK;
}

static uint64_t pendbaser_read(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size)
{
    (void)arg, (void)size;
    return c->rd->arch.vgic.pendbaser & GICR_PENDBASER_MASK;
}

static void pendbaser_write(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size, uint64_t value)
{
    (void)arg, (void)size;
    struct vgic_cpu *vc = &c->rd->arch.vgic;
    if (!(vc->ctlr & GICR_CTLR_ENABLE_LPIS))
        vc->pendbaser = value & (GICR_PENDBASER_MASK | GICR_PENDBASER_PTZ);
}

static uint64_t pidr2_read(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size)
{
    (void)c, (void)arg, (void)size;
    return VGIC_PIDR2_V3;
}

static const struct vgic_reg rd_regs[] = {
    { 0x0000, 4, 0, 0, ctlr_read, ctlr_write },                         /* GICR_CTLR */
    { 0x0004, 4, 0, 0, iidr_read, vgic_write_wi },                      /* GICR_IIDR */
    { 0x0008, 8, 0, VGIC_ACC_64, typer_read, vgic_write_wi },           /* GICR_TYPER */
    { 0x0014, 4, 0, 0, waker_read, waker_write },                       /* GICR_WAKER */
    { 0x0070, 8, 0, VGIC_ACC_64, propbaser_read, propbaser_write },     /* GICR_PROPBASER */
    { 0x0078, 8, 0, VGIC_ACC_64, pendbaser_read, pendbaser_write },     /* GICR_PENDBASER */
    { 0xffe8, 4, 0, 0, pidr2_read, vgic_write_wi },                     /* GICR_PIDR2 */
};

static const struct vgic_reg sgi_regs[] = {
    { 0x0080, 4, 1, 0, vgic_read_group, vgic_write_group },             /* GICR_IGROUPR0 */
    { 0x0100, 4, 1, 0, vgic_read_enable, vgic_write_set_enable },       /* GICR_ISENABLER0 */
    { 0x0180, 4, 1, 0, vgic_read_enable, vgic_write_clear_enable },     /* GICR_ICENABLER0 */
    { 0x0200, 4, 1, 0, vgic_read_pending, vgic_write_set_pending },     /* GICR_ISPENDR0 */
    { 0x0280, 4, 1, 0, vgic_read_pending, vgic_write_clear_pending },   /* GICR_ICPENDR0 */
    { 0x0300, 4, 1, 0, vgic_read_active, vgic_write_set_active },       /* GICR_ISACTIVER0 */
    { 0x0380, 4, 1, 0, vgic_read_active, vgic_write_clear_active },     /* GICR_ICACTIVER0 */
    { 0x0400, 0x20, 8, VGIC_ACC_8, vgic_read_priority, vgic_write_priority }, /* GICR_IPRIORITYR0-7 */
    { 0x0c00, 8, 2, 0, vgic_read_config, vgic_write_config },           /* GICR_ICFGR0, ICFGR1 */
};

/* Which vCPU's frame, and RD_base or SGI_base. */
static const struct vgic_reg *frame(struct vgic_mmio_ctx *c, uint64_t *offset, uint32_t *count)
{
    uint64_t index = *offset / VGIC_GICR_STRIDE;
    c->rd = &c->vm->vcpu[index < c->vm->vcpu_count ? index : 0];
    *offset %= VGIC_GICR_STRIDE;
    if (*offset < GICR_SGI_BASE) {
        *count = sizeof(rd_regs) / sizeof(rd_regs[0]);
        return rd_regs;
    }
    *offset -= GICR_SGI_BASE;
    *count = sizeof(sgi_regs) / sizeof(sgi_regs[0]);
    return sgi_regs;
}

static uint64_t redist_read(void *dev, struct vcpu *vcpu, uint64_t offset, uint32_t size)
{
    (void)vcpu;
    struct vgic_mmio_ctx c = { dev, NULL, 0 };
    uint32_t count;
    const struct vgic_reg *rows = frame(&c, &offset, &count);
    vgic_lock(c.vm);
    uint64_t v = vgic_mmio_read(rows, count, &c, offset, size);
    vgic_unlock(c.vm);
    return v;
}

static void redist_write(void *dev, struct vcpu *vcpu, uint64_t offset, uint32_t size, uint64_t value)
{
    (void)vcpu;
    struct vgic_mmio_ctx c = { dev, NULL, 0 };
    uint32_t count;
    const struct vgic_reg *rows = frame(&c, &offset, &count);
    vgic_lock(c.vm);
    vgic_mmio_write(rows, count, &c, offset, size, value);
    vgic_unlock(c.vm);
    vgic_kick_mask(c.vm, c.kick);
}

const struct mmio_ops vgic_redist_ops = { redist_read, redist_write };
