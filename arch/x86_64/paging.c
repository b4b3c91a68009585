/* paging.c: the hypervisor's own 4-level page tables: an identity map in 1 GiB or 2 MiB pages, MMIO uncached. */
#include <inttypes.h>
#include <malloc.h>
#include <string.h>
#include "arch.h"
#include "boot_info.h"
#include "kernel.h"
#include "page_alloc.h"
#include "x86.h"
#include "x86_internal.h"

/* SDM Vol. 3A, 4.5, tables 4-15 to 4-19: 4-level paging entries. */
#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS  (1ull << 7)    /* PDPTE: 1 GiB page, PDE: 2 MiB page (PTE: PAT, left 0) */
#define PTE_ADDR_MASK 0x000ffffffffff000ull
#define PTE_UC  (PTE_PCD | PTE_PWT)   /* PAT entry 3: UC with the reset PAT (SDM 11.12.3) */
#define ENTRIES 512u
#define SIZE_2M (2ull << 20)
#define SIZE_1G (1ull << 30)
#define SIZE_4G (4ull << 30)
#define HOLE_BASE (3ull << 30)     /* 3-4 GiB: PCI hole, flash, IOAPIC 0xFEC00000, LAPIC 0xFEE00000 */

/* Set once by CPU 0 in arch_early_init; read-only afterwards (the tables themselves also
 * change in arch_map_device, boot CPU). */
static uint64_t *pml4;
static uint64_t map_end;
static uint32_t cr3_low;
static bool page1gb;
static const struct boot_info *boot_map;   /* the memory map, for arch_map_device */

static bool is_ram(uint32_t type)
{
    return type == BOOT_MEM_FREE || type == BOOT_MEM_HV || type == BOOT_MEM_ACPI ||
           type == BOOT_MEM_RUNTIME;
}

/* Cache attribute of [base, base + size): uncached when it holds MMIO and no RAM.
 * RAM wins a mixed range: the firmware's MTRRs still keep its MMIO part UC (SDM 11.5.2.2). */
static void classify(const struct boot_info *bi, uint64_t base, uint64_t size, bool *ram, bool *mmio)
{
    uint64_t end = base + size;
    *ram = false;
    *mmio = base < SIZE_4G && end > HOLE_BASE;
    for (uint32_t i = 0; i < bi->mem_region_count; i++) {
        const struct boot_mem_region *r = &bi->mem[i];
        if (r->base >= end || r->base + r->size_bytes <= base)
            continue;
        *ram |= is_ram(r->type);
        *mmio |= r->type == BOOT_MEM_MMIO;
    }
}

static uint64_t leaf(const struct boot_info *bi, uint64_t base, uint64_t size)
{
    bool ram, mmio;
    classify(bi, base, size, &ram, &mmio);
    return base | PTE_P | PTE_RW | PTE_PS | (mmio && !ram ? PTE_UC : 0);
}

/* A GiB needs a page directory when 1 GiB pages are missing or it mixes RAM and MMIO. */
static bool needs_pd(const struct boot_info *bi, uint64_t gib_base, bool page1gb)
{
    bool ram, mmio;
    classify(bi, gib_base, SIZE_1G, &ram, &mmio);
    return !page1gb || (ram && mmio);
}

/* The trampoline loads CR3 in 32-bit mode: keep a PML4 copy below 4 GiB. Runs on our own
 * tables, so any FREE page is safe now; the page is taken out of the map for memory_init. */
static uint32_t low_pml4(struct boot_info *bi)
{
    if ((uintptr_t)pml4 + PAGE_SIZE <= SIZE_4G)
        return (uint32_t)(uintptr_t)pml4;
    for (uint32_t i = 0; i < bi->mem_region_count; i++) {
        struct boot_mem_region *r = &bi->mem[i];
        if (r->type != BOOT_MEM_FREE || r->base < (1u << 20) || r->size_bytes < PAGE_SIZE ||
            r->base + PAGE_SIZE > SIZE_4G)
            continue;
        uint64_t *copy = (uint64_t *)(uintptr_t)r->base;
        r->base += PAGE_SIZE;
        r->size_bytes -= PAGE_SIZE;
        memcpy(copy, pml4, PAGE_SIZE);
        return (uint32_t)(uintptr_t)copy;
    }
    return 0;
}

void x86_paging_init(struct boot_info *bi)
{
    if (read_cr4() & CR4_LA57)   /* CR4.LA57 cannot change while paging is on (SDM 4.1.1) */
        kernel_panic("the firmware runs 5-level paging; only 4-level is supported");
    boot_map = bi;
    page1gb = cpuid(0x80000000, 0).eax >= 0x80000001 &&
              (cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_PAGE1GB);
    /* Everything the memory map names, and at least the 4 GiB holding the APICs. */
    uint64_t top = SIZE_4G;
    for (uint32_t i = 0; i < bi->mem_region_count; i++)
        if (bi->mem[i].base + bi->mem[i].size_bytes > top)
            top = bi->mem[i].base + bi->mem[i].size_bytes;
    top = (top + SIZE_1G - 1) & ~(SIZE_1G - 1);
    uint64_t gib_count = top / SIZE_1G, pdpt_count = (gib_count + ENTRIES - 1) / ENTRIES;
    uint64_t pd_count = 0;
    for (uint64_t g = 0; g < gib_count; g++)
        pd_count += needs_pd(bi, g * SIZE_1G, page1gb);

    /* The firmware's live page tables sit in memory boot/ reports as FREE (boot-services
     * data), so the new tables come from the hypervisor's heap, which nothing else owns. */
    uint64_t table_count = 1 + pdpt_count + pd_count;
    uint64_t *next = memalign(PAGE_SIZE, table_count * PAGE_SIZE);
    if (!next)
        kernel_panic("no memory for the page tables");
    memset(next, 0, table_count * PAGE_SIZE);
    pml4 = next;
    next += ENTRIES;
    uint64_t *pdpt = NULL;
    for (uint64_t g = 0; g < gib_count; g++) {
        uint64_t base = g * SIZE_1G;
        if (g % ENTRIES == 0) {
            pdpt = next;
            next += ENTRIES;
            pml4[g / ENTRIES] = (uintptr_t)pdpt | PTE_P | PTE_RW;
        }
        if (!needs_pd(bi, base, page1gb)) {
            pdpt[g % ENTRIES] = leaf(bi, base, SIZE_1G);
            continue;
        }
        uint64_t *pd = next;
        next += ENTRIES;
        pdpt[g % ENTRIES] = (uintptr_t)pd | PTE_P | PTE_RW;
        for (uint32_t j = 0; j < ENTRIES; j++)
            pd[j] = leaf(bi, base + j * SIZE_2M, SIZE_2M);
    }
    map_end = top;

    write_cr3((uintptr_t)pml4);
    uint64_t cr4 = read_cr4();
    if (cr4 & CR4_PGE) {   /* also drop the firmware's global translations (SDM 4.10.4.1) */
        write_cr4(cr4 & ~CR4_PGE);
        write_cr4(cr4);
    }
    cr3_low = low_pml4(bi);
    hv_printf("paging: identity map of %" PRIu64 " GiB in %s pages, %" PRIu64
              " table pages, CR3 0x%" PRIx64 "\n", gib_count, page1gb ? "1 GiB" : "2 MiB",
              table_count, (uint64_t)(uintptr_t)pml4);
}

uint64_t x86_paging_cr3(void) { return (uintptr_t)pml4; }
uint32_t x86_paging_cr3_low(void) { return cr3_low; }
uint64_t x86_paging_map_end(void) { return map_end; }

/* arch_map_device: maps [va, end) uncached below `table` (level 0 = PML4 ... 3 = PT). Absent
 * entries become pages of the largest size that fits, or new tables; an uncached page is
 * kept; a cacheable one (RAM's neighbour: the firmware's MTRRs keep its MMIO part UC anyway)
 * is split down to 4 KiB and made uncached, *changed set. False when out of memory. */
static bool map_uc_level(uint64_t *table, int level, uint64_t va, uint64_t end, bool *changed)
{
    uint32_t shift = 39 - 9 * (uint32_t)level;
    uint64_t span = 1ull << shift;
    while (va < end) {
        uint64_t next = (va & ~(span - 1)) + span;
        if (next > end)
            next = end;
        uint32_t index = (uint32_t)(va >> shift) % ENTRIES;
        uint64_t *e = &table[index];
        bool leaf = (*e & PTE_P) && (level == 3 || (level > 0 && (*e & PTE_PS)));
        bool leaf_ok = level == 3 || level == 2 || (level == 1 && page1gb);
        if (leaf && (*e & PTE_UC) == PTE_UC) {
            /* already uncached */
        } else if (level == 3) {
            *changed |= (*e & PTE_P) != 0;
            *e = va | PTE_P | PTE_RW | PTE_UC;
        } else if (!(*e & PTE_P) && leaf_ok && next - va == span) {
            *e = va | PTE_P | PTE_RW | PTE_UC | PTE_PS;
        } else {
            if (!(*e & PTE_P) || leaf) {
                uint64_t *t = (uint64_t *)(uintptr_t)hv_page_alloc(1, PAGE_SIZE);   /* zeroed */
                if (!t)
                    return false;
                if (leaf) {   /* the same translation in 512 smaller pages */
                    uint64_t attr = *e & ~PTE_ADDR_MASK & ~PTE_PS, step = span / ENTRIES;
                    for (uint32_t i = 0; i < ENTRIES; i++)
                        t[i] = ((*e & PTE_ADDR_MASK) + i * step) | attr | (level + 1 < 3 ? PTE_PS : 0);
                    *changed = true;
                }
                *e = (uintptr_t)t | PTE_P | PTE_RW;
                uint64_t *low = (uint64_t *)(uintptr_t)cr3_low;
                if (level == 0 && low && low != table)   /* the APs run on the low PML4 copy */
                    low[index] = *e;
            }
            if (!map_uc_level((uint64_t *)(uintptr_t)(*e & PTE_ADDR_MASK), level + 1, va, next, changed))
                return false;
        }
        va = next;
    }
    return true;
}

bool arch_map_device(uint64_t pa, uint64_t size_bytes)
{
    uint64_t end = pa + size_bytes;
    uint32_t pa_bits = cpuid(0x80000000, 0).eax >= 0x80000008 ? cpuid(0x80000008, 0).eax & 0xff : 36;
    if (!size_bytes || end < pa || end > 1ull << pa_bits || end > 1ull << 48)
        return false;
    for (uint32_t i = 0; i < boot_map->mem_region_count; i++) {
        const struct boot_mem_region *r = &boot_map->mem[i];
        if (is_ram(r->type) && r->base < end && pa < r->base + r->size_bytes)
            return false;
    }
    bool changed = false;
    bool ok = map_uc_level(pml4, 0, pa & ~(uint64_t)(PAGE_SIZE - 1),
                           (end + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1), &changed);
    /* New entries need no invalidation (SDM Vol. 3A, 4.10.4.3); a changed one does. Only this CPU's
     * TLB is flushed: the others have had no reason to touch a device nobody drove yet. */
    if (changed)
        write_cr3(read_cr3());
    return ok;
}
