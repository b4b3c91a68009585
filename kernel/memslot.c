/* memslot.c: memslots and the audited guest-memory accessors (pure logic, host-tested). */
#include <string.h>
#include "memslot.h"

void memslots_init(struct memslots *ms)
{
    memset(ms, 0, sizeof(*ms));
}

static bool overlaps(const struct memslot *s, uint64_t gpa, uint64_t size)
{
    return s->size_bytes && gpa < s->gpa + s->size_bytes && s->gpa < gpa + size;
}

const char *memslot_error_name(int err)
{
    switch (err) {
    case MEMSLOT_OK: return "ok";
    case MEMSLOT_EINVAL: return "bad slot id, address, size or flags";
    case MEMSLOT_EEXIST: return "overlaps another slot (or the id is in use)";
    case MEMSLOT_ENOENT: return "no such slot";
    case MEMSLOT_EBUSY: return "the slot is dirty-logged";
    case MEMSLOT_ENOMEM: return "out of memory";
    }
    return "unknown error";
}

int memslot_set_locked(struct memslots *ms, uint32_t id, uint64_t gpa, uint64_t size_bytes, uint64_t hpa,
                       uint32_t flags)
{
    if (id >= VM_MAX_MEMSLOTS || ((gpa | size_bytes | hpa) & 0xfff) ||
        (flags & ~(MEMSLOT_READONLY | MEMSLOT_RAM | MEMSLOT_RUNTIME)))
        return MEMSLOT_EINVAL;
    if (size_bytes && (gpa + size_bytes < gpa || hpa + size_bytes < hpa))
        return MEMSLOT_EINVAL;
    /* Dirty logging owns a bitmap sized for the slot: it is started and stopped by
     * kernel/dirty_log.c only, and a logged slot is neither moved nor deleted. */
    if (ms->slot[id].flags & MEMSLOT_DIRTY_LOG)
        return MEMSLOT_EBUSY;
    if (size_bytes == 0) {
        if (ms->slot[id].size_bytes == 0)
            return MEMSLOT_ENOENT;
        memset(&ms->slot[id], 0, sizeof(ms->slot[id]));
        ms->used &= ~(1u << id);
    } else {
        for (uint32_t i = 0; i < VM_MAX_MEMSLOTS; i++)
            if (i != id && overlaps(&ms->slot[i], gpa, size_bytes))
                return MEMSLOT_EEXIST;
        ms->slot[id] = (struct memslot){ gpa, size_bytes, hpa, flags, NULL };
        ms->used |= 1u << id;
    }
    __atomic_store_n(&ms->generation, ms->generation + 1, __ATOMIC_RELEASE);   /* after the slot */
    return MEMSLOT_OK;
}

int memslot_set(struct memslots *ms, uint32_t id, uint64_t gpa, uint64_t size_bytes, uint64_t hpa,
                uint32_t flags)
{
    spin_lock(&ms->lock);
    int rc = memslot_set_locked(ms, id, gpa, size_bytes, hpa, flags);
    spin_unlock(&ms->lock);
    return rc;
}

bool memslot_get_locked(const struct memslots *ms, uint32_t id, struct memslot *out)
{
    if (id >= VM_MAX_MEMSLOTS)
        return false;
    *out = ms->slot[id];
    return out->size_bytes != 0;
}

bool memslot_get(struct memslots *ms, uint32_t id, struct memslot *out)
{
    if (id >= VM_MAX_MEMSLOTS)
        return false;
    spin_lock(&ms->lock);
    *out = ms->slot[id];
    spin_unlock(&ms->lock);
    return out->size_bytes != 0;
}

uint32_t memslot_count(struct memslots *ms)
{
    uint32_t n = 0;
    spin_lock(&ms->lock);
    for (uint32_t i = 0; i < VM_MAX_MEMSLOTS; i++)
        n += ms->slot[i].size_bytes != 0;
    spin_unlock(&ms->lock);
    return n;
}

/* Caller holds ms->lock. */
struct memslot *memslot_find_locked(struct memslots *ms, uint64_t gpa)
{
    for (uint32_t used = ms->used; used; used &= used - 1) {
        struct memslot *s = &ms->slot[__builtin_ctz(used)];
        if (gpa >= s->gpa && gpa - s->gpa < s->size_bytes)
            return s;
    }
    return NULL;
}

bool memslot_range_free(struct memslots *ms, uint64_t gpa, uint64_t size_bytes, uint32_t *generation)
{
    bool clear = true;
    spin_lock(&ms->lock);
    for (uint32_t used = ms->used; used && clear; used &= used - 1)
        clear = !overlaps(&ms->slot[__builtin_ctz(used)], gpa, size_bytes);
    *generation = ms->generation;
    spin_unlock(&ms->lock);
    return clear;
}

bool memslot_translate(struct memslots *ms, uint64_t gpa, uint64_t *hpa, uint32_t *flags)
{
    spin_lock(&ms->lock);
    const struct memslot *s = memslot_find_locked(ms, gpa);
    if (s) {
        *hpa = s->hpa + (gpa - s->gpa);
        if (flags)
            *flags = s->flags;
    }
    spin_unlock(&ms->lock);
    return s != NULL;
}

/* Guest RAM is normal memory: a word at a time (unaligned words where the target allows them,
 * x86_64; byte accesses under aarch64's -mstrict-align only where a side is misaligned), bytes
 * for the tail. Not the library's memcpy: newlib's copies byte by byte on x86_64 and uses FP/SIMD registers
 * on aarch64, which would cost the exit a lazy save of the guest's. No loop-to-memcpy rewrite. */
typedef uint64_t __attribute__((aligned(1), may_alias)) u64_any;   /* the compiler picks the access */

__attribute__((optimize("no-tree-loop-distribute-patterns")))
static void copy_words(uint8_t *d, const uint8_t *s, size_t n)
{
    if (!(((uintptr_t)d | (uintptr_t)s) & 7))
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
    for (; n >= 8; n -= 8, d += 8, s += 8)
        *(u64_any *)(void *)d = *(const u64_any *)(const void *)s;
    for (; n; n--)
        *d++ = *s++;
}

/* Copies len bytes between buf and guest memory, chunk by chunk across slots. */
static int guest_copy(struct memslots *ms, uint64_t gpa, void *buf, size_t len, bool write)
{
    uint8_t *p = buf;
    int rc = 0;
    if (len && gpa + len - 1 < gpa)
        return -1;
    spin_lock(&ms->lock);
    while (len) {
        const struct memslot *s = memslot_find_locked(ms, gpa);
        if (!s || (write && (s->flags & MEMSLOT_READONLY))) {
            rc = -1;
            break;
        }
        uint64_t off = gpa - s->gpa;
        size_t chunk = s->size_bytes - off < len ? (size_t)(s->size_bytes - off) : len;
        uint8_t *host = (uint8_t *)(uintptr_t)(s->hpa + off);
        if (write && s->dirty_bitmap) {
            /* The hypervisor's own writes dirty pages as the guest's do (KVM: mark_page_dirty
             * in kvm_write_guest), so a migration copies them too. */
            for (uint64_t pg = off >> 12; pg <= (off + chunk - 1) >> 12; pg++)
                s->dirty_bitmap[pg / 64] |= 1ull << (pg % 64);
        }
        if (write)
            copy_words(host, p, chunk);
        else
            copy_words(p, host, chunk);
        p += chunk;
        gpa += chunk;
        len -= chunk;
    }
    spin_unlock(&ms->lock);
    return rc;
}

int guest_read(struct memslots *ms, uint64_t gpa, void *buf, size_t len)
{
    return guest_copy(ms, gpa, buf, len, false);
}

int guest_write(struct memslots *ms, uint64_t gpa, const void *buf, size_t len)
{
    return guest_copy(ms, gpa, (void *)buf, len, true);
}
