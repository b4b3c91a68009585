/* e820.c: the e820 memory map of a VM (what the BIOS INT 15h E820 call would report; ACPI 6.5, ch. 15). */
#include "arch.h"
#include "x86_boot.h"

uint32_t x86_ram_ranges(uint64_t size_bytes, struct guest_ram_range out[2])
{
    uint64_t low = size_bytes < X86_RAM_LOW_TOP ? size_bytes : X86_RAM_LOW_TOP;
    out[0] = (struct guest_ram_range){ 0, low };
    if (size_bytes == low)
        return 1;
    out[1] = (struct guest_ram_range){ X86_RAM_HIGH_BASE, size_bytes - low };
    return 2;
}

/* RAM below 640 KiB, the EBDA/VGA/BIOS area reserved, RAM from 1 MiB to the PCI hole, the ECAM window
 * reserved, and the RAM above 4 GiB; the rest of the hole is not listed (nothing there is RAM). */
uint32_t x86_e820_build(uint64_t ram_size_bytes, struct x86_e820_entry out[X86_E820_MAX])
{
    struct guest_ram_range r[2];
    uint32_t ranges = x86_ram_ranges(ram_size_bytes, r), n = 0;
    uint64_t low_end = r[0].size_bytes < X86_E820_LOW_RAM_END ? r[0].size_bytes : X86_E820_LOW_RAM_END;
    out[n++] = (struct x86_e820_entry){ 0, low_end, E820_RAM };
    out[n++] = (struct x86_e820_entry){ X86_E820_LOW_RAM_END, X86_E820_HIGH_RAM_BASE - X86_E820_LOW_RAM_END,
                                        E820_RESERVED };
    if (r[0].size_bytes > X86_E820_HIGH_RAM_BASE)
        out[n++] = (struct x86_e820_entry){ X86_E820_HIGH_RAM_BASE, r[0].size_bytes - X86_E820_HIGH_RAM_BASE,
                                            E820_RAM };
    out[n++] = (struct x86_e820_entry){ X86_PCI_ECAM_BASE, X86_PCI_ECAM_BYTES, E820_RESERVED };
    if (ranges > 1)
        out[n++] = (struct x86_e820_entry){ r[1].gpa, r[1].size_bytes, E820_RAM };
    return n;
}
