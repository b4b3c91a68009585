/* bigmem.c: a VM with more RAM than fits below the 32-bit PCI hole (QEMU's PC layout): RAM up to
 * 3 GiB and the rest from 4 GiB, in the e820 map and in fact; the IOAPIC and LAPIC still answer in
 * the hole, which holds no RAM. */
#include "test.h"

#define GiB (1ull << 30)
#define PDPTE_P_RW_PS 0x83ull                   /* present, writable, 1 GiB page */
#define CPUID_80000001_EDX_PAGE1GB (1u << 26)

extern uint64_t pdpt[512];

int main(void)
{
    const struct mb_mmap_entry *e;
    unsigned n = mb_mmap(&e);
    uint64_t high_base = 0, high_len = 0, low_top = 0;
    bool hole_clean = true;
    for (unsigned i = 0; i < n; i++) {
        printf("bigmem: mmap 0x%09lx-0x%09lx type %u\n", e[i].addr, e[i].addr + e[i].len, e[i].type);
        if (e[i].type != MB_MMAP_RAM)
            continue;
        if (e[i].addr >= 4 * GiB) {
            high_base = e[i].addr;
            high_len = e[i].len;
        } else if (e[i].addr + e[i].len > low_top) {
            low_top = e[i].addr + e[i].len;
        }
        if (e[i].addr < 4 * GiB && e[i].addr + e[i].len > 0xFEC00000ull)
            hole_clean = false;
    }
    check(low_top == 3 * GiB && high_base == 4 * GiB && high_len == 2 * GiB && hole_clean, "e820_ram_above_4g",
          "RAM below 4 GiB ends at 0x%lx (want 3 GiB), above: 0x%lx+0x%lx (want 4 GiB + 2 GiB)%s", low_top,
          high_base, high_len, hole_clean ? "" : ", RAM over the IOAPIC/LAPIC window");

    /* The payload's identity map covers 4 GiB: map 4-6 GiB with two 1 GiB pages. */
    bool gb = cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_PAGE1GB;
    uint64_t bad = 0, first = 0;
    if (gb && high_len) {
        pdpt[4] = 4 * GiB | PDPTE_P_RW_PS;
        pdpt[5] = 5 * GiB | PDPTE_P_RW_PS;
        __asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
        static const uint64_t offs[] = { 0, 0x1000, GiB - 8, GiB, 2 * GiB - 8 };
        for (unsigned i = 0; i < 5; i++)
            *(volatile uint64_t *)(uintptr_t)(4 * GiB + offs[i]) = 0xB16B16ull * (i + 1);
        for (unsigned i = 0; i < 5; i++)
            if (*(volatile uint64_t *)(uintptr_t)(4 * GiB + offs[i]) != 0xB16B16ull * (i + 1) && bad++ == 0)
                first = 4 * GiB + offs[i];
    }
    check(gb && high_len && bad == 0, "ram_above_4g_holds_data",
          "1 GiB pages %s; %lu of 5 words above 4 GiB read back wrong (first at 0x%lx)", gb ? "yes" : "no", bad,
          first);

    /* The hole is the platform's: the LAPIC and IOAPIC answer, a hole address reads all ones. */
    uint32_t ver = ioapic_read(IOAPIC_REG_VER), lver = lapic_read(LAPIC_VERSION);
    uint64_t hole = *(volatile uint64_t *)(uintptr_t)0xE0000000ull;
    check(((ver >> 16) & 0xff) + 1 >= 24 && (lver & 0xff) >= 0x10 && hole == ~0ull, "apics_answer_in_the_hole",
          "IOAPIC version 0x%x (want >= 24 pins), LAPIC version 0x%x, 0xE0000000 reads 0x%lx (want all ones)",
          ver, lver, hole);
    test_done();
}
