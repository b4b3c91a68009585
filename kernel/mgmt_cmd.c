/* mgmt_cmd.c: the management protocol's pure part: received bytes to lines, and one
 * command line to its answer over an abstract view of the VMs (docs/management.md). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "mgmt_cmd.h"

#define OUT_RESERVE 96              /* kept free for the final "error: ..." line */
#define ARGS_MAX 7                  /* one more than any command takes, to detect extras */

/* --- lines --------------------------------------------------------------- */
void mgmt_line_reset(struct mgmt_line *l)
{
    l->len = 0;
    l->overflow = false;
    l->ended = false;
    l->buf[0] = '\0';
}

enum mgmt_line_event mgmt_line_feed(struct mgmt_line *l, uint8_t byte)
{
    if (l->ended)
        mgmt_line_reset(l);
    if (byte == '\n') {
        bool too_long = l->overflow;
        if (!too_long && l->len > 0 && l->buf[l->len - 1] == '\r')
            l->len--;
        too_long |= l->len > MGMT_LINE_MAX;
        l->buf[too_long ? 0 : l->len] = '\0';
        if (too_long)
            l->len = 0;
        l->ended = true;
        return too_long ? MGMT_LINE_TOO_LONG : MGMT_LINE_READY;
    }
    /* One byte beyond the limit is kept: it may be the '\r' of "\r\n". */
    if (l->overflow || l->len > MGMT_LINE_MAX)
        l->overflow = true;
    else
        l->buf[l->len++] = (char)byte;
    return MGMT_LINE_MORE;
}

/* --- output -------------------------------------------------------------- */
/* Numbers go through PRIu32/PRIu64 only: the hypervisor's newlib has no "%ll" support. */
struct reply {
    struct mgmt_out *out;
    bool full;                      /* a line did not fit: the answer ends in an error */
};

static void vappend(struct mgmt_out *o, size_t limit, bool *full, const char *fmt, va_list ap)
{
    if (*full || o->len >= limit) {
        *full = true;
        return;
    }
    int n = vsnprintf(o->buf + o->len, limit - o->len, fmt, ap);
    if (n < 0 || (size_t)n >= limit - o->len) {
        o->buf[o->len] = '\0';      /* never half a line */
        *full = true;
        return;
    }
    o->len += (size_t)n;
}

static void vappend_one(struct mgmt_out *o, bool *full, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappend(o, o->cap, full, fmt, ap);
    va_end(ap);
}

/* One line of the answer's body; dropped (and the answer marked) when out has no room. */
__attribute__((format(printf, 2, 3))) static void line(struct reply *r, const char *fmt, ...)
{
    size_t limit = r->out->cap > OUT_RESERVE ? r->out->cap - OUT_RESERVE : 0;
    va_list ap;
    va_start(ap, fmt);
    vappend(r->out, limit, &r->full, fmt, ap);
    va_end(ap);
}

static const char too_long_line[] = "error: response too long\n";

/* The final line, in the reserved room. If even that is too small (out->cap is far below
 * MGMT_OUT_MAX), the body is dropped and the answer is only "error: response too long". */
static enum mgmt_result finish(struct reply *r, enum mgmt_result res, const char *fmt, const char *arg)
{
    bool full = false;
    vappend_one(r->out, &full, fmt, arg);
    if (!full)
        return res;
    r->out->len = 0;
    full = false;
    vappend_one(r->out, &full, "%s", too_long_line);
    return MGMT_ERROR;
}

static enum mgmt_result answer_ok(struct reply *r)
{
    if (r->full)
        return finish(r, MGMT_ERROR, "%s", too_long_line);
    return finish(r, MGMT_OK, "%s", "ok\n");
}

static enum mgmt_result answer_error(struct reply *r, const char *reason)
{
    return finish(r, MGMT_ERROR, "error: %s\n", reason);
}

/* A word of the client's line. */
struct word {
    const char *s;
    size_t len;
};

/* A word, safe to echo: printable ASCII only, bounded. */

#define ECHO_MAX 40
static const char *echo(struct word w, char buf[ECHO_MAX + 4])
{
    size_t n = w.len < ECHO_MAX ? w.len : ECHO_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w.s[i];
        buf[i] = c > 0x20 && c < 0x7f && c != '\'' ? (char)c : '?';
    }
    if (w.len > n)
        memcpy(buf + n, "...", 3), n += 3;
    buf[n] = '\0';
    return buf;
}

/* --- commands ------------------------------------------------------------- */
struct call {
    const struct mgmt_vms *vms;
    uint32_t vm;                    /* index of the named VM, for commands with NAME */
    const char *client;
    struct mgmt_vm_info info;
    const struct word *words;       /* the line's words (command first) */
    size_t word_count;
};

typedef enum mgmt_result (*cmd_fn)(struct call *c, struct reply *r);

static enum mgmt_result cmd_help(struct call *c, struct reply *r);

static enum mgmt_result cmd_list(struct call *c, struct reply *r)
{
    uint32_t n = c->vms->count(c->vms->ctx);
    for (uint32_t i = 0; i < n; i++) {
        c->vms->info(c->vms->ctx, i, &c->info);
        line(r, "%s state=%s vcpus=%" PRIu32 " exits=%" PRIu64 "\n", c->info.name, c->info.state,
             c->info.vcpu_count, c->info.exits_total);
    }
    return answer_ok(r);
}

static enum mgmt_result cmd_stats(struct call *c, struct reply *r)
{
    uint32_t n = c->info.stat_count < MGMT_STATS_MAX ? c->info.stat_count : MGMT_STATS_MAX;
    for (uint32_t i = 0; i < n; i++)
        line(r, "%s=%" PRIu64 "\n", c->info.stats[i].name, c->info.stats[i].value);
    return answer_ok(r);
}

static enum mgmt_result act(struct call *c, struct reply *r, enum mgmt_action a)
{
    const char *why = c->vms->action(c->vms->ctx, c->vm, a, c->client);
    return why ? answer_error(r, why) : answer_ok(r);
}

static enum mgmt_result cmd_stop(struct call *c, struct reply *r) { return act(c, r, MGMT_ACTION_STOP); }
static enum mgmt_result cmd_reset(struct call *c, struct reply *r) { return act(c, r, MGMT_ACTION_RESET); }
static enum mgmt_result cmd_start(struct call *c, struct reply *r) { return act(c, r, MGMT_ACTION_START); }
static enum mgmt_result cmd_pause(struct call *c, struct reply *r) { return act(c, r, MGMT_ACTION_PAUSE); }
static enum mgmt_result cmd_resume(struct call *c, struct reply *r) { return act(c, r, MGMT_ACTION_RESUME); }

static enum mgmt_result cmd_quit(struct call *c, struct reply *r)
{
    (void)c;
    answer_ok(r);
    return MGMT_QUIT;
}

static enum mgmt_result cmd_memslot(struct call *c, struct reply *r);
static enum mgmt_result cmd_dirty_log(struct call *c, struct reply *r);
static enum mgmt_result cmd_dirty(struct call *c, struct reply *r);
static enum mgmt_result cmd_incoming(struct call *c, struct reply *r);
static enum mgmt_result cmd_migrate(struct call *c, struct reply *r);
static enum mgmt_result cmd_migrate_status(struct call *c, struct reply *r);
static enum mgmt_result cmd_migrate_receive(struct call *c, struct reply *r);

/* One row per command: its words, whether it names a VM, how many words it takes, its usage
 * and its line in `help`. */
static const struct command {
    const char *name;
    bool takes_vm;
    uint8_t words_min, words_max;   /* the command word included */
    cmd_fn run;
    const char *usage;
    const char *help;
} commands[] = {
    { "help", false, 1, 1, cmd_help, "help", "this list" },
    { "list", false, 1, 1, cmd_list, "list", "one line per VM: NAME state=S vcpus=N exits=N" },
    { "stats", true, 2, 2, cmd_stats, "stats NAME", "the VM's exit counters and interrupt statistics, NAME=VALUE" },
    { "stop", true, 2, 2, cmd_stop, "stop NAME", "power the VM off, as its PSCI SYSTEM_OFF would" },
    { "reset", true, 2, 2, cmd_reset, "reset NAME", "restart the VM from its images, as its SYSTEM_RESET would" },
    { "start", true, 2, 2, cmd_start, "start NAME", "boot a stopped VM again from its images" },
    { "pause", true, 2, 2, cmd_pause, "pause NAME", "stop running the VM's vCPUs where they are (list: pausing, paused)" },
    { "resume", true, 2, 2, cmd_resume, "resume NAME", "let a paused VM run on from where it was" },
    { "memslot", true, 3, 6, cmd_memslot, "memslot NAME list | add ID GPA SIZE | delete ID",
      "the VM's memory regions; add or delete one while it runs" },
    { "dirty-log", true, 3, 4, cmd_dirty_log, "dirty-log NAME on|off [ID]",
      "track writes to the VM's RAM slots (or slot ID) page by page" },
    { "dirty", true, 3, 3, cmd_dirty, "dirty NAME ID", "read and clear slot ID's dirty pages: count and ranges" },
    { "incoming", true, 2, 2, cmd_incoming, "incoming NAME",
      "a stopped VM waits for a live migration from another hypervisor" },
    { "migrate", true, 3, 3, cmd_migrate, "migrate NAME A.B.C.D:PORT",
      "live-migrate the VM to the hypervisor whose management port that is" },
    { "migrate-status", true, 2, 2, cmd_migrate_status, "migrate-status NAME",
      "the VM's migration: state, rounds, pages sent, downtime" },
    { "migrate-receive", true, 2, 2, cmd_migrate_receive, "migrate-receive NAME",
      "(between hypervisors) the migration stream of VM NAME follows" },
    { "quit", false, 1, 1, cmd_quit, "quit", "close this connection" },
};
#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static bool word_is(struct word w, const char *s)
{
    return w.len == strlen(s) && memcmp(w.s, s, w.len) == 0;
}

/* A number: decimal, or hex with 0x; sizes may end in K, M or G (binary units). */
static bool word_number(struct word w, bool size_suffix, uint64_t *out)
{
    size_t i = 0, len = w.len;
    uint64_t base = 10, v = 0, mul = 1;
    if (size_suffix && len > 1) {
        char u = w.s[len - 1];
        mul = u == 'K' || u == 'k' ? 1ull << 10 : u == 'M' || u == 'm' ? 1ull << 20 : u == 'G' || u == 'g' ? 1ull << 30 : 1;
        if (mul != 1)
            len--;
    }
    if (len > 2 && w.s[0] == '0' && (w.s[1] == 'x' || w.s[1] == 'X'))
        base = 16, i = 2;
    if (i == len)
        return false;
    for (; i < len; i++) {
        char ch = w.s[i];
        uint64_t d = ch >= '0' && ch <= '9' ? (uint64_t)(ch - '0')
                   : ch >= 'a' && ch <= 'f' ? (uint64_t)(ch - 'a' + 10)
                   : ch >= 'A' && ch <= 'F' ? (uint64_t)(ch - 'A' + 10) : 99;
        if (d >= base || v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    if (v > UINT64_MAX / mul)
        return false;
    *out = v * mul;
    return true;
}

static bool word_slot(struct word w, uint32_t *slot)
{
    uint64_t v;
    if (!word_number(w, false, &v) || v > 0xffff)
        return false;
    *slot = (uint32_t)v;
    return true;
}

/* Lines the VM view hands back: printable only, into the reply. */
static void emit_line(void *ctx, const char *text)
{
    char buf[MGMT_LINE_MAX + 1];
    size_t n = 0;
    for (; text[n] && n < MGMT_LINE_MAX; n++)
        buf[n] = text[n] >= 0x20 && text[n] < 0x7f ? text[n] : '?';
    buf[n] = '\0';
    line(ctx, "%s\n", buf);
}

static enum mgmt_result mem(struct call *c, struct reply *r, const struct mgmt_mem_req *req)
{
    if (!c->vms->memory)
        return answer_error(r, "not supported");
    const char *why = c->vms->memory(c->vms->ctx, c->vm, req, c->client, emit_line, r);
    return why ? answer_error(r, why) : answer_ok(r);
}

static enum mgmt_result cmd_memslot(struct call *c, struct reply *r)
{
    const struct word *w = c->words;
    struct mgmt_mem_req req = { 0 };
    if (word_is(w[2], "list") && c->word_count == 3) {
        req.op = MGMT_MEM_LIST;
    } else if (word_is(w[2], "add") && c->word_count == 6) {
        req.op = MGMT_MEM_ADD;
        if (!word_slot(w[3], &req.slot) || !word_number(w[4], false, &req.gpa) ||
            !word_number(w[5], true, &req.size_bytes))
            return answer_error(r, "usage: memslot NAME add ID GPA SIZE (numbers: decimal or 0x hex, SIZE may end in K, M, G)");
        if ((req.gpa | req.size_bytes) & 0xfff || req.size_bytes == 0)
            return answer_error(r, "GPA and SIZE must be multiples of 4 KiB, SIZE not 0");
    } else if (word_is(w[2], "delete") && c->word_count == 4) {
        req.op = MGMT_MEM_DELETE;
        if (!word_slot(w[3], &req.slot))
            return answer_error(r, "usage: memslot NAME delete ID");
    } else {
        return answer_error(r, "usage: memslot NAME list | add ID GPA SIZE | delete ID");
    }
    return mem(c, r, &req);
}

static enum mgmt_result cmd_dirty_log(struct call *c, struct reply *r)
{
    const struct word *w = c->words;
    struct mgmt_mem_req req = { .slot = MGMT_MEM_ALL_SLOTS };
    if (word_is(w[2], "on"))
        req.op = MGMT_MEM_LOG_ON;
    else if (word_is(w[2], "off"))
        req.op = MGMT_MEM_LOG_OFF;
    else
        return answer_error(r, "usage: dirty-log NAME on|off [ID]");
    if (c->word_count == 4 && !word_slot(w[3], &req.slot))
        return answer_error(r, "usage: dirty-log NAME on|off [ID]");
    return mem(c, r, &req);
}

static enum mgmt_result cmd_dirty(struct call *c, struct reply *r)
{
    struct mgmt_mem_req req = { .op = MGMT_MEM_DIRTY };
    if (!word_slot(c->words[2], &req.slot))
        return answer_error(r, "usage: dirty NAME ID");
    return mem(c, r, &req);
}

static enum mgmt_result mig(struct call *c, struct reply *r, const struct mgmt_mig_req *req)
{
    if (!c->vms->migrate)
        return answer_error(r, "not supported");
    const char *why = c->vms->migrate(c->vms->ctx, c->vm, req, c->client, emit_line, r);
    return why ? answer_error(r, why) : answer_ok(r);
}

static enum mgmt_result cmd_incoming(struct call *c, struct reply *r)
{
    return mig(c, r, &(struct mgmt_mig_req){ .op = MGMT_MIG_INCOMING });
}

static enum mgmt_result cmd_migrate_status(struct call *c, struct reply *r)
{
    return mig(c, r, &(struct mgmt_mig_req){ .op = MGMT_MIG_STATUS });
}

static enum mgmt_result cmd_migrate_receive(struct call *c, struct reply *r)
{
    return mig(c, r, &(struct mgmt_mig_req){ .op = MGMT_MIG_RECEIVE });
}

/* A.B.C.D:PORT, each part decimal. */
static bool word_ip_port(struct word w, uint32_t *ip, uint16_t *port)
{
    uint64_t part[5];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= w.len && n < 5; i++) {
        bool end = i == w.len || w.s[i] == '.' || w.s[i] == ':';
        if (!end)
            continue;
        char sep = i == w.len ? 0 : w.s[i];
        if ((n < 3 && sep != '.') || (n == 3 && sep != ':') || (n == 4 && sep != 0))
            return false;
        struct word p = { w.s + start, i - start };
        if (p.len == 0 || (p.len > 1 && p.s[0] == '0') || !word_number(p, false, &part[n]))
            return false;
        n++;
        start = i + 1;
    }
    if (n != 5 || part[0] > 255 || part[1] > 255 || part[2] > 255 || part[3] > 255 || part[4] == 0 ||
        part[4] > 65535)
        return false;
    *ip = (uint32_t)(part[0] << 24 | part[1] << 16 | part[2] << 8 | part[3]);
    *port = (uint16_t)part[4];
    return true;
}

static enum mgmt_result cmd_migrate(struct call *c, struct reply *r)
{
    struct mgmt_mig_req req = { .op = MGMT_MIG_SEND };
    if (!word_ip_port(c->words[2], &req.ip, &req.port))
        return answer_error(r, "usage: migrate NAME A.B.C.D:PORT");
    return mig(c, r, &req);
}

static enum mgmt_result cmd_help(struct call *c, struct reply *r)
{
    (void)c;
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        line(r, "%-12s %s\n", commands[i].usage, commands[i].help);
    return answer_ok(r);
}

static size_t split(const char *line, size_t len, struct word *words)
{
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && line[i] != ' ' && line[i] != '\t')
            i++;
        if (n < ARGS_MAX)
            words[n] = (struct word){ line + start, i - start };
        n++;
    }
    return n;
}

enum mgmt_result mgmt_cmd_run(const struct mgmt_vms *vms, const char *text, size_t len,
                              const char *client, struct mgmt_out *out)
{
    struct reply r = { out, false };
    struct call c = { .vms = vms, .client = client };
    struct word w[ARGS_MAX];
    char e[ECHO_MAX + 4], why[96];

    out->len = 0;
    if (out->cap)
        out->buf[0] = '\0';
    size_t n = split(text, len, w);
    if (n == 0)
        return MGMT_NONE;
    const struct command *cmd = NULL;
    for (size_t i = 0; i < COMMAND_COUNT && !cmd; i++)
        if (word_is(w[0], commands[i].name))
            cmd = &commands[i];
    if (!cmd) {
        snprintf(why, sizeof(why), "unknown command '%s' (try help)", echo(w[0], e));
        return answer_error(&r, why);
    }
    if (n < cmd->words_min || n > cmd->words_max) {
        snprintf(why, sizeof(why), "usage: %s", cmd->usage);
        return answer_error(&r, why);
    }
    c.words = w;
    c.word_count = n;
    if (cmd->takes_vm) {
        uint32_t count = vms->count(vms->ctx);
        for (c.vm = 0; c.vm < count; c.vm++) {
            vms->info(vms->ctx, c.vm, &c.info);
            if (c.info.name && word_is(w[1], c.info.name))
                break;
        }
        if (c.vm == count) {
            snprintf(why, sizeof(why), "no vm named '%s'", echo(w[1], e));
            return answer_error(&r, why);
        }
    }
    return cmd->run(&c, &r);
}

void mgmt_cmd_too_long(struct mgmt_out *out)
{
    struct reply r = { out, false };
    out->len = 0;
    if (out->cap)
        out->buf[0] = '\0';
    answer_error(&r, "line too long");
}
