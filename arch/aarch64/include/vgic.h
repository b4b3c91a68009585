/* vgic.h: the virtual GICv3 seen by a VM: what the rest of the aarch64 code uses to raise
 * interrupts for a guest. Implemented in arch/aarch64/vgic*.c (vGIC issue). */
#ifndef VGIC_H
#define VGIC_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;

/* Guest-physical layout (QEMU virt). */
#define VGIC_GICD_BASE      0x08000000ull
#define VGIC_GICD_SIZE      0x10000ull
#define VGIC_GITS_BASE      0x08080000ull
#define VGIC_GITS_SIZE      0x20000ull
#define VGIC_GICR_BASE      0x080A0000ull
#define VGIC_GICR_STRIDE    0x20000ull          /* RD_base + SGI_base frames per vCPU */

/* INTIDs the platform uses ("PPI 27" in the issues means the INTID). */
#define VGIC_INTID_VTIMER   27
#define VGIC_INTID_PTIMER   30
#define VGIC_INTID_PMU      23
#define VGIC_INTID_UART     33                  /* SPI 1 */
#define VGIC_LPI_BASE       8192

/* Level-sensitive private interrupt (PPI) of one vCPU: the line is high or low. */
void vgic_set_ppi_level(struct vcpu *v, uint32_t intid, bool level);
/* Level-sensitive shared interrupt (SPI) of a VM, routed per GICD_IROUTER. */
void vgic_set_spi_level(struct vm *vm, uint32_t intid, bool level);
/* Makes an LPI pending on a vCPU (the ITS translated an event); ignored when the vCPU's
 * GICR_CTLR.EnableLPIs is 0 or the INTID is beyond GICR_PROPBASER.IDbits. An LPI disabled in
 * the guest's configuration table becomes pending but is not delivered until an INV/INVALL
 * (vgic_lpi_config_changed) finds it enabled (Arm IHI 0069, "LPIs"). */
void vgic_inject_lpi(struct vcpu *v, uint32_t intid);
/* Removes an LPI's pending state on a vCPU (ITS CLEAR, DISCARD); true if it was pending. */
bool vgic_clear_lpi(struct vcpu *v, uint32_t intid);
/* Moves a pending LPI (ITS MOVI) or every pending LPI (MOVALL) from one vCPU to another. */
void vgic_move_lpi(struct vcpu *from, struct vcpu *to, uint32_t intid);
void vgic_move_all_lpis(struct vcpu *from, struct vcpu *to);
/* The LPI configuration changed in guest memory (ITS INV / INVALL): re-read it. */
void vgic_lpi_config_changed(struct vm *vm, uint32_t intid);   /* intid 0: all */
/* True when the vCPU has an interrupt it could take now (wakes WFI). */
bool vgic_vcpu_pending(struct vcpu *v);

/* --- for the aarch64 core (vm.c, vcpu.c, host_irq.c, vtimer.c) --- */
/* Registers the GICD and GICR frames on vm->mmio; vgic_vm_reset: everything at reset
 * (before the VM (re)starts, no vCPU of it running). */
bool vgic_vm_init(struct vm *vm);
void vgic_vm_reset(struct vm *vm);
/* On the vCPU's own pCPU: its CPU interface (ICH_*) at reset (arch_vcpu_reset); loading the
 * list registers before an entry, reading them back after an exit. */
void vgic_vcpu_hw_reset(struct vcpu *v);
void vgic_flush(struct vcpu *v);
void vgic_fold(struct vcpu *v);
/* A physical PPI forwarded to v (its EL1 timers, INTID 27 and 30) fired: the host dropped
 * its priority and leaves it active; the guest's deactivation ends it (ICH_LR<n>_EL2.HW).
 * vgic_hw_irq_resample gives the device's current line on each entry. Own pCPU. */
void vgic_hw_irq_fired(struct vcpu *v, uint32_t intid);
void vgic_hw_irq_resample(struct vcpu *v, uint32_t intid, bool line);

/* GICv4 direct injection (vgic_v4.c; off unless the host ITS is GICv4). The guest's LPI
 * configuration changed (ITS INV/INVALL, ITS lock held; intid 0: all). On the vCPU's own
 * pCPU: its vPE resident before an entry (vgic_v4_load), non-resident when it blocks
 * (vgic_v4_put: true when vLPIs are already pending). Doorbell handlers: from host_irq_init. */
void vgic_v4_config_changed(struct vm *vm, uint32_t intid);
void vgic_v4_load(struct vcpu *v);
bool vgic_v4_put(struct vcpu *v);
void vgic_v4_register_doorbells(void);
/* True when GICv4 direct injection is in use (the host ITS is set up on the first call, so
 * only once every CPU is up). Doorbells: host LPIs GITS_LPI_BASE + vPE ID. */
bool vgic_v4_enabled(void);
/* Why a PCI function with requester ID rid cannot be assigned (its MSIs carry rid as their
 * DeviceID on the physical ITS): beyond the ITS's DeviceIDs, or, with GICv4 direct injection
 * (direct: vgic_v4_enabled()), one reserved for the VMs' emulated devices (vgic_v4_mirror.c);
 * NULL when it can. *device_limit: the ITS's DeviceID count (0 when unknown yet). */
const char *vgic_v4_requester_id_refusal(uint32_t rid, bool direct, uint32_t *device_limit);
#define VGIC_V4_DOORBELLS (VM_MAX_VMS * VM_MAX_VCPUS)
/* A passed-through device's physical SPI fired (passthrough.c): the same INTID becomes
 * pending in the VM as a HW-mapped virtual SPI; the physical one stays active until the
 * guest deactivates the virtual one (or the vCPU 0 reset ends it). Any pCPU. */
void vgic_hw_spi_fired(struct vm *vm, uint32_t intid);

#endif
