/* vpci_bus.c: a VM's PCI bus 0 (kernel/vpci.c, no function on it yet) and the one way into its
 * configuration space, for the ECAM window (vecam.c). The PC platform's PCI mechanism #1 (vpci_conf1.c,
 * with the host bridge at 00:00.0) brings the same bus, lock and accessors: with it, this file goes. */
#include "x86_vcpu.h"

void x86_pci_bus_init(struct vm *vm)
{
    vm->arch.pci = (struct x86_pci){ .lock = SPINLOCK_INIT };
}

uint64_t x86_pci_config_read(struct vm *vm, uint64_t ecam_offset, uint32_t size)
{
    struct x86_pci *p = &vm->arch.pci;
    spin_lock(&p->lock);
    uint64_t v = vpci_ecam_read(&p->bus, ecam_offset, size);    /* past bus 0: all ones */
    spin_unlock(&p->lock);
    return v;
}

void x86_pci_config_write(struct vm *vm, uint64_t ecam_offset, uint32_t size, uint64_t value)
{
    struct x86_pci *p = &vm->arch.pci;
    spin_lock(&p->lock);
    vpci_ecam_write(&p->bus, ecam_offset, size, value);
    spin_unlock(&p->lock);
}
