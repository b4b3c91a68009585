/* Host unit tests for the management protocol's pure part (kernel/mgmt_cmd.c): line
 * splitting and every command's answer over a fake set of VMs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "mgmt_cmd.h"

/* --- a fake set of VMs ---------------------------------------------------- */
struct fake_vm {
    const char *name;
    const char *state;
    uint32_t vcpus;
    uint64_t exits;
};

static struct fake_vm fake_vms[] = {
    { "linux", "running", 2, 12345 },
    { "idle-1", "stopped", 1, 7 },
};

static struct {
    uint32_t count;                 /* VMs the fake reports (may exceed fake_vms: repeats) */
    uint32_t calls;
    uint32_t index;
    enum mgmt_action action;
    char client[32];
    const char *answer;             /* what action returns */
} fake;

static uint32_t fake_count(void *ctx)
{
    (void)ctx;
    return fake.count;
}

static void fake_info(void *ctx, uint32_t i, struct mgmt_vm_info *out)
{
    (void)ctx;
    const struct fake_vm *v = &fake_vms[i % 2];
    memset(out, 0xa5, sizeof(*out));     /* the dispatcher must not rely on zeroed fields */
    out->name = v->name;
    out->state = v->state;
    out->vcpu_count = v->vcpus;
    out->exits_total = v->exits;
    out->stat_count = 4;
    out->stats[0] = (struct mgmt_stat){ "exits_total", v->exits };
    out->stats[1] = (struct mgmt_stat){ "exits_mmio", 100 + i };
    out->stats[2] = (struct mgmt_stat){ "lpi_injected", 0 };
    out->stats[3] = (struct mgmt_stat){ "lpi_direct", UINT64_MAX };
}

static const char *fake_action(void *ctx, uint32_t i, enum mgmt_action a, const char *client)
{
    (void)ctx;
    fake.calls++;
    fake.index = i;
    fake.action = a;
    snprintf(fake.client, sizeof(fake.client), "%s", client);
    return fake.answer;
}

static const struct mgmt_vms vms = { NULL, fake_count, fake_info, fake_action, NULL, NULL };
static char buf[MGMT_OUT_MAX];
static struct mgmt_out out;

static void setup(void)
{
    memset(&fake, 0, sizeof(fake));
    fake.count = 2;
    memset(buf, 'X', sizeof(buf));
    out = (struct mgmt_out){ buf, sizeof(buf), 0 };
}

TestSuite(mgmt_cmd, .init = setup);

static enum mgmt_result run(const char *line)
{
    enum mgmt_result r = mgmt_cmd_run(&vms, line, strlen(line), "10.0.2.2", &out);
    cr_assert_eq(out.len, strlen(out.buf), "len %zu != strlen %zu", out.len, strlen(out.buf));
    return r;
}

static void expect(const char *line, enum mgmt_result want_r, const char *want)
{
    enum mgmt_result r = run(line);
    cr_assert_str_eq(out.buf, want, "for '%s'", line);
    cr_assert_eq(r, want_r, "for '%s': result %d, want %d", line, r, want_r);
}

/* --- commands ------------------------------------------------------------- */
Test(mgmt_cmd, list_prints_one_line_per_vm_with_state_vcpus_and_exits)
{
    expect("list", MGMT_OK,
           "linux state=running vcpus=2 exits=12345\n"
           "idle-1 state=stopped vcpus=1 exits=7\n"
           "ok\n");
}

Test(mgmt_cmd, list_with_no_vms_is_just_ok)
{
    fake.count = 0;
    expect("list", MGMT_OK, "ok\n");
}

Test(mgmt_cmd, stats_prints_name_value_pairs_of_the_named_vm)
{
    expect("stats idle-1", MGMT_OK,
           "exits_total=7\nexits_mmio=101\nlpi_injected=0\nlpi_direct=18446744073709551615\nok\n");
}

Test(mgmt_cmd, help_lists_every_command_and_ends_ok)
{
    cr_assert_eq(run("help"), MGMT_OK);
    const char *names[] = { "help ", "list ", "stats NAME", "stop NAME", "reset NAME", "start NAME", "pause NAME",
                            "resume NAME", "quit " };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        cr_assert_not_null(strstr(out.buf, names[i]), "help lacks '%s':\n%s", names[i], out.buf);
    size_t n = strlen(out.buf);
    cr_assert(n > 3 && strcmp(out.buf + n - 3, "ok\n") == 0);
}

Test(mgmt_cmd, stop_calls_the_action_with_the_vm_index_and_client)
{
    expect("stop idle-1", MGMT_OK, "ok\n");
    cr_assert_eq(fake.calls, 1);
    cr_assert_eq(fake.index, 1);
    cr_assert_eq(fake.action, MGMT_ACTION_STOP);
    cr_assert_str_eq(fake.client, "10.0.2.2");
}

Test(mgmt_cmd, reset_and_start_map_to_their_actions)
{
    expect("reset linux", MGMT_OK, "ok\n");
    cr_assert_eq(fake.action, MGMT_ACTION_RESET);
    cr_assert_eq(fake.index, 0);
    expect("start linux", MGMT_OK, "ok\n");
    cr_assert_eq(fake.action, MGMT_ACTION_START);
    expect("pause idle-1", MGMT_OK, "ok\n");
    cr_assert_eq(fake.action, MGMT_ACTION_PAUSE);
    cr_assert_eq(fake.index, 1);
    expect("resume linux", MGMT_OK, "ok\n");
    cr_assert_eq(fake.action, MGMT_ACTION_RESUME);
    expect("pause", MGMT_ERROR, "error: usage: pause NAME\n");
}

Test(mgmt_cmd, an_action_refused_answers_its_reason)
{
    fake.answer = "vm idle-1 is not stopped";
    expect("start idle-1", MGMT_ERROR, "error: vm idle-1 is not stopped\n");
}

Test(mgmt_cmd, unknown_command_is_an_error_naming_it)
{
    expect("frobnicate linux", MGMT_ERROR, "error: unknown command 'frobnicate' (try help)\n");
    expect("LIST", MGMT_ERROR, "error: unknown command 'LIST' (try help)\n");
}

Test(mgmt_cmd, unknown_vm_is_an_error_naming_it_and_no_action_runs)
{
    expect("stop nosuch", MGMT_ERROR, "error: no vm named 'nosuch'\n");
    expect("stats linu", MGMT_ERROR, "error: no vm named 'linu'\n");
    expect("stats linuxx", MGMT_ERROR, "error: no vm named 'linuxx'\n");
    cr_assert_eq(fake.calls, 0);
}

Test(mgmt_cmd, wrong_argument_counts_give_the_usage)
{
    expect("stats", MGMT_ERROR, "error: usage: stats NAME\n");
    expect("stop linux idle-1", MGMT_ERROR, "error: usage: stop NAME\n");
    expect("list linux", MGMT_ERROR, "error: usage: list\n");
    expect("help me please now", MGMT_ERROR, "error: usage: help\n");
    cr_assert_eq(fake.calls, 0);
}

Test(mgmt_cmd, spaces_and_tabs_separate_words)
{
    expect("  \tstats \t linux  ", MGMT_OK,
           "exits_total=12345\nexits_mmio=100\nlpi_injected=0\nlpi_direct=18446744073709551615\nok\n");
}

Test(mgmt_cmd, empty_and_blank_lines_are_not_answered)
{
    expect("", MGMT_NONE, "");
    expect(" \t ", MGMT_NONE, "");
}

Test(mgmt_cmd, quit_answers_ok_and_asks_to_close)
{
    expect("quit", MGMT_QUIT, "ok\n");
}

Test(mgmt_cmd, echoed_words_are_printable_and_bounded)
{
    const char line[] = "\x01\x7f\xff'x";
    enum mgmt_result r = mgmt_cmd_run(&vms, line, sizeof(line) - 1, "c", &out);
    cr_assert_eq(r, MGMT_ERROR);
    cr_assert_str_eq(out.buf, "error: unknown command '????x' (try help)\n");
    char longw[100];
    memset(longw, 'a', sizeof(longw) - 1);
    longw[99] = '\0';
    run(longw);
    cr_assert_str_eq(out.buf, "error: unknown command 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' (try help)\n");
}

Test(mgmt_cmd, a_nul_inside_a_name_does_not_match_a_vm)
{
    const char line[] = "stop linux\0junk";
    enum mgmt_result r = mgmt_cmd_run(&vms, line, sizeof(line) - 1, "c", &out);
    cr_assert_eq(r, MGMT_ERROR);
    cr_assert_str_eq(out.buf, "error: no vm named 'linux?junk'\n");
    cr_assert_eq(fake.calls, 0);
}

Test(mgmt_cmd, an_answer_that_does_not_fit_ends_in_an_error_within_the_buffer)
{
    fake.count = 1000;
    cr_assert_eq(run("list"), MGMT_ERROR);
    cr_assert_lt(out.len, sizeof(buf));
    const char *tail = "error: response too long\n";
    cr_assert_str_eq(out.buf + out.len - strlen(tail), tail);
    /* Every line before it is whole. */
    cr_assert_eq(strncmp(out.buf, "linux state=running", 19), 0);
    cr_assert_eq(out.buf[out.len - strlen(tail) - 1], '\n');
}

Test(mgmt_cmd, a_small_buffer_still_gets_a_whole_final_line)
{
    char small[64];
    struct mgmt_out o = { small, sizeof(small), 0 };
    cr_assert_eq(mgmt_cmd_run(&vms, "list", 4, "c", &o), MGMT_ERROR);
    cr_assert_str_eq(small, "error: response too long\n");
}

Test(mgmt_cmd, too_long_answer_text)
{
    mgmt_cmd_too_long(&out);
    cr_assert_str_eq(out.buf, "error: line too long\n");
    cr_assert_eq(out.len, strlen(out.buf));
}

/* --- lines ------------------------------------------------------------------ */
struct fed {
    unsigned ready, too_long;
    char last[MGMT_LINE_MAX + 2];
    size_t last_len;
};

static struct fed feed(struct mgmt_line *l, const char *s, size_t n)
{
    struct fed f = { 0 };
    for (size_t i = 0; i < n; i++) {
        enum mgmt_line_event ev = mgmt_line_feed(l, (uint8_t)s[i]);
        if (ev == MGMT_LINE_READY) {
            f.ready++;
            cr_assert_leq(l->len, MGMT_LINE_MAX);
            cr_assert_eq(l->buf[l->len], '\0');
            memcpy(f.last, l->buf, l->len + 1);
            f.last_len = l->len;
        } else if (ev == MGMT_LINE_TOO_LONG) {
            f.too_long++;
        }
    }
    return f;
}

static struct mgmt_line ln;

static void line_setup(void) { mgmt_line_reset(&ln); }
TestSuite(mgmt_line, .init = line_setup);

Test(mgmt_line, lf_and_crlf_end_a_line_and_are_removed)
{
    struct fed f = feed(&ln, "list\n", 5);
    cr_assert_eq(f.ready, 1);
    cr_assert_str_eq(f.last, "list");
    f = feed(&ln, "stats a\r\n", 9);
    cr_assert_eq(f.ready, 1);
    cr_assert_str_eq(f.last, "stats a");
}

Test(mgmt_line, bytes_without_a_newline_wait)
{
    struct fed f = feed(&ln, "lis", 3);
    cr_assert_eq(f.ready + f.too_long, 0);
    f = feed(&ln, "t\n", 2);
    cr_assert_eq(f.ready, 1);
    cr_assert_str_eq(f.last, "list");
}

Test(mgmt_line, an_empty_line_is_ready_with_length_zero)
{
    struct fed f = feed(&ln, "\r\n", 2);
    cr_assert_eq(f.ready, 1);
    cr_assert_eq(f.last_len, 0);
}

Test(mgmt_line, a_lone_cr_inside_a_line_is_kept)
{
    struct fed f = feed(&ln, "a\rb\n", 4);
    cr_assert_eq(f.ready, 1);
    cr_assert_eq(f.last_len, 3);
    cr_assert_eq(memcmp(f.last, "a\rb", 3), 0);
}

Test(mgmt_line, exactly_128_characters_are_accepted_with_lf_or_crlf)
{
    char s[MGMT_LINE_MAX + 2];
    memset(s, 'x', MGMT_LINE_MAX);
    s[MGMT_LINE_MAX] = '\n';
    struct fed f = feed(&ln, s, MGMT_LINE_MAX + 1);
    cr_assert_eq(f.ready, 1);
    cr_assert_eq(f.last_len, MGMT_LINE_MAX);
    s[MGMT_LINE_MAX] = '\r';
    s[MGMT_LINE_MAX + 1] = '\n';
    f = feed(&ln, s, MGMT_LINE_MAX + 2);
    cr_assert_eq(f.ready, 1);
    cr_assert_eq(f.last_len, MGMT_LINE_MAX);
}

Test(mgmt_line, characters_129_are_too_long_with_lf_or_crlf)
{
    char s[MGMT_LINE_MAX + 3];
    memset(s, 'x', MGMT_LINE_MAX + 1);
    s[MGMT_LINE_MAX + 1] = '\n';
    struct fed f = feed(&ln, s, MGMT_LINE_MAX + 2);
    cr_assert_eq(f.ready, 0);
    cr_assert_eq(f.too_long, 1);
    s[MGMT_LINE_MAX + 1] = '\r';
    s[MGMT_LINE_MAX + 2] = '\n';
    f = feed(&ln, s, MGMT_LINE_MAX + 3);
    cr_assert_eq(f.ready, 0);
    cr_assert_eq(f.too_long, 1);
}

Test(mgmt_line, a_huge_line_is_dropped_whole_and_the_next_line_works)
{
    static char s[100000];
    memset(s, 'z', sizeof(s));
    s[sizeof(s) - 1] = '\n';
    struct fed f = feed(&ln, s, sizeof(s));
    cr_assert_eq(f.ready, 0);
    cr_assert_eq(f.too_long, 1);
    f = feed(&ln, "help\n", 5);
    cr_assert_eq(f.ready, 1);
    cr_assert_str_eq(f.last, "help");
}

Test(mgmt_line, nul_bytes_are_content)
{
    struct fed f = feed(&ln, "a\0b\n", 4);
    cr_assert_eq(f.ready, 1);
    cr_assert_eq(f.last_len, 3);
    cr_assert_eq(memcmp(f.last, "a\0b", 3), 0);
}

Test(mgmt_line, several_lines_in_one_buffer_each_come_out)
{
    struct fed f = feed(&ln, "a\nbb\r\nccc\n", 10);
    cr_assert_eq(f.ready, 3);
    cr_assert_str_eq(f.last, "ccc");
}

Test(mgmt_cmd, an_error_too_long_for_a_small_buffer_becomes_response_too_long)
{
    char small[80];
    struct mgmt_out o = { small, sizeof(small), 0 };
    char longw[100];
    memset(longw, 'q', sizeof(longw) - 1);
    longw[99] = '\0';
    cr_assert_eq(mgmt_cmd_run(&vms, longw, strlen(longw), "c", &o), MGMT_ERROR);
    cr_assert_str_eq(small, "error: response too long\n");
    cr_assert_eq(o.len, strlen(small));
}

/* --- memory commands (memslot, dirty-log, dirty) over a fake memory callback -------------- */
static struct mgmt_mem_req mem_seen;
static uint32_t mem_calls, mem_vm;

static const char *fake_memory(void *ctx, uint32_t i, const struct mgmt_mem_req *req, const char *client,
                               mgmt_emit_fn emit, void *ectx)
{
    (void)ctx;
    (void)client;
    mem_calls++;
    mem_vm = i;
    mem_seen = *req;
    emit(ectx, "line\x01one");
    return req->slot == 13 ? "vm idle-1 slot 13: no such slot" : NULL;
}

static const struct mgmt_vms mem_vms = { NULL, fake_count, fake_info, fake_action, fake_memory, NULL };

static enum mgmt_result run_mem(const char *line)
{
    return mgmt_cmd_run(&mem_vms, line, strlen(line), "10.0.2.2", &out);
}

Test(mgmt_cmd, memslot_add_parses_hex_decimal_and_size_suffixes)
{
    mem_calls = 0;
    cr_assert_eq(run_mem("memslot idle-1 add 5 0x80000000 4M"), MGMT_OK);
    cr_assert_str_eq(buf, "line?one\nok\n", "the callback's lines, made printable");
    cr_assert_eq(mem_calls, 1);
    cr_assert_eq(mem_vm, 1);
    cr_assert_eq(mem_seen.op, MGMT_MEM_ADD);
    cr_assert_eq(mem_seen.slot, 5);
    cr_assert_eq(mem_seen.gpa, 0x80000000ull);
    cr_assert_eq(mem_seen.size_bytes, 4ull << 20);
    cr_assert_eq(run_mem("memslot linux add 7 3221225472 8k"), MGMT_OK);
    cr_assert_eq(mem_seen.gpa, 0xC0000000ull);
    cr_assert_eq(mem_seen.size_bytes, 8192);
    cr_assert_eq(run_mem("memslot linux add 7 0x40000000 1G"), MGMT_OK);
    cr_assert_eq(mem_seen.size_bytes, 1ull << 30);
}

Test(mgmt_cmd, memory_commands_refuse_bad_arguments_without_calling_back)
{
    static const char *bad[] = {
        "memslot linux add 5 0x80000000 3",          /* not a multiple of 4 KiB */
        "memslot linux add 5 0x80000800 4K",
        "memslot linux add 5 0x80000000 0",
        "memslot linux add x 0x80000000 4K",
        "memslot linux add 5 0xZZ 4K",
        "memslot linux add 5 0x80000000 99999999999999999999",
        "memslot linux add 70000 0x80000000 4K",     /* slot id out of range */
        "memslot linux add 5 0x80000000",
        "memslot linux remove 5",
        "memslot linux delete",
        "memslot linux delete five",
        "dirty-log linux maybe",
        "dirty-log linux on x",
        "dirty linux",
        "dirty linux -1",
    };
    mem_calls = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(run_mem(bad[i]), MGMT_ERROR, "%s", bad[i]);
        cr_assert(!strncmp(buf, "error: ", 7), "%s: %s", bad[i], buf);
    }
    cr_assert_eq(mem_calls, 0);
}

Test(mgmt_cmd, memory_commands_reach_the_callback)
{
    cr_assert_eq(run_mem("memslot linux list"), MGMT_OK);
    cr_assert_eq(mem_seen.op, MGMT_MEM_LIST);
    cr_assert_eq(run_mem("memslot linux delete 3"), MGMT_OK);
    cr_assert_eq(mem_seen.op, MGMT_MEM_DELETE);
    cr_assert_eq(mem_seen.slot, 3);
    cr_assert_eq(run_mem("dirty-log linux on"), MGMT_OK);
    cr_assert_eq(mem_seen.op, MGMT_MEM_LOG_ON);
    cr_assert_eq(mem_seen.slot, MGMT_MEM_ALL_SLOTS);
    cr_assert_eq(run_mem("dirty-log linux off 2"), MGMT_OK);
    cr_assert_eq(mem_seen.op, MGMT_MEM_LOG_OFF);
    cr_assert_eq(mem_seen.slot, 2);
    cr_assert_eq(run_mem("dirty linux 0"), MGMT_OK);
    cr_assert_eq(mem_seen.op, MGMT_MEM_DIRTY);
    cr_assert_eq(run_mem("dirty idle-1 13"), MGMT_ERROR);
    cr_assert_str_eq(buf, "line?one\nerror: vm idle-1 slot 13: no such slot\n");
    /* No callback: not supported, never a crash. */
    cr_assert_eq(run("dirty linux 0"), MGMT_ERROR);
    cr_assert_str_eq(buf, "error: not supported\n");
}

/* --- migration commands over a fake migrate callback ---------------------------------------- */
static struct mgmt_mig_req mig_seen;
static uint32_t mig_calls, mig_vm;

static const char *fake_migrate(void *ctx, uint32_t i, const struct mgmt_mig_req *req, const char *client,
                                mgmt_emit_fn emit, void *ectx)
{
    (void)ctx;
    (void)client;
    mig_calls++;
    mig_vm = i;
    mig_seen = *req;
    if (req->op == MGMT_MIG_STATUS)
        emit(ectx, "state=precopy rounds=2");
    return req->op == MGMT_MIG_INCOMING && i == 0 ? "the vm is not stopped" : NULL;
}

static const struct mgmt_vms mig_vms = { NULL, fake_count, fake_info, fake_action, NULL, fake_migrate };

static enum mgmt_result run_mig(const char *line)
{
    return mgmt_cmd_run(&mig_vms, line, strlen(line), "10.0.2.2", &out);
}

Test(mgmt_cmd, migrate_parses_the_destination)
{
    mig_calls = 0;
    cr_assert_eq(run_mig("migrate idle-1 10.0.2.2:5556"), MGMT_OK);
    cr_assert_eq(mig_calls, 1);
    cr_assert_eq(mig_vm, 1);
    cr_assert_eq(mig_seen.op, MGMT_MIG_SEND);
    cr_assert_eq(mig_seen.ip, 0x0a000202u);
    cr_assert_eq(mig_seen.port, 5556);
    cr_assert_eq(run_mig("migrate linux 255.255.255.255:65535"), MGMT_OK);
    cr_assert_eq(mig_seen.ip, 0xffffffffu);
    cr_assert_eq(mig_seen.port, 65535);
    static const char *bad[] = { "migrate linux 10.0.2.2", "migrate linux 10.0.2:5", "migrate linux 10.0.2.2.1:5",
                                 "migrate linux 256.0.0.1:5", "migrate linux 10.0.2.2:0", "migrate linux 10.0.2.2:65536",
                                 "migrate linux 10.0.02.2:5", "migrate linux 10.0.2.2:", "migrate linux :5",
                                 "migrate linux 10..2.2:5", "migrate linux 10.0.2.2:5x", "migrate linux 0x0a.0.2.2:5" };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        cr_assert_eq(run_mig(bad[k]), MGMT_ERROR, "%s", bad[k]);
        cr_assert_str_eq(buf, "error: usage: migrate NAME A.B.C.D:PORT\n", "%s", bad[k]);
    }
    cr_assert_eq(mig_calls, 2, "no bad line reached the callback");
}

Test(mgmt_cmd, incoming_status_receive_reach_the_callback)
{
    mig_calls = 0;
    cr_assert_eq(run_mig("incoming linux"), MGMT_ERROR);
    cr_assert_str_eq(buf, "error: the vm is not stopped\n");
    cr_assert_eq(mig_seen.op, MGMT_MIG_INCOMING);
    cr_assert_eq(run_mig("incoming idle-1"), MGMT_OK);
    cr_assert_eq(run_mig("migrate-status idle-1"), MGMT_OK);
    cr_assert_str_eq(buf, "state=precopy rounds=2\nok\n");
    cr_assert_eq(run_mig("migrate-receive idle-1"), MGMT_OK);
    cr_assert_eq(mig_seen.op, MGMT_MIG_RECEIVE);
    cr_assert_eq(mig_calls, 4);
    /* without the callback: not supported */
    cr_assert_eq(run("migrate-status linux"), MGMT_ERROR);
    cr_assert_str_eq(buf, "error: not supported\n");
}
