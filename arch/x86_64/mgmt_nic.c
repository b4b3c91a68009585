/* mgmt_nic.c: the management NIC on x86_64: a virtio-net function on the PCIe ECAM the ACPI MCFG names. */
#include <inttypes.h>
#include "arch.h"
#include "kernel.h"
#include "pci_ecam.h"
#include "virtio_net.h"
#include "x86_internal.h"

/* virtio_net_probe keeps a pointer to it for configuration accesses: static, written once. */
static struct pci_ecam host_ecam;

struct net_dev *arch_mgmt_nic(void)
{
    const struct acpi_info *a = &x86_acpi;
    if (!a->pci_ecam_base) {
        hv_printf("mgmt: no PCIe ECAM in the ACPI tables (MCFG), no host NIC\n");
        return NULL;
    }
    uint64_t size_bytes = (uint64_t)(a->pci_bus_end - a->pci_bus_start + 1) << 20;
    if (!arch_map_device(a->pci_ecam_base, size_bytes)) {
        hv_printf("mgmt: cannot map the PCIe ECAM at 0x%" PRIx64 "+0x%" PRIx64 "\n",
                  a->pci_ecam_base, size_bytes);
        return NULL;
    }
    host_ecam = (struct pci_ecam){ a->pci_ecam_base, a->pci_bus_start, a->pci_bus_end };
    return virtio_net_probe(&host_ecam, NULL);
}
