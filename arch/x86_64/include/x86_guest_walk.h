/* x86_guest_walk.h: guest linear -> guest physical through the guest's own page tables, read with the
 * audited accessor (pure, host-tested: tests/unit/test_x86_guest_walk.c). */
#ifndef X86_GUEST_WALK_H
#define X86_GUEST_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memslot.h"

struct x86_paging_regs {
    uint64_t cr0, cr3, cr4, efer;
};

/* Translates la; false when a table is outside guest memory or an entry is not present. Covers
 * paging off, 32-bit paging (4 MiB pages with CR4.PSE), PAE and 4-level paging (SDM Vol. 3A, 4.3-4.5). */
bool x86_guest_translate(struct memslots *ms, const struct x86_paging_regs *r, uint64_t la, uint64_t *gpa);

/* Guest accesses the hypervisor makes on the guest's behalf (string instructions' RAM side). */
#define X86_ACCESS_WRITE 1u
#define X86_ACCESS_USER  2u                    /* at CPL 3 */
/* x86_guest_translate with the access rights of SDM Vol. 3A 4.6 for access; false also when they deny it. */
bool x86_guest_translate_access(struct memslots *ms, const struct x86_paging_regs *r, uint64_t la, uint32_t access,
                                uint64_t *gpa);
/* Reads (or with X86_ACCESS_WRITE writes) len <= 4096 bytes of guest linear memory at la, through the
 * audited accessors: all of it or, when a page is unmapped, denied, or not writable RAM, nothing. */
bool x86_guest_access_linear(struct memslots *ms, const struct x86_paging_regs *r, uint64_t la, void *buf,
                             size_t len, uint32_t access);

/* Reads up to len bytes of guest linear memory at la, page by page; returns how many it could read. */
size_t x86_guest_read_linear(struct memslots *ms, const struct x86_paging_regs *r, uint64_t la, void *buf,
                             size_t len);

/* x86_guest_fetch_linear's memory of the last page it read through (per vCPU): the walk's inputs
 * (the slots and their generation, the paging registers, the linear page, each entry read: where
 * in the hypervisor and its value) and its result (where that page is in the hypervisor). */
struct x86_fetch_cache {
    bool valid;
    uint32_t generation, n;
    const struct memslots *ms;
    struct x86_paging_regs r;
    uint64_t la_page;
    const uint8_t *host_page;
    const volatile void *at[4];
    uint64_t value[4];
    uint8_t bytes[4];
};

/* x86_guest_read_linear, for the instruction fetch of emulated MMIO: a read within one page skips
 * the walk when every input of the last one is unchanged (guest_walk.c). */
size_t x86_guest_fetch_linear(struct x86_fetch_cache *c, struct memslots *ms, const struct x86_paging_regs *r,
                              uint64_t la, void *buf, size_t len);

#endif
