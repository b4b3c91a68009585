/* boot_info.h: the one structure boot/ hands to kernel/ after ExitBootServices. */
#ifndef BOOT_INFO_H
#define BOOT_INFO_H

#include <stdint.h>
#include "config.h"

#define BOOT_MAX_MEM_REGIONS 256
#define BOOT_MAX_IMAGES_PER_VM 3

enum boot_mem_type {
    BOOT_MEM_FREE,       /* usable by the page allocator */
    BOOT_MEM_HV,         /* hypervisor image, heap, stacks, loaded images */
    BOOT_MEM_RESERVED,   /* firmware reserved, ACPI NVS, unusable */
    BOOT_MEM_ACPI,       /* ACPI reclaimable tables (kept: we read them) */
    BOOT_MEM_RUNTIME,    /* UEFI runtime code/data */
    BOOT_MEM_MMIO,       /* memory-mapped I/O */
};

struct boot_mem_region {
    uint64_t base;
    uint64_t size_bytes;
    uint32_t type;       /* enum boot_mem_type */
};

struct boot_image {
    uint64_t base;       /* host physical, 2 MiB aligned; 0 when absent */
    uint64_t size_bytes;
};

/* What boot/ loaded for one valid VM of the configuration. */
struct boot_vm {
    uint32_t config_index;           /* into boot_info.config.vms */
    struct boot_image ram;           /* guest RAM, memory_bytes long */
    struct boot_image kernel;
    struct boot_image initrd;
    struct boot_image dtb;
};

struct boot_info {
    uint32_t mem_region_count;
    struct boot_mem_region mem[BOOT_MAX_MEM_REGIONS];

    uint64_t dtb_pa;                 /* firmware's device tree, 0 if none */
    uint64_t acpi_rsdp_pa;           /* ACPI RSDP, 0 if none */

    uint64_t image_base, image_size_bytes;   /* hv.efi as loaded */
    uint64_t heap_base, heap_size_bytes;     /* newlib's sbrk arena */
    uint64_t stack_base, stack_size_bytes;   /* per-CPU stacks, CONFIG_HV_MAX_CPUS of them */
    uint64_t trampoline_pa;          /* x86: one page below 1 MiB for AP start-up */
    uint8_t efi_rng[32];             /* EFI_RNG_PROTOCOL output at boot (the management
                                        challenge's seed); efi_rng_bytes of it valid, 0: none */
    uint32_t efi_rng_bytes;

    struct hv_config config;
    uint32_t config_error_count;
    uint32_t vm_count;               /* VMs loaded (valid config and images) */
    struct boot_vm vms[CONFIG_MAX_VMS];
};

#endif
