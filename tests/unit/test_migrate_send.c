/* Unit tests of pre-copy (kernel/migrate_send.c) into the receiver (kernel/migrate_recv.c) over
 * the stream (kernel/migrate_stream.c), with real memslots, the aarch64 stage-2 format and dirty
 * logging: a "guest" keeps writing between rounds; after the final round the destination's memory
 * equals the source's byte for byte; rounds converge; a corrupt or short stream or a mismatched
 * VM leaves the destination incomplete (never to be run). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dirty_log.h"
#include "fake_pt_env.h"
#include "memslot_run.h"
#include "migrate_recv.h"
#include "migrate_send.h"
#include "stage2.h"

#define MiB (1ull << 20)
#define RAM_GPA 0x40000000ull
#define RAM_BYTES (4 * MiB)
#define PAGES (RAM_BYTES / 4096)

static struct fake_env fe;
static struct pt_env env = FAKE_ENV_INIT(&fe);
static struct pgtable src_pt;
static struct memslots src, dst;
static uint8_t *src_ram, *dst_ram;
static uint64_t log_bitmap[PAGES / 64], scratch[PAGES / 64];
static uint8_t vcpu_states[2 * 256], device_states[3 * 256];
static uint8_t *stream;
static size_t stream_len, stream_cap;

static const struct migrate_header HDR = { MIGRATE_VERSION, MIGRATE_ARCH_AARCH64, "payload", 2, RAM_BYTES };

static void setup(void)
{
    memset(&fe, 0, sizeof(fe));
    fe.fail_after = -1;
    memslots_init(&src);
    memslots_init(&dst);
    cr_assert_eq(pt_init(&src_pt, &aarch64_stage2_format, &env), 0);
    src_ram = aligned_alloc(2 * MiB, RAM_BYTES);
    dst_ram = aligned_alloc(2 * MiB, RAM_BYTES);
    for (uint64_t i = 0; i < RAM_BYTES; i++)
        src_ram[i] = (uint8_t)(i * 31 + (i >> 12));
    memset(dst_ram, 0xee, RAM_BYTES);
    cr_assert_eq(memslot_add_mapped(&src, &src_pt, 0, RAM_GPA, RAM_BYTES, (uint64_t)(uintptr_t)src_ram, MEMSLOT_RAM), 0);
    cr_assert_eq(memslot_set(&dst, 0, RAM_GPA, RAM_BYTES, (uint64_t)(uintptr_t)dst_ram, MEMSLOT_RAM), 0);
    memset(log_bitmap, 0, sizeof(log_bitmap));
    cr_assert_eq(dirty_log_start(&src, &src_pt, 0, log_bitmap), 0);
    stream_cap = (MIGRATE_ROUNDS_MAX + 2) * (RAM_BYTES + RAM_BYTES / 64);
    stream = malloc(stream_cap);
    stream_len = 0;
}

static void teardown(void)
{
    uint64_t *bm;
    dirty_log_stop(&src, &src_pt, 0, &bm);
    memslot_delete_mapped(&src, &src_pt, 0, &(struct memslot){ 0 });
    pt_destroy(&src_pt);
    free(src_ram);
    free(dst_ram);
    free(stream);
}

TestSuite(migrate_send, .init = setup, .fini = teardown);

/* The guest writes a byte: through stage 2 as the hardware would, faulting into dirty logging
 * when the page is write-protected. */
static void guest_store(uint64_t page, uint32_t off, uint8_t v)
{
    uint64_t gpa = RAM_GPA + page * 4096 + off, pa;
    uint32_t perms, level;
    cr_assert(pt_lookup(&src_pt, gpa, &pa, &perms, &level));
    if (!(perms & PT_W))
        cr_assert_eq(dirty_log_write_fault(&src, &src_pt, gpa), DIRTY_FAULT_HANDLED);
    src_ram[page * 4096 + off] = v;
}

static void emit(const void *p, size_t n)
{
    cr_assert_leq(stream_len + n, stream_cap);
    memcpy(stream + stream_len, p, n);
    stream_len += n;
}

static uint8_t sec[MIGRATE_RX_BUF_BYTES];

/* A whole round into the stream; returns the pages it sent. */
static uint64_t run_round(struct migrate_send *s)
{
    uint64_t before = s->pages_total;
    int64_t n;
    while ((n = migrate_send_pages(s, sec, sizeof(sec))) > 0)
        emit(sec, (size_t)n);
    cr_assert_eq(n, 0);
    return s->pages_total - before;
}

/* The source side of a migration with a writing guest: returns the number of rounds. */
static uint32_t migrate(uint32_t writes_per_round)
{
    struct migrate_send s;
    uint8_t hdr[MIGRATE_HEADER_BYTES];
    cr_assert(migrate_send_init(&s, &src, &src_pt, &HDR, scratch, PAGES / 64, hdr));
    emit(hdr, sizeof(hdr));
    uint32_t rounds = 0, seed = 1;
    for (;;) {
        uint64_t sent = run_round(&s);
        if (rounds == 0)
            cr_assert_eq(sent, PAGES, "round 0 sends every page");
        rounds++;
        /* the guest runs on while the round is sent: a moving pattern over some pages */
        for (uint32_t w = 0; w < writes_per_round; w++) {
            seed = seed * 1103515245u + 12345u;
            guest_store((seed >> 8) % PAGES, (seed >> 4) % 4096, (uint8_t)rounds);
        }
        if (migrate_send_converged(&s))
            break;
        migrate_send_next_round(&s, false);
    }
    /* paused: nothing writes now; the final round sends what is left */
    migrate_send_next_round(&s, true);
    run_round(&s);
    rounds++;
    uint8_t st[200];
    for (uint32_t v = 0; v < 2; v++) {
        memset(st, 0x10 + (int)v, sizeof(st));
        size_t n = migrate_send_state(&s, MIGRATE_SEC_VCPU, v, st, sizeof(st), sec, sizeof(sec));
        cr_assert_gt(n, 0);
        emit(sec, n);
    }
    for (uint32_t d = 1; d <= 3; d++) {
        memset(st, 0x20 + (int)d, 40);
        size_t n = migrate_send_state(&s, MIGRATE_SEC_DEVICE, d, st, 40, sec, sizeof(sec));
        emit(sec, n);
    }
    emit(sec, migrate_send_end(&s, sec, sizeof(sec)));
    return rounds;
}

static const char *vcpu_ok(void *ctx, const uint8_t *st, uint32_t len)
{
    (void)ctx;
    return len == 200 && st[0] >= 0x10 && st[0] <= 0x11 ? NULL : "bad vcpu state";
}
static const char *device_ok(void *ctx, uint32_t d, const uint8_t *st, uint32_t len)
{
    (void)ctx;
    return len == 40 && st[0] == 0x20 + d ? NULL : "bad device state";
}

static uint8_t rxbuf[MIGRATE_RX_BUF_BYTES];

/* The destination: feeds the stream (chunk bytes at a time); whether it is complete. */
static bool receive(const struct migrate_header *want, size_t len, size_t chunk, char *why_out)
{
    struct migrate_recv r;
    cr_assert(migrate_recv_init(&r, want, &dst, 3, vcpu_states, device_states, 256));
    r.vcpu_check = vcpu_ok;
    r.device_check = device_ok;
    struct migrate_rx rx;
    migrate_rx_init(&rx, &migrate_recv_ops, &r, rxbuf);
    for (size_t off = 0; off < len; off += chunk)
        if (migrate_rx_feed(&rx, stream + off, len - off < chunk ? len - off : chunk) == MIGRATE_RX_FAILED)
            break;
    const char *why = migrate_rx_close(&rx);
    if (why_out)
        strcpy(why_out, why ? why : "");
    cr_assert_eq(r.complete, why == NULL, "complete exactly when the stream was whole");
    if (r.complete) {
        cr_assert_eq(vcpu_states[256], 0x11);
        cr_assert_eq(device_states[2 * 256], 0x23);
    }
    return r.complete;
}

Test(migrate_send, memory_arrives_whole_while_the_guest_writes)
{
    uint32_t rounds = migrate(300);
    cr_assert(receive(&HDR, stream_len, 1460, NULL));
    cr_assert_eq(memcmp(src_ram, dst_ram, RAM_BYTES), 0, "destination memory differs from the source's");
    cr_assert_geq(rounds, 3);
}

Test(migrate_send, rounds_converge_on_a_quiet_guest_and_are_capped_on_a_busy_one)
{
    /* 10 writes a round: round 1 is small, then pause */
    cr_assert_eq(migrate(10), 3, "full copy, one small round, the final round");
    stream_len = 0;
    /* 5000 writes a round over 1024 pages: never small; capped at MIGRATE_ROUNDS_MAX + final */
    cr_assert_eq(migrate(5000), MIGRATE_ROUNDS_MAX + 1);
    cr_assert(receive(&HDR, stream_len, 65536, NULL));
    cr_assert_eq(memcmp(src_ram, dst_ram, RAM_BYTES), 0);
}

Test(migrate_send, a_stream_cut_short_leaves_the_destination_incomplete)
{
    /* One byte short of the end section: never complete, whatever memory holds. */
    migrate(300);
    char why[MIGRATE_RX_ERROR_MAX];
    cr_assert_not(receive(&HDR, stream_len - 1, 4096, why));
    cr_assert(strstr(why, "truncated"), "%s", why);
}

Test(migrate_send, corrupt_or_mismatched_streams_are_refused)
{
    migrate(50);
    char why[MIGRATE_RX_ERROR_MAX];
    /* a flipped byte in a page */
    stream[MIGRATE_HEADER_BYTES + 8 + 16 + 5000] ^= 4;
    cr_assert_not(receive(&HDR, stream_len, 8192, why));
    cr_assert(strstr(why, "checksum mismatch"), "%s", why);
    stream[MIGRATE_HEADER_BYTES + 8 + 16 + 5000] ^= 4;
    /* the destination's configuration differs */
    struct migrate_header other = HDR;
    other.cpus = 1;
    cr_assert_not(receive(&other, stream_len, 8192, why));
    cr_assert_str_eq(why, "vm payload: stream has 2 cpus, hv.cfg here 1");
    other = HDR;
    other.memory_bytes = 2 * MiB;
    cr_assert_not(receive(&other, stream_len, 8192, why));
    cr_assert_str_eq(why, "vm payload: stream has 0x400000 bytes of memory, hv.cfg here 0x200000");
    strcpy(other.name, "other");
    cr_assert_not(receive(&other, stream_len, 8192, why));
    cr_assert_str_eq(why, "stream is for vm 'payload', not 'other'");
    /* and the whole stream still goes through */
    cr_assert(receive(&HDR, stream_len, 8192, NULL));
}

Test(migrate_send, pages_outside_the_destination_are_refused)
{
    migrate(0);
    /* the destination has only the first 2 MiB as RAM */
    memslots_init(&dst);
    cr_assert_eq(memslot_set(&dst, 0, RAM_GPA, 2 * MiB, (uint64_t)(uintptr_t)dst_ram, MEMSLOT_RAM), 0);
    char why[MIGRATE_RX_ERROR_MAX];
    cr_assert_not(receive(&HDR, stream_len, 65536, why));
    cr_assert_str_eq(why, "section 32 (pages): pages 0x40200000+16 are outside the VM's writable memory");
}

Test(migrate_send, a_missing_vcpu_state_is_refused_at_the_end)
{
    struct migrate_send s;
    uint8_t hdr[MIGRATE_HEADER_BYTES];
    cr_assert(migrate_send_init(&s, &src, &src_pt, &HDR, scratch, PAGES / 64, hdr));
    emit(hdr, sizeof(hdr));
    run_round(&s);
    uint8_t st[200];
    memset(st, 0x10, sizeof(st));
    emit(sec, migrate_send_state(&s, MIGRATE_SEC_VCPU, 0, st, sizeof(st), sec, sizeof(sec)));
    emit(sec, migrate_send_end(&s, sec, sizeof(sec)));
    char why[MIGRATE_RX_ERROR_MAX];
    cr_assert_not(receive(&HDR, stream_len, 65536, why));
    cr_assert_str_eq(why, "stream ended without the state of vcpu 1");
}

Test(migrate_send, an_unlogged_writable_slot_is_refused)
{
    uint64_t *bm;
    cr_assert_eq(dirty_log_stop(&src, &src_pt, 0, &bm), 0);
    struct migrate_send s;
    uint8_t hdr[MIGRATE_HEADER_BYTES];
    cr_assert_not(migrate_send_init(&s, &src, &src_pt, &HDR, scratch, PAGES / 64, hdr));
    cr_assert_eq(dirty_log_start(&src, &src_pt, 0, log_bitmap), 0);
}
