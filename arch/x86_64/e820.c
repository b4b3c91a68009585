/* e820.c: the e820 memory map of a VM (what the BIOS INT 15h E820 call would report; ACPI 6.5, ch. 15). */
#include "x86_boot.h"

uint32_t x86_e820_build(uint64_t ram_size_bytes, struct x86_e820_entry out[X86_E820_MAX])
{
    uint32_t n = 0;
    uint64_t low_end = ram_size_bytes < X86_E820_LOW_RAM_END ? ram_size_bytes : X86_E820_LOW_RAM_END;
    out[n++] = (struct x86_e820_entry){ 0, low_end, E820_RAM };
    out[n++] = (struct x86_e820_entry){ X86_E820_LOW_RAM_END, X86_E820_HIGH_RAM_BASE - X86_E820_LOW_RAM_END,
                                        E820_RESERVED };
    if (ram_size_bytes > X86_E820_HIGH_RAM_BASE)
        out[n++] = (struct x86_e820_entry){ X86_E820_HIGH_RAM_BASE, ram_size_bytes - X86_E820_HIGH_RAM_BASE,
                                            E820_RAM };
    return n;
}
