/* host_platform.h: the host facts the hypervisor needs (console UART, GIC, ITS, PSCI conduit, CPUs). */
#ifndef AARCH64_HOST_PLATFORM_H
#define AARCH64_HOST_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

struct boot_info;

#define HOST_MAX_GICR_REGIONS 4
#define HOST_MAX_CPUS 64

struct host_range {
    uint64_t base;
    uint64_t size_bytes;
};

struct host_platform {
    const char *source;           /* "device tree", "ACPI" or "QEMU virt defaults" */
    struct host_range uart;       /* PL011 console */
    struct host_range gicd;       /* size 0: no GICv3/v4 found */
    struct host_range gicr[HOST_MAX_GICR_REGIONS];
    uint32_t gicr_count;
    struct host_range its;        /* size 0: no ITS */
    struct host_range smmu;       /* SMMUv3 (DT arm,smmu-v3 or IORT node type 4), size 0: none */
    struct host_range pci_ecam;   /* PCIe ECAM of segment 0, size 0: none; covers buses */
    uint32_t pci_bus_start, pci_bus_end;   /* pci_bus_start .. pci_bus_end */
    bool psci_hvc;                /* PSCI conduit: HVC, else SMC */
    uint32_t cpu_count;           /* CPUs described (at most HOST_MAX_CPUS MPIDRs kept) */
    uint64_t cpu_mpidr[HOST_MAX_CPUS];
};

/* Filled once by the boot CPU in arch_early_init, read-only afterwards. */
extern struct host_platform host_platform;

/* Fills host_platform from the DTB if there is one, else from ACPI, else QEMU virt defaults. */
void host_platform_init(const struct boot_info *bi);

/* The readers: false when the tables are absent or malformed (p is then unchanged or partial). */
bool fdt_platform_parse(const void *fdt, struct host_platform *p);
bool acpi_platform_parse(uint64_t rsdp_pa, struct host_platform *p);

#endif
