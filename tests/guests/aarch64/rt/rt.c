/* rt.c: C entry for the boot and secondary CPUs, and the timing and RAM-layout helpers. */
#include "test.h"

void rt_main(void *dtb)
{
    main(dtb);
    test_done();
}

__attribute__((weak)) void secondary_main(uint64_t context_id)
{
    (void)context_id;
}

void rt_secondary(uint64_t context_id)
{
    secondary_main(context_id);
    psci_cpu_off();
    for (;;)                    /* CPU_OFF does not return on success */
        __asm__ volatile("wfe");
}

void delay_us(uint64_t us)
{
    uint64_t start = counter(), ticks = us * counter_freq() / 1000000;
    while (counter() - start < ticks)
        ;
}

bool shared_wait(volatile uint64_t *p, uint64_t want, uint64_t timeout_us)
{
    uint64_t start = counter(), ticks = timeout_us * counter_freq() / 1000000;
    for (;;) {
        if (shared_load(p) == want)
            return true;
        if (counter() - start > ticks)
            return false;
    }
}

uint64_t ram_end(const void *dtb)
{
    uint64_t base, size;
    if (!fdt_memory(dtb, &base, &size) || base != RAM_BASE)
        return RAM_BASE + (64ull << 20);
    return base + size;
}

unsigned ram_free_regions(const void *dtb, struct region out[2])
{
    uint64_t start = (uintptr_t)__image_end, end = ram_end(dtb);
    uint64_t dtb_start = (uintptr_t)dtb & ~7ull;
    uint64_t dtb_end = ((uintptr_t)dtb + fdt_totalsize(dtb) + 7) & ~7ull;
    unsigned n = 0;

    if (dtb_end <= start || dtb_start >= end || !fdt_valid(dtb)) {
        out[n++] = (struct region){ start, end };
        return n;
    }
    if (dtb_start > start)
        out[n++] = (struct region){ start, dtb_start };
    if (dtb_end < end)
        out[n++] = (struct region){ dtb_end, end };
    return n;
}
