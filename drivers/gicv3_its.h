/* gicv3_its.h: the host's physical ITS (Arm IHI 0069, chapter 6 and 5.3) and the GICv4.0
 * virtual-LPI parts of the redistributors (GICR_VPROPBASER / GICR_VPENDBASER), as the
 * hypervisor uses them for GICv4 direct injection (arch/aarch64/vgic_v4.c).
 *
 * One command queue (GITS_CBASER, polled through GITS_CREADR), a Device, Collection and
 * vPE table (GITS_BASER<n>, flat, from hv_page_alloc), one collection per physical CPU
 * (ICID = hypervisor CPU index) and host LPIs enabled on every redistributor
 * (GICR_PROPBASER / GICR_PENDBASER, EnableLPIs) so GICv4 doorbells can arrive. Every
 * command is waited for (CREADR == CWRITER) before gits_* returns. */
#ifndef DRIVERS_GICV3_ITS_H
#define DRIVERS_GICV3_ITS_H

#include <stdbool.h>
#include <stdint.h>

#define GITS_HOST_LPI_ID_BITS 14          /* host LPIs: INTIDs 8192 .. 16383 */
#define GITS_LPI_BASE 8192u
#define GITS_VLPI_ID_BITS 16              /* vINTIDs below 65536 (each vPE's pending table) */

/* Once, after the page allocator and every CPU's gicv3_cpu_init: finds the ITS at `base`,
 * allocates its tables and the host LPI tables, enables LPIs on every known redistributor,
 * maps one collection per CPU and enables the ITS. False (the ITS left disabled) when there
 * is no usable ITS. Idempotent: later calls return the first result. */
bool gits_init(uint64_t base);
/* GITS_TYPER.Virtual and every redistributor with VLPIS: GICv4 commands can be used. */
bool gits_has_vlpis(void);

/* A host LPI's configuration byte (enabled, GICV3_PRIO_DEFAULT) or disabled. */
void gits_host_lpi_enable(uint32_t intid, bool enable);

/* Physical commands (the ITS lock is taken inside; each is waited for). device_id is
 * a host DeviceID; itt_bits the EventID bits of its ITT (allocated here on the first MAPD). */
bool gits_mapd(uint32_t device_id, uint32_t itt_bits);
/* MAPTI (+ SYNC): event -> host LPI intid, collection of CPU `cpu` (ICID = CPU index). */
bool gits_mapti(uint32_t device_id, uint32_t event_id, uint32_t intid, uint32_t cpu);
/* Host DeviceIDs below this fit the Device table (0 before gits_init succeeded). */
uint32_t gits_device_limit(void);
bool gits_int(uint32_t device_id, uint32_t event_id);
bool gits_clear(uint32_t device_id, uint32_t event_id);
bool gits_discard(uint32_t device_id, uint32_t event_id);
bool gits_inv(uint32_t device_id, uint32_t event_id);
/* GICv4.0: VMAPP (vPE -> the redistributor of CPU `cpu`, its virtual pending table of
 * GITS_VLPI_ID_BITS bits at vpt_pa), VMAPTI, VMOVI (doorbell: a host LPI, or 1023 none),
 * VSYNC. */
bool gits_vmapp(uint32_t vpe_id, uint32_t cpu, uint64_t vpt_pa, bool valid);
bool gits_vmapti(uint32_t device_id, uint32_t event_id, uint32_t vpe_id, uint32_t vintid, uint32_t doorbell);
bool gits_vmovi(uint32_t device_id, uint32_t event_id, uint32_t vpe_id, uint32_t doorbell);
bool gits_vsync(uint32_t vpe_id);

/* The vPE residency on CPU `cpu`'s redistributor (its own CPU): make a vPE resident with
 * its virtual LPI configuration (vprop_pa, GITS_VLPI_ID_BITS) and pending table; first
 * time: the table is known to be all zero (IDAI). gicv4_vpe_unload clears Valid, waits for
 * Dirty to drop and returns PendingLast (the vPE still has pending vLPIs). */
void gicv4_vpe_load(uint32_t cpu, uint64_t vprop_pa, uint64_t vpt_pa, bool first);
bool gicv4_vpe_unload(uint32_t cpu);

/* Tables the GIC reads that a CPU has just written (a vPE's LPI configuration copy): the
 * writes made visible to the GIC before the next command or GICR write (DSB SY). */
void gits_tables_written(void);

/* Statistics: commands sent, commands that timed out or stalled the queue. */
struct gits_stats {
    uint64_t commands, errors;
};
void gits_get_stats(struct gits_stats *s);

#endif
