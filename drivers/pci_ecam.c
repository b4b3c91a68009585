/* pci_ecam.c: host PCI configuration accesses through the ECAM (pci_ecam.h). */
#include "pci_ecam.h"

bool pci_ecam_func(const struct pci_ecam *ecam, uint32_t bus, uint32_t dev, uint32_t fn,
                   struct pci_ecam_func *out)
{
    if (!ecam->base || bus < ecam->bus_start || bus > ecam->bus_end || dev > 31 || fn > 7)
        return false;
    out->ecam = ecam;
    out->cfg = ecam->base + ((uint64_t)(bus - ecam->bus_start) << 20) + ((uint64_t)dev << 15) + ((uint64_t)fn << 12);
    out->bdf = (uint16_t)(bus << 8 | dev << 3 | fn);
    return true;
}

uint32_t pci_ecam_read(const struct pci_ecam_func *f, uint32_t offset, uint32_t size)
{
    if (offset >= 4096 || (offset & (size - 1)))
        return 0xFFFFFFFFu;
    uintptr_t a = (uintptr_t)(f->cfg + offset);
    switch (size) {
    case 1: return *(volatile uint8_t *)a;
    case 2: return *(volatile uint16_t *)a;
    case 4: return *(volatile uint32_t *)a;
    default: return 0xFFFFFFFFu;
    }
}

void pci_ecam_write(const struct pci_ecam_func *f, uint32_t offset, uint32_t size, uint32_t value)
{
    if (offset >= 4096 || (offset & (size - 1)))
        return;
    uintptr_t a = (uintptr_t)(f->cfg + offset);
    switch (size) {
    case 1: *(volatile uint8_t *)a = (uint8_t)value; break;
    case 2: *(volatile uint16_t *)a = (uint16_t)value; break;
    case 4: *(volatile uint32_t *)a = value; break;
    default: break;
    }
}
