/* mgmt.c: the management interface: a TCP line protocol (docs/management.md) over lwIP's raw
 * API on the host NIC, polled from the vCPU loops; commands are answered by kernel/mgmt_cmd.c. */
#include <stdio.h>
#include <string.h>
#include "arch.h"
#include "config.h"
#include "arch_guest.h"
#include "kernel.h"
#include "mgmt.h"
#include "mgmt_cmd.h"
#include "net.h"
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
};

/* The lock of everything below and of lwIP itself: set by the one CPU inside mgmt_poll. */
static uint32_t mgmt_busy;
static uint32_t mgmt_up;                    /* atomic: set once mgmt_init has finished */
static uint64_t mgmt_next_poll_ns;          /* written under mgmt_busy, read before it */
static struct mgmt_conn mgmt_conns[MGMT_CONN_MAX];
static char mgmt_why[96];                   /* an action's error text, until the next one */

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
_Static_assert(EXIT_REASON_COUNT + 3 <= MGMT_STATS_MAX, "the stats fit one answer");

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
    return "running";
}

static void vms_info(void *ctx, uint32_t index, struct mgmt_vm_info *out)
{
    (void)ctx;
    const struct vm *vm = &vms[index];
    out->name = vm->name;
    out->state = vm_state_name(vm);
    out->vcpu_count = vm->vcpu_count;
    out->exits_total = load64(&vm->exit_total);
    uint32_t n = 0;
    out->stats[n++] = (struct mgmt_stat){ "exits_total", out->exits_total };
    for (uint32_t r = 0; r < EXIT_REASON_COUNT; r++)
        out->stats[n++] = (struct mgmt_stat){ exit_stat_names[r], load64(&vm->exit_count[r]) };
    out->stats[n++] = (struct mgmt_stat){ "lpi_injected", load64(&vm->lpi_injected) };
    out->stats[n++] = (struct mgmt_stat){ "lpi_direct", load64(&vm->lpi_direct) };
    out->stats[n++] = (struct mgmt_stat){ "fpu_lazy_saves", load64(&vm->fpu_lazy_saves) };
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
    if (a == MGMT_ACTION_START) {
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
    const struct mgmt_vms view = { c, vms_count, vms_info, vms_action };
    u32_t taken = 0;
    bool flushed;
    while ((flushed = conn_flush(c))) {
        if (c->act_vm >= 0) {
            if (tcp_sndqueuelen(c->pcb) != 0)
                break;                          /* on_sent comes back when it is acked */
            conn_act(c);
        }
        if (c->quit || !c->rx || taken >= 0x8000)
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
        u16_t i = 0;
        enum mgmt_line_event ev = MGMT_LINE_MORE;
        while (i < q->len && ev == MGMT_LINE_MORE)
            ev = mgmt_line_feed(&c->line, d[i++]);
        taken += i;
        c->rx = pbuf_free_header(q, i);
        struct mgmt_out out = { c->out, sizeof(c->out), 0 };
        if (ev == MGMT_LINE_READY)
            c->quit = mgmt_cmd_run(&view, c->line.buf, c->line.len, c->client, &out) == MGMT_QUIT;
        else if (ev == MGMT_LINE_TOO_LONG)
            mgmt_cmd_too_long(&out);
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

void mgmt_init(const struct hv_config *cfg)
{
    if (!cfg->mgmt.enabled)
        return;
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
    }
    __atomic_store_n(&mgmt_busy, 0, __ATOMIC_RELEASE);
}
