# drivers.mk: host drivers linked into the aarch64 hypervisor, and where their headers are.
DRIVERS := drivers/pl011.c drivers/gicv3.c drivers/gicv3_its.c drivers/pci_ecam.c drivers/virtio_net.c drivers/smmuv3.c
CFLAGS += -Idrivers
