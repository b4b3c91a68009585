/* vpci.h: the configuration space a VM sees of the PCI functions assigned to it (PCI Local
 * Bus 3.0 chapter 6, PCI Firmware 3.0 / PCIe Base 4.4 "ECAM"). Arch-neutral and pure: the
 * real function is reached through vpci_host_ops, the MSI doorbell translation is the arch's.
 *
 * The guest sees one bus (bus 0) in an ECAM window: offset = devfn << 12 | register. Of each
 * assigned function it sees the real identity (IDs, class, subsystem), its memory BARs at their
 * host addresses (the arch maps them at GPA = HPA; the guest may size them, never move them),
 * Memory Space / Bus Master / INTx Disable in the Command register, and only the MSI
 * capability (the rest of the capability list and the extended space read as zero). The MSI
 * address the guest programs is its own doorbell (on aarch64 its vITS GITS_TRANSLATER); the
 * device is given the host doorbell the arch names, with the guest's data. Functions that are
 * not assigned read as all ones (no device), writes to them are ignored. */
#ifndef VPCI_H
#define VPCI_H

#include <stdbool.h>
#include <stdint.h>

#define VPCI_MAX_FUNCS 4
#define VPCI_ECAM_BUS_BYTES (1u << 20)    /* one bus: 32 devices x 8 functions x 4 KiB */
#define VPCI_NR_BARS 6

/* PCI 3.0 6.2 / 6.8.1 register offsets and bits used here. */
#define PCI_VENDOR_ID      0x00
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_CLASS_REVISION 0x08
#define PCI_HEADER_TYPE    0x0E
#define PCI_BAR0           0x10
#define PCI_SUBSYSTEM      0x2C
#define PCI_ROM_ADDRESS    0x30
#define PCI_CAP_PTR        0x34
#define PCI_INTERRUPT_LINE 0x3C
#define PCI_COMMAND_IO     0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_CAP_ID_MSI     0x05
#define PCI_MSI_FLAGS_ENABLE 0x0001
#define PCI_MSI_FLAGS_QMASK  0x000E       /* Multiple Message Capable */
#define PCI_MSI_FLAGS_QSIZE  0x0070       /* Multiple Message Enable */
#define PCI_MSI_FLAGS_64BIT  0x0080
#define PCI_MSI_FLAGS_MASKBIT 0x0100      /* per-vector masking */

/* The real function. Offsets are below 256, sizes 1, 2 or 4, naturally aligned. */
struct vpci_host_ops {
    uint32_t (*read)(void *ctx, uint32_t offset, uint32_t size);
    void (*write)(void *ctx, uint32_t offset, uint32_t size, uint32_t value);
    /* The guest's MSI address and data to what the device must be given. False when the
     * address is not a doorbell of this VM: the device's MSI then stays disabled. */
    bool (*msi_route)(void *ctx, uint64_t guest_address, uint32_t guest_data, uint64_t *host_address,
                      uint32_t *host_data);
};

struct vpci_bar {
    uint64_t address;          /* host = guest address; 0 when the BAR is unused */
    uint64_t size_bytes;       /* 0: unused (or the upper half of a 64-bit BAR) */
    uint32_t flags;            /* the low 4 bits as the device reports them */
    bool io, is64, upper;      /* I/O BAR; 64-bit memory BAR; the upper half of one */
    bool sizing;               /* the guest wrote all ones: reads return the size mask */
};

struct vpci_func {
    const struct vpci_host_ops *ops;
    void *ctx;
    uint8_t devfn;             /* the guest's device << 3 | function, on bus 0 */
    struct vpci_bar bar[VPCI_NR_BARS];
    uint8_t msi_cap;           /* offset of the MSI capability, 0: none */
    uint16_t msi_host_flags;   /* the device's MSI Message Control (capabilities part) */
    /* The guest's view. */
    uint16_t command;
    uint8_t interrupt_line;
    uint16_t msi_flags;        /* Enable and MME as the guest wrote them */
    uint64_t msi_address;
    uint16_t msi_data;
    bool msi_routed;           /* the device's MSI is enabled, at the routed doorbell */
    uint64_t msi_host_address;
    uint32_t msi_host_data;
};

struct vpci_bus {
    struct vpci_func func[VPCI_MAX_FUNCS];
    uint32_t count;
};

enum vpci_error {
    VPCI_OK,
    VPCI_ERR_FULL,             /* VPCI_MAX_FUNCS already */
    VPCI_ERR_DEVFN_TAKEN,
    VPCI_ERR_NO_DEVICE,        /* vendor ID all ones */
    VPCI_ERR_NOT_TYPE0,        /* a bridge or a CardBus header: not assignable */
};

/* Adds the host function behind ops/ctx as guest devfn: reads its identity, sizes its BARs on
 * the host and leaves memory decoding, bus mastering, INTx and MSI off (the guest's Command
 * register starts at 0). */
enum vpci_error vpci_add(struct vpci_bus *bus, const struct vpci_host_ops *ops, void *ctx, uint8_t devfn,
                         struct vpci_func **out);
/* A guest access to the ECAM window at offset (< VPCI_ECAM_BUS_BYTES, size 1, 2, 4 or 8).
 * Unaligned or badly sized accesses read as all ones and are ignored when written. */
uint64_t vpci_ecam_read(struct vpci_bus *bus, uint64_t offset, uint32_t size);
void vpci_ecam_write(struct vpci_bus *bus, uint64_t offset, uint32_t size, uint64_t value);
/* VM reset: the guest's view back to reset (Command 0, MSI off), the device's MSI disabled. */
void vpci_reset(struct vpci_bus *bus);

#endif
