/* vecam.c: a VM's PCI configuration space (kernel/vpci.c's bus 0) and its memory-mapped window, the
 * PCI Express Enhanced Configuration Access Mechanism (PCIe Base 7.2.2: offset = bus << 20 | device << 15
 * | function << 12 | register) at X86_PCI_ECAM_BASE, one bus, as the MCFG says. x86_pci_config_read /
 * x86_pci_config_write are the one way into the bus: the 0xCF8/0xCFC mechanism uses them too. */
#include "x86_vcpu.h"

uint64_t x86_pci_config_read(struct vm *vm, uint32_t offset, uint32_t size)
{
    struct x86_pci *p = &vm->arch.pci;
    spin_lock(&p->lock);
    uint64_t v = vpci_ecam_read(&p->bus, offset, size);
    spin_unlock(&p->lock);
    return v;
}

void x86_pci_config_write(struct vm *vm, uint32_t offset, uint32_t size, uint64_t value)
{
    struct x86_pci *p = &vm->arch.pci;
    spin_lock(&p->lock);
    vpci_ecam_write(&p->bus, offset, size, value);
    spin_unlock(&p->lock);
}

static uint64_t ecam_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu;
    return x86_pci_config_read(dev, (uint32_t)off, size);
}

static void ecam_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)vcpu;
    x86_pci_config_write(dev, (uint32_t)off, size, value);
}

static const struct mmio_ops ecam_ops = { ecam_read, ecam_write };

bool vecam_register(struct vm *vm)
{
    _Static_assert(X86_PCI_ECAM_BYTES == VPCI_ECAM_BUS_BYTES, "the window is vpci's one bus");
    vm->arch.pci.lock = (struct spinlock)SPINLOCK_INIT;
    return mmio_bus_register(&vm->mmio, X86_PCI_ECAM_BASE, X86_PCI_ECAM_BYTES, &ecam_ops, vm, "pci-ecam") == 0;
}
