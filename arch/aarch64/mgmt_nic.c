/* mgmt_nic.c: the management NIC on aarch64: a virtio-net function on the host's PCIe ECAM. */
#include "arch.h"
#include "host_platform.h"
#include "kernel.h"
#include "pci_ecam.h"
#include "smmu_s2.h"
#include "virtio_net.h"

/* virtio_net_probe keeps a pointer to it for configuration accesses: static, written once. */
static struct pci_ecam host_ecam;

struct net_dev *arch_mgmt_nic(void)
{
    const struct host_platform *p = &host_platform;
    if (!p->pci_ecam.size_bytes) {
        hv_printf("mgmt: no PCIe ECAM described by %s, no host NIC\n", p->source);
        return NULL;
    }
    /* 1 MiB of configuration space per bus: no bus beyond what the ECAM's size covers. */
    uint64_t bus_count = p->pci_ecam.size_bytes >> 20;
    uint32_t bus_end = p->pci_bus_end;
    if (bus_count && p->pci_bus_start + bus_count - 1 < bus_end)
        bus_end = (uint32_t)(p->pci_bus_start + bus_count - 1);
    host_ecam = (struct pci_ecam){ p->pci_ecam.base, p->pci_bus_start, bus_end };
    return virtio_net_probe(&host_ecam, smmu_s2_host_device);
}
