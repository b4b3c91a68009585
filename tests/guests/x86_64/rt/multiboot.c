/* multiboot.c: the Multiboot v1 info block (Multiboot 0.6.96, 3.3), copied at start-up, and the
 * RAM ranges derived from it. */
#include "rt.h"
#include "internal.h"

struct mb_info_raw {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};
#define MB_INFO_MEM     (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MMAP    (1u << 6)
#define MAX_MMAP        32
#define FOUR_GIB        0x100000000ull
#define ONE_MIB         0x100000ull

/* Boot CPU, before main(); read-only afterwards. */
static uint32_t magic, flags, mem_lower, mem_upper;
static char cmdline[256];
static struct mb_mmap_entry mmap[MAX_MMAP];
static unsigned mmap_count;

void mb_init(uint32_t eax, uint32_t info_pa)
{
    magic = eax;
    if (eax != MB_BOOT_MAGIC || !info_pa)
        return;
    const struct mb_info_raw *mi = (const void *)(uintptr_t)info_pa;
    flags = mi->flags;
    if (flags & MB_INFO_MEM) {
        mem_lower = mi->mem_lower;
        mem_upper = mi->mem_upper;
    }
    if ((flags & MB_INFO_CMDLINE) && mi->cmdline) {
        const char *s = (const char *)(uintptr_t)mi->cmdline;
        size_t i;
        for (i = 0; i + 1 < sizeof cmdline && s[i]; i++)
            cmdline[i] = s[i];
        cmdline[i] = '\0';
    }
    if (flags & MB_INFO_MMAP) {
        /* Entries are {u32 size, u64 addr, u64 len, u32 type}; size excludes itself. */
        const uint8_t *p = (const uint8_t *)(uintptr_t)mi->mmap_addr;
        for (uint32_t off = 0; off + 24 <= mi->mmap_length && mmap_count < MAX_MMAP;) {
            uint32_t size;
            memcpy(&size, p + off, 4);
            memcpy(&mmap[mmap_count].addr, p + off + 4, 8);
            memcpy(&mmap[mmap_count].len, p + off + 12, 8);
            memcpy(&mmap[mmap_count].type, p + off + 20, 4);
            mmap_count++;
            off += size + 4;
        }
    } else if (flags & MB_INFO_MEM) {   /* no map: the two classic ranges */
        mmap[mmap_count++] = (struct mb_mmap_entry){ 0, (uint64_t)mem_lower << 10, MB_MMAP_RAM };
        mmap[mmap_count++] = (struct mb_mmap_entry){ ONE_MIB, (uint64_t)mem_upper << 10, MB_MMAP_RAM };
    }
}

uint32_t mb_magic(void)
{
    return magic;
}

bool mb_mem(uint32_t *lower_kb, uint32_t *upper_kb)
{
    *lower_kb = mem_lower;
    *upper_kb = mem_upper;
    return flags & MB_INFO_MEM;
}

const char *mb_cmdline(void)
{
    return cmdline;
}

unsigned mb_mmap(const struct mb_mmap_entry **entries)
{
    *entries = mmap;
    return mmap_count;
}

/* RAM entries clipped to [lo, 4 GiB): only the identity map is reachable. */
static unsigned ram_between(uint64_t lo, struct region *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < mmap_count && n < max; i++) {
        uint64_t s = mmap[i].addr, e = mmap[i].addr + mmap[i].len;
        if (mmap[i].type != MB_MMAP_RAM)
            continue;
        s = s < lo ? lo : s;
        e = e > FOUR_GIB ? FOUR_GIB : e;
        if (s < e)
            out[n++] = (struct region){ s, e };
    }
    return n;
}

unsigned ram_regions(struct region *out, unsigned max)
{
    return ram_between(0, out, max);
}

uint64_t ram_end(void)
{
    struct region r[MAX_MMAP];
    uint64_t end = 0;
    for (unsigned i = 0, n = ram_regions(r, MAX_MMAP); i < n; i++)
        end = r[i].end > end ? r[i].end : end;
    return end;
}

unsigned ram_free_regions(struct region *out, unsigned max)
{
    struct region r[MAX_MMAP];
    uint64_t is = (uintptr_t)__image_start, ie = (uintptr_t)__image_end;
    unsigned n = 0;
    for (unsigned i = 0, m = ram_between(ONE_MIB, r, MAX_MMAP); i < m; i++) {
        if (r[i].start < is && n < max)             /* the part below the image */
            out[n++] = (struct region){ r[i].start, r[i].end < is ? r[i].end : is };
        if (r[i].end > ie && n < max)               /* the part above it */
            out[n++] = (struct region){ r[i].start > ie ? r[i].start : ie, r[i].end };
    }
    return n;
}
