/* test_x86_guest_walk.c: guest linear -> physical through guest page tables: paging off, 32-bit with a
 * 4 MiB page, PAE, 4-level with 2 MiB pages, not-present entries, and reads across pages. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "x86_guest_walk.h"
#include "x86_regs.h"

#define RAM_SIZE (8u << 20)
static struct memslots ms;
static uint8_t *ram;

static void setup(void)
{
    memslots_init(&ms);
    ram = aligned_alloc(4096, RAM_SIZE);
    memset(ram, 0, RAM_SIZE);
    cr_assert_eq(memslot_set(&ms, 0, 0, RAM_SIZE, (uint64_t)(uintptr_t)ram, MEMSLOT_RAM), MEMSLOT_OK);
}
static void teardown(void) { free(ram); }
TestSuite(guest_walk, .init = setup, .fini = teardown);

static void e32(uint64_t gpa, uint32_t v) { memcpy(ram + gpa, &v, 4); }
static void e64(uint64_t gpa, uint64_t v) { memcpy(ram + gpa, &v, 8); }


Test(guest_walk, paging_off_is_identity_truncated_to_32_bits)
{
    struct x86_paging_regs r = { 0x11, 0, 0, 0 };
    uint64_t gpa;
    cr_assert(x86_guest_translate(&ms, &r, 0x1FEE00000ull, &gpa));
    cr_assert_eq(gpa, 0xFEE00000ull);
}

Test(guest_walk, bit32_with_4k_and_4m_pages)
{
    struct x86_paging_regs r = { CR0_PG | 1, 0x1000, CR4_PSE, 0 };
    e32(0x1000 + (0xC0000000u >> 22) * 4, 0x2000 | 1);         /* PDE -> PT at 0x2000 */
    e32(0x2000 + ((0xC0001000u >> 12) & 0x3FF) * 4, 0x5000 | 1);
    e32(0x1000 + (0x80000000u >> 22) * 4, 0x400000 | 0x80 | 1); /* 4 MiB page */
    uint64_t gpa;
    cr_assert(x86_guest_translate(&ms, &r, 0xC0001234, &gpa));
    cr_assert_eq(gpa, 0x5234);
    cr_assert(x86_guest_translate(&ms, &r, 0x80123456, &gpa));
    cr_assert_eq(gpa, 0x523456);
    cr_assert(!x86_guest_translate(&ms, &r, 0x40000000, &gpa), "not present");
}

Test(guest_walk, pae_three_levels)
{
    struct x86_paging_regs r = { CR0_PG | 1, 0x1000, CR4_PAE, 0 };
    e64(0x1000 + 3 * 8, 0x2000 | 1);                            /* PDPTE 3 */
    e64(0x2000 + ((0xFEE00000u >> 21) & 0x1FF) * 8, 0x3000 | 1);
    e64(0x3000 + ((0xFEE00000u >> 12) & 0x1FF) * 8, 0xFEE00000ull | 1);
    uint64_t gpa;
    cr_assert(x86_guest_translate(&ms, &r, 0xFEE00030, &gpa));
    cr_assert_eq(gpa, 0xFEE00030);
}

Test(guest_walk, four_level_with_2m_page_and_cross_page_read)
{
    struct x86_paging_regs r = { CR0_PG | 1, 0x10000, CR4_PAE, EFER_LMA };
    uint64_t la = 0xFFFF800000000000ull;
    e64(0x10000 + ((la >> 39) & 0x1FF) * 8, 0x11000 | 3);
    e64(0x11000 + ((la >> 30) & 0x1FF) * 8, 0x12000 | 3);
    e64(0x12000 + ((la >> 21) & 0x1FF) * 8, 0x200000 | 0x80 | 3);  /* 2 MiB page at 0x200000 */
    uint64_t gpa;
    cr_assert(x86_guest_translate(&ms, &r, la + 0x1FFFFF, &gpa));
    cr_assert_eq(gpa, 0x3FFFFF);
    ram[0x200FFE] = 0xAA;
    ram[0x200FFF] = 0xBB;
    ram[0x201000] = 0xCC;
    uint8_t buf[3];
    cr_assert_eq(x86_guest_read_linear(&ms, &r, la + 0xFFE, buf, 3), 3);
    cr_assert_eq(buf[2], 0xCC);
    /* The next 2 MiB is not mapped: a read that runs into it stops there. */
    cr_assert_eq(x86_guest_read_linear(&ms, &r, la + 0x1FFFFE, buf, 3), 2);
}

Test(guest_walk, tables_outside_guest_memory_fail)
{
    struct x86_paging_regs r = { CR0_PG | 1, 0x40000000, CR4_PAE, EFER_LMA };
    uint64_t gpa;
    cr_assert(!x86_guest_translate(&ms, &r, 0x1000, &gpa));
}

/* 4-level paging, 4 KiB pages: la 0x400000 -> 0x300000 read-only supervisor, la 0x401000 -> 0x301000
 * writable user, la 0x402000 not mapped. */
static struct x86_paging_regs rights_tables(uint64_t cr0_wp)
{
    e64(0x10000, 0x11000 | 7);                                  /* PML4E: P, RW, US */
    e64(0x11000, 0x12000 | 7);                                  /* PDPTE */
    e64(0x12000 + 2 * 8, 0x13000 | 7);                          /* PDE for 0x400000 */
    e64(0x13000, 0x300000 | 1);                                 /* PTE: P only */
    e64(0x13000 + 8, 0x301000 | 7);                             /* PTE: P, RW, US */
    return (struct x86_paging_regs){ CR0_PG | cr0_wp | 1, 0x10000, CR4_PAE, EFER_LMA };
}

Test(guest_walk, access_rights_rw_us_and_cr0_wp)
{
    struct x86_paging_regs r = rights_tables(1ull << 16);
    uint64_t gpa;
    cr_assert(x86_guest_translate_access(&ms, &r, 0x400010, 0, &gpa));
    cr_assert_eq(gpa, 0x300010);
    cr_assert(!x86_guest_translate_access(&ms, &r, 0x400010, X86_ACCESS_WRITE, &gpa), "read-only, CR0.WP");
    cr_assert(!x86_guest_translate_access(&ms, &r, 0x400010, X86_ACCESS_USER, &gpa), "supervisor page");
    cr_assert(x86_guest_translate_access(&ms, &r, 0x401010, X86_ACCESS_WRITE | X86_ACCESS_USER, &gpa));
    cr_assert_eq(gpa, 0x301010);
    r = rights_tables(0);
    cr_assert(x86_guest_translate_access(&ms, &r, 0x400010, X86_ACCESS_WRITE, &gpa), "CR0.WP clear: supervisor writes");
    cr_assert(!x86_guest_translate_access(&ms, &r, 0x400010, X86_ACCESS_WRITE | X86_ACCESS_USER, &gpa));
}

Test(guest_walk, linear_write_across_pages_is_all_or_nothing)
{
    struct x86_paging_regs r = rights_tables(1ull << 16);
    e64(0x13000, 0x300000 | 3);                                 /* now writable */
    static const uint8_t v[4] = { 1, 2, 3, 4 };
    cr_assert(x86_guest_access_linear(&ms, &r, 0x400FFE, (void *)v, 4, X86_ACCESS_WRITE));
    cr_assert_eq(ram[0x300FFE], 1);
    cr_assert_eq(ram[0x300FFF], 2);
    cr_assert_eq(ram[0x301000], 3);
    cr_assert_eq(ram[0x301001], 4);
    uint8_t back[4];
    cr_assert(x86_guest_access_linear(&ms, &r, 0x400FFE, back, 4, 0));
    cr_assert_eq(memcmp(back, v, 4), 0);
    /* The second page (0x402000) is not mapped: nothing of the first page is written either. */
    cr_assert(!x86_guest_access_linear(&ms, &r, 0x401FFE, (void *)v, 4, X86_ACCESS_WRITE));
    cr_assert_eq(ram[0x301FFE], 0);
    /* A page outside RAM (an MMIO address) is not this accessor's to reach. */
    e64(0x13000 + 2 * 8, 0xFEE00000ull | 3);
    cr_assert(!x86_guest_access_linear(&ms, &r, 0x402000, back, 4, 0));
}

/* The instruction fetch's copy (read_in_page: words, the last one overlapping): every length up to
 * 15 at offsets that end exactly at a page boundary or not, against the bytes in RAM; nothing past
 * the requested length is written. Paging off, so linear = physical. */
Test(guest_walk, read_linear_every_length_and_offset)
{
    struct x86_paging_regs r = { 0x11, 0, 0, 0 };
    for (uint32_t i = 0; i < 0x2000; i++)
        ram[0x40000 + i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 1; len <= 15; len++) {
        for (uint64_t off = 0xFE0; off <= 0x1000; off++) {
            uint8_t buf[16];
            memset(buf, 0x5A, sizeof buf);
            cr_assert_eq(x86_guest_read_linear(&ms, &r, 0x40000 + off, buf, len), len);
            cr_assert_arr_eq(buf, ram + 0x40000 + off, len, "len %zu off 0x%lx", len, (unsigned long)off);
            for (size_t k = len; k < sizeof buf; k++)
                cr_assert_eq(buf[k], 0x5A, "byte %zu past len %zu written", k, len);
        }
    }
    /* The last bytes of RAM: a read running past the slot's end stops there. */
    uint8_t buf[16];
    cr_assert_eq(x86_guest_read_linear(&ms, &r, RAM_SIZE - 5, buf, 15), 5);
    cr_assert_arr_eq(buf, ram + RAM_SIZE - 5, 5);
}

/* x86_guest_fetch_linear's cache: the same bytes as a fresh walk every time, through a page-table
 * edit without any flush (the entries are read again), a CR3 change, a slot moved to other host
 * memory at the same guest-physical address, and a read across a page. */
Test(guest_walk, fetch_cache_follows_tables_registers_and_slots)
{
    struct x86_paging_regs r = { CR0_PG | 1, 0x10000, CR4_PAE, EFER_LMA };
    uint64_t la = 0x400000;                       /* PML4[0] -> PDPT[0] -> PD[2] -> PT */
    e64(0x10000, 0x11000 | 3);
    e64(0x11000, 0x12000 | 3);
    e64(0x12000 + 2 * 8, 0x13000 | 3);
    e64(0x13000, 0x20000 | 3);                    /* la -> 0x20000 */
    e64(0x13000 + 8, 0x21000 | 3);                /* la + 4 KiB -> 0x21000 */
    for (uint32_t i = 0; i < 0x3000; i++)
        ram[0x20000 + i] = (uint8_t)(i ^ 0x5A);
    struct x86_fetch_cache c = { 0 };
    uint8_t buf[15];
    for (int k = 0; k < 2; k++) {                 /* a walk, then the cached page */
        cr_assert_eq(x86_guest_fetch_linear(&c, &ms, &r, la + 0x10, buf, 15), 15);
        cr_assert_arr_eq(buf, ram + 0x20010, 15);
        cr_assert(c.valid);
    }
    e64(0x13000, 0x22000 | 3);                    /* the leaf moved, no flush of any kind */
    cr_assert_eq(x86_guest_fetch_linear(&c, &ms, &r, la + 0x10, buf, 15), 15);
    cr_assert_arr_eq(buf, ram + 0x22010, 15, "a changed leaf entry is seen");
    e64(0x12000 + 2 * 8, 0);                      /* an upper level no longer present */
    cr_assert_eq(x86_guest_fetch_linear(&c, &ms, &r, la + 0x10, buf, 15), 0);
    e64(0x12000 + 2 * 8, 0x13000 | 3);
    cr_assert_eq(x86_guest_fetch_linear(&c, &ms, &r, la + 0x10, buf, 15), 15);
    cr_assert_arr_eq(buf, ram + 0x22010, 15);
    /* Another CR3 with other tables: its own walk. */
    e64(0x30000, 0x31000 | 3);
    e64(0x31000, 0x32000 | 3);
    e64(0x32000 + 2 * 8, 0x33000 | 3);
    e64(0x33000, 0x20000 | 3);
    e64(0x33000 + 8, 0x21000 | 3);
    struct x86_paging_regs r2 = r;
    r2.cr3 = 0x30000;
    cr_assert_eq(x86_guest_fetch_linear(&c, &ms, &r2, la + 0x10, buf, 15), 15);
    cr_assert_arr_eq(buf, ram + 0x20010, 15, "CR3 changed");
    /* Across a page: both pages, as x86_guest_read_linear reads them. */
    cr_assert_eq(x86_guest_fetch_linear(&c, &ms, &r2, la + 0xFF8, buf, 15), 15);
    cr_assert_arr_eq(buf, ram + 0x20FF8, 8);
    cr_assert_arr_eq(buf + 8, ram + 0x21000, 7);
    /* The slot moved to other host memory (same guest-physical range): the new memory is read. */
    uint8_t *ram2 = aligned_alloc(4096, RAM_SIZE);
    memcpy(ram2, ram, RAM_SIZE);
    ram2[0x20010] ^= 0xFF;
    cr_assert_eq(x86_guest_fetch_linear(&c, &ms, &r2, la + 0x10, buf, 15), 15);
    cr_assert_eq(memslot_set(&ms, 0, 0, 0, 0, 0), MEMSLOT_OK);
    cr_assert_eq(memslot_set(&ms, 0, 0, RAM_SIZE, (uint64_t)(uintptr_t)ram2, MEMSLOT_RAM), MEMSLOT_OK);
    cr_assert_eq(x86_guest_fetch_linear(&c, &ms, &r2, la + 0x10, buf, 15), 15);
    cr_assert_eq(buf[0], ram2[0x20010], "the moved slot's memory");
    cr_assert_neq(buf[0], ram[0x20010]);
    cr_assert_eq(memslot_set(&ms, 0, 0, 0, 0, 0), MEMSLOT_OK);
    cr_assert_eq(x86_guest_fetch_linear(&c, &ms, &r2, la + 0x10, buf, 15), 0, "no memory at all");
    free(ram2);
}
