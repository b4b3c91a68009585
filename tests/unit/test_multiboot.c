/* test_multiboot.c: the Multiboot v1 loader: ELF32/ELF64 segments, bss, the information block (e820 map,
 * cmdline, module), the a.out kludge, and refusal of malformed images with a reason. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "x86_boot.h"

#define RAM_SIZE (4u << 20)
static struct memslots ms;
static uint8_t *ram;
static uint8_t img[0x3000];
static char err[160];
static const char *kernel_path = "";

static void setup(void)
{
    kernel_path = "";
    memslots_init(&ms);
    ram = aligned_alloc(4096, RAM_SIZE);
    memset(ram, 0xCC, RAM_SIZE);
    memset(img, 0, sizeof(img));
    err[0] = 0;
    cr_assert_eq(memslot_set(&ms, 0, 0, RAM_SIZE, (uint64_t)(uintptr_t)ram, MEMSLOT_RAM), MEMSLOT_OK);
}
static void teardown(void) { free(ram); }
TestSuite(multiboot, .init = setup, .fini = teardown);

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)v); w16(p + 2, (uint16_t)(v >> 16)); }
static void w64(uint8_t *p, uint64_t v) { w32(p, (uint32_t)v); w32(p + 4, (uint32_t)(v >> 32)); }
static uint32_t r32(uint64_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }

static void mb_header(uint32_t off, uint32_t flags)
{
    w32(img + off, 0x1BADB002u);
    w32(img + off + 4, flags);
    w32(img + off + 8, (uint32_t)-(0x1BADB002u + flags));
}

/* An ELF32 executable: one PT_LOAD of 0x100 file bytes (0x5A) + 0x200 bss at 0x100000, entry 0x100010. */
static void elf32(void)
{
    memcpy(img, "\177ELF\1\1\1", 7);
    w16(img + 16, 2);              /* ET_EXEC */
    w16(img + 18, 3);              /* EM_386 */
    w32(img + 24, 0x100010);       /* e_entry */
    w32(img + 28, 52);             /* e_phoff */
    w16(img + 42, 32);             /* e_phentsize */
    w16(img + 44, 1);              /* e_phnum */
    uint8_t *ph = img + 52;
    w32(ph, 1);                    /* PT_LOAD */
    w32(ph + 4, 0x1000);           /* p_offset */
    w32(ph + 8, 0x100000);         /* p_vaddr */
    w32(ph + 12, 0x100000);        /* p_paddr */
    w32(ph + 16, 0x100);           /* p_filesz */
    w32(ph + 20, 0x300);           /* p_memsz */
    memset(img + 0x1000, 0x5A, 0x100);
    mb_header(0x1000 - 12 + 0x80, 0x3);   /* inside the first 8 KiB, 4-aligned */
}

static bool load(const uint8_t *initrd, size_t initrd_size, const char *cmdline, struct x86_boot_state *st)
{
    struct x86_boot_image bi = { img, sizeof(img), initrd, initrd_size, cmdline, kernel_path, "", RAM_SIZE };
    const struct x86_image_loader *l = x86_boot_find_loader(img, sizeof(img));
    cr_assert_not_null(l);
    cr_assert_str_eq(l->name, "multiboot");
    return l->load(&ms, &bi, st, err, sizeof(err));
}

Test(multiboot, elf32_segments_bss_and_register_state)
{
    elf32();
    struct x86_boot_state st;
    cr_assert(load(NULL, 0, "console=ttyS0", &st), "%s", err);
    cr_assert_eq(st.rip, 0x100010);
    cr_assert_eq(st.gpr[0], MULTIBOOT_BOOTLOADER_MAGIC);
    cr_assert_eq(st.gpr[3], MULTIBOOT_INFO_GPA);
    cr_assert_eq(ram[0x100000], 0x5A);
    cr_assert_eq(ram[0x1000FF], 0x5A);
    cr_assert_eq(ram[0x100100], 0, "bss zeroed");
    cr_assert_eq(ram[0x1002FF], 0);
    cr_assert_eq(ram[0x100300], 0xCC, "nothing written past memsz");
}

Test(multiboot, info_block_memory_mmap_cmdline)
{
    elf32();
    struct x86_boot_state st;
    cr_assert(load(NULL, 0, "root=/dev/x", &st), "%s", err);
    uint32_t mbi = (uint32_t)st.gpr[3];
    uint32_t flags = r32(mbi);
    cr_assert_eq(flags & 0x1, 0x1, "mem_lower/upper");
    cr_assert_eq(flags & 0x4, 0x4, "cmdline");
    cr_assert_eq(flags & 0x40, 0x40, "mmap");
    cr_assert_eq(flags & 0x8, 0, "no modules without initrd");
    cr_assert_eq(r32(mbi + 4), 639);
    cr_assert_eq(r32(mbi + 8), (RAM_SIZE - 0x100000) / 1024);
    cr_assert_str_eq((char *)ram + r32(mbi + 16), "root=/dev/x");
    uint32_t len = r32(mbi + 44), addr = r32(mbi + 48);
    cr_assert_eq(len, 4 * 24, "low RAM, BIOS area, RAM, the ECAM window");
    uint64_t base, size;
    memcpy(&base, ram + addr + 24 + 4, 8);
    memcpy(&size, ram + addr + 24 + 12, 8);
    cr_assert_eq(r32(addr), 20, "entry size field");
    cr_assert_eq(base, 0x9FC00);
    cr_assert_eq(size, 0x100000 - 0x9FC00);
    cr_assert_eq(r32(addr + 24 + 20), 2, "reserved");
    memcpy(&base, ram + addr + 48 + 4, 8);
    memcpy(&size, ram + addr + 48 + 12, 8);
    cr_assert_eq(base, 0x100000);
    cr_assert_eq(size, RAM_SIZE - 0x100000);
    cr_assert_eq(r32(addr + 48 + 20), 1, "RAM");
    memcpy(&base, ram + addr + 72 + 4, 8);
    memcpy(&size, ram + addr + 72 + 12, 8);
    cr_assert_eq(base, X86_PCI_ECAM_BASE);
    cr_assert_eq(size, X86_PCI_ECAM_BYTES);
    cr_assert_eq(r32(addr + 72 + 20), 2, "reserved");
}

Test(multiboot, initrd_is_module_zero_page_aligned_after_kernel)
{
    elf32();
    static const uint8_t initrd[100] = { 1, 2, 3 };
    struct x86_boot_state st;
    cr_assert(load(initrd, sizeof(initrd), "", &st), "%s", err);
    uint32_t mbi = (uint32_t)st.gpr[3];
    cr_assert_eq(r32(mbi) & 0x8, 0x8);
    cr_assert_eq(r32(mbi + 20), 1);
    uint32_t mods = r32(mbi + 24), start = r32(mods), end = r32(mods + 4);
    cr_assert_eq(start, 0x101000, "first page after the kernel's 0x100000-0x100300");
    cr_assert_eq(end - start, sizeof(initrd));
    cr_assert_eq(ram[start + 2], 3);
}

Test(multiboot, elf64_kernel_loads_by_paddr)
{
    memcpy(img, "\177ELF\2\1\1", 7);
    w16(img + 16, 2);
    w16(img + 18, 62);                       /* EM_X86_64 */
    w64(img + 24, 0x200000);                 /* entry */
    w64(img + 32, 64);                       /* phoff */
    w16(img + 54, 56);
    w16(img + 56, 1);
    uint8_t *ph = img + 64;
    w32(ph, 1);
    w64(ph + 8, 0x1000);                     /* offset */
    w64(ph + 16, 0xFFFFFFFF80200000ull);     /* vaddr */
    w64(ph + 24, 0x200000);                  /* paddr */
    w64(ph + 32, 0x10);
    w64(ph + 40, 0x10);
    memset(img + 0x1000, 0x77, 0x10);
    mb_header(0x200, 0x2);
    struct x86_boot_state st;
    cr_assert(load(NULL, 0, "", &st), "%s", err);
    cr_assert_eq(st.rip, 0x200000);
    cr_assert_eq(ram[0x20000F], 0x77);
}

Test(multiboot, aout_kludge_uses_header_addresses)
{
    /* Header at file offset 0x40, header_addr 0x100040: the file loads from offset 0 at 0x100000. */
    uint32_t flags = 0x10000;
    mb_header(0x40, flags);
    w32(img + 0x40 + 12, 0x100040);          /* header_addr */
    w32(img + 0x40 + 16, 0x100000);          /* load_addr */
    w32(img + 0x40 + 20, 0x100800);          /* load_end_addr */
    w32(img + 0x40 + 24, 0x101000);          /* bss_end_addr */
    w32(img + 0x40 + 28, 0x100060);          /* entry_addr */
    img[0x7FF] = 0x42;
    struct x86_boot_state st;
    cr_assert(load(NULL, 0, "", &st), "%s", err);
    cr_assert_eq(st.rip, 0x100060);
    cr_assert_eq(ram[0x1007FF], 0x42);
    cr_assert_eq(ram[0x100800], 0, "bss");
}

Test(multiboot, refuses_malformed_images_with_a_reason)
{
    struct x86_boot_state st;
    elf32();
    w32(img + 52 + 16, 0x400);               /* filesz > memsz */
    cr_assert(!load(NULL, 0, "", &st));
    cr_assert(strstr(err, "file size larger than memory size"), "%s", err);

    elf32();
    w32(img + 52 + 4, 0x2F80);               /* file bytes past the end of the image */
    cr_assert(!load(NULL, 0, "", &st));
    cr_assert(strstr(err, "beyond the end of the image"), "%s", err);

    elf32();
    w32(img + 52 + 12, RAM_SIZE - 0x10);     /* segment crosses the end of RAM */
    cr_assert(!load(NULL, 0, "", &st));
    cr_assert(strstr(err, "outside guest RAM"), "%s", err);

    elf32();
    w32(img + 28, 0xFFFFFFF0u);              /* program headers beyond the file */
    cr_assert(!load(NULL, 0, "", &st));
    cr_assert(strstr(err, "program header"), "%s", err);

    elf32();
    w16(img + 18, 40);                       /* EM_ARM */
    cr_assert(!load(NULL, 0, "", &st));
    cr_assert(strstr(err, "not an x86 executable"), "%s", err);

    elf32();
    w32(img + 24, 0x900000);                 /* entry outside every segment */
    cr_assert(!load(NULL, 0, "", &st));
    cr_assert(strstr(err, "entry point"), "%s", err);

    elf32();
    mb_header(0x1000 - 12 + 0x80, 0x3 | 0x8);   /* an unknown required feature */
    cr_assert(!load(NULL, 0, "", &st));
    cr_assert(strstr(err, "requires features 0x8"), "%s", err);
}

Test(multiboot, no_header_is_not_multiboot)
{
    memcpy(img, "\177ELF\1\1\1", 7);
    cr_assert_null(x86_boot_find_loader(img, sizeof(img)));
    mb_header(8192, 0);                       /* past the first 8 KiB */
    cr_assert_null(x86_boot_find_loader(img, sizeof(img)));
    mb_header(0, 0);
    cr_assert_null(x86_boot_find_loader(img, 11), "header cut by the end of the image");
}

/* RAM past 3 GiB goes above 4 GiB (QEMU's PC): the memslot ranges and the e820 map agree, and nothing
 * covers the 32-bit PCI hole with the IOAPIC and LAPIC. */
Test(e820, ram_above_the_pci_hole_goes_above_4GiB)
{
    const uint64_t GiB = 1ull << 30;
    struct guest_ram_range r[2];
    cr_assert_eq(x86_ram_ranges(64ull << 20, r), 1);
    cr_assert_eq(r[0].size_bytes, 64ull << 20);
    cr_assert_eq(x86_ram_ranges(5 * GiB, r), 2);
    cr_assert_eq(r[0].gpa, 0);
    cr_assert_eq(r[0].size_bytes, 3 * GiB);
    cr_assert_eq(r[1].gpa, 4 * GiB);
    cr_assert_eq(r[1].size_bytes, 2 * GiB);
    struct x86_e820_entry e[X86_E820_MAX];
    uint32_t n = x86_e820_build(5 * GiB, e);
    uint64_t ram = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (e[i].type == E820_RAM)
            ram += e[i].size_bytes;
        cr_assert(e[i].base + e[i].size_bytes <= 0xFEC00000ull || e[i].base >= 4 * GiB,
                  "entry %u (0x%lx+0x%lx) reaches into the IOAPIC/LAPIC window", i, e[i].base, e[i].size_bytes);
    }
    cr_assert_eq(ram, 5 * GiB - (0x100000 - 0x9FC00), "all RAM but the reserved low area, once");
    cr_assert_eq(e[n - 1].base, 4 * GiB);
    cr_assert_eq(e[n - 1].size_bytes, 2 * GiB);
}

Test(multiboot, cmdline_starts_with_the_image_path_as_qemu)
{
    elf32();
    struct x86_boot_state st;
    kernel_path = "\\guests\\basics.elf";
    cr_assert(load(NULL, 0, "console=ttyS0 x=1", &st), "%s", err);
    uint32_t mbi = (uint32_t)st.gpr[3];
    cr_assert_str_eq((char *)ram + r32(mbi + 16), "\\guests\\basics.elf console=ttyS0 x=1");
    /* QEMU formats "%s %s": with no -append the path is followed by one space. */
    cr_assert(load(NULL, 0, "", &st), "%s", err);
    cr_assert_str_eq((char *)ram + r32((uint32_t)st.gpr[3] + 16), "\\guests\\basics.elf ");
}

Test(multiboot, initrd_module_string_is_its_path)
{
    elf32();
    static const uint8_t initrd[16];
    struct x86_boot_image bi = { img, sizeof(img), initrd, sizeof(initrd), "", "\\k.elf", "\\guests\\initrd.gz",
                                 RAM_SIZE };
    struct x86_boot_state st;
    cr_assert(multiboot_loader.load(&ms, &bi, &st, err, sizeof(err)), "%s", err);
    uint32_t mods = r32((uint32_t)st.gpr[3] + 24);
    cr_assert_str_eq((char *)ram + r32(mods + 8), "\\guests\\initrd.gz");
}

/* An ELF32 image with a second segment [paddr, paddr + size) of 0xEE bytes. */
static void elf32_with_low_segment(uint32_t paddr, uint32_t size)
{
    elf32();
    w16(img + 44, 2);
    uint8_t *ph = img + 52 + 32;
    w32(ph, 1);
    w32(ph + 4, 0x2000);
    w32(ph + 8, paddr);
    w32(ph + 12, paddr);
    w32(ph + 16, size < 0x1000 ? size : 0x1000);
    w32(ph + 20, size);
    memset(img + 0x2000, 0xEE, 0x1000);
}

static bool disjoint(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end) { return a_end <= b || b_end <= a; }

Test(multiboot, image_with_a_segment_at_0x8000_loads_and_keeps_its_bytes)
{
    elf32_with_low_segment(0x8000, 0x1000);
    struct x86_boot_state st;
    kernel_path = "\\k.elf";
    cr_assert(load(NULL, 0, "a=b", &st), "%s", err);
    uint32_t mbi = (uint32_t)st.gpr[3];
    cr_assert_neq(mbi, 0x8000, "the information block moved");
    cr_assert(disjoint(mbi, mbi + 0x1000, 0x8000, 0x9000));
    cr_assert(disjoint(mbi, mbi + 0x1000, 0x100000, 0x100300));
    for (uint32_t i = 0x8000; i < 0x9000; i++)
        cr_assert_eq(ram[i], 0xEE, "segment byte at 0x%x overwritten", i);
    /* Everything the block points to lies outside the image too. */
    uint32_t cmd = r32(mbi + 16), mmap = r32(mbi + 48), name = r32(mbi + 64);
    cr_assert(!disjoint(cmd, cmd + 1, mbi, mbi + 0x1000) && !disjoint(mmap, mmap + 1, mbi, mbi + 0x1000) &&
              !disjoint(name, name + 1, mbi, mbi + 0x1000));
    cr_assert_str_eq((char *)ram + cmd, "\\k.elf a=b");
    cr_assert_eq(r32(mbi + 4), 639);
}

Test(multiboot, info_block_goes_after_the_image_when_low_ram_is_taken)
{
    elf32_with_low_segment(0x1000, 0x9F000 - 0x1000);   /* all of low RAM from 0x1000 */
    static const uint8_t initrd[100] = { 9 };
    struct x86_boot_state st;
    cr_assert(load(initrd, sizeof(initrd), "", &st), "%s", err);
    uint32_t mbi = (uint32_t)st.gpr[3];
    cr_assert_eq(mbi, 0x101000, "first page after the image's 0x100000-0x100300");
    uint32_t mods = r32(mbi + 24), start = r32(mods), end = r32(mods + 4);
    cr_assert_eq(start, 0x102000, "the initrd after the information block");
    cr_assert_eq(end - start, sizeof(initrd));
    cr_assert_eq(ram[start], 9);
    cr_assert_eq(ram[0x1000], 0xEE, "the low segment kept");
    cr_assert_eq(ram[0x8000], 0, "its bss too");
}
