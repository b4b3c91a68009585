/* vgic_dist.c: the emulated GICv3 distributor at 0x08000000 (Arm IHI 0069, "The GIC
 * Distributor register map"): one table row per register; the rest of the frame is RAZ/WI. */
#include "vgic_internal.h"

#define GICD_CTLR_ENABLE_MASK 0x3u          /* EnableGrp0 [0], EnableGrp1 [1] (DS = 1 view) */
#define GICD_CTLR_ARE         (1u << 4)     /* affinity routing: always on (RAO/WI) */
#define GICD_CTLR_DS          (1u << 6)     /* a single security state */

/* GICD_TYPER: ITLinesNumber [4:0] (32 * (N + 1) INTIDs), LPIS [17], IDbits [23:19]
 * (INTID bits - 1), No1N [25] (no 1-of-N SPI routing: GICD_IROUTER.IRM is RAZ/WI). */
#define GICD_TYPER_VALUE ((uint32_t)((VGIC_NR_PRIVATE + VGIC_NR_SPIS) / 32 - 1) | 1u << 17 | \
                          (uint32_t)(VGIC_LPI_ID_BITS - 1) << 19 | 1u << 25)

/* GICD_IROUTER<n>: Aff3 [39:32], IRM [31], Aff2 [23:16], Aff1 [15:8], Aff0 [7:0]. */
#define IROUTER_AFF_MASK 0xff00ffffffull

static uint64_t ctlr_read(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size)
{
    (void)arg, (void)size;
    return c->vm->arch.vgic.ctlr | GICD_CTLR_ARE | GICD_CTLR_DS;
}

/* Enabling a group can make every pending SPI of it deliverable: kick every vCPU. */
static void ctlr_write(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size, uint64_t value)
{
    (void)arg, (void)size;
    c->vm->arch.vgic.ctlr = (uint32_t)value & GICD_CTLR_ENABLE_MASK;
    c->kick |= (1u << c->vm->vcpu_count) - 1;
}

static uint64_t typer_read(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size)
{
    (void)c, (void)arg, (void)size;
    return GICD_TYPER_VALUE;
}

static uint64_t iidr_read(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size)
{
    (void)c, (void)arg, (void)size;
    return VGIC_IIDR;
}

static uint64_t pidr2_read(struct vgic_mmio_ctx *c, uint32_t arg, uint32_t size)
{
    (void)c, (void)arg, (void)size;
    return VGIC_PIDR2_V3;
}

static uint64_t irouter_read(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size)
{
    (void)size;
    if (intid < VGIC_NR_PRIVATE || intid >= VGIC_NR_PRIVATE + VGIC_NR_SPIS)
        return 0;
    return c->vm->arch.vgic.spi[intid - VGIC_NR_PRIVATE].irouter;
}

/* The SPI goes to the vCPU with that affinity; none matching: it stays pending. */
static void irouter_write(struct vgic_mmio_ctx *c, uint32_t intid, uint32_t size, uint64_t value)
{
    (void)size;
    if (intid < VGIC_NR_PRIVATE || intid >= VGIC_NR_PRIVATE + VGIC_NR_SPIS)
        return;
    struct vm *vm = c->vm;
    struct vgic_irq *irq = &vm->arch.vgic.spi[intid - VGIC_NR_PRIVATE];
    irq->irouter = value & IROUTER_AFF_MASK;
    irq->target = VGIC_NO_TARGET;
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        if (vgic_vcpu_affinity(&vm->vcpu[i]) == irq->irouter)
            irq->target = (uint8_t)i;
    c->kick |= vgic_kick_bit(vm, NULL, irq);
}

static const struct vgic_reg dist_regs[] = {
    { 0x0000, 4, 0, 0, ctlr_read, ctlr_write },                         /* GICD_CTLR */
    { 0x0004, 4, 0, 0, typer_read, vgic_write_wi },                     /* GICD_TYPER */
    { 0x0008, 4, 0, 0, iidr_read, vgic_write_wi },                      /* GICD_IIDR */
    { 0x0080, 0x80, 1, 0, vgic_read_group, vgic_write_group },          /* GICD_IGROUPR<n> */
    { 0x0100, 0x80, 1, 0, vgic_read_enable, vgic_write_set_enable },    /* GICD_ISENABLER<n> */
    { 0x0180, 0x80, 1, 0, vgic_read_enable, vgic_write_clear_enable },  /* GICD_ICENABLER<n> */
    { 0x0200, 0x80, 1, 0, vgic_read_pending, vgic_write_set_pending },  /* GICD_ISPENDR<n> */
    { 0x0280, 0x80, 1, 0, vgic_read_pending, vgic_write_clear_pending },/* GICD_ICPENDR<n> */
    { 0x0300, 0x80, 1, 0, vgic_read_active, vgic_write_set_active },    /* GICD_ISACTIVER<n> */
    { 0x0380, 0x80, 1, 0, vgic_read_active, vgic_write_clear_active },  /* GICD_ICACTIVER<n> */
    { 0x0400, 0x400, 8, VGIC_ACC_8, vgic_read_priority, vgic_write_priority }, /* GICD_IPRIORITYR<n> */
    { 0x0c00, 0x100, 2, 0, vgic_read_config, vgic_write_config },       /* GICD_ICFGR<n> */
    { 0x6000, 0x2000, 64, VGIC_ACC_64, irouter_read, irouter_write },   /* GICD_IROUTER<n> */
    { 0xffe8, 4, 0, 0, pidr2_read, vgic_write_wi },                     /* GICD_PIDR2 */
};

static uint64_t dist_read(void *dev, struct vcpu *vcpu, uint64_t offset, uint32_t size)
{
    (void)vcpu;
    struct vgic_mmio_ctx c = { dev, NULL, 0 };
    vgic_lock(c.vm);
    uint64_t v = vgic_mmio_read(dist_regs, sizeof(dist_regs) / sizeof(dist_regs[0]), &c, offset, size);
    vgic_unlock(c.vm);
    return v;
}

static void dist_write(void *dev, struct vcpu *vcpu, uint64_t offset, uint32_t size, uint64_t value)
{
    (void)vcpu;
    struct vgic_mmio_ctx c = { dev, NULL, 0 };
    vgic_lock(c.vm);
    vgic_mmio_write(dist_regs, sizeof(dist_regs) / sizeof(dist_regs[0]), &c, offset, size, value);
    vgic_unlock(c.vm);
    vgic_kick_mask(c.vm, c.kick);
}

const struct mmio_ops vgic_dist_ops = { dist_read, dist_write };
