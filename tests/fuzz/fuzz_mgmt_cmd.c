/* libFuzzer target for the management protocol (kernel/mgmt_cmd.c): a client's byte stream
 * split into lines and answered; every answer is well formed, bounded and printable, and the
 * line splitter agrees with a simple model of it. */
#define _GNU_SOURCE  /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "mgmt_cmd.h"

static const char *const names[] = { "linux", "a", "vm-2", "idle_1" };
#define NAME_COUNT (sizeof(names) / sizeof(names[0]))

static uint32_t vm_count;
static int32_t acted = -1;         /* index the last action named, -1 none */
static enum mgmt_action acted_how;

static uint32_t f_count(void *ctx)
{
    (void)ctx;
    return vm_count;
}

static void f_info(void *ctx, uint32_t i, struct mgmt_vm_info *out)
{
    (void)ctx;
    CHECK(i < vm_count);
    out->name = names[i % NAME_COUNT];
    out->state = i & 1 ? "stopped" : "running";
    out->vcpu_count = i + 1;
    out->exits_total = (uint64_t)i * 0x123456789ull;
    out->stat_count = (i * 7) % (MGMT_STATS_MAX + 1);
    for (uint32_t s = 0; s < out->stat_count; s++)
        out->stats[s] = (struct mgmt_stat){ "exits_something_long_name", UINT64_MAX - s };
}

static const char *f_action(void *ctx, uint32_t i, enum mgmt_action a, const char *client)
{
    (void)ctx;
    CHECK(i < vm_count);
    CHECK(strcmp(client, "192.168.1.1") == 0);
    CHECK(acted < 0);              /* at most one action per line */
    acted = (int32_t)i;
    acted_how = a;
    return a == MGMT_ACTION_START ? "start is not supported yet" : NULL;
}

/* The memory commands reach this only with arguments parsed and checked. */
static const char *f_memory(void *ctx, uint32_t i, const struct mgmt_mem_req *req, const char *client,
                            mgmt_emit_fn emit, void *ectx)
{
    (void)ctx;
    CHECK(i < vm_count);
    CHECK(strcmp(client, "192.168.1.1") == 0);
    CHECK(req->op <= MGMT_MEM_DIRTY);
    CHECK(req->slot <= 0xffff || (req->slot == MGMT_MEM_ALL_SLOTS &&
                                  (req->op == MGMT_MEM_LOG_ON || req->op == MGMT_MEM_LOG_OFF)));
    if (req->op == MGMT_MEM_ADD)
        CHECK(req->size_bytes && !((req->gpa | req->size_bytes) & 0xfff));
    emit(ectx, "slot=1 \x7f\x80 bytes");
    return req->slot & 1 ? "odd slot" : NULL;
}

static const struct mgmt_vms vms = { NULL, f_count, f_info, f_action, f_memory };

static void check_answer(const struct mgmt_out *o, enum mgmt_result r)
{
    CHECK(o->len < o->cap);
    CHECK(o->buf[o->len] == '\0');
    CHECK(strlen(o->buf) == o->len);
    if (r == MGMT_NONE) {
        CHECK(o->len == 0);
        return;
    }
    CHECK(o->len >= 3 && o->buf[o->len - 1] == '\n');
    size_t start = 0;
    for (size_t i = 0; i < o->len; i++) {
        unsigned char c = (unsigned char)o->buf[i];
        CHECK(c == '\n' || (c >= 0x20 && c < 0x7f));
        if (c == '\n') {
            CHECK(i - start <= 200);        /* every line is short */
            if (i + 1 < o->len)
                start = i + 1;
        }
    }
    const char *last = o->buf + start;
    if (r == MGMT_OK || r == MGMT_QUIT)
        CHECK(strcmp(last, "ok\n") == 0);
    else
        CHECK(strncmp(last, "error: ", 7) == 0 && last[7] != '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[MGMT_OUT_MAX];
    static struct mgmt_line line;
    if (size < 1)
        return 0;
    /* First byte: how many VMs and how big the answer buffer is. */
    vm_count = data[0] % 12;
    size_t cap = data[0] & 0x80 ? 64 + (data[0] & 0x3f) * 8 : sizeof(buf);
    data++, size--;

    mgmt_line_reset(&line);
    size_t run = 0;                          /* model: bytes since the last '\n' */
    for (size_t i = 0; i < size; i++) {
        enum mgmt_line_event ev = mgmt_line_feed(&line, data[i]);
        if (data[i] != '\n') {
            run++;
            CHECK(ev == MGMT_LINE_MORE);
            continue;
        }
        size_t begin = i - run;
        size_t content = run - (run > 0 && data[i - 1] == '\r');
        run = 0;
        struct mgmt_out o = { buf, cap, 0 };
        if (content > MGMT_LINE_MAX) {
            CHECK(ev == MGMT_LINE_TOO_LONG);
            mgmt_cmd_too_long(&o);
            CHECK(strcmp(buf, "error: line too long\n") == 0);
            continue;
        }
        CHECK(ev == MGMT_LINE_READY);
        CHECK(line.len == content);
        CHECK(memcmp(line.buf, data + begin, content) == 0);
        CHECK(line.buf[line.len] == '\0');
        acted = -1;
        enum mgmt_result r = mgmt_cmd_run(&vms, line.buf, line.len, "192.168.1.1", &o);
        check_answer(&o, r);
        if (acted >= 0) {
            /* An action ran only for a line naming that VM and its verb. */
            static const char *const verbs[] = {
                [MGMT_ACTION_STOP] = "stop", [MGMT_ACTION_RESET] = "reset", [MGMT_ACTION_START] = "start",
                [MGMT_ACTION_PAUSE] = "pause", [MGMT_ACTION_RESUME] = "resume",
            };
            CHECK(acted_how < sizeof(verbs) / sizeof(verbs[0]));
            const char *verb = verbs[acted_how];
            CHECK(memmem(line.buf, line.len, verb, strlen(verb)) != NULL);
            CHECK(memmem(line.buf, line.len, names[acted % NAME_COUNT], strlen(names[acted % NAME_COUNT])) != NULL);
            CHECK(r == (acted_how == MGMT_ACTION_START ? MGMT_ERROR : MGMT_OK));
        }
    }
    return 0;
}
