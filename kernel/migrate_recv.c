/* migrate_recv.c: a migration stream applied to a VM that does not run (include/migrate_recv.h).
 * Pure: host-tested with the sender (tests/unit/test_migrate_send.c). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "migrate_recv.h"

bool migrate_recv_init(struct migrate_recv *r, const struct migrate_header *want, struct memslots *ms,
                       uint32_t device_count, uint8_t *vcpu_state, uint8_t *device_state, uint32_t state_max)
{
    if (want->cpus == 0 || want->cpus > 64 || device_count > 15)
        return false;
    memset(r, 0, sizeof(*r));
    r->want = *want;
    r->ms = ms;
    r->device_count = device_count;
    r->vcpu_state = vcpu_state;
    r->device_state = device_state;
    r->state_max = state_max;
    return true;
}

static const char *on_header(void *ctx, const struct migrate_header *h)
{
    struct migrate_recv *r = ctx;
    const struct migrate_header *w = &r->want;
    if (h->arch != w->arch)
        snprintf(r->why, sizeof(r->why), "stream is for another architecture (%" PRIu32 ", here %" PRIu32 ")",
                 h->arch, w->arch);
    else if (strncmp(h->name, w->name, MIGRATE_NAME_BYTES) != 0)
        snprintf(r->why, sizeof(r->why), "stream is for vm '%.31s', not '%.31s'", h->name, w->name);
    else if (h->cpus != w->cpus)
        snprintf(r->why, sizeof(r->why), "vm %.31s: stream has %" PRIu32 " cpus, hv.cfg here %" PRIu32, w->name,
                 h->cpus, w->cpus);
    else if (h->memory_bytes != w->memory_bytes)
        snprintf(r->why, sizeof(r->why), "vm %.31s: stream has 0x%" PRIx64 " bytes of memory, hv.cfg here 0x%" PRIx64,
                 w->name, h->memory_bytes, w->memory_bytes);
    else
        return NULL;
    return r->why;
}

static const char *on_pages(void *ctx, uint64_t gfn, uint32_t count, const uint8_t *data)
{
    struct migrate_recv *r = ctx;
    /* guest_write refuses anything outside a slot or in a read-only one. */
    if (guest_write(r->ms, gfn * MIGRATE_PAGE_BYTES, data, (size_t)count * MIGRATE_PAGE_BYTES) != 0) {
        snprintf(r->why, sizeof(r->why), "pages 0x%" PRIx64 "+%" PRIu32 " are outside the VM's writable memory",
                 gfn * MIGRATE_PAGE_BYTES, count);
        return r->why;
    }
    r->pages += count;
    return NULL;
}

static const char *on_vcpu(void *ctx, uint32_t id, const uint8_t *data, uint32_t len)
{
    struct migrate_recv *r = ctx;
    if (id >= r->want.cpus) {
        snprintf(r->why, sizeof(r->why), "vcpu %" PRIu32 " does not exist (%" PRIu32 " cpus)", id, r->want.cpus);
        return r->why;
    }
    if (r->vcpu_have >> id & 1) {
        snprintf(r->why, sizeof(r->why), "vcpu %" PRIu32 " sent twice", id);
        return r->why;
    }
    if (len > r->state_max)
        return "vcpu state too long";
    const char *why = r->vcpu_check ? r->vcpu_check(r->ctx, data, len) : NULL;
    if (why)
        return why;
    memcpy(r->vcpu_state + (size_t)id * r->state_max, data, len);
    r->vcpu_len[id] = len;
    r->vcpu_have |= 1ull << id;
    return NULL;
}

static const char *on_device(void *ctx, uint32_t id, const uint8_t *data, uint32_t len)
{
    struct migrate_recv *r = ctx;
    if (id == 0 || id > r->device_count) {
        snprintf(r->why, sizeof(r->why), "device %" PRIu32 " unknown here", id);
        return r->why;
    }
    if (r->device_have >> id & 1) {
        snprintf(r->why, sizeof(r->why), "device %" PRIu32 " sent twice", id);
        return r->why;
    }
    if (len > r->state_max)
        return "device state too long";
    const char *why = r->device_check ? r->device_check(r->ctx, id, data, len) : NULL;
    if (why)
        return why;
    memcpy(r->device_state + (size_t)(id - 1) * r->state_max, data, len);
    r->device_len[id] = len;
    r->device_have |= 1u << id;
    return NULL;
}

static const char *on_end(void *ctx, uint64_t pages_total)
{
    struct migrate_recv *r = ctx;
    (void)pages_total;
    uint64_t all_vcpus = r->want.cpus == 64 ? ~0ull : (1ull << r->want.cpus) - 1;
    uint32_t all_devices = ((1u << r->device_count) - 1) << 1;
    if (r->vcpu_have != all_vcpus) {
        snprintf(r->why, sizeof(r->why), "stream ended without the state of vcpu %d",
                 __builtin_ctzll(~r->vcpu_have & all_vcpus));
        return r->why;
    }
    if (r->device_have != all_devices) {
        snprintf(r->why, sizeof(r->why), "stream ended without the state of device %d",
                 __builtin_ctz(~r->device_have & all_devices));
        return r->why;
    }
    r->complete = true;
    return NULL;
}

const struct migrate_rx_ops migrate_recv_ops = { on_header, on_pages, on_vcpu, on_device, on_end };
