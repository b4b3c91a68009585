/* test_x86_guest_walk.c: guest linear -> physical through guest page tables: paging off, 32-bit with a
 * 4 MiB page, PAE, 4-level with 2 MiB pages, not-present entries, and reads across pages. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "x86_guest_walk.h"

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

#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define EFER_LMA (1ull << 10)

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
