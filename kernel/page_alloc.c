/* page_alloc.c: first-fit allocator over sorted free page ranges (pure logic, host-tested). */
#include <string.h>
#include "page_alloc.h"

void page_alloc_init(struct page_allocator *pa)
{
    memset(pa, 0, sizeof(*pa));
}

static void remove_range(struct page_allocator *pa, uint32_t i)
{
    memmove(&pa->free[i], &pa->free[i + 1], (pa->range_count - i - 1) * sizeof(pa->free[0]));
    pa->range_count--;
}

/* Inserts a page-aligned range, merging with neighbours; false on overlap or a full table. */
static bool insert_range(struct page_allocator *pa, uint64_t base, uint64_t pages)
{
    uint64_t end = base + pages * PAGE_SIZE;
    uint32_t i = 0;

    while (i < pa->range_count && pa->free[i].base < base)
        i++;
    bool next_overlaps = i < pa->range_count && pa->free[i].base < end;
    bool join_next = i < pa->range_count && pa->free[i].base == end;
    if (next_overlaps)
        return false;
    if (i > 0) {
        struct page_range *prev = &pa->free[i - 1];
        uint64_t prev_end = prev->base + prev->page_count * PAGE_SIZE;
        if (prev_end > base)
            return false;
        if (prev_end == base) {
            prev->page_count += pages;
            pa->free_pages += pages;
            if (join_next) {
                prev->page_count += pa->free[i].page_count;
                remove_range(pa, i);
            }
            return true;
        }
    }
    if (join_next) {
        pa->free[i].base = base;
        pa->free[i].page_count += pages;
        pa->free_pages += pages;
        return true;
    }
    if (pa->range_count == PAGE_ALLOC_MAX_RANGES)
        return false;
    memmove(&pa->free[i + 1], &pa->free[i], (pa->range_count - i) * sizeof(pa->free[0]));
    pa->free[i].base = base;
    pa->free[i].page_count = pages;
    pa->range_count++;
    pa->free_pages += pages;
    return true;
}

bool page_alloc_add(struct page_allocator *pa, uint64_t base, uint64_t size_bytes)
{
    uint64_t start = (base + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t end = (base + size_bytes) & ~(uint64_t)(PAGE_SIZE - 1);

    if (base + size_bytes < base || end <= start)
        return true;    /* nothing whole to add */
    if (start == 0) {
        /* Page 0 stays unused so that 0 can mean "no memory". */
        start = PAGE_SIZE;
        if (end <= start)
            return true;
    }
    return insert_range(pa, start, (end - start) / PAGE_SIZE);
}

uint64_t page_alloc(struct page_allocator *pa, uint64_t page_count, uint64_t align_bytes)
{
    if (page_count == 0 || align_bytes < PAGE_SIZE || (align_bytes & (align_bytes - 1)))
        return 0;
    for (uint32_t i = 0; i < pa->range_count; i++) {
        struct page_range *r = &pa->free[i];
        uint64_t end = r->base + r->page_count * PAGE_SIZE;
        uint64_t start = (r->base + align_bytes - 1) & ~(align_bytes - 1);
        if (start < r->base || start >= end || (end - start) / PAGE_SIZE < page_count)
            continue;
        uint64_t alloc_end = start + page_count * PAGE_SIZE;
        uint64_t head_pages = (start - r->base) / PAGE_SIZE;
        uint64_t tail_pages = (end - alloc_end) / PAGE_SIZE;
        if (head_pages && tail_pages) {
            if (pa->range_count == PAGE_ALLOC_MAX_RANGES)
                continue;   /* splitting needs a slot */
            memmove(&pa->free[i + 2], &pa->free[i + 1],
                    (pa->range_count - i - 1) * sizeof(pa->free[0]));
            pa->range_count++;
            pa->free[i + 1].base = alloc_end;
            pa->free[i + 1].page_count = tail_pages;
            r->page_count = head_pages;
        } else if (head_pages) {
            r->page_count = head_pages;
        } else if (tail_pages) {
            r->base = alloc_end;
            r->page_count = tail_pages;
        } else {
            remove_range(pa, i);
        }
        pa->free_pages -= page_count;
        return start;
    }
    return 0;
}

bool page_free(struct page_allocator *pa, uint64_t base, uint64_t page_count)
{
    if (page_count == 0 || (base & (PAGE_SIZE - 1)) || base == 0)
        return false;
    return insert_range(pa, base, page_count);
}
