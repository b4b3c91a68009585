/* gic.h: the guest side of a GICv3 (QEMU virt layout): distributor, this CPU's redistributor
 * and the ICC_* system-register CPU interface, Group 1 only (Arm IHI 0069). */
#ifndef GUEST_GIC_H
#define GUEST_GIC_H

#include "rt.h"

#define GICD_BASE        0x08000000ul
#define GICR_BASE        0x080A0000ul
#define GICD_ISPENDR     0x0200
#define GICD_ISACTIVER   0x0300
#define GICR_SGI_BASE    0x10000ul
#define GICR_ISPENDR0    0x0200
#define GICR_ISACTIVER0  0x0300
#define GIC_SPURIOUS     1023

/* Distributor: affinity routing and Group 1 on (boot CPU, once). */
void gic_dist_init(void);
/* This CPU: wake its redistributor, all SGIs/PPIs Group 1, ICC_SRE_EL1.SRE, PMR 0xff,
 * BPR1 0, EOImode 0, Group 1 on. False if no redistributor has this CPU's affinity. */
bool gic_cpu_init(void);
uintptr_t gic_rd_base(void);                        /* this CPU's RD_base (after gic_cpu_init) */

/* One interrupt: SGI/PPI on this CPU's redistributor, SPI on the distributor (routed to
 * this CPU). Priority, enable, edge/level, software pending, state. */
void gic_irq_enable(uint32_t intid, uint8_t priority);
void gic_irq_disable(uint32_t intid);
void gic_irq_set_edge(uint32_t intid, bool edge);
void gic_irq_set_pending(uint32_t intid);
void gic_irq_clear_pending(uint32_t intid);
bool gic_irq_pending(uint32_t intid);               /* GICD/GICR ISPENDR */
bool gic_irq_active(uint32_t intid);                /* GICD/GICR ISACTIVER */

static inline uint32_t gic_ack(void) { return (uint32_t)read_sysreg(S3_0_C12_C12_0) & 0xffffff; }  /* ICC_IAR1_EL1 */
static inline void gic_eoi(uint32_t intid) { write_sysreg(S3_0_C12_C12_1, intid); isb(); }   /* ICC_EOIR1_EL1 */
static inline void gic_dir(uint32_t intid) { write_sysreg(S3_0_C12_C11_1, intid); isb(); }   /* ICC_DIR_EL1 */
static inline void gic_set_pmr(uint8_t pmr) { write_sysreg(S3_0_C4_C6_0, pmr); isb(); }      /* ICC_PMR_EL1 */
/* ICC_CTLR_EL1.EOImode: 1 = EOIR only drops the priority, DIR deactivates. */
void gic_set_eoimode(bool split);

/* ICC_SGI1R_EL1: SGI intid to the CPU with Aff0 = cpu (Aff1-3 zero), or to every other CPU. */
void gic_send_sgi(uint32_t intid, unsigned cpu);
void gic_send_sgi_others(uint32_t intid);

static inline void irq_unmask(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
static inline void irq_mask(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }

#endif
