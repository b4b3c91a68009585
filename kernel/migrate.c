/* migrate.c: live migration over the management network (include/migrate.h, docs/migration.md).
 * Source: a TCP client of the destination's management port that authenticates as any client,
 * asks `migrate-receive NAME` and writes the stream (kernel/migrate_send.c) while pre-copy runs,
 * pauses the VM, sends its state and stops it only once the destination answered "ok"; any
 * failure resumes it unchanged. Destination: a stopped VM marked `incoming` takes the stream of
 * one management connection (kernel/migrate_recv.c) and runs only once it is complete. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "arch_guest.h"
#include "arch_migrate.h"
#include "dirty_log.h"
#include "kernel.h"
#include "mgmt_auth.h"
#include "mgmt_cmd.h"
#include "migrate.h"
#include "migrate_recv.h"
#include "migrate_send.h"
#include "page_alloc.h"
#include "vm.h"

#include "lwip/tcp.h"

#define MIG_STALL_NS (20ull * 1000000000ull)   /* no progress for this long: the migration fails */
#define MIG_DEVICES_MAX 8u
#define PAGES_OF(bytes) (((bytes) + PAGE_SIZE - 1) / PAGE_SIZE)

/* An arch without migration (x86_64 for now) does not define these (include/arch_migrate.h). */
__attribute__((weak)) const char *arch_migrate_check(struct vm *vm)
{
    (void)vm;
    return "not supported on this architecture yet";
}
__attribute__((weak)) uint32_t arch_migrate_arch(void) { return 0; }
__attribute__((weak)) uint32_t arch_migrate_vcpu_save(struct vcpu *v, uint8_t *buf, uint32_t cap)
{
    (void)v, (void)buf, (void)cap;
    return 0;
}
__attribute__((weak)) const char *arch_migrate_vcpu_check(struct vm *vm, const uint8_t *buf, uint32_t len)
{
    (void)vm, (void)buf, (void)len;
    return "not supported on this architecture yet";
}
__attribute__((weak)) void arch_migrate_vcpu_load(struct vcpu *v, const uint8_t *buf, uint32_t len)
{
    (void)v, (void)buf, (void)len;
}
__attribute__((weak)) uint32_t arch_migrate_device_count(void) { return 0; }
__attribute__((weak)) uint32_t arch_migrate_device_save(struct vm *vm, uint32_t d, uint8_t *buf, uint32_t cap)
{
    (void)vm, (void)d, (void)buf, (void)cap;
    return 0;
}
__attribute__((weak)) const char *arch_migrate_device_check(struct vm *vm, uint32_t d, const uint8_t *buf, uint32_t len)
{
    (void)vm, (void)d, (void)buf, (void)len;
    return "not supported on this architecture yet";
}
__attribute__((weak)) void arch_migrate_device_load(struct vm *vm, uint32_t d, const uint8_t *buf, uint32_t len)
{
    (void)vm, (void)d, (void)buf, (void)len;
}

/* What `migrate-status` reports, per VM (mgmt_busy). */
enum mig_state { MIG_NONE, MIG_CONNECTING, MIG_PRECOPY, MIG_PAUSING, MIG_FINAL, MIG_CONFIRM, MIG_DONE, MIG_FAILED,
                 MIG_INCOMING, MIG_RECEIVING, MIG_RECEIVED };
static const char *const mig_state_names[] = { "none", "connecting", "precopy", "pausing", "final", "confirm",
                                               "done", "failed", "incoming", "receiving", "received" };
struct mig_status {
    uint32_t state;
    uint32_t rounds;
    uint64_t pages_sent, bytes_sent, last_round_pages;
    uint64_t downtime_ms;
    char why[MIGRATE_RECV_WHY_MAX];
};
static struct mig_status mig_status[VM_MAX_VMS];   /* mgmt_busy */
static const struct mgmt_auth *mig_key;

static struct mig_status *status_of(struct vm *vm) { return &mig_status[vm->id]; }

static uint8_t *alloc_bytes(size_t bytes)
{
    return (uint8_t *)(uintptr_t)hv_page_alloc(PAGES_OF(bytes), PAGE_SIZE);
}
static void free_bytes(uint8_t *p, size_t bytes)
{
    if (p)
        hv_page_free((uint64_t)(uintptr_t)p, PAGES_OF(bytes));
}

/* ==== source ===================================================================== */

enum out_phase { OUT_GREETING, OUT_AUTH_OK, OUT_RECEIVE_OK, OUT_STREAM, OUT_WAIT_END };

/* The one outgoing migration (mgmt_busy; vsaved/save_req also atomic for the parked vCPUs). */
static struct {
    struct vm *vm;
    struct tcp_pcb *pcb;
    uint32_t phase;                 /* enum out_phase */
    struct mgmt_line line;          /* the destination's answers */
    struct migrate_send send;
    uint64_t *bitmap;
    size_t bitmap_words;
    uint32_t logged;                /* slots whose dirty logging this migration turned on */
    uint8_t *sec;                   /* one section being written: MIGRATE_RX_BUF_BYTES */
    size_t sec_len, sec_off;
    uint32_t next_vcpu, next_device;
    bool end_sent;
    bool paused;                    /* this migration paused the VM */
    uint64_t pause_ns, progress_ns;
    uint8_t *vstate;                /* VM_MAX_VCPUS * ARCH_MIGRATE_STATE_MAX */
    uint32_t vlen[VM_MAX_VCPUS];
    uint32_t save_req;              /* atomic: parked vCPUs save their state */
    uint32_t saving;                /* atomic: vCPUs inside migrate_vcpu_parked's save */
    uint64_t vsaved;                /* atomic: bit n: vCPU n's state is in vstate */
} out;

#define VSTATE_BYTES ((size_t)VM_MAX_VCPUS * ARCH_MIGRATE_STATE_MAX)

static uint64_t bitmap_pages(uint64_t size_bytes)
{
    return PAGES_OF(dirty_log_bitmap_words(size_bytes) * sizeof(uint64_t));
}

/* Dirty logging of every writable slot not logged yet (those are this migration's to stop). */
static int log_on(struct vm *vm)
{
    for (uint32_t id = 0; id < VM_MAX_MEMSLOTS; id++) {
        struct memslot s;
        if (!memslot_get(&vm->slots, id, &s) || (s.flags & (MEMSLOT_READONLY | MEMSLOT_DIRTY_LOG)))
            continue;
        uint64_t bm = hv_page_alloc(bitmap_pages(s.size_bytes), PAGE_SIZE);
        if (!bm)
            return MEMSLOT_ENOMEM;
        int rc = dirty_log_start(&vm->slots, &vm->stage2, id, (uint64_t *)(uintptr_t)bm);
        if (rc) {
            hv_page_free(bm, bitmap_pages(s.size_bytes));
            return rc;
        }
        out.logged |= 1u << id;
    }
    return 0;
}

static void log_off(struct vm *vm)
{
    for (uint32_t id = 0; id < VM_MAX_MEMSLOTS; id++) {
        struct memslot s;
        uint64_t *bm;
        if (!(out.logged >> id & 1) || !memslot_get(&vm->slots, id, &s))
            continue;
        if (dirty_log_stop(&vm->slots, &vm->stage2, id, &bm) == 0)
            hv_page_free((uint64_t)(uintptr_t)bm, bitmap_pages(s.size_bytes));
    }
    out.logged = 0;
}

static void out_release(void)
{
    if (out.pcb) {
        tcp_arg(out.pcb, NULL);
        tcp_recv(out.pcb, NULL);
        tcp_sent(out.pcb, NULL);
        tcp_err(out.pcb, NULL);
        tcp_poll(out.pcb, NULL, 0);
        tcp_abort(out.pcb);
        out.pcb = NULL;
    }
    log_off(out.vm);
    /* No parked vCPU may still be writing into vstate when it goes back. */
    __atomic_store_n(&out.save_req, 0, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&out.saving, __ATOMIC_SEQ_CST))
        arch_cpu_relax();
    free_bytes((uint8_t *)out.bitmap, out.bitmap_words * 8);
    free_bytes(out.sec, MIGRATE_RX_BUF_BYTES);
    free_bytes(out.vstate, VSTATE_BYTES);
    out.bitmap = NULL;
    out.sec = out.vstate = NULL;
    __atomic_store_n(&out.save_req, 0, __ATOMIC_RELEASE);
    out.vm = NULL;
}

/* Anything that went wrong: the VM runs on here as it was. */
static void out_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out_fail(const char *fmt, ...)
{
    struct vm *vm = out.vm;
    struct mig_status *st = status_of(vm);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->why, sizeof(st->why), fmt, ap);
    va_end(ap);
    st->state = MIG_FAILED;
    bool paused = out.paused;
    out_release();
    if (paused)
        vm_resume(vm);
    hv_printf("migrate: vm %s: failed: %s; it runs on here\n", vm->name, st->why);
}

static void out_done(void)
{
    struct vm *vm = out.vm;
    struct mig_status *st = status_of(vm);
    st->downtime_ms = (arch_time_ns() - out.pause_ns) / 1000000;
    st->state = MIG_DONE;
    out_release();
    hv_printf("migrate: vm %s: done: rounds=%" PRIu32 " pages=%" PRIu64 " downtime_ms=%" PRIu64 "\n", vm->name,
              st->rounds, st->pages_sent, st->downtime_ms);
    /* The destination runs it now: gone from here, as if powered off (it was paused). */
    vm_request_shutdown(vm, VM_SHUTDOWN_OFF);
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        arch_vcpu_kick(&vm->vcpu[i]);
}

static bool out_write_line(const char *text)
{
    size_t n = strlen(text);
    if (tcp_sndbuf(out.pcb) < n || tcp_write(out.pcb, text, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
        return false;
    tcp_output(out.pcb);
    return true;
}

/* One line from the destination. */
static void out_line(const char *text)
{
    struct vm *vm = out.vm;
    char buf[MGMT_LINE_MAX + 8];
    switch (out.phase) {
    case OUT_GREETING: {
        static const char hello[] = "hv-mgmt 1 challenge ";
        if (strncmp(text, hello, sizeof(hello) - 1) != 0 || strlen(text) != sizeof(hello) - 1 + MGMT_AUTH_HEX) {
            out_fail("the destination did not greet as a hypervisor's management port");
            return;
        }
        char resp[MGMT_AUTH_HEX + 1];
        mgmt_auth_expected(mig_key, text + sizeof(hello) - 1, resp);
        snprintf(buf, sizeof(buf), "auth %s\n", resp);
        if (!out_write_line(buf)) {
            out_fail("cannot send to the destination");
            return;
        }
        out.phase = OUT_AUTH_OK;
        return;
    }
    case OUT_AUTH_OK:
    case OUT_RECEIVE_OK:
        if (strcmp(text, "ok") != 0) {
            out_fail("the destination refused %s: %.60s", out.phase == OUT_AUTH_OK ? "the key" : "the vm", text);
            return;
        }
        if (out.phase == OUT_AUTH_OK) {
            snprintf(buf, sizeof(buf), "migrate-receive %s\n", vm->name);
            if (!out_write_line(buf)) {
                out_fail("cannot send to the destination");
                return;
            }
            out.phase = OUT_RECEIVE_OK;
            return;
        }
        out.phase = OUT_STREAM;
        status_of(vm)->state = MIG_PRECOPY;
        hv_printf("migrate: vm %s: connected, pre-copy round 0 (all pages)\n", vm->name);
        return;
    case OUT_STREAM:
    case OUT_WAIT_END:
        if (out.end_sent && strcmp(text, "ok") == 0) {
            out_done();
            return;
        }
        out_fail("the destination refused the stream: %.80s", text);
        return;
    }
}

/* The next section of the stream into out.sec; false when there is none to write now. */
static bool out_next_section(void)
{
    struct vm *vm = out.vm;
    struct mig_status *st = status_of(vm);
    out.sec_off = out.sec_len = 0;
    switch (st->state) {
    case MIG_PRECOPY:
    case MIG_FINAL: {
        int64_t n = migrate_send_pages(&out.send, out.sec, MIGRATE_RX_BUF_BYTES);
        if (n < 0) {
            out_fail("vm memory changed while migrating (%s)", memslot_error_name((int)n));
            return false;
        }
        if (n > 0) {
            out.sec_len = (size_t)n;
            st->pages_sent = out.send.pages_total;
            return true;
        }
        if (st->state == MIG_PRECOPY) {
            st->rounds++;
            st->last_round_pages = out.send.round_pages;
            hv_printf("migrate: vm %s: round %" PRIu32 " sent %" PRIu64 " pages (%" PRIu64 " in all)\n", vm->name,
                      out.send.round, out.send.round_pages, out.send.pages_total);
            if (!migrate_send_converged(&out.send)) {
                migrate_send_next_round(&out.send, false);
                return out_next_section();
            }
            /* Converged: stop the guest, then the last round and its state (downtime from here). */
            out.pause_ns = arch_time_ns();
            out.paused = true;
            vm_pause(vm);
            st->state = MIG_PAUSING;
            return false;
        }
        /* final round sent: the vCPUs' and devices' state, then the end */
        if (out.next_vcpu < vm->vcpu_count) {
            uint32_t i = out.next_vcpu++;
            out.sec_len = migrate_send_state(&out.send, MIGRATE_SEC_VCPU, i, out.vstate + (size_t)i * ARCH_MIGRATE_STATE_MAX,
                                             out.vlen[i], out.sec, MIGRATE_RX_BUF_BYTES);
            return out.sec_len != 0;
        }
        if (out.next_device < arch_migrate_device_count()) {
            uint32_t d = ++out.next_device;
            static uint8_t state[ARCH_MIGRATE_STATE_MAX];
            uint32_t len = arch_migrate_device_save(vm, d, state, sizeof(state));
            out.sec_len = migrate_send_state(&out.send, MIGRATE_SEC_DEVICE, d, state, len, out.sec, MIGRATE_RX_BUF_BYTES);
            return out.sec_len != 0;
        }
        if (!out.end_sent) {
            out.sec_len = migrate_send_end(&out.send, out.sec, MIGRATE_RX_BUF_BYTES);
            out.end_sent = true;
            st->state = MIG_CONFIRM;
            out.phase = OUT_WAIT_END;
            return true;
        }
        return false;
    }
    case MIG_PAUSING: {
        if (!vm_paused(vm))
            return false;
        /* Every vCPU that is on saves its own state where it is parked (EL1 registers are live
         * on its pCPU); one that is off has no state to speak of and is taken from here. */
        uint64_t want = 0;
        for (uint32_t i = 0; i < vm->vcpu_count; i++)
            if (__atomic_load_n(&vm->vcpu[i].power, __ATOMIC_ACQUIRE) != VCPU_OFF)
                want |= 1ull << i;
        if (!__atomic_load_n(&out.save_req, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&out.save_req, 1, __ATOMIC_RELEASE);
            for (uint32_t i = 0; i < vm->vcpu_count; i++)
                arch_vcpu_kick(&vm->vcpu[i]);
        }
        if ((__atomic_load_n(&out.vsaved, __ATOMIC_ACQUIRE) & want) != want)
            return false;
        for (uint32_t i = 0; i < vm->vcpu_count; i++)
            if (!(want >> i & 1))
                out.vlen[i] = arch_migrate_vcpu_save(&vm->vcpu[i], out.vstate + (size_t)i * ARCH_MIGRATE_STATE_MAX,
                                                     ARCH_MIGRATE_STATE_MAX);
        for (uint32_t i = 0; i < vm->vcpu_count; i++)
            if (!out.vlen[i]) {
                out_fail("vcpu %" PRIu32 " state does not fit", i);
                return false;
            }
        migrate_send_next_round(&out.send, true);
        st->state = MIG_FINAL;
        hv_printf("migrate: vm %s: paused after %" PRIu32 " rounds, sending the rest\n", vm->name, st->rounds);
        return out_next_section();
    }
    default:
        return false;
    }
}

/* Writes as much of the stream as lwIP takes now. */
static void out_pump(void)
{
    if (!out.vm || out.phase < OUT_STREAM)
        return;
    bool wrote = false;
    while (out.vm) {
        if (out.sec_off == out.sec_len && !out_next_section())
            break;
        if (!out.vm)
            return;                 /* failed */
        size_t n = out.sec_len - out.sec_off;
        u16_t room = tcp_sndbuf(out.pcb);
        if (n > room)
            n = room;
        if (n == 0 || tcp_write(out.pcb, out.sec + out.sec_off, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
            break;
        out.sec_off += n;
        status_of(out.vm)->bytes_sent += n;
        wrote = true;
    }
    if (wrote && out.pcb)
        tcp_output(out.pcb);
}

static err_t out_on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    if (!out.vm || pcb != out.pcb) {
        if (p)
            pbuf_free(p);
        return ERR_OK;
    }
    if (!p) {
        out_fail("the destination closed the connection");
        return ERR_ABRT;
    }
    if (err != ERR_OK) {
        pbuf_free(p);
        return ERR_OK;
    }
    tcp_recved(pcb, p->tot_len);
    out.progress_ns = arch_time_ns();
    for (struct pbuf *q = p; q && out.vm; q = q->next) {
        const uint8_t *d = q->payload;
        for (u16_t i = 0; i < q->len && out.vm; i++) {
            enum mgmt_line_event ev = mgmt_line_feed(&out.line, d[i]);
            if (ev == MGMT_LINE_READY)
                out_line(out.line.buf);
            else if (ev == MGMT_LINE_TOO_LONG)
                out_fail("the destination answered a line too long");
        }
    }
    pbuf_free(p);
    if (!out.vm)
        return ERR_ABRT;            /* out_release aborted the pcb */
    out_pump();
    return out.vm ? ERR_OK : ERR_ABRT;
}

static err_t out_on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)arg, (void)pcb, (void)len;
    out.progress_ns = arch_time_ns();
    out_pump();
    return out.vm ? ERR_OK : ERR_ABRT;
}

static void out_on_err(void *arg, err_t err)
{
    (void)arg;
    out.pcb = NULL;                 /* lwIP freed it */
    if (out.vm)
        out_fail("connection lost (lwIP error %d)", (int)err);
}

static err_t out_on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg, (void)pcb;
    if (err != ERR_OK) {
        out_fail("cannot connect (lwIP error %d)", (int)err);
        return ERR_ABRT;
    }
    out.progress_ns = arch_time_ns();
    return ERR_OK;
}

const char *migrate_out_start(struct vm *vm, uint32_t ip, uint16_t port)
{
    static char why[120];
    if (out.vm)
        return "another migration is running";
    if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_RUNNING || __atomic_load_n(&vm->pause_req, __ATOMIC_ACQUIRE))
        return "the vm is not running";
    const char *no = arch_migrate_check(vm);
    if (no) {
        snprintf(why, sizeof(why), "vm %s cannot migrate: %s", vm->name, no);
        return why;
    }
    if (!arch_stage2_runtime())
        return "not supported on this architecture yet (no dirty logging)";
    memset(&out, 0, sizeof(out));
    out.vm = vm;
    struct mig_status *st = status_of(vm);
    memset(st, 0, sizeof(*st));
    out.bitmap_words = migrate_send_bitmap_words(&vm->slots);
    out.bitmap = (uint64_t *)alloc_bytes(out.bitmap_words * 8);
    out.sec = alloc_bytes(MIGRATE_RX_BUF_BYTES);
    out.vstate = alloc_bytes(VSTATE_BYTES);
    if (!out.bitmap || !out.sec || !out.vstate) {
        out_release();
        return "no memory for the migration's buffers";
    }
    int rc = log_on(vm);
    struct migrate_header h = { MIGRATE_VERSION, arch_migrate_arch(), "", vm->vcpu_count, vm->cfg->memory_bytes };
    snprintf(h.name, sizeof(h.name), "%s", vm->name);
    if (rc || !migrate_send_init(&out.send, &vm->slots, &vm->stage2, &h, out.bitmap, out.bitmap_words, out.sec)) {
        out_release();
        snprintf(why, sizeof(why), "cannot log the vm's memory (%s)", rc ? memslot_error_name(rc) : "slots");
        return why;
    }
    out.sec_len = MIGRATE_HEADER_BYTES;   /* the header goes first */
    mgmt_line_reset(&out.line);
    out.pcb = tcp_new();
    if (!out.pcb) {
        out_release();
        return "no TCP connection left";
    }
    tcp_arg(out.pcb, NULL);
    tcp_recv(out.pcb, out_on_recv);
    tcp_sent(out.pcb, out_on_sent);
    tcp_err(out.pcb, out_on_err);
    tcp_nagle_disable(out.pcb);
    ip_addr_t addr;
    IP_ADDR4(&addr, ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
    st->state = MIG_CONNECTING;
    out.progress_ns = arch_time_ns();
    if (tcp_connect(out.pcb, &addr, port, out_on_connected) != ERR_OK) {
        out_release();
        st->state = MIG_NONE;
        return "cannot start the connection";
    }
    hv_printf("migrate: vm %s: to %" PRIu32 ".%" PRIu32 ".%" PRIu32 ".%" PRIu32 ":%u\n", vm->name, ip >> 24,
              (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff, (unsigned)port);
    return NULL;
}

void migrate_poll(void)
{
    if (!out.vm)
        return;
    if (arch_time_ns() - out.progress_ns > MIG_STALL_NS) {
        out_fail("no progress for %llu s (timeout)", MIG_STALL_NS / 1000000000ull);
        return;
    }
    out_pump();
}

void migrate_vcpu_parked(struct vcpu *vcpu)
{
    if (!__atomic_load_n(&out.save_req, __ATOMIC_ACQUIRE))
        return;
    /* Announce the save before looking again: out_release clears save_req, then waits for
     * saving to drop to 0 before it frees vstate. */
    __atomic_fetch_add(&out.saving, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&out.save_req, __ATOMIC_SEQ_CST) && out.vm == vcpu->vm &&
        !(__atomic_load_n(&out.vsaved, __ATOMIC_ACQUIRE) >> vcpu->id & 1)) {
        out.vlen[vcpu->id] = arch_migrate_vcpu_save(vcpu, out.vstate + (size_t)vcpu->id * ARCH_MIGRATE_STATE_MAX,
                                                    ARCH_MIGRATE_STATE_MAX);
        __atomic_fetch_or(&out.vsaved, 1ull << vcpu->id, __ATOMIC_ACQ_REL);
    }
    __atomic_fetch_sub(&out.saving, 1, __ATOMIC_SEQ_CST);
}

void migrate_status(struct vm *vm, void (*emit)(void *ctx, const char *line), void *ctx)
{
    struct mig_status *st = status_of(vm);
    char buf[MGMT_LINE_MAX];
    snprintf(buf, sizeof(buf), "state=%s rounds=%" PRIu32 " pages_sent=%" PRIu64 " bytes_sent=%" PRIu64
             " last_round_pages=%" PRIu64 " downtime_ms=%" PRIu64,
             mig_state_names[st->state], st->rounds, st->pages_sent, st->bytes_sent, st->last_round_pages,
             st->downtime_ms);
    emit(ctx, buf);
    if (st->why[0]) {
        snprintf(buf, sizeof(buf), "why=%s", st->why);
        emit(ctx, buf);
    }
}

void migrate_init(const struct mgmt_auth *key) { mig_key = key; }

static struct vm *in_receiving(void);

bool migrate_busy(const struct vm *vm)
{
    return out.vm == vm || in_receiving() == vm;
}

/* ==== destination ================================================================= */

static struct {
    struct vm *vm;
    struct migrate_recv recv;
    struct migrate_rx rx;
    uint8_t *rxbuf, *vstate, *dstate;
    uint32_t load_pending;          /* atomic: bit n: vCPU n loads its received state */
} in;

#define DSTATE_BYTES ((size_t)MIG_DEVICES_MAX * ARCH_MIGRATE_STATE_MAX)

static struct vm *in_receiving(void)
{
    return in.vm && status_of(in.vm)->state == MIG_RECEIVING ? in.vm : NULL;
}

const char *migrate_in_expect(struct vm *vm)
{
    if (in_receiving() == vm)
        return "the vm is receiving a migration now";
    if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_STOPPED)
        return "the vm is not stopped (stop it first: its state will come from the source)";
    const char *no = arch_migrate_check(vm);
    if (no && !strcmp(no, "not supported on this architecture yet"))
        return no;
    status_of(vm)->state = MIG_INCOMING;
    status_of(vm)->why[0] = '\0';
    hv_printf("migrate: vm %s: waits for an incoming migration\n", vm->name);
    return NULL;
}

static const char *in_vcpu_check(void *ctx, const uint8_t *state, uint32_t len)
{
    return arch_migrate_vcpu_check(ctx, state, len);
}
static const char *in_device_check(void *ctx, uint32_t d, const uint8_t *state, uint32_t len)
{
    return arch_migrate_device_check(ctx, d, state, len);
}

static void in_release(void)
{
    free_bytes(in.rxbuf, MIGRATE_RX_BUF_BYTES);
    free_bytes(in.vstate, VSTATE_BYTES);
    free_bytes(in.dstate, DSTATE_BYTES);
    in.rxbuf = in.vstate = in.dstate = NULL;
    in.vm = NULL;
}

const char *migrate_in_begin(struct vm *vm)
{
    if (in.vm)
        return "another incoming migration is running";
    if (status_of(vm)->state != MIG_INCOMING || __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_STOPPED)
        return "the vm does not expect a migration (incoming NAME first)";
    if (arch_migrate_device_count() > MIG_DEVICES_MAX)
        return "too many devices";
    in.rxbuf = alloc_bytes(MIGRATE_RX_BUF_BYTES);
    in.vstate = alloc_bytes(VSTATE_BYTES);
    in.dstate = alloc_bytes(DSTATE_BYTES);
    in.vm = vm;
    if (!in.rxbuf || !in.vstate || !in.dstate) {
        in_release();
        return "no memory for the migration's buffers";
    }
    struct migrate_header want = { MIGRATE_VERSION, arch_migrate_arch(), "", vm->vcpu_count, vm->cfg->memory_bytes };
    snprintf(want.name, sizeof(want.name), "%s", vm->name);
    if (!migrate_recv_init(&in.recv, &want, &vm->slots, arch_migrate_device_count(), in.vstate, in.dstate,
                           ARCH_MIGRATE_STATE_MAX)) {
        in_release();
        return "cannot receive this vm";
    }
    in.recv.vcpu_check = in_vcpu_check;
    in.recv.device_check = in_device_check;
    in.recv.ctx = vm;
    migrate_rx_init(&in.rx, &migrate_recv_ops, &in.recv, in.rxbuf);
    status_of(vm)->state = MIG_RECEIVING;
    hv_printf("migrate: vm %s: receiving\n", vm->name);
    return NULL;
}

/* The stream is complete and checked: devices now, each vCPU on its own pCPU when its run loop
 * starts (migrate_vcpu_starting), then the VM runs. */
static const char *in_start(void)
{
    struct vm *vm = in.vm;
    for (uint32_t d = 1; d <= arch_migrate_device_count(); d++)
        arch_migrate_device_load(vm, d, in.dstate + (size_t)(d - 1) * ARCH_MIGRATE_STATE_MAX, in.recv.device_len[d]);
    __atomic_store_n(&in.load_pending, vm->vcpu_count >= 32 ? ~0u : (1u << vm->vcpu_count) - 1, __ATOMIC_RELEASE);
    return vm_start_migrated(vm);
}

int migrate_in_feed(const uint8_t *data, size_t len, const char **why)
{
    if (!in.vm) {
        *why = "no migration is being received";
        return -1;
    }
    struct vm *vm = in.vm;
    enum migrate_rx_state s = migrate_rx_feed(&in.rx, data, len);
    if (s == MIGRATE_RX_FAILED) {
        static char msg[MIGRATE_RX_ERROR_MAX + 40];
        snprintf(msg, sizeof(msg), "%s", in.rx.error);
        *why = msg;
        status_of(vm)->state = MIG_INCOMING;    /* it may come again; nothing ran */
        snprintf(status_of(vm)->why, sizeof(status_of(vm)->why), "%s", msg);
        hv_printf("migrate: vm %s: incoming stream refused: %s; the vm was not started\n", vm->name, msg);
        in_release();
        return -1;
    }
    if (s != MIGRATE_RX_DONE)
        return 0;
    const char *no = in_start();
    if (no) {
        static char msg[80];
        snprintf(msg, sizeof(msg), "vm %s %s", vm->name, no);
        *why = msg;
        status_of(vm)->state = MIG_FAILED;
        in_release();
        return -1;
    }
    status_of(vm)->state = MIG_RECEIVED;
    status_of(vm)->pages_sent = in.recv.pages;
    hv_printf("migrate: vm %s: received %" PRIu64 " pages, running here\n", vm->name, in.recv.pages);
    /* the states stay until every vCPU has loaded its own: in.vm is kept for that */
    free_bytes(in.rxbuf, MIGRATE_RX_BUF_BYTES);
    in.rxbuf = NULL;
    return 1;
}

void migrate_in_abort(void)
{
    if (!in.vm || status_of(in.vm)->state != MIG_RECEIVING)
        return;
    struct vm *vm = in.vm;
    const char *why = migrate_rx_close(&in.rx);
    status_of(vm)->state = MIG_INCOMING;
    snprintf(status_of(vm)->why, sizeof(status_of(vm)->why), "%s", why ? why : "connection closed");
    hv_printf("migrate: vm %s: incoming stream refused: %s; the vm was not started\n", vm->name,
              status_of(vm)->why);
    in_release();
}

void migrate_vcpu_starting(struct vcpu *vcpu)
{
    if (in.vm != vcpu->vm || !(__atomic_load_n(&in.load_pending, __ATOMIC_ACQUIRE) >> vcpu->id & 1))
        return;
    arch_migrate_vcpu_load(vcpu, in.vstate + (size_t)vcpu->id * ARCH_MIGRATE_STATE_MAX, in.recv.vcpu_len[vcpu->id]);
    /* The last vCPU to load frees the states (the other CPU's mgmt_poll never touches them now). */
    if (__atomic_and_fetch(&in.load_pending, ~(1u << vcpu->id), __ATOMIC_ACQ_REL) == 0) {
        free_bytes(in.vstate, VSTATE_BYTES);
        free_bytes(in.dstate, DSTATE_BYTES);
        in.vstate = in.dstate = NULL;
        __atomic_store_n(&in.vm, NULL, __ATOMIC_RELEASE);
    }
}
