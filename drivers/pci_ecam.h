/* pci_ecam.h: the host's PCI configuration space through its ECAM (PCIe Base 4.0, 7.2.2:
 * bus << 20 | device << 15 | function << 12 | register), as the hypervisor reads it to find
 * and assign functions. One segment. */
#ifndef DRIVERS_PCI_ECAM_H
#define DRIVERS_PCI_ECAM_H

#include <stdbool.h>
#include <stdint.h>

struct pci_ecam {
    uint64_t base;                 /* the configuration space of bus_start */
    uint32_t bus_start, bus_end;
};

struct pci_ecam_func {
    const struct pci_ecam *ecam;
    uint64_t cfg;                  /* this function's 4 KiB */
    uint16_t bdf;                  /* requester ID: bus << 8 | device << 3 | function */
};

/* The function at bus:dev.fn, false when the ECAM does not cover that bus. Says nothing about
 * whether a device is there (its vendor ID then reads 0xFFFF). */
bool pci_ecam_func(const struct pci_ecam *ecam, uint32_t bus, uint32_t dev, uint32_t fn,
                   struct pci_ecam_func *out);
/* Naturally aligned accesses of 1, 2 or 4 bytes below offset 4096. */
uint32_t pci_ecam_read(const struct pci_ecam_func *f, uint32_t offset, uint32_t size);
void pci_ecam_write(const struct pci_ecam_func *f, uint32_t offset, uint32_t size, uint32_t value);

#endif
