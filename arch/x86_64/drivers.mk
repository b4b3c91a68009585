# drivers.mk: host drivers linked into the x86_64 hypervisor (included by the Makefile).
DRIVERS := drivers/uart16550.c drivers/mc146818.c drivers/acpi.c drivers/pci_ecam.c drivers/virtio_net.c
# Driver headers are included by name ("acpi.h") from arch/x86_64.
CFLAGS += -Idrivers
