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
/* Makes an LPI pending on a vCPU (the ITS translated an event); ignored when the LPI is
 * disabled in the guest's configuration table or out of range. */
void vgic_inject_lpi(struct vcpu *v, uint32_t intid);
/* The LPI configuration changed in guest memory (ITS INV / INVALL): re-read it. */
void vgic_lpi_config_changed(struct vm *vm, uint32_t intid);   /* intid 0: all */
/* True when the vCPU has an interrupt it could take now (wakes WFI). */
bool vgic_vcpu_pending(struct vcpu *v);

#endif
