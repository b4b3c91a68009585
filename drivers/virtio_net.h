/* virtio_net.h: a polled host driver for a virtio-net PCI function (modern transport). */
#ifndef DRIVERS_VIRTIO_NET_H
#define DRIVERS_VIRTIO_NET_H

#include "pci_ecam.h"

struct net_dev;

/* Finds the first virtio-net function (vendor 0x1af4, device 0x1041 or transitional 0x1000)
 * on the ECAM's buses, maps its registers (arch_map_device), brings it up with
 * VIRTIO_F_VERSION_1 and VIRTIO_NET_F_MAC, one receive and one transmit queue, no interrupts.
 * Prints one line saying what it found or why it gave up; NULL then. Boot CPU, once: the
 * device's state is static, and every buffer is allocated here. */
/* before_dma (may be NULL) is called with the function's requester ID before bus mastering is turned
 * on, so the caller can let its DMA through an IOMMU first. */
struct net_dev *virtio_net_probe(const struct pci_ecam *ecam, void (*before_dma)(uint16_t requester_id));

#endif
