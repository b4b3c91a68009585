/* fdt.c: a read-only flattened device tree walker (Devicetree Spec v0.4, 5.4), enough for
 * /memory, /cpus and finding a device by its compatible string. Tokens and property values are big-endian and only 4-byte aligned. */
#include "rt.h"

#define FDT_MAGIC       0xd00dfeed
#define FDT_BEGIN_NODE  1
#define FDT_END_NODE    2
#define FDT_PROP        3
#define FDT_NOP         4
#define FDT_END         9
#define MAX_DEPTH       8

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A value of `cells` 32-bit cells (1 or 2). */
static uint64_t cells_value(const uint8_t *p, uint32_t cells)
{
    return cells == 2 ? (uint64_t)be32(p) << 32 | be32(p + 4) : be32(p);
}

bool fdt_valid(const void *dtb)
{
    return dtb && be32(dtb) == FDT_MAGIC;
}

uint32_t fdt_totalsize(const void *dtb)
{
    return fdt_valid(dtb) ? be32((const uint8_t *)dtb + 4) : 0;
}

/* Called for every property with the names of its node and of the node's parent. */
typedef void (*prop_fn)(void *ctx, unsigned depth, const char *parent, const char *node,
                        const char *prop, const uint8_t *val, uint32_t len);

static void fdt_walk(const void *dtb, prop_fn fn, void *ctx)
{
    if (!fdt_valid(dtb))
        return;
    const uint8_t *base = dtb;
    const uint8_t *p = base + be32(base + 8);           /* off_dt_struct */
    const uint8_t *end = p + be32(base + 36);           /* size_dt_struct */
    const char *strings = (const char *)base + be32(base + 12);
    const char *names[MAX_DEPTH + 1] = { "" };
    unsigned depth = 0;                                 /* 1 inside the root node */

    while (p + 4 <= end) {
        uint32_t tok = be32(p);
        p += 4;
        if (tok == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            p += (strlen(name) + 1 + 3) & ~3ul;
            if (++depth <= MAX_DEPTH)
                names[depth] = name;
        } else if (tok == FDT_END_NODE) {
            if (depth-- == 0)
                return;
        } else if (tok == FDT_PROP) {
            uint32_t len = be32(p), nameoff = be32(p + 4);
            if (depth >= 1 && depth <= MAX_DEPTH)
                fn(ctx, depth - 1, depth >= 2 ? names[depth - 1] : "", names[depth],
                   strings + nameoff, p + 8, len);
            p += 8 + ((len + 3) & ~3u);
        } else if (tok != FDT_NOP) {
            return;                                     /* FDT_END or garbage */
        }
    }
}

static bool node_is(const char *node, const char *name)
{
    size_t n = strlen(name);
    return strncmp(node, name, n) == 0 && (node[n] == '\0' || node[n] == '@');
}

struct mem_ctx { uint32_t addr_cells, size_cells; bool found; uint64_t base, size; };

static void mem_prop(void *c, unsigned depth, const char *parent, const char *node,
                     const char *prop, const uint8_t *val, uint32_t len)
{
    struct mem_ctx *m = c;
    (void)parent;
    /* The root's #address-cells/#size-cells precede its child nodes (spec 5.4.1). */
    if (depth == 0 && len == 4 && !strncmp(prop, "#address-cells", 15))
        m->addr_cells = be32(val);
    else if (depth == 0 && len == 4 && !strncmp(prop, "#size-cells", 12))
        m->size_cells = be32(val);
    else if (depth == 1 && !m->found && node_is(node, "memory") && !strncmp(prop, "reg", 4) &&
             len >= 4 * (m->addr_cells + m->size_cells)) {
        m->base = cells_value(val, m->addr_cells);
        m->size = cells_value(val + 4 * m->addr_cells, m->size_cells);
        m->found = true;
    }
}

bool fdt_memory(const void *dtb, uint64_t *base, uint64_t *size)
{
    struct mem_ctx m = { .addr_cells = 2, .size_cells = 1 };  /* spec defaults */
    fdt_walk(dtb, mem_prop, &m);
    if (m.found) {
        *base = m.base;
        *size = m.size;
    }
    return m.found;
}

struct cpu_ctx { uint32_t addr_cells; uint64_t *mpidrs; unsigned max, count; };

static void cpu_prop(void *c, unsigned depth, const char *parent, const char *node,
                     const char *prop, const uint8_t *val, uint32_t len)
{
    struct cpu_ctx *k = c;
    if (depth == 1 && node_is(node, "cpus") && len == 4 && !strncmp(prop, "#address-cells", 15))
        k->addr_cells = be32(val);
    else if (depth == 2 && node_is(parent, "cpus") && node_is(node, "cpu") &&
             !strncmp(prop, "reg", 4) && len >= 4 * k->addr_cells && k->count < k->max)
        k->mpidrs[k->count++] = cells_value(val, k->addr_cells);
}

unsigned fdt_cpus(const void *dtb, uint64_t *mpidrs, unsigned max)
{
    struct cpu_ctx k = { .addr_cells = 1, .mpidrs = mpidrs, .max = max };
    fdt_walk(dtb, cpu_prop, &k);
    return k.count;
}

struct compat_ctx { const char *want; bool found; };

/* "compatible" is a list of NUL-terminated strings (spec 2.3.1). */
static void compat_prop(void *c, unsigned depth, const char *parent, const char *node,
                        const char *prop, const uint8_t *val, uint32_t len)
{
    struct compat_ctx *k = c;
    (void)depth, (void)parent, (void)node;
    if (strncmp(prop, "compatible", 11))
        return;
    size_t n = strlen(k->want);
    for (uint32_t off = 0; off < len;) {
        const char *s = (const char *)val + off;
        size_t l = 0;
        while (off + l < len && s[l])
            l++;
        if (l == n && !strncmp(s, k->want, n))
            k->found = true;
        off += (uint32_t)l + 1;
    }
}

bool fdt_has_compatible(const void *dtb, const char *compatible)
{
    struct compat_ctx k = { .want = compatible };
    fdt_walk(dtb, compat_prop, &k);
    return k.found;
}
