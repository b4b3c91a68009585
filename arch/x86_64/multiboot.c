/* multiboot.c: the Multiboot v1 loader (Multiboot Specification 0.6.96), as QEMU's -kernel: finds the
 * header, loads an ELF32 / ELF64 kernel by its program headers (or by the a.out kludge of header
 * flag 16), places the initrd as a module and builds the information block. Every read of the image
 * is bounds-checked; every guest write goes through guest_write. Pure code (tests/unit/test_multiboot.c). */
#include <stdio.h>
#include <string.h>
#include "x86_boot.h"

/* Multiboot 3.1.1: the header lies 32-bit aligned within the first 8192 bytes of the image. */
#define MB_HEADER_MAGIC      0x1BADB002u
#define MB_SEARCH_BYTES      8192u
#define MB_FLAG_PAGE_ALIGN   (1u << 0)       /* modules 4 KiB aligned */
#define MB_FLAG_MEMORY_INFO  (1u << 1)       /* mem_* and mmap_* wanted */
#define MB_FLAG_VIDEO_MODE   (1u << 2)       /* ignored, as QEMU does: no video information given */
#define MB_FLAG_AOUT_KLUDGE  (1u << 16)      /* load addresses from the header, not from ELF */
#define MB_FLAGS_KNOWN_REQUIRED (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE)

/* Multiboot 3.3: the information block's flags and offsets. */
#define MBI_MEM        (1u << 0)
#define MBI_CMDLINE    (1u << 2)
#define MBI_MODS       (1u << 3)
#define MBI_MMAP       (1u << 6)
#define MBI_LOADER_NAME (1u << 9)
enum {
    MBI_FLAGS = 0, MBI_MEM_LOWER = 4, MBI_MEM_UPPER = 8, MBI_CMDLINE_PTR = 16, MBI_MODS_COUNT = 20,
    MBI_MODS_ADDR = 24, MBI_MMAP_LENGTH = 44, MBI_MMAP_ADDR = 48, MBI_LOADER_NAME_PTR = 64, MBI_SIZE = 128,
};
/* Where the pieces of the information block go, as offsets in its page (MULTIBOOT_INFO_SIZE). */
#define OFF_MMAP        0x100u
#define OFF_MODS        0x200u
#define OFF_LOADER_NAME 0x280u
#define OFF_MOD_STRING  0x2A0u
#define OFF_CMDLINE     0x380u
#define MOD_STRING_MAX  (OFF_CMDLINE - OFF_MOD_STRING)
#define CMDLINE_MAX     (MULTIBOOT_INFO_SIZE - OFF_CMDLINE)
#define PAGE_BYTES      0x1000u

/* ELF (System V ABI, "Object Files"). */
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define ELF_MAX_PHDRS 64u

struct mb_header {
    uint32_t offset;                          /* in the image */
    uint32_t flags;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct segment {
    uint64_t paddr, vaddr, file_offset, file_size, mem_size;
};

struct range { uint64_t start, end; };

struct load_ctx {
    struct memslots *mem;
    const struct x86_boot_image *img;
    char *err;
    size_t err_size;
    uint64_t kernel_end;                      /* highest guest-physical byte loaded, + 1 */
    uint32_t segment_count;
    struct range segments[ELF_MAX_PHDRS];     /* what the image occupies */
};

/* Reports a reason; fmt uses none, one or both of a and b (extra printf arguments are ignored, C11 7.21.6.1).
 * long is 64-bit here (LP64) and newlib-nano has no %ll. */
static bool fail(struct load_ctx *c, const char *fmt, unsigned long a, unsigned long b)
{
    snprintf(c->err, c->err_size, fmt, a, b);
    return false;
}

/* Bounds-checked little-endian reads of the image. */
static bool img_read(const struct x86_boot_image *img, uint64_t off, void *out, size_t n)
{
    if (off > img->kernel_size || n > img->kernel_size - off)
        return false;
    memcpy(out, img->kernel + off, n);
    return true;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

static bool find_header(const uint8_t *image, size_t size, struct mb_header *h)
{
    size_t limit = size < MB_SEARCH_BYTES ? size : MB_SEARCH_BYTES;
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        const uint8_t *p = image + off;
        uint32_t magic = le32(p), flags = le32(p + 4), checksum = le32(p + 8);
        if (magic != MB_HEADER_MAGIC || (uint32_t)(magic + flags + checksum) != 0)
            continue;
        *h = (struct mb_header){ .offset = (uint32_t)off, .flags = flags };
        if ((flags & MB_FLAG_AOUT_KLUDGE) && off + 32 <= size) {
            h->header_addr = le32(p + 12);
            h->load_addr = le32(p + 16);
            h->load_end_addr = le32(p + 20);
            h->bss_end_addr = le32(p + 24);
            h->entry_addr = le32(p + 28);
        }
        return true;
    }
    return false;
}

static bool multiboot_probe(const uint8_t *image, size_t size)
{
    struct mb_header h;
    return find_header(image, size, &h);
}

/* Writes len zero bytes at gpa. */
static bool guest_zero(struct memslots *mem, uint64_t gpa, uint64_t len)
{
    static const uint8_t zeros[4096];
    while (len) {
        size_t chunk = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
        if (guest_write(mem, gpa, zeros, chunk))
            return false;
        gpa += chunk;
        len -= chunk;
    }
    return true;
}

/* Copies one segment into guest RAM: file bytes, then zeros up to mem_size. It must lie inside RAM;
 * the information block is placed afterwards where no segment is. */
static bool load_segment(struct load_ctx *c, const struct segment *s)
{
    const struct x86_boot_image *img = c->img;
    uint64_t end = s->paddr + s->mem_size;
    if (s->file_size > s->mem_size)
        return fail(c, "segment at 0x%lx: file size larger than memory size", s->paddr, 0);
    if (s->file_offset > img->kernel_size || s->file_size > img->kernel_size - s->file_offset)
        return fail(c, "segment at 0x%lx: file bytes beyond the end of the image (offset 0x%lx)",
                    s->paddr, s->file_offset);
    if (end < s->paddr || end > img->ram_size_bytes)
        return fail(c, "segment 0x%lx-0x%lx: outside guest RAM", s->paddr, end);
    if (guest_write(c->mem, s->paddr, img->kernel + s->file_offset, (size_t)s->file_size) ||
        !guest_zero(c->mem, s->paddr + s->file_size, s->mem_size - s->file_size))
        return fail(c, "segment 0x%lx-0x%lx: not in guest RAM", s->paddr, end);
    if (end > c->kernel_end)
        c->kernel_end = end;
    if (c->segment_count < ELF_MAX_PHDRS)
        c->segments[c->segment_count++] = (struct range){ s->paddr, end };
    return true;
}

static bool overlaps_image(const struct load_ctx *c, uint64_t start, uint64_t end)
{
    for (uint32_t i = 0; i < c->segment_count; i++)
        if (start < c->segments[i].end && end > c->segments[i].start)
            return true;
    return false;
}

/* The information block's page: MULTIBOOT_INFO_GPA as before, unless the image uses it; then the lowest
 * free page of low RAM (from 0x1000: page 0 holds the real-mode IVT); else the page after the image. */
static bool place_info(const struct load_ctx *c, uint64_t *gpa)
{
    uint64_t low_end = c->img->ram_size_bytes < X86_E820_LOW_RAM_END ? c->img->ram_size_bytes : X86_E820_LOW_RAM_END;
    if (MULTIBOOT_INFO_GPA + MULTIBOOT_INFO_SIZE <= low_end &&
        !overlaps_image(c, MULTIBOOT_INFO_GPA, MULTIBOOT_INFO_GPA + MULTIBOOT_INFO_SIZE)) {
        *gpa = MULTIBOOT_INFO_GPA;
        return true;
    }
    for (uint64_t p = PAGE_BYTES; p + MULTIBOOT_INFO_SIZE <= low_end; p += PAGE_BYTES)
        if (!overlaps_image(c, p, p + MULTIBOOT_INFO_SIZE)) {
            *gpa = p;
            return true;
        }
    uint64_t p = (c->kernel_end + PAGE_BYTES - 1) & ~(uint64_t)(PAGE_BYTES - 1);
    if (p < X86_E820_HIGH_RAM_BASE)
        p = X86_E820_HIGH_RAM_BASE;
    if (p + MULTIBOOT_INFO_SIZE > c->img->ram_size_bytes || p + MULTIBOOT_INFO_SIZE > 0xFFFFFFFFull)
        return false;
    *gpa = p;
    return true;
}

/* ELF program headers, ELF32 or ELF64 (System V gABI, "Program Header"). */
static bool load_elf(struct load_ctx *c, uint64_t *entry)
{
    const struct x86_boot_image *img = c->img;
    uint8_t eh[64];
    if (!img_read(img, 0, eh, 52) || memcmp(eh, "\177ELF", 4))
        return fail(c, "not an ELF file and no a.out kludge in the Multiboot header", 0, 0);
    bool is64 = eh[4] == ELFCLASS64;
    if ((eh[4] != ELFCLASS32 && !is64) || eh[5] != ELFDATA2LSB)
        return fail(c, "ELF class %lu / data encoding %lu not supported", eh[4], eh[5]);
    if (is64 && !img_read(img, 0, eh, 64))
        return fail(c, "ELF header truncated", 0, 0);
    uint16_t type = le16(eh + 16), machine = le16(eh + 18);
    if (type != ET_EXEC || machine != (is64 ? EM_X86_64 : EM_386))
        return fail(c, "ELF type %lu machine %lu: not an x86 executable", type, machine);
    uint64_t e_entry = is64 ? le64(eh + 24) : le32(eh + 24);
    uint64_t phoff = is64 ? le64(eh + 32) : le32(eh + 28);
    uint32_t phentsize = le16(eh + (is64 ? 54 : 42)), phnum = le16(eh + (is64 ? 56 : 44));
    uint32_t min_phent = is64 ? 56 : 32;
    if (phnum == 0 || phnum > ELF_MAX_PHDRS || phentsize < min_phent)
        return fail(c, "ELF program header table: %lu entries of %lu bytes", phnum, phentsize);

    bool entry_loaded = false, entry_virtual = false;
    uint64_t entry_translated = e_entry;
    uint32_t loads = 0;
    for (uint32_t i = 0; i < phnum; i++) {
        uint8_t ph[56];
        if (phoff + (uint64_t)i * phentsize < phoff || !img_read(img, phoff + (uint64_t)i * phentsize, ph, min_phent))
            return fail(c, "ELF program header %lu beyond the end of the image", i, 0);
        if (le32(ph) != PT_LOAD)
            continue;
        struct segment s;
        if (is64)
            s = (struct segment){ le64(ph + 24), le64(ph + 16), le64(ph + 8), le64(ph + 32), le64(ph + 40) };
        else
            s = (struct segment){ le32(ph + 12), le32(ph + 8), le32(ph + 4), le32(ph + 16), le32(ph + 20) };
        if (s.mem_size == 0)
            continue;
        if (!load_segment(c, &s))
            return false;
        loads++;
        if (e_entry >= s.paddr && e_entry - s.paddr < s.mem_size)
            entry_loaded = true;
        else if (e_entry >= s.vaddr && e_entry - s.vaddr < s.mem_size && !entry_virtual) {
            entry_virtual = true;   /* a virtual entry address: use the segment's physical one */
            entry_translated = e_entry - s.vaddr + s.paddr;
        }
    }
    if (!loads)
        return fail(c, "ELF file has no loadable segment", 0, 0);
    *entry = entry_loaded ? e_entry : entry_translated;
    if (!entry_loaded && !entry_virtual)
        return fail(c, "ELF entry point 0x%lx is outside every loaded segment", e_entry, 0);
    return true;
}

/* Multiboot 3.1.3: the a.out kludge: header_addr locates the header in memory, so the file is loaded
 * from offset (header offset - (header_addr - load_addr)) to load_end_addr, zeroed up to bss_end_addr. */
static bool load_aout_kludge(struct load_ctx *c, const struct mb_header *h, uint64_t *entry)
{
    if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > h->offset)
        return fail(c, "a.out kludge: header_addr 0x%lx below load_addr 0x%lx or before the file",
                    h->header_addr, h->load_addr);
    uint64_t file_offset = h->offset - (h->header_addr - h->load_addr);
    uint64_t file_size = h->load_end_addr ? (uint64_t)h->load_end_addr - h->load_addr
                                          : c->img->kernel_size - file_offset;
    if (h->load_end_addr && h->load_end_addr < h->load_addr)
        return fail(c, "a.out kludge: load_end_addr 0x%lx below load_addr 0x%lx", h->load_end_addr, h->load_addr);
    uint64_t mem_size = file_size;
    if (h->bss_end_addr) {
        if (h->bss_end_addr < h->load_addr + file_size)
            return fail(c, "a.out kludge: bss_end_addr 0x%lx below the loaded end 0x%lx", h->bss_end_addr,
                        h->load_addr + file_size);
        mem_size = h->bss_end_addr - h->load_addr;
    }
    struct segment s = { h->load_addr, h->load_addr, file_offset, file_size, mem_size };
    if (!load_segment(c, &s))
        return false;
    if (h->entry_addr < h->load_addr || h->entry_addr >= h->load_addr + mem_size)
        return fail(c, "a.out kludge: entry 0x%lx outside the loaded image", h->entry_addr, 0);
    *entry = h->entry_addr;
    return true;
}

static bool put32(struct memslots *mem, uint64_t gpa, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    return guest_write(mem, gpa, b, 4) == 0;
}

static bool put64(struct memslots *mem, uint64_t gpa, uint64_t v)
{
    return put32(mem, gpa, (uint32_t)v) && put32(mem, gpa + 4, (uint32_t)(v >> 32));
}

static bool put_string(struct memslots *mem, uint64_t gpa, const char *s, size_t max)
{
    size_t n = strnlen(s, max - 1);
    static const uint8_t nul;
    return guest_write(mem, gpa, s, n) == 0 && guest_write(mem, gpa + n, &nul, 1) == 0;
}

/* Multiboot 3.3: the information block with memory sizes, the e820 map, the command line, the
 * initrd as module 0 and the loader's name, in the page place_info chose. The command line is the
 * image's path, a space and hv.cfg's cmdline, as QEMU's -kernel gives "FILE APPEND" (hw/i386/multiboot.c)
 * and GRUB "PATH ARGS": kernels take argv[0] from it. */
static bool build_info(struct load_ctx *c, uint64_t *mbi_gpa)
{
    struct memslots *mem = c->mem;
    const struct x86_boot_image *img = c->img;
    uint32_t flags = MBI_MEM | MBI_MMAP | MBI_CMDLINE | MBI_LOADER_NAME;
    uint64_t base;
    if (!place_info(c, &base))
        return fail(c, "no free page below 4 GiB in guest RAM (%lu bytes) for the information block",
                    img->ram_size_bytes, 0);
    const char *path = img->kernel_path ? img->kernel_path : "";
    size_t path_len = strlen(path), cmd_len = strlen(img->cmdline);
    if (path_len + 1 + cmd_len >= CMDLINE_MAX)
        return fail(c, "image path and command line longer than %lu bytes", CMDLINE_MAX - 1, 0);
    if (!guest_zero(mem, base, MULTIBOOT_INFO_SIZE))
        return fail(c, "information block at 0x%lx not in guest RAM", base, 0);

    struct x86_e820_entry e820[X86_E820_MAX];
    uint32_t n = x86_e820_build(img->ram_size_bytes, e820);
    bool ok = true;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t e = base + OFF_MMAP + i * 24u;   /* size field, then 20 bytes of entry */
        ok &= put32(mem, e, 20) && put64(mem, e + 4, e820[i].base) && put64(mem, e + 12, e820[i].size_bytes) &&
              put32(mem, e + 20, e820[i].type);
    }
    char cmdline[CMDLINE_MAX];
    if (path_len)
        snprintf(cmdline, sizeof(cmdline), "%s %s", path, img->cmdline);
    else
        snprintf(cmdline, sizeof(cmdline), "%s", img->cmdline);
    /* mem_upper: the KiB from 1 MiB up to the first hole (Multiboot 3.3), here the 32-bit PCI hole. */
    uint64_t low = img->ram_size_bytes < X86_RAM_LOW_TOP ? img->ram_size_bytes : X86_RAM_LOW_TOP;
    uint64_t upper = low > X86_E820_HIGH_RAM_BASE ? low - X86_E820_HIGH_RAM_BASE : 0;
    ok &= put32(mem, base + MBI_MEM_LOWER, X86_E820_LOW_RAM_END / 1024) &&
          put32(mem, base + MBI_MEM_UPPER, (uint32_t)(upper / 1024)) &&
          put32(mem, base + MBI_MMAP_LENGTH, n * 24u) && put32(mem, base + MBI_MMAP_ADDR, (uint32_t)(base + OFF_MMAP)) &&
          put_string(mem, base + OFF_CMDLINE, cmdline, CMDLINE_MAX) &&
          put32(mem, base + MBI_CMDLINE_PTR, (uint32_t)(base + OFF_CMDLINE)) &&
          put_string(mem, base + OFF_LOADER_NAME, "hv", 8) &&
          put32(mem, base + MBI_LOADER_NAME_PTR, (uint32_t)(base + OFF_LOADER_NAME));

    if (img->initrd) {
        /* The module goes after the kernel (and the information block, if that went there), page aligned
         * whether header flag 0 asks or not. */
        uint64_t start = (c->kernel_end + PAGE_BYTES - 1) & ~(uint64_t)(PAGE_BYTES - 1);
        if (start < X86_E820_HIGH_RAM_BASE)
            start = X86_E820_HIGH_RAM_BASE;
        if (base >= start)
            start = base + MULTIBOOT_INFO_SIZE;
        uint64_t end = start + img->initrd_size;
        if (end < start || end > img->ram_size_bytes || end > 0xFFFFFFFFull)
            return fail(c, "initrd (%lu bytes) does not fit in guest RAM after the kernel (0x%lx)",
                        img->initrd_size, start);
        if (guest_write(mem, start, img->initrd, img->initrd_size))
            return fail(c, "initrd at 0x%lx not in guest RAM", start, 0);
        /* The module's string: its path, as QEMU gives the -initrd file name. */
        const char *mod = img->initrd_path && img->initrd_path[0] ? img->initrd_path : "initrd";
        flags |= MBI_MODS;
        ok &= put32(mem, base + OFF_MODS, (uint32_t)start) && put32(mem, base + OFF_MODS + 4, (uint32_t)end) &&
              put_string(mem, base + OFF_MOD_STRING, mod, MOD_STRING_MAX) &&
              put32(mem, base + OFF_MODS + 8, (uint32_t)(base + OFF_MOD_STRING)) &&
              put32(mem, base + MBI_MODS_COUNT, 1) && put32(mem, base + MBI_MODS_ADDR, (uint32_t)(base + OFF_MODS));
    }
    ok &= put32(mem, base + MBI_FLAGS, flags);
    if (!ok)
        return fail(c, "information block at 0x%lx not in guest RAM", base, 0);
    *mbi_gpa = base;
    return true;
}

static bool multiboot_load(struct memslots *mem, const struct x86_boot_image *img, struct x86_boot_state *out,
                           char *err, size_t err_size)
{
    struct load_ctx c = { .mem = mem, .img = img, .err = err, .err_size = err_size };
    struct mb_header h;
    if (!find_header(img->kernel, img->kernel_size, &h))
        return fail(&c, "no Multiboot header in the first %lu bytes", MB_SEARCH_BYTES, 0);
    uint32_t unknown = h.flags & 0xFFFFu & ~MB_FLAGS_KNOWN_REQUIRED;
    if (unknown)
        return fail(&c, "Multiboot header requires features 0x%lx this loader lacks", unknown, 0);
    if ((h.flags & MB_FLAG_AOUT_KLUDGE) && h.offset + 32 > img->kernel_size)
        return fail(&c, "Multiboot header at offset 0x%lx truncated", h.offset, 0);
    uint64_t entry = 0;   /* set by the loaders on success (-Os cannot see it) */
    if (!((h.flags & MB_FLAG_AOUT_KLUDGE) ? load_aout_kludge(&c, &h, &entry) : load_elf(&c, &entry)))
        return false;
    if (entry > 0xFFFFFFFFull)
        return fail(&c, "entry point 0x%lx above 4 GiB: not reachable in 32-bit mode", entry, 0);
    uint64_t mbi = 0;
    if (!build_info(&c, &mbi))
        return false;
    memset(out, 0, sizeof(*out));
    out->mode = X86_BOOT_PROTECTED32;
    out->rip = entry;
    out->gpr[0] = MULTIBOOT_BOOTLOADER_MAGIC;   /* EAX */
    out->gpr[3] = mbi;                           /* EBX */
    return true;
}

const struct x86_image_loader multiboot_loader = { "multiboot", multiboot_probe, multiboot_load };
