/* mgmt.c: the management interface: a TCP line protocol (docs/management.md) over lwIP's raw
 * API on the host NIC, polled from the vCPU loops; commands are answered by kernel/mgmt_cmd.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "arch.h"
#include "config.h"
#include "arch_guest.h"
#include "dirty_log.h"
#include "kernel.h"
#include "memslot_run.h"
#include "mgmt_entropy.h"
#include "migrate.h"
#include "mgmt.h"
#include "mgmt_auth.h"
#include "mgmt_cmd.h"
#include "net.h"
#include "page_alloc.h"
#include "vm.h"

#include "lwip/pbuf.h"
#include "lwip/tcp.h"

#define MGMT_CONN_MAX 4                     /* clients served at once; more are refused */
#define MGMT_POLL_INTERVAL_NS 1000000ull    /* at most one poll per millisecond */
#define MGMT_IDLE_POLLS 600                 /* tcp_poll every 2 coarse ticks (1 s): 10 min idle */

struct mgmt_conn {
    struct tcp_pcb *pcb;                    /* NULL: the slot is free */
    struct pbuf *rx;                        /* received, not yet taken (at most one recv's) */
    struct mgmt_line line;
    char out[MGMT_OUT_MAX];                 /* an answer not yet handed to tcp_write */
    size_t out_len, out_off;
    bool peer_closed, quit;
    int32_t act_vm;                         /* a stop/reset answered "ok", done once acked; -1 */
    uint32_t act_how;                       /* enum vm_shutdown */
    uint32_t idle_polls;
    char client[16];                        /* the peer's "A.B.C.D", for the console */
    bool authed;                            /* answered this connection's challenge */
    char challenge[MGMT_AUTH_HEX + 1];
    bool stream;                            /* `migrate-receive` answered: the bytes are a migration
                                               stream (kernel/migrate.c), not lines */
    bool stream_ended;                      /* ... which was accepted or refused */
};

/* The lock of everything below and of lwIP itself: set by the one CPU inside mgmt_poll. */
static uint32_t mgmt_busy;
static uint32_t mgmt_up;                    /* atomic: set once mgmt_init has finished */
static uint64_t mgmt_next_poll_ns;          /* written under mgmt_busy, read before it */
static struct mgmt_conn mgmt_conns[MGMT_CONN_MAX];
static char mgmt_why[96];                   /* an action's error text, until the next one */
static struct mgmt_auth mgmt_auth_key;      /* hv.cfg's mgmt_key; set by mgmt_init */

/* --- the VMs as the protocol sees them --------------------------------------- */
static const char *const exit_stat_names[] = {
    [EXIT_HYPERCALL] = "exits_hypercall",
    [EXIT_MMIO] = "exits_mmio",
    [EXIT_PIO] = "exits_pio",
    [EXIT_WFX] = "exits_wfx",
    [EXIT_SYSREG] = "exits_sysreg",
    [EXIT_FIRMWARE] = "exits_firmware",
    [EXIT_IRQ] = "exits_irq",
    [EXIT_ABORT] = "exits_abort",
    [EXIT_SHUTDOWN] = "exits_shutdown",
    [EXIT_OTHER] = "exits_other",
};
_Static_assert(sizeof(exit_stat_names) / sizeof(exit_stat_names[0]) == EXIT_REASON_COUNT,
               "one name per enum exit_reason");
_Static_assert(EXIT_REASON_COUNT + 6 <= MGMT_STATS_MAX, "the stats fit one answer");

static uint32_t load32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static uint64_t load64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

static uint32_t vms_count(void *ctx)
{
    (void)ctx;
    return vm_count;
}

static const char *vm_state_name(const struct vm *vm)
{
    uint32_t state = load32(&vm->state);
    if (state == VM_STOPPED)
        return "stopped";
    /* A stop or reset requested and not yet acted on by the last vCPU out. */
    if (state == VM_STOPPING || load32(&vm->shutdown) != VM_SHUTDOWN_NONE)
        return "stopping";
    if (load32(&vm->pause_req))
        return vm_paused(vm) ? "paused" : "pausing";
    return "running";
}

static void vms_info(void *ctx, uint32_t index, struct mgmt_vm_info *out)
{
    (void)ctx;
    const struct vm *vm = &vms[index];
    out->name = vm->name;
    out->state = vm_state_name(vm);
    out->vcpu_count = vm->vcpu_count;
    out->exits_total = vm_exit_total(vm);
    uint32_t n = 0;
    out->stats[n++] = (struct mgmt_stat){ "exits_total", out->exits_total };
    for (uint32_t r = 0; r < EXIT_REASON_COUNT; r++)
        out->stats[n++] = (struct mgmt_stat){ exit_stat_names[r], vm_exit_count(vm, r) };
    out->stats[n++] = (struct mgmt_stat){ "lpi_injected", load64(&vm->lpi_injected) };
    out->stats[n++] = (struct mgmt_stat){ "lpi_direct", load64(&vm->lpi_direct) };
    out->stats[n++] = (struct mgmt_stat){ "fpu_lazy_saves", load64(&vm->fpu_lazy_saves) };
    /* How stage 2 maps the memslots now: blocks split to pages while dirty logging, collapsed
     * back after (kernel/dirty_log.c). */
    uint64_t leaves[PT_LEVELS];
    memslot_leaf_counts((struct memslots *)&vm->slots, &vm->stage2, leaves);
    out->stats[n++] = (struct mgmt_stat){ "s2_blocks_1g", leaves[1] };
    out->stats[n++] = (struct mgmt_stat){ "s2_blocks_2m", leaves[2] };
    out->stats[n++] = (struct mgmt_stat){ "s2_pages", leaves[3] };
    struct arch_stat a[MGMT_STATS_MAX];
    uint32_t k = arch_vm_stats(vm, a, MGMT_STATS_MAX - n);
    for (uint32_t i = 0; i < k; i++)
        out->stats[n++] = (struct mgmt_stat){ a[i].name, a[i].value };
    out->stat_count = n;
}

/* stop and reset go through the path a vCPU's PSCI SYSTEM_OFF / SYSTEM_RESET takes. They are
 * carried out once the client's TCP has acknowledged the "ok" (conn_pump), or when the
 * connection ends first: stopping the last VM powers the machine off at once, and the client
 * must have its answer by then. start boots a stopped VM again at once (vm_restart: its pCPUs
 * wait for that while 'mgmt' is configured, kernel/vm.c). ctx is the client's struct mgmt_conn. */
static const char *vms_action(void *ctx, uint32_t index, enum mgmt_action a, const char *client)
{
    struct mgmt_conn *c = ctx;
    struct vm *vm = &vms[index];
    if (migrate_busy(vm)) {
        snprintf(mgmt_why, sizeof(mgmt_why), "vm %s is being migrated (migrate-status %s)", vm->name, vm->name);
        return mgmt_why;
    }
    if (a == MGMT_ACTION_START) {
        /* A VM stopped while paused starts unpaused. */
        if (load32(&vm->state) == VM_STOPPED)
            __atomic_store_n(&vm->pause_req, 0, __ATOMIC_RELEASE);
        const char *why = vm_restart(vm);
        if (why) {
            snprintf(mgmt_why, sizeof(mgmt_why), "vm %s %s", vm->name, why);
            return mgmt_why;
        }
        hv_printf("mgmt: start vm %s (from %s)\n", vm->name, client);
        return NULL;
    }
    if (load32(&vm->state) == VM_STOPPED) {
        snprintf(mgmt_why, sizeof(mgmt_why), "vm %s is stopped", vm->name);
        return mgmt_why;
    }
    if (a == MGMT_ACTION_PAUSE || a == MGMT_ACTION_RESUME) {
        bool pause = a == MGMT_ACTION_PAUSE;
        if (!load32(&vm->pause_req) != pause) {
            snprintf(mgmt_why, sizeof(mgmt_why), "vm %s is %s", vm->name, pause ? "already paused" : "not paused");
            return mgmt_why;
        }
        hv_printf("mgmt: %s vm %s (from %s)\n", pause ? "pause" : "resume", vm->name, client);
        if (pause)
            vm_pause(vm);
        else
            vm_resume(vm);
        return NULL;
    }
    bool pending = load32(&vm->shutdown) != VM_SHUTDOWN_NONE;
    for (uint32_t i = 0; i < MGMT_CONN_MAX; i++)
        pending |= mgmt_conns[i].pcb && mgmt_conns[i].act_vm == (int32_t)index;
    if (pending) {
        snprintf(mgmt_why, sizeof(mgmt_why), "vm %s is already stopping or resetting", vm->name);
        return mgmt_why;
    }
    c->act_vm = (int32_t)index;
    c->act_how = a == MGMT_ACTION_STOP ? VM_SHUTDOWN_OFF : VM_SHUTDOWN_RESET;
    return NULL;
}

/* --- a VM's memory at run time (memslot, dirty-log, dirty) -------------------------- */
#define MEM_DIRTY_RANGES_MAX 48             /* ranges listed by `dirty`; more are counted */

static const char *mem_why(const struct vm *vm, uint32_t slot, int err)
{
    snprintf(mgmt_why, sizeof(mgmt_why), "vm %s slot %" PRIu32 ": %s", vm->name, slot, memslot_error_name(err));
    return mgmt_why;
}

static void emitf(mgmt_emit_fn emit, void *ectx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void emitf(mgmt_emit_fn emit, void *ectx, const char *fmt, ...)
{
    char buf[MGMT_LINE_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    emit(ectx, buf);
}

/* Where a new slot may go: guest RAM's side of the address space (on aarch64 everything below
 * RAM is I/O), inside the 48-bit IPA space, clear of the arch's fixed devices, the passed-through
 * devices and every emulated device (overlap with other slots is memslot_set's check). */
static const char *mem_add_refused(const struct vm *vm, uint64_t gpa, uint64_t size)
{
    if (gpa < arch_guest_ram_base() || gpa + size < gpa || gpa + size > (1ull << 48))
        return "outside the guest's RAM space";
    if (size > (1ull << 30))
        return "larger than 1 GiB";
    const char *why = arch_guest_region_refused(gpa, size);
    if (why)
        return why;
    for (uint32_t i = 0; i < vm->cfg->device_count; i++) {
        const struct config_device *d = &vm->cfg->devices[i];
        if (gpa < d->base + d->size_bytes && d->base < gpa + size)
            return "overlaps a passed-through device";
    }
    for (uint32_t i = 0; i < vm->mmio.region_count; i++) {
        const struct mmio_region *r = &vm->mmio.region[i];
        if (gpa < r->base + r->size_bytes && r->base < gpa + size)
            return "overlaps an emulated device";
    }
    return NULL;
}

static const char *mem_add(struct vm *vm, const struct mgmt_mem_req *req, const char *client)
{
    const char *why = mem_add_refused(vm, req->gpa, req->size_bytes);
    if (why) {
        snprintf(mgmt_why, sizeof(mgmt_why), "vm %s: 0x%" PRIx64 "+0x%" PRIx64 " %s", vm->name, req->gpa,
                 req->size_bytes, why);
        return mgmt_why;
    }
    /* Zeroed (hv_page_alloc): the guest never sees what the memory held before. 2 MiB
     * alignment lets stage 2 use blocks where the range allows. */
    uint64_t pages = req->size_bytes / PAGE_SIZE;
    uint64_t hpa = hv_page_alloc(pages, req->size_bytes >= (2u << 20) ? 2u << 20 : PAGE_SIZE);
    if (!hpa)
        return mem_why(vm, req->slot, MEMSLOT_ENOMEM);
    int rc = memslot_add_mapped(&vm->slots, &vm->stage2, req->slot, req->gpa, req->size_bytes, hpa,
                                MEMSLOT_RUNTIME);
    if (rc) {
        hv_page_free(hpa, pages);
        return mem_why(vm, req->slot, rc);
    }
    hv_printf("mgmt: memslot %" PRIu32 " of vm %s added at 0x%" PRIx64 "+0x%" PRIx64 " (from %s)\n", req->slot,
              vm->name, req->gpa, req->size_bytes, client);
    return NULL;
}

static const char *mem_delete(struct vm *vm, const struct mgmt_mem_req *req, const char *client)
{
    struct memslot old;
    int rc = memslot_delete_mapped(&vm->slots, &vm->stage2, req->slot, &old);
    if (rc)
        return mem_why(vm, req->slot, rc);
    /* Unmapped and invalidated on every CPU, and no accessor holds it (the slot lock): the
     * memory can go back. Memory the VM had from boot stays where it is. */
    if (old.flags & MEMSLOT_RUNTIME)
        hv_page_free(old.hpa, old.size_bytes / PAGE_SIZE);
    hv_printf("mgmt: memslot %" PRIu32 " of vm %s deleted (from %s)\n", req->slot, vm->name, client);
    return NULL;
}

static uint64_t bitmap_pages(uint64_t size_bytes)
{
    return (dirty_log_bitmap_words(size_bytes) * sizeof(uint64_t) + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* Starts or stops logging one slot; 0 or enum memslot_error. */
static int mem_log_one(struct vm *vm, uint32_t id, bool on)
{
    struct memslot s;
    if (!memslot_get(&vm->slots, id, &s))
        return MEMSLOT_ENOENT;
    if (on) {
        uint64_t bm = hv_page_alloc(bitmap_pages(s.size_bytes), PAGE_SIZE);
        if (!bm)
            return MEMSLOT_ENOMEM;
        int rc = dirty_log_start(&vm->slots, &vm->stage2, id, (uint64_t *)(uintptr_t)bm);
        if (rc)
            hv_page_free(bm, bitmap_pages(s.size_bytes));
        return rc;
    }
    uint64_t *bm;
    int rc = dirty_log_stop(&vm->slots, &vm->stage2, id, &bm);
    if (rc == 0)
        hv_page_free((uint64_t)(uintptr_t)bm, bitmap_pages(s.size_bytes));
    return rc;
}

static const char *mem_log(struct vm *vm, const struct mgmt_mem_req *req, const char *client,
                           mgmt_emit_fn emit, void *ectx)
{
    bool on = req->op == MGMT_MEM_LOG_ON;
    /* A device's DMA writes go through the VM's stage 2 (SMMU) without faulting into dirty
     * logging: they would be lost to it, or fail on a write-protected page. */
    if (on && (vm->cfg->device_count || vm->cfg->pci_count)) {
        snprintf(mgmt_why, sizeof(mgmt_why), "vm %s has passed-through devices: their DMA writes cannot be logged",
                 vm->name);
        return mgmt_why;
    }
    if (req->slot != MGMT_MEM_ALL_SLOTS) {
        int rc = mem_log_one(vm, req->slot, on);
        if (rc)
            return mem_why(vm, req->slot, rc);
        emitf(emit, ectx, "slot=%" PRIu32 " dirty_log=%s", req->slot, on ? "on" : "off");
    } else {
        /* Every writable slot; those already in the wanted state are left as they are. */
        uint32_t done = 0;
        for (uint32_t id = 0; id < VM_MAX_MEMSLOTS; id++) {
            struct memslot s;
            if (!memslot_get(&vm->slots, id, &s) || (s.flags & MEMSLOT_READONLY) ||
                !(s.flags & MEMSLOT_DIRTY_LOG) == !on)
                continue;
            int rc = mem_log_one(vm, id, on);
            if (rc)
                return mem_why(vm, id, rc);
            emitf(emit, ectx, "slot=%" PRIu32 " dirty_log=%s", id, on ? "on" : "off");
            done++;
        }
        if (!done) {
            snprintf(mgmt_why, sizeof(mgmt_why), "vm %s: no slot to turn dirty logging %s", vm->name,
                     on ? "on" : "off");
            return mgmt_why;
        }
    }
    hv_printf("mgmt: dirty logging %s for vm %s (from %s)\n", on ? "on" : "off", vm->name, client);
    return NULL;
}

static const char *mem_dirty(struct vm *vm, const struct mgmt_mem_req *req, mgmt_emit_fn emit, void *ectx)
{
    struct memslot s;
    if (!memslot_get(&vm->slots, req->slot, &s))
        return mem_why(vm, req->slot, MEMSLOT_ENOENT);
    if (!(s.flags & MEMSLOT_DIRTY_LOG)) {
        snprintf(mgmt_why, sizeof(mgmt_why), "vm %s slot %" PRIu32 ": dirty logging is off", vm->name, req->slot);
        return mgmt_why;
    }
    uint64_t pages = bitmap_pages(s.size_bytes);
    uint64_t buf = hv_page_alloc(pages, PAGE_SIZE);
    if (!buf)
        return mem_why(vm, req->slot, MEMSLOT_ENOMEM);
    uint64_t *bm = (uint64_t *)(uintptr_t)buf;
    size_t words = dirty_log_bitmap_words(s.size_bytes);
    int64_t n = dirty_log_get_clear(&vm->slots, &vm->stage2, req->slot, bm, words);
    if (n < 0) {
        hv_page_free(buf, pages);
        return mem_why(vm, req->slot, (int)n);
    }
    emitf(emit, ectx, "dirty_pages=%" PRId64, n);
    /* Runs of dirty pages as GPA+SIZE. */
    uint64_t run_start = 0, run_len = 0, listed = 0, more = 0;
    for (uint64_t pg = 0; pg <= words * 64; pg++) {
        bool dirty = pg < words * 64 && (bm[pg / 64] >> (pg % 64) & 1);
        if (dirty) {
            if (!run_len)
                run_start = pg;
            run_len++;
            continue;
        }
        if (run_len) {
            if (listed < MEM_DIRTY_RANGES_MAX) {
                emitf(emit, ectx, "0x%" PRIx64 "+0x%" PRIx64, s.gpa + run_start * PAGE_SIZE, run_len * PAGE_SIZE);
                listed++;
            } else {
                more++;
            }
            run_len = 0;
        }
    }
    if (more)
        emitf(emit, ectx, "more_ranges=%" PRIu64, more);
    hv_page_free(buf, pages);
    return NULL;
}

static const char *mem_list(struct vm *vm, mgmt_emit_fn emit, void *ectx)
{
    for (uint32_t id = 0; id < VM_MAX_MEMSLOTS; id++) {
        struct memslot s;
        if (!memslot_get(&vm->slots, id, &s))
            continue;
        emitf(emit, ectx, "slot=%" PRIu32 " gpa=0x%" PRIx64 " size=0x%" PRIx64 "%s%s%s%s", id, s.gpa, s.size_bytes,
              s.flags & MEMSLOT_RAM ? " ram" : "", s.flags & MEMSLOT_READONLY ? " readonly" : "",
              s.flags & MEMSLOT_RUNTIME ? " runtime" : "", s.flags & MEMSLOT_DIRTY_LOG ? " dirty-log" : "");
    }
    return NULL;
}

/* An arch without run-time stage-2 changes does not define it (include/arch_guest.h). */
__attribute__((weak)) bool arch_stage2_runtime(void)
{
    return false;
}

static const char *vms_memory(void *ctx, uint32_t index, const struct mgmt_mem_req *req, const char *client,
                              mgmt_emit_fn emit, void *ectx)
{
    (void)ctx;
    struct vm *vm = &vms[index];
    if (req->op != MGMT_MEM_LIST && !arch_stage2_runtime())
        return "not supported on this architecture yet (stage 2 cannot change while a VM runs)";
    if (req->op != MGMT_MEM_LIST && migrate_busy(vm)) {
        snprintf(mgmt_why, sizeof(mgmt_why), "vm %s is being migrated (its memory is being copied)", vm->name);
        return mgmt_why;
    }
    switch (req->op) {
    case MGMT_MEM_LIST: return mem_list(vm, emit, ectx);
    case MGMT_MEM_ADD: return mem_add(vm, req, client);
    case MGMT_MEM_DELETE: return mem_delete(vm, req, client);
    case MGMT_MEM_LOG_ON:
    case MGMT_MEM_LOG_OFF: return mem_log(vm, req, client, emit, ectx);
    case MGMT_MEM_DIRTY: return mem_dirty(vm, req, emit, ectx);
    }
    return "unknown memory operation";
}

/* Live migration (kernel/migrate.c, docs/migration.md). */
static const char *vms_migrate(void *ctx, uint32_t index, const struct mgmt_mig_req *req, const char *client,
                               mgmt_emit_fn emit, void *ectx)
{
    struct mgmt_conn *c = ctx;
    struct vm *vm = &vms[index];
    const char *why = NULL;
    switch (req->op) {
    case MGMT_MIG_INCOMING:
        why = migrate_in_expect(vm);
        break;
    case MGMT_MIG_SEND:
        why = migrate_out_start(vm, req->ip, req->port);
        if (!why)
            hv_printf("mgmt: migrate vm %s (from %s)\n", vm->name, client);
        break;
    case MGMT_MIG_STATUS:
        migrate_status(vm, emit, ectx);
        break;
    case MGMT_MIG_RECEIVE:
        why = migrate_in_begin(vm);
        if (!why)
            c->stream = true;                   /* after this answer, the stream */
        break;
    }
    return why;
}

static void conn_act(struct mgmt_conn *c)
{
    struct vm *vm = &vms[c->act_vm];
    c->act_vm = -1;
    hv_printf("mgmt: %s vm %s (from %s)\n", c->act_how == VM_SHUTDOWN_OFF ? "stop" : "reset", vm->name,
              c->client);
    vm_request_shutdown(vm, c->act_how);
}

/* --- connections ---------------------------------------------------------------- */
/* The connection is over (closed, reset or failed): an action it was owed still happens. */
static void conn_release(struct mgmt_conn *c)
{
    if (c->stream && !c->stream_ended)
        migrate_in_abort();                 /* a half-received VM is never started */
    c->stream = false;
    if (c->act_vm >= 0)
        conn_act(c);
    if (c->rx)
        pbuf_free(c->rx);
    c->rx = NULL;
    c->pcb = NULL;
}

/* Closes the connection (RST if lwIP has no memory for the FIN). ERR_ABRT when the pcb is
 * gone and the lwIP callback we are in must say so. */
static err_t conn_close(struct mgmt_conn *c)
{
    struct tcp_pcb *pcb = c->pcb;
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
    if (c->rx)                                  /* unread data would make tcp_close send RST */
        tcp_recved(pcb, c->rx->tot_len);
    conn_release(c);
    if (tcp_close(pcb) != ERR_OK) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    return ERR_OK;
}

/* Hands the pending answer to lwIP as far as its send buffer allows; true when all is. */
static bool conn_flush(struct mgmt_conn *c)
{
    while (c->out_off < c->out_len) {
        size_t n = c->out_len - c->out_off;
        u16_t room = tcp_sndbuf(c->pcb);
        if (n > room)
            n = room;
        if (n == 0 || tcp_write(c->pcb, c->out + c->out_off, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
            return false;                       /* retried from the sent and poll callbacks */
        c->out_off += n;
    }
    c->out_off = c->out_len = 0;
    return true;
}

/* Answers the received lines while the answers can be sent; carries out a stop/reset once
 * its "ok" is acknowledged, before reading on; closes when the client is done. */
static err_t conn_pump(struct mgmt_conn *c)
{
    const struct mgmt_vms view = { c, vms_count, vms_info, vms_action, vms_memory, vms_migrate };
    u32_t taken = 0;
    bool flushed;
    while ((flushed = conn_flush(c))) {
        if (c->act_vm >= 0) {
            if (tcp_sndqueuelen(c->pcb) != 0)
                break;                          /* on_sent comes back when it is acked */
            conn_act(c);
        }
        if (c->quit || !c->rx || (taken >= 0x8000 && !c->stream))   /* a stream is read whole */
            break;
        struct pbuf *q = c->rx;
        if (q->len == 0) {                      /* an empty link: step over it */
            c->rx = q->next;
            if (c->rx)
                pbuf_ref(c->rx);
            pbuf_free(q);
            continue;
        }
        const uint8_t *d = q->payload;
        if (c->stream && !c->stream_ended) {
            /* A migration stream: all of this pbuf goes to the receiver; its verdict is the
             * one line answered, then the connection closes. */
            const char *why = NULL;
            int r = migrate_in_feed(d, q->len, &why);
            taken += q->len;
            c->rx = pbuf_free_header(q, q->len);
            if (r != 0) {
                c->stream_ended = true;
                c->quit = true;
                int n = r > 0 ? snprintf(c->out, sizeof(c->out), "ok\n")
                              : snprintf(c->out, sizeof(c->out), "error: %.200s\n", why);
                c->out_len = n > 0 ? (size_t)n : 0;
                c->out_off = 0;
            }
            continue;
        }
        if (c->stream_ended)
            break;
        u16_t i = 0;
        enum mgmt_line_event ev = MGMT_LINE_MORE;
        while (i < q->len && ev == MGMT_LINE_MORE)
            ev = mgmt_line_feed(&c->line, d[i++]);
        taken += i;
        c->rx = pbuf_free_header(q, i);
        struct mgmt_out out = { c->out, sizeof(c->out), 0 };
        if (ev != MGMT_LINE_MORE && !c->authed) {
            /* Nothing but the answer to the challenge until it is given; anything else ends
             * the connection (docs/management.md "Authentication"). */
            enum mgmt_result res = ev == MGMT_LINE_READY
                                       ? mgmt_auth_line(&mgmt_auth_key, c->challenge, c->line.buf, c->line.len, &out)
                                       : MGMT_QUIT;
            if (ev == MGMT_LINE_TOO_LONG)
                mgmt_auth_line(&mgmt_auth_key, c->challenge, "?", 1, &out);
            c->authed = res == MGMT_OK;
            if (res == MGMT_QUIT) {
                c->quit = true;
                hv_printf("mgmt: authentication refused (from %s)\n", c->client);
            }
        } else if (ev == MGMT_LINE_READY) {
            c->quit = mgmt_cmd_run(&view, c->line.buf, c->line.len, c->client, &out) == MGMT_QUIT;
        } else if (ev == MGMT_LINE_TOO_LONG) {
            mgmt_cmd_too_long(&out);
        }
        c->out_len = out.len;
        c->out_off = 0;
    }
    if (taken)
        tcp_recved(c->pcb, (u16_t)taken);
    if (flushed && c->act_vm < 0 && (c->quit || (c->peer_closed && !c->rx)))
        return conn_close(c);
    tcp_output(c->pcb);
    return ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct mgmt_conn *c = arg;
    (void)pcb;
    if (!c) {                                   /* closed by us meanwhile */
        if (p)
            pbuf_free(p);
        return ERR_OK;
    }
    if (!p) {
        c->peer_closed = true;
    } else if (err != ERR_OK) {
        pbuf_free(p);
        return ERR_OK;
    } else if (c->rx) {
        return ERR_MEM;                         /* still busy with the last one: lwIP keeps it */
    } else {
        c->rx = p;
    }
    c->idle_polls = 0;
    return conn_pump(c);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)pcb;
    (void)len;
    return arg ? conn_pump(arg) : ERR_OK;
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
    struct mgmt_conn *c = arg;
    if (!c)
        return ERR_OK;
    (void)pcb;
    if (++c->idle_polls >= MGMT_IDLE_POLLS)
        return conn_close(c);
    return conn_pump(c);
}

/* The pcb is already freed by lwIP (RST, retransmission timeout, out of memory). */
static void on_err(void *arg, err_t err)
{
    (void)err;
    if (arg)
        conn_release(arg);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    struct mgmt_conn *c = NULL;
    for (uint32_t i = 0; i < MGMT_CONN_MAX && !c; i++)
        if (!mgmt_conns[i].pcb)
            c = &mgmt_conns[i];
    if (!c) {
        static const char busy[] = "error: too many connections\n";
        tcp_write(pcb, busy, sizeof(busy) - 1, 0);
        if (tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb);
            return ERR_ABRT;
        }
        return ERR_OK;
    }
    memset(c, 0, sizeof(*c));
    c->pcb = pcb;
    c->act_vm = -1;
    mgmt_line_reset(&c->line);
    net_format_ip(lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip))), c->client, sizeof(c->client));
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_poll(pcb, on_poll, 2);
    tcp_nagle_disable(pcb);
    /* The greeting carries this connection's challenge; nothing is read before it is answered. */
    mgmt_entropy_fresh(&mgmt_auth_key);
    mgmt_auth_challenge(&mgmt_auth_key, arch_time_ns(), c->challenge);
    int n = snprintf(c->out, sizeof(c->out), "hv-mgmt 1 challenge %s\n", c->challenge);
    c->out_len = n > 0 ? (size_t)n : 0;
    c->out_off = 0;
    conn_flush(c);
    tcp_output(pcb);
    return ERR_OK;
}

/* --- the service ------------------------------------------------------------------ */
static bool mgmt_listen(uint16_t port)
{
    struct tcp_pcb *pcb = tcp_new();
    if (!pcb)
        return false;
    if (tcp_bind(pcb, IP_ADDR_ANY, port) != ERR_OK) {
        tcp_abort(pcb);
        return false;
    }
    struct tcp_pcb *listener = tcp_listen(pcb);  /* frees pcb when it succeeds */
    if (!listener) {
        tcp_abort(pcb);
        return false;
    }
    tcp_accept(listener, on_accept);
    return true;
}

void mgmt_init(const struct hv_config *cfg, const uint8_t *boot_rng, size_t boot_rng_len)
{
    if (!cfg->mgmt.enabled)
        return;
    /* Every connection authenticates (docs/management.md): without a key, no interface. */
    if (!mgmt_auth_init(&mgmt_auth_key, cfg->mgmt_key, cfg->mgmt_key_len)) {
        hv_printf("mgmt: no mgmt_key in hv.cfg, management interface off (every client must authenticate)\n");
        return;
    }
    /* Randomness so that challenges differ across reboots (a recorded response is no use). */
    mgmt_entropy_seed(&mgmt_auth_key, boot_rng, boot_rng_len);
    struct net_dev *dev = arch_mgmt_nic();
    if (!dev) {
        hv_printf("mgmt: no NIC, management interface off\n");
        return;
    }
    /* Other CPUs may poll already: hold the flag while lwIP is set up. */
    while (__atomic_exchange_n(&mgmt_busy, 1, __ATOMIC_ACQUIRE))
        arch_cpu_relax();
    bool ok = net_init(dev, &cfg->mgmt);
    if (ok && !mgmt_listen(cfg->mgmt.port)) {
        hv_printf("mgmt: cannot listen on tcp port %u\n", (unsigned)cfg->mgmt.port);
        ok = false;
    }
    if (ok) {
        migrate_init(&mgmt_auth_key);
        hv_printf("mgmt: listening on tcp port %u\n", (unsigned)cfg->mgmt.port);
        __atomic_store_n(&mgmt_up, 1, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&mgmt_busy, 0, __ATOMIC_RELEASE);
}

bool mgmt_active(void)
{
    return __atomic_load_n(&mgmt_up, __ATOMIC_ACQUIRE) != 0;
}

void mgmt_poll(void)
{
    if (!__atomic_load_n(&mgmt_up, __ATOMIC_ACQUIRE))
        return;
    /* Cheap checks first: every exit on every CPU comes here. */
    uint64_t now = arch_time_ns();
    if (now < __atomic_load_n(&mgmt_next_poll_ns, __ATOMIC_RELAXED) ||
        __atomic_load_n(&mgmt_busy, __ATOMIC_RELAXED) || __atomic_exchange_n(&mgmt_busy, 1, __ATOMIC_ACQUIRE))
        return;
    if (now >= mgmt_next_poll_ns) {
        __atomic_store_n(&mgmt_next_poll_ns, now + MGMT_POLL_INTERVAL_NS, __ATOMIC_RELAXED);
        net_poll();
        migrate_poll();
    }
    __atomic_store_n(&mgmt_busy, 0, __ATOMIC_RELEASE);
}
