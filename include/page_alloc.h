/* page_alloc.h: physical page allocator over the free ranges of the memory map. */
#ifndef PAGE_ALLOC_H
#define PAGE_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_SIZE 4096u
#define PAGE_ALLOC_MAX_RANGES 128

struct page_range {
    uint64_t base;
    uint64_t page_count;
};

struct page_allocator {
    struct page_range free[PAGE_ALLOC_MAX_RANGES];  /* sorted by base, disjoint, not adjacent */
    uint32_t range_count;
    uint64_t free_pages;
};

void page_alloc_init(struct page_allocator *pa);
/* Adds [base, base+size) rounded inward to pages; false if the table is full. */
bool page_alloc_add(struct page_allocator *pa, uint64_t base, uint64_t size_bytes);
/* Returns page_count pages aligned to align_bytes (a power of two >= PAGE_SIZE), or 0. */
uint64_t page_alloc(struct page_allocator *pa, uint64_t page_count, uint64_t align_bytes);
/* Gives back pages obtained from page_alloc; false if they overlap free memory. */
bool page_free(struct page_allocator *pa, uint64_t base, uint64_t page_count);

/* The hypervisor's allocator, filled from boot_info at start-up (lock: hv_page_lock). */
extern struct page_allocator hv_pages;
uint64_t hv_page_alloc(uint64_t page_count, uint64_t align_bytes);   /* zeroed */
void hv_page_free(uint64_t base, uint64_t page_count);

#endif
