/* nested_shadow.c: the shadow EPT's table pool and mappings (nested_shadow.h). Pure: the generic
 * walker (kernel/pgtable.c) over the EPT format (ept.c); the hardware INVEPT is nested.c's. */
#include <string.h>
#include "nested_shadow.h"
#include "stage2.h"

static uint64_t pool_alloc(void *ctx)
{
    struct nested_shadow *s = ctx;
    if (!s->nfree)
        return 0;
    uint64_t pa = s->page[s->free[--s->nfree]];
    memset((void *)(uintptr_t)pa, 0, 4096);
    return pa;
}

static void pool_free(void *ctx, uint64_t pa)
{
    struct nested_shadow *s = ctx;
    for (uint32_t i = 0; i < NESTED_SHADOW_PAGES; i++)
        if (s->page[i] == pa) {
            s->free[s->nfree++] = i;
            return;
        }
}

static uint64_t *pool_ptr(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (uint64_t *)(uintptr_t)pa;
}

static void shadow_tlb(void *ctx, uint64_t ia, uint64_t size)
{
    (void)ia; (void)size;
    ((struct nested_shadow *)ctx)->flush = true;
}

static void reset(struct nested_shadow *s)
{
    for (uint32_t i = 0; i < NESTED_SHADOW_PAGES; i++)
        s->free[i] = i;
    s->nfree = NESTED_SHADOW_PAGES;
    pt_init(&s->pt, &x86_ept_format_2m, &s->env);    /* 4 KiB leaves only: any format's block levels do */
    s->flush = true;
}

void nested_shadow_init(struct nested_shadow *s, const uint64_t *pages)
{
    memset(s, 0, sizeof(*s));
    memcpy(s->page, pages, sizeof(s->page));
    s->env = (struct pt_env){ pool_alloc, pool_free, pool_ptr, shadow_tlb, s };
    s->l1_eptp = ~0ull;
    reset(s);
}

/* The pages go back to the pool all at once (no walk of the old tables: they are simply reused). */
void nested_shadow_drop(struct nested_shadow *s)
{
    reset(s);
    s->drops++;
}

bool nested_shadow_map(struct nested_shadow *s, uint64_t gpa, uint64_t hpa, uint32_t perms)
{
    gpa &= ~0xFFFull;
    hpa &= ~0xFFFull;
    if (pt_map(&s->pt, gpa, hpa, 4096, perms, PT_MAP_PAGES_ONLY) == 0)
        return true;
    nested_shadow_drop(s);
    return pt_map(&s->pt, gpa, hpa, 4096, perms, PT_MAP_PAGES_ONLY) == 0;
}

uint64_t nested_shadow_eptp(const struct nested_shadow *s)
{
    return s->pt.root_pa | 6 | 3 << 3;
}
