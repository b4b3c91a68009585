/* fake_pt_env.h: host memory and a TLB-invalidation log standing in for the arch in walker tests. */
#ifndef FAKE_PT_ENV_H
#define FAKE_PT_ENV_H

#include <stdlib.h>
#include <string.h>
#include "pgtable.h"

struct fake_env {
    int live_tables;
    int fail_after;                 /* allocations left before failing; -1 = never */
    int tlbi_count;
    uint64_t tlbi_last_ia, tlbi_last_size;
};

static uint64_t fake_alloc(void *ctx)
{
    struct fake_env *f = ctx;
    if (f->fail_after == 0)
        return 0;
    if (f->fail_after > 0)
        f->fail_after--;
    void *p = aligned_alloc(4096, 4096);
    memset(p, 0, 4096);
    f->live_tables++;
    return (uint64_t)(uintptr_t)p;
}

static void fake_free(void *ctx, uint64_t pa)
{
    struct fake_env *f = ctx;
    f->live_tables--;
    free((void *)(uintptr_t)pa);
}

static uint64_t *fake_ptr(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (uint64_t *)(uintptr_t)pa;
}

static void fake_tlbi(void *ctx, uint64_t ia, uint64_t size)
{
    struct fake_env *f = ctx;
    f->tlbi_count++;
    f->tlbi_last_ia = ia;
    f->tlbi_last_size = size;
}

#define FAKE_ENV_INIT(f) { fake_alloc, fake_free, fake_ptr, fake_tlbi, (f) }

#endif
