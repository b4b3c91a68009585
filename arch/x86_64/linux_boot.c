/* linux_boot.c: the Linux x86 boot protocol's 32-bit entry (Documentation/arch/x86/boot.rst, "32-bit
 * boot protocol"): checks the bzImage's setup header, copies its protected-mode part to 1 MiB (as QEMU
 * and GRUB do; a relocatable kernel decompresses itself to its preferred address), builds the zero page
 * (struct boot_params: the header, the e820 table, the command line and initrd pointers) and starts the
 * boot CPU at the protected-mode entry with ESI = the zero page. Every image read is bounds-checked and
 * every guest write goes through guest_write. Pure code (tests/unit/test_linux_boot.c). */
#include <stdio.h>
#include <string.h>
#include "x86_boot.h"

/* boot.rst, "The real-mode kernel header": offsets in the image and in boot_params alike. */
enum {
    HDR_SETUP_SECTS = 0x1F1, HDR_BOOT_FLAG = 0x1FE, HDR_JUMP = 0x200, HDR_HEADER = 0x202,
    HDR_VERSION = 0x206, HDR_VID_MODE = 0x1FA, HDR_TYPE_OF_LOADER = 0x210, HDR_LOADFLAGS = 0x211,
    HDR_CODE32_START = 0x214, HDR_RAMDISK_IMAGE = 0x218, HDR_RAMDISK_SIZE = 0x21C,
    HDR_CMD_LINE_PTR = 0x228, HDR_INITRD_ADDR_MAX = 0x22C, HDR_KERNEL_ALIGNMENT = 0x230,
    HDR_RELOCATABLE = 0x234, HDR_CMDLINE_SIZE = 0x238, HDR_PREF_ADDRESS = 0x258, HDR_INIT_SIZE = 0x260,
};
/* boot_params fields outside the header (arch/x86/include/uapi/asm/bootparam.h, zero-page.rst). */
enum {
    BP_ACPI_RSDP_ADDR = 0x070, BP_EXT_RAMDISK_IMAGE = 0x0C0, BP_EXT_RAMDISK_SIZE = 0x0C4,
    BP_EXT_CMD_LINE_PTR = 0x0C8, BP_E820_ENTRIES = 0x1E8, BP_E820_TABLE = 0x2D0, BP_SIZE = 0x1000,
};
#define BOOT_FLAG_MAGIC   0xAA55u
#define HEADER_MAGIC      0x53726448u      /* "HdrS" */
#define PROTOCOL_MIN      0x020Au          /* 2.10: pref_address and init_size, which placement needs */
#define LOADED_HIGH       0x01u            /* loadflags bit 0: protected-mode code at 0x100000 */
#define LOADER_UNDEFINED  0xFFu            /* type_of_loader: no registered ID */
#define VID_MODE_NORMAL   0xFFFFu
#define SETUP_SECTS_DEFAULT 4u             /* setup_sects 0 means 4 */
#define SECTOR            512u
#define LOAD_ADDRESS      0x100000u        /* where the protected-mode code goes */
#define PAGE_BYTES        0x1000ull
#define E820_TABLE_MAX    128u

/* Where the loader puts its own pieces in low RAM (below the 0x9FC00 e820 end, clear of page 0's IVT
 * and of the ACPI tables at 0xE0000): the zero page and, after it, the command line. */
#define ZERO_PAGE_GPA     0x7000u
#define CMDLINE_GPA       0x20000u
#define CMDLINE_MAX       0x8000u
#define ACPI_RSDP_GPA     0xE0000u         /* acpi_guest.c */

struct linux_ctx {
    char *err;
    size_t err_size;
};

static bool fail(struct linux_ctx *c, const char *fmt, unsigned long a, unsigned long b)
{
    snprintf(c->err, c->err_size, fmt, a, b);
    return false;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static bool linux_probe(const uint8_t *image, size_t size)
{
    return size >= HDR_HEADER + 4 && le16(image + HDR_BOOT_FLAG) == BOOT_FLAG_MAGIC &&
           le32(image + HDR_HEADER) == HEADER_MAGIC;
}

/* The header's extent: from setup_sects to the byte after the jump's target (boot.rst: "the end of
 * the setup header can be calculated as 0x0202 + byte value at 0x0201"). */
static size_t header_end(const uint8_t *image)
{
    return HDR_HEADER + image[HDR_JUMP + 1];
}

static bool linux_load(struct memslots *mem, const struct x86_boot_image *img, struct x86_boot_state *out,
                       char *err, size_t err_size)
{
    struct linux_ctx c = { err, err_size };
    const uint8_t *k = img->kernel;
    if (img->kernel_size < HDR_INIT_SIZE + 4 || !linux_probe(k, img->kernel_size))
        return fail(&c, "not a bzImage: setup header truncated or without HdrS", 0, 0);
    uint16_t version = le16(k + HDR_VERSION);
    if (version < PROTOCOL_MIN)
        return fail(&c, "boot protocol %lu.%02lu too old (2.10 or later needed)", version >> 8, version & 0xFF);
    if (!(k[HDR_LOADFLAGS] & LOADED_HIGH))
        return fail(&c, "zImage (loaded low) not supported: loadflags 0x%lx", k[HDR_LOADFLAGS], 0);
    size_t hdr_end = header_end(k);
    if (hdr_end > img->kernel_size || hdr_end > BP_E820_TABLE || hdr_end < HDR_INIT_SIZE + 4)
        return fail(&c, "setup header length 0x%lx out of range", hdr_end - HDR_SETUP_SECTS, 0);
    uint32_t setup_sects = k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : SETUP_SECTS_DEFAULT;
    uint64_t pm_offset = (uint64_t)(setup_sects + 1) * SECTOR;
    if (pm_offset >= img->kernel_size)
        return fail(&c, "setup (%lu sectors) reaches past the end of the image (%lu bytes)", setup_sects,
                    img->kernel_size);
    uint64_t pm_size = img->kernel_size - pm_offset;

    /* The low RAM (below the PCI hole) the kernel, the initrd and our pieces must fit in. */
    uint64_t low_top = img->ram_size_bytes < X86_RAM_LOW_TOP ? img->ram_size_bytes : X86_RAM_LOW_TOP;
    /* Decompression happens in place at max(load address aligned up, pref_address) for a relocatable
     * kernel, at pref_address otherwise (arch/x86/boot/compressed/head_64.S); init_size bytes from there
     * must be RAM, as must the loaded image. */
    uint64_t align = le32(k + HDR_KERNEL_ALIGNMENT), pref = le64(k + HDR_PREF_ADDRESS);
    uint64_t init_size = le32(k + HDR_INIT_SIZE);
    if (align == 0 || (align & (align - 1)) || align > (1ull << 30))
        return fail(&c, "kernel_alignment 0x%lx is not a power of two up to 1 GiB", align, 0);
    uint64_t target = (LOAD_ADDRESS + align - 1) & ~(align - 1);
    if (!k[HDR_RELOCATABLE] || target < pref)
        target = pref;
    uint64_t kernel_end = target + init_size;
    if (LOAD_ADDRESS + pm_size > kernel_end)
        kernel_end = LOAD_ADDRESS + pm_size;
    if (pref > low_top || kernel_end > low_top)
        return fail(&c, "kernel needs RAM up to 0x%lx (init_size 0x%lx); give the VM more memory",
                    kernel_end, init_size);

    /* The command line, bounded by cmdline_size (boot.rst: excluding the terminating zero). */
    size_t cmd_len = strlen(img->cmdline);
    uint32_t cmdline_size = le32(k + HDR_CMDLINE_SIZE);
    if (cmd_len > cmdline_size || cmd_len >= CMDLINE_MAX)
        return fail(&c, "command line of %lu bytes longer than the kernel's %lu", cmd_len,
                    cmdline_size < CMDLINE_MAX ? cmdline_size : CMDLINE_MAX - 1);

    /* The initrd: page aligned at the top of low RAM, below initrd_addr_max (inclusive) and above the
     * kernel's decompression area (QEMU's load_linux places it the same way). */
    uint64_t initrd_gpa = 0;
    if (img->initrd && img->initrd_size) {
        uint64_t max = (uint64_t)le32(k + HDR_INITRD_ADDR_MAX) + 1;
        if (max > low_top)
            max = low_top;
        if (img->initrd_size > max)
            return fail(&c, "initrd of %lu bytes does not fit below 0x%lx", img->initrd_size, max);
        initrd_gpa = (max - img->initrd_size) & ~(PAGE_BYTES - 1);
        if (initrd_gpa < kernel_end)
            return fail(&c, "initrd of %lu bytes does not fit between the kernel and 0x%lx; give the VM "
                        "more memory", img->initrd_size, max);
    }

    /* The zero page: the image's setup header, then what the loader fills in (boot.rst, "Details of
     * header fields" for the "write" and "modify" fields). */
    uint8_t bp[BP_SIZE];
    memset(bp, 0, sizeof(bp));
    memcpy(bp + HDR_SETUP_SECTS, k + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
    put16(bp + HDR_VID_MODE, VID_MODE_NORMAL);
    bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
    put32(bp + HDR_CODE32_START, LOAD_ADDRESS);
    put32(bp + HDR_CMD_LINE_PTR, CMDLINE_GPA);
    put32(bp + HDR_RAMDISK_IMAGE, (uint32_t)initrd_gpa);
    put32(bp + HDR_RAMDISK_SIZE, (uint32_t)img->initrd_size);
    put32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(initrd_gpa >> 32));
    put32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)img->initrd_size >> 32));
    put32(bp + BP_EXT_CMD_LINE_PTR, 0);
    if (version >= 0x020E && img->ram_size_bytes >= X86_E820_HIGH_RAM_BASE)
        put64(bp + BP_ACPI_RSDP_ADDR, ACPI_RSDP_GPA);   /* 2.14: saves the kernel its BIOS-area scan */
    struct x86_e820_entry e820[X86_E820_MAX];
    uint32_t n = x86_e820_build(img->ram_size_bytes, e820);
    _Static_assert(X86_E820_MAX <= E820_TABLE_MAX, "the zero page holds 128 e820 entries");
    bp[BP_E820_ENTRIES] = (uint8_t)n;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *e = bp + BP_E820_TABLE + i * 20u;
        put64(e, e820[i].base);
        put64(e + 8, e820[i].size_bytes);
        put32(e + 16, e820[i].type);
    }

    static const uint8_t nul;
    if (guest_write(mem, LOAD_ADDRESS, k + pm_offset, (size_t)pm_size))
        return fail(&c, "kernel (%lu bytes at 0x%lx) not in guest RAM", pm_size, LOAD_ADDRESS);
    if (guest_write(mem, ZERO_PAGE_GPA, bp, sizeof(bp)) || guest_write(mem, CMDLINE_GPA, img->cmdline, cmd_len) ||
        guest_write(mem, CMDLINE_GPA + cmd_len, &nul, 1))
        return fail(&c, "zero page or command line (0x%lx) not in guest RAM", ZERO_PAGE_GPA, 0);
    if (initrd_gpa && guest_write(mem, initrd_gpa, img->initrd, img->initrd_size))
        return fail(&c, "initrd at 0x%lx not in guest RAM", initrd_gpa, 0);

    /* boot.rst, "32-bit BOOT PROTOCOL": flat 4 GiB segments, interrupts off, ESI = boot_params,
     * EBP, EDI and EBX zero; the entry is the start of the protected-mode code. */
    memset(out, 0, sizeof(*out));
    out->mode = X86_BOOT_PROTECTED32;
    out->rip = LOAD_ADDRESS;
    out->gpr[6] = ZERO_PAGE_GPA;   /* ESI */
    return true;
}

const struct x86_image_loader linux_loader = { "linux", linux_probe, linux_load };
