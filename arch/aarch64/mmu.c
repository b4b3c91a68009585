/* mmu.c: the hypervisor's own EL2 stage-1 identity map: 4 KiB granule, 1 GiB / 2 MiB blocks where aligned. */
#include <inttypes.h>
#include <malloc.h>
#include <string.h>
#include "arch.h"
#include "boot_info.h"
#include "el2_mmu.h"
#include "host_platform.h"
#include "kernel.h"
#include "sysreg.h"

#define GIB (1ull << 30)
#define TABLE_BYTES 4096u
#define TABLE_ENTRIES 512u
#define VA_BITS 48
#define LEVEL_SHIFT(level) (39 - 9 * (level))   /* level 0: 512 GiB per entry ... level 3: 4 KiB */

/* MAIR_EL2 (Arm DDI 0487, MAIR_EL2): two attributes of our own. The firmware's MAIR
 * meaning does not matter: the MMU is off while MAIR_EL2 changes (mmu_switch.S). */
#define MAIR_IDX_DEVICE 0
#define MAIR_IDX_NORMAL 1
#define MAIR_DEVICE_nGnRE 0x04ull
#define MAIR_NORMAL_WB 0xffull   /* inner and outer write-back, read- and write-allocate */
#define MAIR_VALUE (MAIR_DEVICE_nGnRE << (8 * MAIR_IDX_DEVICE) | MAIR_NORMAL_WB << (8 * MAIR_IDX_NORMAL))

/* VMSAv8-64 stage-1 block, page and table descriptors, 4 KiB granule (DDI 0487 D8.3). */
#define PTE_VALID (1ull << 0)
#define PTE_TABLE (1ull << 1)          /* levels 0-2: table; at level 3 it marks a page */
#define PTE_ATTRINDX(i) ((uint64_t)(i) << 2)
#define PTE_AP1 (1ull << 6)            /* D8.4.1.2.1: AP[1] is RES1 for one Exception level; AP[2]=0: writable */
#define PTE_SH_INNER (3ull << 8)
#define PTE_AF (1ull << 10)            /* set: no Access flag faults */
#define PTE_XN (1ull << 54)
#define PTE_ADDR_MASK 0x0000fffffffff000ull

#define ATTR_NORMAL (PTE_ATTRINDX(MAIR_IDX_NORMAL) | PTE_AP1 | PTE_SH_INNER | PTE_AF)
#define ATTR_DEVICE (PTE_ATTRINDX(MAIR_IDX_DEVICE) | PTE_AP1 | PTE_AF | PTE_XN)

/* TCR_EL2 with HCR_EL2.E2H=0 (DDI 0487, TCR_EL2): T0SZ=16 (48-bit VA, walks start at level 0),
 * 4 KiB granule, walks Inner Shareable and write-back cacheable. */
#define TCR_T0SZ (64ull - VA_BITS)
#define TCR_IRGN0_WBWA (1ull << 8)
#define TCR_ORGN0_WBWA (1ull << 10)
#define TCR_SH0_INNER (3ull << 12)
#define TCR_PS_SHIFT 16
#define TCR_RES1 ((1ull << 31) | (1ull << 23))

/* SCTLR_EL2 with E2H=0 (DDI 0487, SCTLR_EL2): MMU, data and instruction caches, SP alignment
 * check, RES1 bits; WXN, A (alignment faults) and EE (big-endian) clear. */
#define SCTLR_M (1ull << 0)
#define SCTLR_C (1ull << 2)
#define SCTLR_SA (1ull << 3)
#define SCTLR_I (1ull << 12)
#define SCTLR_RES1 ((1ull << 29) | (1ull << 28) | (1ull << 23) | (1ull << 22) | (1ull << 18) | \
                    (1ull << 16) | (1ull << 11) | (1ull << 5) | (1ull << 4))

/* Boot CPU only: the tables are built before any secondary starts; afterwards only
 * arch_map_device (boot CPU, before the VMs run) adds to them. */
static uint64_t *root_table;
static uint32_t table_count;

/* Page-table pages come from newlib's heap (hypervisor memory, already mapped by the
 * firmware): the page allocator does not exist yet, and a FREE range of the memory
 * map might still hold the firmware's live tables. */
static uint64_t *table_new(void)
{
    uint64_t *t = memalign(TABLE_BYTES, TABLE_BYTES);
    if (!t)
        kernel_panic("mmu: no memory for page tables");
    memset(t, 0, TABLE_BYTES);
    table_count++;
    return t;
}

/* A table descriptor for a new next-level table; if `old` was a block, the table
 * repeats it at the finer granularity so the rest of its range keeps its mapping. */
static uint64_t table_desc_split(uint64_t old, int level)
{
    uint64_t *t = table_new();
    if (old & PTE_VALID) {
        uint64_t step = 1ull << LEVEL_SHIFT(level + 1);
        uint64_t attr = old & ~PTE_ADDR_MASK & ~(PTE_VALID | PTE_TABLE);
        uint64_t type = level + 1 == 3 ? PTE_VALID | PTE_TABLE : PTE_VALID;
        for (uint32_t i = 0; i < TABLE_ENTRIES; i++)
            t[i] = ((old & PTE_ADDR_MASK) + i * step) | attr | type;
    }
    return (uint64_t)(uintptr_t)t | PTE_TABLE | PTE_VALID;
}

/* Identity-maps [va, end) below one entry of `table`: whole aligned entries at levels
 * 1-3 become blocks or pages (overwriting what was there), the rest goes a level down. */
static void map_level(uint64_t *table, int level, uint64_t va, uint64_t end, uint64_t attr)
{
    uint64_t span = 1ull << LEVEL_SHIFT(level);
    while (va < end) {
        uint64_t next = (va & ~(span - 1)) + span;
        if (next > end)
            next = end;
        uint64_t *e = &table[(va >> LEVEL_SHIFT(level)) % TABLE_ENTRIES];
        bool block = (*e & PTE_VALID) && level < 3 && !(*e & PTE_TABLE);
        if (level >= 1 && next - va == span)
            *e = va | attr | (level == 3 ? PTE_VALID | PTE_TABLE : PTE_VALID);
        else if (!(block && (*e & ~PTE_ADDR_MASK) == (attr | PTE_VALID))) {
            if (!(*e & PTE_VALID) || block)
                *e = table_desc_split(*e, level);
            map_level((uint64_t *)(uintptr_t)(*e & PTE_ADDR_MASK), level + 1, va, next, attr);
        }
        va = next;
    }
}

static void map_range(uint64_t base, uint64_t size_bytes, uint64_t attr)
{
    uint64_t end = (base + size_bytes + TABLE_BYTES - 1) & ~(uint64_t)(TABLE_BYTES - 1);
    base &= ~(uint64_t)(TABLE_BYTES - 1);
    if (end > 1ull << VA_BITS)
        end = 1ull << VA_BITS;
    if (base < end)
        map_level(root_table, 0, base, end, attr);
}

/* Like map_level, for the live map: only invalid entries change (into blocks, pages or new
 * tables), so there is no break-before-make and no TLB entry to invalidate (Arm DDI 0487,
 * "Translation Lookaside Buffers": an entry that gives a Translation fault is never cached).
 * A valid block or page in the range must already have attr; false when one does not (what
 * was added stays, unused). */
static bool map_level_new(uint64_t *table, int level, uint64_t va, uint64_t end, uint64_t attr)
{
    uint64_t span = 1ull << LEVEL_SHIFT(level);
    while (va < end) {
        uint64_t next = (va & ~(span - 1)) + span;
        if (next > end)
            next = end;
        uint64_t *e = &table[(va >> LEVEL_SHIFT(level)) % TABLE_ENTRIES];
        uint64_t old = *e;
        bool leaf = (old & PTE_VALID) && (level == 3 || !(old & PTE_TABLE));
        if (leaf) {
            if ((old & ~PTE_ADDR_MASK & ~(PTE_VALID | PTE_TABLE)) != attr)
                return false;
        } else if (!(old & PTE_VALID) && level >= 1 && next - va == span) {
            *e = va | attr | (level == 3 ? PTE_VALID | PTE_TABLE : PTE_VALID);
        } else {
            if (!(old & PTE_VALID)) {
                uint64_t desc = table_desc_split(0, level);
                dsb(ishst);   /* the zeroed table before a walk can reach it */
                *e = desc;
            }
            if (!map_level_new((uint64_t *)(uintptr_t)(*e & PTE_ADDR_MASK), level + 1, va, next, attr))
                return false;
        }
        va = next;
    }
    return true;
}

static bool is_ram(uint32_t type)
{
    return type == BOOT_MEM_FREE || type == BOOT_MEM_HV || type == BOOT_MEM_ACPI ||
           type == BOOT_MEM_RUNTIME || type == BOOT_MEM_RESERVED;
}

/* RAM ranges of the memory map sorted and merged, so they map with the largest blocks.
 * Boot CPU only. */
static struct host_range ram[BOOT_MAX_MEM_REGIONS];
static uint32_t ram_range_count;
static uint64_t pa_limit;   /* first address TCR_EL2.PS cannot reach */
static struct host_range image;   /* hv.efi as loaded */

static uint32_t collect_ram(const struct boot_info *bi)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < bi->mem_region_count; i++) {
        if (!is_ram(bi->mem[i].type) || !bi->mem[i].size_bytes)
            continue;
        struct host_range r = { bi->mem[i].base, bi->mem[i].size_bytes };
        uint32_t j = n++;
        for (; j > 0 && ram[j - 1].base > r.base; j--)
            ram[j] = ram[j - 1];
        ram[j] = r;
    }
    uint32_t merged = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct host_range *last = merged ? &ram[merged - 1] : NULL;
        if (last && ram[i].base <= last->base + last->size_bytes) {
            uint64_t end = ram[i].base + ram[i].size_bytes;
            if (end > last->base + last->size_bytes)
                last->size_bytes = end - last->base;
        } else {
            ram[merged++] = ram[i];
        }
    }
    return merged;
}

void el2_mmu_init(const struct boot_info *bi)
{
    const struct host_platform *p = &host_platform;
    root_table = table_new();

    /* Devices first, RAM last: where both claim an address, RAM (Normal) wins.
     * On QEMU virt everything below 1 GiB that is not RAM is I/O. */
    map_range(0, GIB, ATTR_DEVICE);
    for (uint32_t i = 0; i < bi->mem_region_count; i++)
        if (bi->mem[i].type == BOOT_MEM_MMIO)
            map_range(bi->mem[i].base, bi->mem[i].size_bytes, ATTR_DEVICE);
    map_range(p->uart.base, p->uart.size_bytes, ATTR_DEVICE);
    map_range(p->gicd.base, p->gicd.size_bytes, ATTR_DEVICE);
    for (uint32_t i = 0; i < p->gicr_count; i++)
        map_range(p->gicr[i].base, p->gicr[i].size_bytes, ATTR_DEVICE);
    map_range(p->its.base, p->its.size_bytes, ATTR_DEVICE);
    map_range(p->pci_ecam.base, p->pci_ecam.size_bytes, ATTR_DEVICE);

    uint32_t ram_count = ram_range_count = collect_ram(bi);
    image = (struct host_range){ bi->image_base, bi->image_size_bytes };
    for (uint32_t i = 0; i < ram_count; i++)
        map_range(ram[i].base, ram[i].size_bytes, ATTR_NORMAL);

    /* PS from ID_AA64MMFR0_EL1.PARange, at most 48 bits: 52 needs FEAT_LPA2 and TCR.DS with 4 KiB pages. */
    uint64_t ps = BITS(read_sysreg(id_aa64mmfr0_el1), 3, 0);
    if (ps > 5)
        ps = 5;
    static const uint8_t pa_bits[] = { 32, 36, 40, 42, 44, 48 };
    pa_limit = 1ull << pa_bits[ps];
    uint64_t tcr = TCR_T0SZ | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER |
                   ps << TCR_PS_SHIFT | TCR_RES1;
    uint64_t sctlr = SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I;
    el2_mmu_switch((uintptr_t)root_table, tcr, MAIR_VALUE, sctlr);

    for (uint32_t i = 0; i < ram_count; i++)
        hv_printf("mmu: RAM 0x%" PRIx64 "-0x%" PRIx64 " Normal write-back\n", ram[i].base,
                  ram[i].base + ram[i].size_bytes);
    hv_printf("mmu: EL2 identity map live, %" PRIu32 " table pages, TCR_EL2 0x%" PRIx64
              " MAIR_EL2 0x%" PRIx64 "\n", table_count, tcr, (uint64_t)MAIR_VALUE);
}

bool arch_map_device(uint64_t pa, uint64_t size_bytes)
{
    uint64_t end = pa + size_bytes;
    if (!size_bytes || end < pa || end > pa_limit || end > 1ull << VA_BITS)
        return false;
    for (uint32_t i = 0; i < ram_range_count; i++)
        if (pa < ram[i].base + ram[i].size_bytes && ram[i].base < end)
            return false;
    uint64_t base = pa & ~(uint64_t)(TABLE_BYTES - 1);
    end = (end + TABLE_BYTES - 1) & ~(uint64_t)(TABLE_BYTES - 1);
    bool ok = map_level_new(root_table, 0, base, end, ATTR_DEVICE);
    dsb(ishst);   /* the new entries before any access through them */
    isb();
    return ok;
}

const char *el2_host_ram_overlap(uint64_t base, uint64_t size_bytes, uint64_t *ram_base, uint64_t *ram_end)
{
    uint64_t end = base + size_bytes;
    if (end < base)
        end = ~0ull;
    if (image.size_bytes && base < image.base + image.size_bytes && image.base < end) {
        *ram_base = image.base;
        *ram_end = image.base + image.size_bytes;
        return "the hypervisor image";
    }
    for (uint32_t i = 0; i < ram_range_count; i++) {
        if (base < ram[i].base + ram[i].size_bytes && ram[i].base < end) {
            *ram_base = ram[i].base;
            *ram_end = ram[i].base + ram[i].size_bytes;
            return "host RAM";
        }
    }
    return NULL;
}
