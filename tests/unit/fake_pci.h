/* A fake PCI function's register file for the vPCI unit test and fuzzer: 256 bytes of
 * configuration space and, per byte, the bits a write changes (read-only bits stay, BARs size
 * through their writable address bits). Pure helpers only; each user keeps its own logging
 * and asserts fake_pci_access_ok() in its own style. */
#ifndef FAKE_PCI_H
#define FAKE_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "vpci.h"

struct fake_pci_regs {
    uint8_t cfg[256];
    uint8_t wmask[256];
};

/* Little-endian store / load of `size` bytes at `off` of a register array (cfg or wmask). */
static inline void fake_pci_put(uint8_t *a, uint32_t off, uint32_t size, uint32_t v)
{
    for (uint32_t i = 0; i < size; i++)
        a[off + i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t fake_pci_get(const uint8_t *a, uint32_t off, uint32_t size)
{
    uint32_t v = 0;
    for (uint32_t i = 0; i < size; i++)
        v |= (uint32_t)a[off + i] << (8 * i);
    return v;
}

/* A host write as the device takes it: only the bits in wmask change. */
static inline void fake_pci_write(struct fake_pci_regs *r, uint32_t off, uint32_t size, uint32_t v)
{
    for (uint32_t i = 0; i < size; i++) {
        uint8_t b = (uint8_t)(v >> (8 * i)), m = r->wmask[off + i];
        r->cfg[off + i] = (uint8_t)((r->cfg[off + i] & ~m) | (b & m));
    }
}

/* BAR i: its value and the writable (address) bits, i.e. ~(size - 1) for a memory BAR. */
static inline void fake_pci_bar(struct fake_pci_regs *r, int i, uint32_t value, uint32_t wmask)
{
    fake_pci_put(r->cfg, PCI_BAR0 + 4u * (uint32_t)i, 4, value);
    fake_pci_put(r->wmask, PCI_BAR0 + 4u * (uint32_t)i, 4, wmask);
}

/* A host access the device accepts: 1, 2 or 4 bytes, naturally aligned, inside the 256 bytes. */
static inline bool fake_pci_access_ok(uint32_t off, uint32_t size)
{
    return (size == 1 || size == 2 || size == 4) && (off & (size - 1)) == 0 && off + size <= 256;
}

#endif
