/* vgic_state.h: the vGICv3's state inside struct arch_vm and struct arch_vcpu (owned by vgic*.c;
 * everything here is under struct vgic_dist.lock, except vmcr, which only the vCPU's pCPU writes). */
#ifndef VGIC_STATE_H
#define VGIC_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include "spinlock.h"

#define VGIC_NR_PRIVATE 32                 /* SGIs 0-15, PPIs 16-31 */
#define VGIC_NR_SPIS    96                 /* INTIDs 32-127: GICD_TYPER.ITLinesNumber = 3 */
#define VGIC_LPI_SLOTS  64                 /* pending/active LPIs held per vCPU; more wait in
                                              the guest's pending table */
_Static_assert(VGIC_LPI_SLOTS <= 64, "one bit per LPI slot in vgic_cpu.lpi_used");
#define VGIC_MAX_LRS    16                 /* ICH_LR<n>_EL2, n < 16 (ICH_VTR_EL2.ListRegs) */
#define VGIC_NO_TARGET  0xff

/* Changes asked for while another vCPU's list registers hold the interrupt; that vCPU
 * applies them when it reads its list registers back (vgic_fold). */
#define VGIC_REQ_PEND   (1u << 0)
#define VGIC_REQ_UNPEND (1u << 1)
#define VGIC_REQ_ACT    (1u << 2)
#define VGIC_REQ_DEACT  (1u << 3)

/* One interrupt as the GIC architecture describes it (Arm IHI 0069, "Interrupt
 * lifecycle": inactive, pending, active, active and pending). Pending is `latch` (edge, SGI, LPI, ISPENDR) or the
 * line `level` of a level-sensitive interrupt. */
struct vgic_irq {
    uint32_t intid;            /* 0 in a free LPI slot */
    uint8_t priority;          /* implemented bits only (VGIC_PRIO_MASK) */
    uint8_t group;             /* 0 or 1 (GICD_IGROUPR / GICR_IGROUPR0) */
    uint8_t target;            /* SPI: vCPU named by GICD_IROUTER, or VGIC_NO_TARGET */
    uint8_t lr_owner;          /* vCPU id + 1 whose list registers hold it, 0: none */
    uint8_t req;               /* VGIC_REQ_* */
    bool enabled, edge, level, latch, active;
    bool hw;                   /* a forwarded physical PPI (timers): LR.HW = 1, pINTID = intid */
    bool hw_active;            /* ... whose physical interrupt is active until the guest
                                  deactivates the virtual one (or vtimer.c drops it) */
    uint64_t irouter;          /* SPI: GICD_IROUTER<n> */
};

/* Per vCPU: its redistributor and its list registers. */
struct vgic_cpu {
    struct vgic_irq priv[VGIC_NR_PRIVATE];
    struct vgic_irq lpi[VGIC_LPI_SLOTS];
    bool lpi_overflow;         /* some pending LPIs are only in the guest's pending table */
    /* Pending tracking: a bit for every interrupt of this vCPU that may be pending, active or
     * have its line high (a superset: vgic_track_gather drops the stale ones), so an entry
     * looks only at those, and none at all when the words are zero. */
    uint32_t track_priv;       /* bit n: priv[n] */
    uint64_t lpi_used;         /* bit n: lpi[n] holds an LPI (intid != 0) */
    uint32_t ctlr;             /* GICR_CTLR.EnableLPIs */
    uint32_t waker;            /* GICR_WAKER.ProcessorSleep */
    uint64_t propbaser, pendbaser;
    uint64_t vmcr;             /* ICH_VMCR_EL2 at the last exit: the guest's PMR, BPRs, group
                                  enables and EOImode (written only on the vCPU's pCPU) */
    uint32_t lr_used;          /* list registers written at the last entry */
    uint32_t lr_pending;       /* ... those written with the pending state (bit n: LR n) */
    struct vgic_irq *lr_irq[VGIC_MAX_LRS];
    bool tall1;                /* ICH_HCR_EL2.TALL1 at the last entry: a passed-through SPI
                                  is resampled when the guest acknowledges (vgic_lr.c) */
    bool tall1_skip;           /* ... and the guest's access trapped: the next entry lets it
                                  run without the trap */
};

/* Per VM: the distributor. */
struct vgic_dist {
    struct spinlock lock;      /* every vgic_irq and register of the VM */
    uint32_t ctlr;             /* GICD_CTLR.EnableGrp0/EnableGrp1 */
    struct vgic_irq spi[VGIC_NR_SPIS];
    uint64_t track_spi[(VGIC_NR_SPIS + 63) / 64];   /* bit n: spi[n] may have state (as track_priv) */
};

#endif
