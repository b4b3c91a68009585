/* assign.h: physical devices given to one VM: MMIO ranges with their SPI (passthrough.c)
 * and PCI functions with their MSIs (pci_assign.c). */
#ifndef AARCH64_ASSIGN_H
#define AARCH64_ASSIGN_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* [base, base + size) may go to vm: clear of the hypervisor's devices and of the VM's
 * emulated ones (reported, naming config line `line`, when not). */
bool passthrough_range_allowed(struct vm *vm, uint64_t base, uint64_t size_bytes, uint32_t line);

/* The VM's 'pci' functions: configuration space, BARs, MSIs. False (reported) when one
 * cannot be assigned; a second call after a VM reset keeps the assignment. */
bool pci_assign(struct vm *vm);
/* VM reset: the functions' guest view to reset, their MSIs and bus mastering off. */
void pci_assign_reset(struct vm *vm);
/* The host DeviceID (requester ID) of vm's assigned function that is guest_devid in the VM. */
bool pci_assign_host_devid(const struct vm *vm, uint32_t guest_devid, uint32_t *host_devid);
/* Host LPI handlers of assigned functions' MSIs on a GICv3 host; from host_irq_init. */
void pci_assign_register_irqs(void);

#endif
