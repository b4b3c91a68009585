/* guest_walk.c: walks the guest's page tables (SDM Vol. 3A, 4.3 32-bit, 4.4 PAE, 4.5 4-level paging)
 * through guest_read, to fetch the instruction behind an MMIO exit and to reach the RAM side of an
 * emulated string instruction (with the R/W and U/S checks of 4.6). Pure code. */
#include "x86_guest_walk.h"
#include "x86_regs.h"

#define PTE_P     (1ull << 0)
#define PTE_RW    (1ull << 1)
#define PTE_US    (1ull << 2)
#define PTE_PS    (1ull << 7)
#define ADDR_MASK 0x000FFFFFFFFFF000ull

/* An entry is naturally aligned (4 or 8 bytes), so it lies in one page of one slot: one slot lookup
 * and one load under the slots' lock, as guest_read would do with its general copy loop (an MMIO
 * exit walks up to four levels for the instruction fetch alone). The load is single-copy atomic
 * (SDM Vol. 3A 8.1.1), as the CPU's own page walk reads an entry. */
static bool read_entry(struct memslots *ms, uint64_t gpa, uint32_t bytes, uint64_t *e)
{
    spin_lock(&ms->lock);
    const struct memslot *s = memslot_find_locked(ms, gpa);
    uint64_t v = 0;
    if (s) {
        const volatile void *host = (const volatile void *)(uintptr_t)(s->hpa + (gpa - s->gpa));
        v = bytes == 8 ? *(const volatile uint64_t *)host : *(const volatile uint32_t *)host;
    }
    spin_unlock(&ms->lock);
    *e = v;
    return s && (v & PTE_P);
}

/* 32-bit paging: 2 levels of 4-byte entries, PDE.PS maps 4 MiB (bits 39:32 of the frame in 20:13). */
/* *perm collects the R/W and U/S bits of every entry on the way (4.6.1: access rights combine). */
static bool walk32(struct memslots *ms, const struct x86_paging_regs *r, uint32_t la, uint64_t *gpa, uint64_t *perm)
{
    uint64_t pde, pte;
    if (!read_entry(ms, (r->cr3 & 0xFFFFF000u) + ((la >> 22) & 0x3FF) * 4, 4, &pde))
        return false;
    *perm &= pde;
    if ((pde & PTE_PS) && (r->cr4 & CR4_PSE)) {
        *gpa = (pde & 0xFFC00000u) | ((pde >> 13) & 0xFF) << 32 | (la & 0x3FFFFF);
        return true;
    }
    if (!read_entry(ms, (pde & 0xFFFFF000u) + ((la >> 12) & 0x3FF) * 4, 4, &pte))
        return false;
    *perm &= pte;
    *gpa = (pte & 0xFFFFF000u) | (la & 0xFFF);
    return true;
}

/* PAE (3 levels from a 4-entry PDPT) and 4-level paging: 8-byte entries, PS at the 1 GiB and 2 MiB levels. */
static bool walk64(struct memslots *ms, const struct x86_paging_regs *r, uint64_t la, uint64_t *gpa, uint64_t *perm)
{
    bool pae32 = !(r->efer & EFER_LMA);
    uint64_t table = pae32 ? (r->cr3 & 0xFFFFFFE0u) : (r->cr3 & ADDR_MASK);
    uint32_t first = pae32 ? 2 : 3;                 /* level 3 = PML4, 2 = PDPT, 1 = PD, 0 = PT */
    for (uint32_t level = first;; level--) {
        uint32_t shift = 12 + 9 * level;
        uint64_t index = pae32 && level == 2 ? (la >> 30) & 3 : (la >> shift) & 0x1FF;
        uint64_t e;
        if (!read_entry(ms, table + index * 8, 8, &e))
            return false;
        if (!(pae32 && level == 2))
            *perm &= e;                             /* PAE PDPTEs have no R/W or U/S (4.4.1) */
        if (level == 0 || (level <= 2 && (e & PTE_PS) && !(pae32 && level == 2))) {
            uint64_t page_mask = (1ull << shift) - 1;
            *gpa = (e & ADDR_MASK & ~page_mask) | (la & page_mask);
            return true;
        }
        table = e & ADDR_MASK;
    }
}

static bool translate(struct memslots *ms, const struct x86_paging_regs *r, uint64_t la, uint64_t *gpa,
                      uint64_t *perm)
{
    *perm = PTE_RW | PTE_US;
    if (!(r->cr0 & CR0_PG)) {
        *gpa = r->efer & EFER_LMA ? la : (la & 0xFFFFFFFFu);
        return true;
    }
    if (!(r->cr4 & CR4_PAE))
        return walk32(ms, r, (uint32_t)la, gpa, perm);
    return walk64(ms, r, r->efer & EFER_LMA ? la : (la & 0xFFFFFFFFu), gpa, perm);
}

bool x86_guest_translate(struct memslots *ms, const struct x86_paging_regs *r, uint64_t la, uint64_t *gpa)
{
    uint64_t perm;
    return translate(ms, r, la, gpa, &perm);
}

/* SDM Vol. 3A 4.6.1: a user-mode access needs U/S at every level; a write needs R/W at every level
 * when it is a user-mode access or CR0.WP is set. (SMAP / SMEP and protection keys are not checked.) */
bool x86_guest_translate_access(struct memslots *ms, const struct x86_paging_regs *r, uint64_t la, uint32_t access,
                                uint64_t *gpa)
{
    uint64_t perm;
    if (!translate(ms, r, la, gpa, &perm))
        return false;
    bool user = access & X86_ACCESS_USER;
    if (user && !(perm & PTE_US))
        return false;
    if ((access & X86_ACCESS_WRITE) && (user || (r->cr0 & CR0_WP)) && !(perm & PTE_RW))
        return false;
    return true;
}

bool x86_guest_access_linear(struct memslots *ms, const struct x86_paging_regs *r, uint64_t la, void *buf,
                             size_t len, uint32_t access)
{
    /* Both pages are translated and checked before any byte moves: no partial write. */
    uint64_t gpa[2];
    size_t first = 4096 - (la & 0xFFF);
    if (len > 4096)
        return false;
    if (first > len)
        first = len;
    if (!x86_guest_translate_access(ms, r, la, access, &gpa[0]) ||
        (len > first && !x86_guest_translate_access(ms, r, la + first, access, &gpa[1])))
        return false;
    /* Slots are page-granular: a page that starts in a writable slot lies in it entirely. */
    for (uint32_t k = 0; k < (len > first ? 2u : 1u); k++) {
        uint64_t hpa;
        uint32_t flags;
        if (!memslot_translate(ms, gpa[k], &hpa, &flags) ||
            ((access & X86_ACCESS_WRITE) && (flags & MEMSLOT_READONLY)))
            return false;
    }
    uint8_t *p = buf;
    if (access & X86_ACCESS_WRITE)
        return guest_write(ms, gpa[0], p, first) == 0 &&
               (len == first || guest_write(ms, gpa[1], p + first, len - first) == 0);
    return guest_read(ms, gpa[0], p, first) == 0 && (len == first || guest_read(ms, gpa[1], p + first, len - first) == 0);
}

typedef uint64_t __attribute__((aligned(1), may_alias)) u64_any;

/* n bytes at gpa, all in one guest page: slots are page-granular, so the page is in one slot or in
 * none. One lookup under the slots' lock and word copies (the last word overlapping when n is not a
 * multiple of 8), the bytes guest_read would copy without its general loop across slots: the
 * instruction fetch of every MMIO exit comes here. Not the library's memcpy (byte by byte here). */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
static bool read_in_page(struct memslots *ms, uint64_t gpa, uint8_t *p, size_t n)
{
    spin_lock(&ms->lock);
    const struct memslot *s = memslot_find_locked(ms, gpa);
    if (s) {
        const uint8_t *h = (const uint8_t *)(uintptr_t)(s->hpa + (gpa - s->gpa));
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
            *(u64_any *)(void *)(p + i) = *(const u64_any *)(const void *)(h + i);
        if (i < n && n >= 8)
            *(u64_any *)(void *)(p + n - 8) = *(const u64_any *)(const void *)(h + n - 8);
        else
            for (; i < n; i++)
                p[i] = h[i];
    }
    spin_unlock(&ms->lock);
    return s != NULL;
}

size_t x86_guest_read_linear(struct memslots *ms, const struct x86_paging_regs *r, uint64_t la, void *buf,
                             size_t len)
{
    uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        uint64_t gpa;
        size_t chunk = 4096 - ((la + done) & 0xFFF);
        if (chunk > len - done)
            chunk = len - done;
        if (!x86_guest_translate(ms, r, la + done, &gpa) || !read_in_page(ms, gpa, p + done, chunk))
            break;
        done += chunk;
    }
    return done;
}
