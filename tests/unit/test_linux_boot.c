/* test_linux_boot.c: the Linux boot protocol's 32-bit entry: a synthetic bzImage's setup header is
 * copied into the zero page with the loader's fields, the protected-mode code lands at 1 MiB, the
 * initrd at the top of low RAM, ESI names the zero page; malformed images are refused with a reason. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "x86_boot.h"

#define RAM_SIZE (64u << 20)
#define SETUP_SECTS 4u
#define PM_OFFSET ((SETUP_SECTS + 1) * 512u)
#define PM_SIZE 0x3000u
static struct memslots ms;
static uint8_t *ram;
static uint8_t img[PM_OFFSET + PM_SIZE];
static uint8_t initrd[0x1800];
static char err[160];

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)v); w16(p + 2, (uint16_t)(v >> 16)); }
static void w64(uint8_t *p, uint64_t v) { w32(p, (uint32_t)v); w32(p + 4, (uint32_t)(v >> 32)); }
static uint32_t r32(uint64_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }
static uint64_t r64(uint64_t gpa) { uint64_t v; memcpy(&v, ram + gpa, 8); return v; }

/* A relocatable protocol 2.15 image wanting 16 MiB + 8 MiB of init_size, as Debian's is in shape. */
static void setup(void)
{
    memslots_init(&ms);
    ram = aligned_alloc(4096, RAM_SIZE);
    memset(ram, 0xCC, RAM_SIZE);
    memset(img, 0, sizeof(img));
    err[0] = 0;
    cr_assert_eq(memslot_set(&ms, 0, 0, RAM_SIZE, (uint64_t)(uintptr_t)ram, MEMSLOT_RAM), MEMSLOT_OK);
    img[0x1F1] = SETUP_SECTS;
    w16(img + 0x1FE, 0xAA55);
    img[0x200] = 0xEB;
    img[0x201] = 0x66;                 /* header ends at 0x268 */
    memcpy(img + 0x202, "HdrS", 4);
    w16(img + 0x206, 0x020F);
    img[0x211] = 0x01;                 /* LOADED_HIGH */
    w32(img + 0x214, 0x100000);
    w32(img + 0x22C, 0x7FFFFFFF);      /* initrd_addr_max */
    w32(img + 0x230, 0x200000);        /* kernel_alignment */
    img[0x234] = 1;                    /* relocatable */
    w32(img + 0x238, 2047);            /* cmdline_size */
    w64(img + 0x258, 0x1000000);       /* pref_address */
    w32(img + 0x260, 0x800000);        /* init_size */
    img[0x264] = 0x5A;                 /* handover_offset: a header byte the zero page must carry */
    for (uint32_t i = 0; i < PM_SIZE; i++)
        img[PM_OFFSET + i] = (uint8_t)(i * 7 + 1);
    memset(initrd, 0x3C, sizeof(initrd));
}
static void teardown(void) { free(ram); }
TestSuite(linux_boot, .init = setup, .fini = teardown);

static bool load(size_t size, const uint8_t *rd, size_t rd_size, const char *cmdline, uint64_t ram_size,
                 struct x86_boot_state *st)
{
    struct x86_boot_image bi = { img, size, rd, rd_size, cmdline, "\\guests\\bzImage", "", ram_size };
    const struct x86_image_loader *l = x86_boot_find_loader(img, size);
    cr_assert_not_null(l);
    cr_assert_str_eq(l->name, "linux");
    return l->load(&ms, &bi, st, err, sizeof(err));
}

Test(linux_boot, zero_page_kernel_initrd_and_registers)
{
    struct x86_boot_state st;
    cr_assert(load(sizeof(img), initrd, sizeof(initrd), "console=ttyS0 quiet", RAM_SIZE, &st), "%s", err);
    cr_assert_eq(st.mode, X86_BOOT_PROTECTED32);
    cr_assert_eq(st.rip, 0x100000);
    uint64_t bp = st.gpr[6];                                   /* ESI */
    cr_assert(bp && bp + 0x1000 <= 0x9FC00, "zero page at 0x%lx", (unsigned long)bp);
    cr_assert_eq(st.gpr[3] | st.gpr[5] | st.gpr[7], 0, "EBX, EBP, EDI zero");
    cr_assert_eq(memcmp(ram + 0x100000, img + PM_OFFSET, PM_SIZE), 0, "protected-mode code at 1 MiB");
    /* the header copied, with the loader's fields written */
    cr_assert_eq(memcmp(ram + bp + 0x202, "HdrS", 4), 0);
    cr_assert_eq(ram[bp + 0x264], 0x5A, "header bytes up to 0x0202 + jump length copied");
    cr_assert_eq(ram[bp + 0x210], 0xFF, "type_of_loader undefined");
    uint32_t cmd = r32(bp + 0x228);
    cr_assert_str_eq((const char *)ram + cmd, "console=ttyS0 quiet");
    /* the initrd page aligned at the top of RAM */
    uint32_t rd = r32(bp + 0x218);
    cr_assert_eq(r32(bp + 0x21C), sizeof(initrd));
    cr_assert_eq(rd % 4096, 0);
    cr_assert(rd + sizeof(initrd) <= RAM_SIZE && rd + sizeof(initrd) > RAM_SIZE - 4096, "initrd at 0x%x", rd);
    cr_assert_eq(memcmp(ram + rd, initrd, sizeof(initrd)), 0);
    /* the e820 table as x86_e820_build says */
    struct x86_e820_entry e[X86_E820_MAX];
    uint32_t n = x86_e820_build(RAM_SIZE, e);
    cr_assert_eq(ram[bp + 0x1E8], n);
    for (uint32_t i = 0; i < n; i++) {
        cr_assert_eq(r64(bp + 0x2D0 + i * 20), e[i].base);
        cr_assert_eq(r64(bp + 0x2D0 + i * 20 + 8), e[i].size_bytes);
        cr_assert_eq(r32(bp + 0x2D0 + i * 20 + 16), e[i].type);
    }
    cr_assert_eq(r64(bp + 0x70), 0xE0000, "acpi_rsdp_addr");
}

Test(linux_boot, no_initrd_leaves_ramdisk_fields_zero)
{
    struct x86_boot_state st;
    cr_assert(load(sizeof(img), NULL, 0, "", RAM_SIZE, &st), "%s", err);
    cr_assert_eq(r32(st.gpr[6] + 0x218), 0);
    cr_assert_eq(r32(st.gpr[6] + 0x21C), 0);
    cr_assert_eq(ram[r32(st.gpr[6] + 0x228)], 0, "empty command line");
}

Test(linux_boot, too_little_ram_for_the_decompressed_kernel)
{
    struct x86_boot_state st;
    /* 16 MiB + 8 MiB init_size does not fit in 20 MiB */
    cr_assert_not(load(sizeof(img), NULL, 0, "", 20u << 20, &st));
    cr_assert(strstr(err, "more memory"), "%s", err);
}

Test(linux_boot, non_relocatable_decompresses_at_pref_address)
{
    struct x86_boot_state st;
    img[0x234] = 0;
    w64(img + 0x258, 0x3F00000);       /* 63 MiB + 8 MiB > 64 MiB */
    cr_assert_not(load(sizeof(img), NULL, 0, "", RAM_SIZE, &st));
    cr_assert(strstr(err, "more memory"), "%s", err);
}

Test(linux_boot, initrd_that_meets_the_kernel_is_refused)
{
    static uint8_t big[41u << 20];
    struct x86_boot_state st;
    cr_assert_not(load(sizeof(img), big, sizeof(big), "", RAM_SIZE, &st));
    cr_assert(strstr(err, "initrd"), "%s", err);
}

Test(linux_boot, initrd_below_initrd_addr_max)
{
    struct x86_boot_state st;
    w32(img + 0x22C, 0x1FFFFFF);       /* 32 MiB */
    cr_assert(load(sizeof(img), initrd, sizeof(initrd), "", RAM_SIZE, &st), "%s", err);
    uint32_t rd = r32(st.gpr[6] + 0x218);
    cr_assert(rd + sizeof(initrd) <= 0x2000000 && rd >= 0x2000000 - 0x2000, "initrd at 0x%x", rd);
}

Test(linux_boot, command_line_longer_than_cmdline_size)
{
    struct x86_boot_state st;
    w32(img + 0x238, 8);
    cr_assert_not(load(sizeof(img), NULL, 0, "console=ttyS0", RAM_SIZE, &st));
    cr_assert(strstr(err, "command line"), "%s", err);
}

Test(linux_boot, old_protocol_zimage_and_truncation_refused)
{
    struct x86_boot_state st;
    w16(img + 0x206, 0x0209);
    cr_assert_not(load(sizeof(img), NULL, 0, "", RAM_SIZE, &st));
    cr_assert(strstr(err, "2.09"), "%s", err);
    w16(img + 0x206, 0x020F);
    img[0x211] = 0;
    cr_assert_not(load(sizeof(img), NULL, 0, "", RAM_SIZE, &st));
    cr_assert(strstr(err, "zImage"), "%s", err);
    img[0x211] = 1;
    img[0x1F1] = 200;                  /* setup past the end of the file */
    cr_assert_not(load(sizeof(img), NULL, 0, "", RAM_SIZE, &st));
    cr_assert(strstr(err, "past the end"), "%s", err);
    img[0x1F1] = SETUP_SECTS;
    cr_assert_not(load(0x240, NULL, 0, "", RAM_SIZE, &st));
    cr_assert(strstr(err, "truncated"), "%s", err);
    w32(img + 0x230, 0x300000);        /* not a power of two */
    cr_assert_not(load(sizeof(img), NULL, 0, "", RAM_SIZE, &st));
    cr_assert(strstr(err, "kernel_alignment"), "%s", err);
}

Test(linux_boot, multiboot_images_still_go_to_multiboot)
{
    uint8_t mb[64] = { 0 };
    w32(mb + 8, 0x1BADB002u);
    w32(mb + 12, 0);
    w32(mb + 16, (uint32_t)-0x1BADB002u);
    const struct x86_image_loader *l = x86_boot_find_loader(mb, sizeof(mb));
    cr_assert_not_null(l);
    cr_assert_str_eq(l->name, "multiboot");
    cr_assert_null(x86_boot_find_loader(img, 0x100), "too short for a setup header");
}
