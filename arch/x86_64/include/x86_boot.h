/* x86_boot.h: guest boot protocols (pluggable image loaders keyed by image format) and the e820 map
 * a VM sees. The loaders are pure code over the audited guest-memory accessors (host-tested). */
#ifndef X86_BOOT_H
#define X86_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memslot.h"

#define X86_GPR_COUNT 16

/* How the boot CPU starts: the protocol's register state. X86_BOOT_PROTECTED32: 32-bit protected
 * mode, flat CS/DS (base 0, limit 4 GiB), paging off (Multiboot v1, 3.2 "Machine state").
 * X86_BOOT_REAL_SIPI: an AP after INIT and a start-up IPI (SDM Vol. 3A, 8.4.4.1 and 10.6.1): real mode,
 * CS selector rip >> 4, CS base rip (the 4 KiB-aligned page the SIPI vector names), IP 0. */
enum x86_boot_mode { X86_BOOT_PROTECTED32, X86_BOOT_REAL_SIPI };

struct x86_boot_state {
    uint32_t mode;                     /* enum x86_boot_mode */
    uint64_t rip;
    uint64_t gpr[X86_GPR_COUNT];       /* in encoding order: RAX RCX RDX RBX RSP RBP RSI RDI R8.. */
};

/* cpu_reset.c: the whole architectural state a vCPU starts in for st (every register not named by the
 * protocol at its reset value), which x86_vcpu_set_state loads (cpu_state.c). */
struct x86_cpu_state;
void x86_reset_state(const struct x86_boot_state *st, struct x86_cpu_state *s);

/* What a loader gets: the images boot/ read from the ESP (host memory) and the guest's RAM size. */
struct x86_boot_image {
    const uint8_t *kernel;
    size_t kernel_size;
    const uint8_t *initrd;             /* NULL when absent */
    size_t initrd_size;
    const char *cmdline;               /* "" when absent */
    const char *kernel_path;           /* the ESP path hv.cfg names ("\\guests\\k.elf"); "" when unknown */
    const char *initrd_path;           /* likewise for the initrd */
    uint64_t ram_size_bytes;           /* guest RAM from guest-physical 0 */
};

struct x86_image_loader {
    const char *name;
    /* Whether image is in this loader's format (cheap: magic numbers only). */
    bool (*probe)(const uint8_t *image, size_t size);
    /* Places the images in guest memory and fills the start state; false with a reason in err. */
    bool (*load)(struct memslots *mem, const struct x86_boot_image *img, struct x86_boot_state *out,
                 char *err, size_t err_size);
};

/* multiboot.c: Multiboot v1 (ELF32, ELF64, or the a.out kludge of header flag 16). */
extern const struct x86_image_loader multiboot_loader;
/* linux_boot.c: the Linux boot protocol's 32-bit entry for a bzImage (protocol 2.10 or later). */
extern const struct x86_image_loader linux_loader;
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
/* The info block and what it points to fill one page: at 0x8000 unless a segment of the image is there,
 * then the lowest free page of low RAM, else the first page after the image (multiboot.c). */
#define MULTIBOOT_INFO_GPA 0x8000u
#define MULTIBOOT_INFO_SIZE 0x1000u

/* The e820 map of a VM with ram_size bytes at 0 (ACPI 6.5, 15 "System Address Map Interfaces"):
 * RAM 0-0x9FC00, reserved 0x9FC00-0x100000 (EBDA, VGA, BIOS), RAM from 1 MiB to the PCI hole, the ECAM
 * window reserved (Linux uses MCFG's only where the firmware reserved it), RAM above 4 GiB. */
enum { E820_RAM = 1, E820_RESERVED = 2 };
struct x86_e820_entry {
    uint64_t base, size_bytes;
    uint32_t type;
};
#define X86_E820_MAX 5
#define X86_E820_LOW_RAM_END 0x9FC00u
#define X86_E820_HIGH_RAM_BASE 0x100000u
uint32_t x86_e820_build(uint64_t ram_size_bytes, struct x86_e820_entry out[X86_E820_MAX]);
/* QEMU's PC: RAM up to X86_RAM_LOW_TOP, the rest from X86_RAM_HIGH_BASE, the 32-bit PCI hole (with
 * the IOAPIC and LAPIC at 0xFEC00000 / 0xFEE00000) between (arch.h arch_guest_ram_ranges). */
#define X86_RAM_LOW_TOP   0xC0000000ull
#define X86_RAM_HIGH_BASE 0x100000000ull
/* In the hole: the PCI Express ECAM window of bus 0 (PCIe Base 7.2.2; the ACPI MCFG names it, the e820
 * map reserves it: vecam.c), and the 32-bit PCI memory window the DSDT's PCI0 offers below it. */
#define X86_PCI_ECAM_BASE  0xF0000000ull
#define X86_PCI_ECAM_BYTES 0x100000ull        /* one bus: 32 devices x 8 functions x 4 KiB */
#define X86_PCI_MEM_BASE   X86_RAM_LOW_TOP
#define X86_PCI_MEM_END    (X86_PCI_ECAM_BASE - 1)
struct guest_ram_range;
uint32_t x86_ram_ranges(uint64_t size_bytes, struct guest_ram_range out[2]);

/* boot_loader.c: the loader table; the first loader whose probe accepts the kernel loads it.
 * NULL when none does. */
const struct x86_image_loader *x86_boot_find_loader(const uint8_t *image, size_t size);

#endif
