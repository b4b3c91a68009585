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

/* The entries a walk read, where and what (x86_guest_fetch_linear's cache). */
struct walk_record {
    uint32_t n;
    const volatile void *at[4];
    uint64_t value[4];
    uint8_t bytes[4];
};

static uint64_t load_entry(const volatile void *host, uint32_t bytes)
{
    return bytes == 8 ? *(const volatile uint64_t *)host : *(const volatile uint32_t *)host;
}

/* An entry is naturally aligned (4 or 8 bytes), so it lies in one page of one slot: one slot lookup
 * and one load under the slots' lock, as guest_read would do with its general copy loop (an MMIO
 * exit walks up to four levels for the instruction fetch alone). The load is single-copy atomic
 * (SDM Vol. 3A 8.1.1), as the CPU's own page walk reads an entry. rec (or NULL) notes it. */
static bool read_entry(struct memslots *ms, uint64_t gpa, uint32_t bytes, uint64_t *e, struct walk_record *rec)
{
    spin_lock(&ms->lock);
    const struct memslot *s = memslot_find_locked(ms, gpa);
    uint64_t v = 0;
    if (s) {
        const volatile void *host = (const volatile void *)(uintptr_t)(s->hpa + (gpa - s->gpa));
        v = load_entry(host, bytes);
        if (rec && rec->n < 4) {
            rec->at[rec->n] = host;
            rec->value[rec->n] = v;
            rec->bytes[rec->n++] = (uint8_t)bytes;
        }
    }
    spin_unlock(&ms->lock);
    *e = v;
    return s && (v & PTE_P);
}

/* 32-bit paging: 2 levels of 4-byte entries, PDE.PS maps 4 MiB (bits 39:32 of the frame in 20:13). */
/* *perm collects the R/W and U/S bits of every entry on the way (4.6.1: access rights combine). */
static bool walk32(struct memslots *ms, const struct x86_paging_regs *r, uint32_t la, uint64_t *gpa, uint64_t *perm,
                   struct walk_record *rec)
{
    uint64_t pde, pte;
    if (!read_entry(ms, (r->cr3 & 0xFFFFF000u) + ((la >> 22) & 0x3FF) * 4, 4, &pde, rec))
        return false;
    *perm &= pde;
    if ((pde & PTE_PS) && (r->cr4 & CR4_PSE)) {
        *gpa = (pde & 0xFFC00000u) | ((pde >> 13) & 0xFF) << 32 | (la & 0x3FFFFF);
        return true;
    }
    if (!read_entry(ms, (pde & 0xFFFFF000u) + ((la >> 12) & 0x3FF) * 4, 4, &pte, rec))
        return false;
    *perm &= pte;
    *gpa = (pte & 0xFFFFF000u) | (la & 0xFFF);
    return true;
}

/* PAE (3 levels from a 4-entry PDPT) and 4-level paging: 8-byte entries, PS at the 1 GiB and 2 MiB levels. */
static bool walk64(struct memslots *ms, const struct x86_paging_regs *r, uint64_t la, uint64_t *gpa, uint64_t *perm,
                   struct walk_record *rec)
{
    bool pae32 = !(r->efer & EFER_LMA);
    uint64_t table = pae32 ? (r->cr3 & 0xFFFFFFE0u) : (r->cr3 & ADDR_MASK);
    uint32_t first = pae32 ? 2 : 3;                 /* level 3 = PML4, 2 = PDPT, 1 = PD, 0 = PT */
    for (uint32_t level = first;; level--) {
        uint32_t shift = 12 + 9 * level;
        uint64_t index = pae32 && level == 2 ? (la >> 30) & 3 : (la >> shift) & 0x1FF;
        uint64_t e;
        if (!read_entry(ms, table + index * 8, 8, &e, rec))
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

static bool translate_rec(struct memslots *ms, const struct x86_paging_regs *r, uint64_t la, uint64_t *gpa,
                          uint64_t *perm, struct walk_record *rec)
{
    *perm = PTE_RW | PTE_US;
    if (!(r->cr0 & CR0_PG)) {
        *gpa = r->efer & EFER_LMA ? la : (la & 0xFFFFFFFFu);
        return true;
    }
    if (!(r->cr4 & CR4_PAE))
        return walk32(ms, r, (uint32_t)la, gpa, perm, rec);
    return walk64(ms, r, r->efer & EFER_LMA ? la : (la & 0xFFFFFFFFu), gpa, perm, rec);
}

static bool translate(struct memslots *ms, const struct x86_paging_regs *r, uint64_t la, uint64_t *gpa,
                      uint64_t *perm)
{
    return translate_rec(ms, r, la, gpa, perm, NULL);
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

/* n bytes from h (guest RAM) to p: words (the last one overlapping when n is not a multiple of 8),
 * not the library's memcpy (byte by byte here). */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
static void copy_small(uint8_t *p, const uint8_t *h, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        *(u64_any *)(void *)(p + i) = *(const u64_any *)(const void *)(h + i);
    if (i < n && n >= 8)
        *(u64_any *)(void *)(p + n - 8) = *(const u64_any *)(const void *)(h + n - 8);
    else
        for (; i < n; i++)
            p[i] = h[i];
}

/* n bytes at gpa, all in one guest page: slots are page-granular, so the page is in one slot or in
 * none. One lookup under the slots' lock and word copies, the bytes guest_read would copy without
 * its general loop across slots: the instruction fetch of every MMIO exit comes here. *host (or
 * NULL) receives where gpa is in the hypervisor. */
static bool read_in_page(struct memslots *ms, uint64_t gpa, uint8_t *p, size_t n, const uint8_t **host)
{
    spin_lock(&ms->lock);
    const struct memslot *s = memslot_find_locked(ms, gpa);
    if (s) {
        const uint8_t *h = (const uint8_t *)(uintptr_t)(s->hpa + (gpa - s->gpa));
        copy_small(p, h, n);
        if (host)
            *host = h;
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
        if (!x86_guest_translate(ms, r, la + done, &gpa) || !read_in_page(ms, gpa, p + done, chunk, NULL))
            break;
        done += chunk;
    }
    return done;
}

/* A walk is a function of the paging registers, the linear page and the entries it reads, whose
 * places follow from CR3 and the entries before them. With the slots unchanged (their generation:
 * where each guest-physical page is in the hypervisor), the registers and the page the same, and
 * every entry read again with the value the walk saw, a new walk gives the same page: it is skipped.
 * The entries are read again each time, under the slots' lock as the walk reads them, so a guest's
 * change to its tables (with INVLPG or without) is seen at once, as is the CPU's setting of an
 * accessed bit (which costs one walk). Reads that cross a page take x86_guest_read_linear. */
size_t x86_guest_fetch_linear(struct x86_fetch_cache *c, struct memslots *ms, const struct x86_paging_regs *r,
                              uint64_t la, void *buf, size_t len)
{
    uint64_t off = la & 0xFFF;
    if (off + len > 0x1000)
        return x86_guest_read_linear(ms, r, la, buf, len);
    spin_lock(&ms->lock);
    bool hit = c->valid && c->ms == ms && c->generation == ms->generation && c->la_page == la - off &&
               c->r.cr0 == r->cr0 && c->r.cr3 == r->cr3 && c->r.cr4 == r->cr4 && c->r.efer == r->efer;
    for (uint32_t i = 0; hit && i < c->n; i++)
        hit = load_entry(c->at[i], c->bytes[i]) == c->value[i];
    uint32_t generation = ms->generation;
    if (hit)
        copy_small(buf, c->host_page + off, len);
    spin_unlock(&ms->lock);
    if (hit)
        return len;
    c->valid = false;
    struct walk_record rec = { 0 };
    uint64_t gpa, perm;
    const uint8_t *host;
    if (!translate_rec(ms, r, la, &gpa, &perm, &rec) || !read_in_page(ms, gpa, buf, len, &host))
        return 0;
    /* Kept only when no slot changed during the walk (each entry was read under the lock alone). */
    spin_lock(&ms->lock);
    if (ms->generation == generation) {
        *c = (struct x86_fetch_cache){ .valid = true, .generation = generation, .n = rec.n, .ms = ms, .r = *r,
                                       .la_page = la - off, .host_page = host - off };
        for (uint32_t i = 0; i < rec.n; i++) {
            c->at[i] = rec.at[i];
            c->value[i] = rec.value[i];
            c->bytes[i] = rec.bytes[i];
        }
    }
    spin_unlock(&ms->lock);
    return len;
}
