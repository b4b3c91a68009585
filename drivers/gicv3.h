/* gicv3.h: the host's GICv3/v4 (Arm IHI 0069): distributor, per-CPU redistributors and the
 * CPU interface through system registers, as EL2 uses them. The ITS is drivers/gicv3_its.*. */
#ifndef DRIVERS_GICV3_H
#define DRIVERS_GICV3_H

#include <stdbool.h>
#include <stdint.h>

#define GICV3_MAX_CPUS 8              /* redistributors remembered, by hypervisor CPU index */
#define GICV3_INTID_SPURIOUS 1023     /* ICC_IAR1_EL1: nothing pending (IHI 0069, 2.2.1) */
#define GICV3_PRIO_DEFAULT 0xa0       /* every interrupt the hypervisor enables */

struct gicv3_region {
    uint64_t base, size_bytes;
};

/* Boot CPU, once: the distributor (affinity routing, Group 1 enabled, every SPI disabled)
 * and where the redistributor regions are. False when there is no GICv3/v4. */
bool gicv3_init(uint64_t gicd_base, const struct gicv3_region *gicr, uint32_t gicr_count);
/* The calling CPU (hypervisor index cpu, MPIDR affinity mpidr): finds and wakes its
 * redistributor, disables every SGI/PPI, and enables the CPU interface at EL2
 * (ICC_SRE_EL2, ICC_PMR_EL1, ICC_BPR1_EL1, ICC_CTLR_EL1.EOImode = 1, ICC_IGRPEN1_EL1). */
bool gicv3_cpu_init(uint32_t cpu, uint64_t mpidr);
/* The RD_base of CPU cpu's redistributor (its SGI_base is 64 KiB above), 0 if unknown. */
uint64_t gicv3_rd_base(uint32_t cpu);
/* True when the redistributors implement virtual LPIs (GICR_TYPER.VLPIS: GICv4). */
bool gicv3_has_vlpis(void);

/* SGIs and PPIs (INTID < 32) of CPU cpu's redistributor: Group 1, priority, enable. */
void gicv3_ppi_enable(uint32_t cpu, uint32_t intid, uint8_t priority);
void gicv3_ppi_disable(uint32_t cpu, uint32_t intid);

/* An SPI (32..1019) at the distributor: Group 1, level-sensitive, this priority, routed to
 * the CPU with this MPIDR affinity (GICD_IROUTER<n>.Interrupt_Routing_Mode 0), enabled. False
 * when the distributor has no such SPI (GICD_TYPER.ITLinesNumber). */
bool gicv3_spi_route(uint32_t intid, uint64_t target_mpidr, uint8_t priority);
void gicv3_spi_disable(uint32_t intid);
/* Whether a level-sensitive SPI's line is asserted: its GICD_ISPENDR<n> bit. Nothing but the
 * line can make it pending (the hypervisor never writes ISPENDR for it), and acknowledging
 * it does not change that: a level-sensitive interrupt is pending while its line is
 * asserted, active or not (Arm IHI 0069, 4.1 "Interrupt lifecycle", level-sensitive
 * interrupts; GICD_ISPENDR<n>). */
bool gicv3_spi_line(uint32_t intid);

/* The CPU interface (the calling CPU). EOImode is 1: gicv3_eoi only drops the running
 * priority, gicv3_deactivate (or a guest's deactivation of a HW list register) ends it. */
uint32_t gicv3_ack(void);                    /* ICC_IAR1_EL1 */
void gicv3_eoi(uint32_t intid);              /* ICC_EOIR1_EL1 */
void gicv3_deactivate(uint32_t intid);       /* ICC_DIR_EL1 */
/* Group 1 SGI intid (0-15) to the CPU with this MPIDR affinity (ICC_SGI1R_EL1). */
void gicv3_send_sgi(uint64_t target_mpidr, uint32_t intid);
/* Stops the calling CPU's interface from signalling anything (ICC_IGRPEN1_EL1 = 0). */
void gicv3_cpu_disable(void);

#endif
