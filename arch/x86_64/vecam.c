/* vecam.c: the memory-mapped window onto a VM's PCI configuration space, the PCI Express Enhanced
 * Configuration Access Mechanism (PCIe Base 7.2.2: offset = bus << 20 | device << 15 | function << 12 |
 * register) at X86_PCI_ECAM_BASE, one bus, as the MCFG says. It reaches the VM's bus (kernel/vpci.c) the
 * same way as the 0xCF8/0xCFC mechanism: x86_pci_config_read / x86_pci_config_write. */
#include "x86_vcpu.h"

static uint64_t ecam_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu;
    return x86_pci_config_read(dev, off, size);
}

static void ecam_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)vcpu;
    x86_pci_config_write(dev, off, size, value);
}

static const struct mmio_ops ecam_ops = { ecam_read, ecam_write };

bool vecam_register(struct vm *vm)
{
    _Static_assert(X86_PCI_ECAM_BYTES == VPCI_ECAM_BUS_BYTES, "the window is vpci's one bus");
    return mmio_bus_register(&vm->mmio, X86_PCI_ECAM_BASE, X86_PCI_ECAM_BYTES, &ecam_ops, vm, "pci-ecam") == 0;
}
