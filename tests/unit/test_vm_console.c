/* test_vm_console.c: the drain of the VMs' console rings (kernel/vm_console.c) over a fake
 * physical console and a fake clock: prefixes, round-robin fairness, the per-call and per-second
 * bounds, drop notes, the flush at VM stop, silence during a panic. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel.h"
#include "page_alloc.h"
#include "vm.h"

/* --- the rest of the hypervisor, faked ----------------------------------- */
static struct vm vm_table[VM_MAX_VMS];
struct vm *vms = vm_table;
uint32_t vm_count;
static uint64_t now_ns = 10ull * 1000 * 1000 * 1000;
static bool panicking;
static char console[1 << 20];          /* what reached the physical console */
static size_t console_len;
static uint32_t console_writes;

uint64_t arch_time_ns(void) { return now_ns; }
uint32_t arch_cpu_index(void) { return 0; }
uint32_t cpu_work[HV_MAX_CPUS];          /* kernel/vcpu.c: the work mask the drain raises */
void arch_cpu_relax(void) {}
int arch_console_getc(void) { return -1; }
bool console_panicking(void) { return panicking; }

uint64_t hv_page_alloc(uint64_t page_count, uint64_t align_bytes)
{
    void *p = aligned_alloc(align_bytes, page_count * PAGE_SIZE);
    cr_assert(p);
    return (uint64_t)(uintptr_t)p;
}

void console_write(const char *s, size_t len)
{
    cr_assert(console_len + len <= sizeof(console));
    memcpy(console + console_len, s, len);
    console_len += len;
    console_writes++;
}

int hv_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    console_write(buf, strlen(buf));
    return n;
}

static struct vm *add_vm(const char *name)
{
    struct vm *vm = &vms[vm_count];
    memset(vm, 0, sizeof(*vm));
    vm->id = vm_count++;
    vm->name = name;
    cr_assert(vm_console_init(vm));
    return vm;
}

static void guest_prints(struct vm *vm, const char *s)
{
    while (*s)
        vm_console_putc(vm, *s++);
}

/* The physical console's lines, split at '\n'; returns how many. */
static size_t console_lines(char lines[][256], size_t max)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i < console_len && n < max; i++) {
        if (console[i] != '\n')
            continue;
        size_t len = i - start < 255 ? i - start : 255;
        memcpy(lines[n], console + start, len);
        lines[n++][len] = 0;
        start = i + 1;
    }
    return n;
}

/* --- tests ------------------------------------------------------------------ */
Test(vm_console, lines_get_the_vm_prefix_and_arrive_whole)
{
    struct vm *a = add_vm("alpha");
    guest_prints(a, "hello ");
    vm_console_drain(NULL);
    cr_assert_eq(console_len, 0, "an unfinished line waits");
    cr_assert(vm_console_backlog() == false);
    guest_prints(a, "world\r\n\x1b[2K\rhv: all VMs stopped\n");
    cr_assert(vm_console_backlog());
    vm_console_drain(NULL);
    console[console_len] = 0;
    cr_assert_str_eq(console, "[alpha] hello world\n[alpha] \\x1b[2Khv: all VMs stopped\n");
    cr_assert_eq(console_writes, 2, "one physical write per line");
    cr_assert_not(vm_console_backlog());
}

Test(vm_console, round_robin_gives_a_quiet_vm_its_turn_behind_a_flood)
{
    struct vm *flood = add_vm("flood"), *quiet = add_vm("quiet");
    for (int i = 0; i < 200; i++)
        guest_prints(flood, "flood flood flood flood flood flood flood flood flood flood\n");
    guest_prints(quiet, "q1\nq2\nq3\n");
    for (int i = 0; i < 6; i++) {          /* each call prints a few lines at most */
        vm_console_drain(NULL);
        now_ns += 1000 * 1000;
    }
    char lines[64][256];
    size_t n = console_lines(lines, 64);
    cr_assert_geq(n, 6);
    size_t seen = 0;
    for (size_t i = 0; i < 6; i++)
        seen += !strncmp(lines[i], "[quiet] q", 9);
    cr_assert_eq(seen, 3, "the quiet VM's 3 lines are among the first 6 printed, not behind 200");
}

Test(vm_console, one_call_prints_a_bounded_number_of_bytes)
{
    struct vm *a = add_vm("a");
    for (int i = 0; i < 100; i++)
        guest_prints(a, "0123456789012345678901234567890123456789\n");
    vm_console_drain(NULL);
    cr_assert_gt(console_len, 0);
    cr_assert_leq(console_len, VM_CONSOLE_DRAIN_CALL_BYTES, "%zu bytes in one call", console_len);
}

/* With the clock frozen only the saved-up burst goes out; a second adds at most the rate, while
 * the guest writes faster than that; nothing is lost or reordered meanwhile. */
static int next_line;

static void write_numbered(struct vm *a, int lines)
{
    char line[64];
    for (int i = 0; i < lines; i++) {     /* 60 bytes, 63 in the ring, 64 on the console */
        snprintf(line, sizeof(line), "%04d 56789012345678901234567890123456789012345678901234\n", next_line++);
        guest_prints(a, line);
    }
}

Test(vm_console, the_drain_rate_is_bounded_over_time)
{
    struct vm *a = add_vm("a");
    write_numbered(a, 200);
    for (int i = 0; i < 10000; i++)
        vm_console_drain(NULL);
    cr_assert_leq(console_len, VM_CONSOLE_DRAIN_BURST_BYTES);
    cr_assert_geq(console_len, VM_CONSOLE_DRAIN_BURST_BYTES - VM_CONSOLE_OUT_LINE_MAX);
    size_t after_burst = console_len;
    for (int ms = 0; ms < 1000; ms++) {   /* one second: 1.5 lines (94 KiB/s) in per ms, drained every 100 us */
        write_numbered(a, 1 + ms % 2);
        for (int k = 0; k < 10; k++) {
            now_ns += 100 * 1000;
            vm_console_drain(NULL);
        }
    }
    cr_assert_eq(vm_console_dropped(a), 0);
    size_t second = console_len - after_burst;
    cr_assert_leq(second, VM_CONSOLE_DRAIN_BYTES_PER_S + VM_CONSOLE_OUT_LINE_MAX, "%zu bytes in 1 s", second);
    cr_assert_geq(second, VM_CONSOLE_DRAIN_BYTES_PER_S - VM_CONSOLE_OUT_LINE_MAX, "%zu bytes in 1 s: the rate is reached", second);
    char lines[2000][256], want[32];
    size_t n = console_lines(lines, 2000);
    for (size_t i = 0; i < n; i++) {
        snprintf(want, sizeof(want), "[a] %04zu ", i);
        cr_assert(!strncmp(lines[i], want, strlen(want)), "line %zu is '%s'", i, lines[i]);
    }
}

Test(vm_console, a_full_ring_drops_and_the_drain_says_how_much)
{
    struct vm *a = add_vm("flood");
    char line[101];
    memset(line, 'x', 99);
    line[99] = '\n';
    line[100] = 0;
    /* 103 bytes per record: 636 lines fill the 64 KiB ring (28 bytes left), the rest are dropped
     * whole. */
    for (int i = 0; i < 1000; i++)
        guest_prints(a, line);
    uint64_t dropped = vm_console_dropped(a);
    cr_assert_eq(dropped, (1000 - VM_CONSOLE_RING_BYTES / 103) * 100ull);
    guest_prints(a, "after the gap\n");   /* 17 bytes and the note's 12 do not fit in 28: dropped */
    cr_assert_eq(vm_console_dropped(a), dropped + 14);
    vm_console_flush(a);
    char want[64];
    snprintf(want, sizeof(want), "[flood] ... %llu bytes dropped\n", (unsigned long long)dropped + 14);
    cr_assert_eq(console_len, (VM_CONSOLE_RING_BYTES / 103) * (8 + 99 + 1) + strlen(want));
    cr_assert(!memcmp(console + console_len - strlen(want), want, strlen(want)), "ends with %s", want);
    /* Room again: the next line comes after a note for the gap only if there was one since. */
    console_len = 0;
    guest_prints(a, "back\n");
    vm_console_flush(a);
    console[console_len] = 0;
    cr_assert_str_eq(console, "[flood] back\n");
}

Test(vm_console, flush_prints_everything_and_the_unfinished_line)
{
    struct vm *a = add_vm("a"), *b = add_vm("b");
    for (int i = 0; i < 300; i++)
        guest_prints(a, "a line of forty characters, more or les\n");
    guest_prints(b, "b's line\n");
    guest_prints(a, "no newline");
    for (int i = 0; i < 10000; i++)
        vm_console_drain(NULL);            /* the frozen clock lets only the burst out */
    cr_assert_lt(console_len, 300 * 45);
    vm_console_flush(a);
    char lines[400][256];
    size_t n = console_lines(lines, 400);
    cr_assert_eq(n, 302, "300 + 1 of a and b's line");
    cr_assert_str_eq(lines[n - 1], "[a] no newline");
    cr_assert_not(vm_console_backlog());
}

Test(vm_console, nothing_is_drained_while_a_panic_is_printed)
{
    struct vm *a = add_vm("a");
    guest_prints(a, "x\n");
    panicking = true;
    vm_console_drain(NULL);
    vm_console_flush(a);
    cr_assert_eq(console_len, 0);
    panicking = false;
    vm_console_drain(NULL);
    console[console_len] = 0;
    cr_assert_str_eq(console, "[a] x\n");
}

Test(vm_console, dropped_bytes_are_counted_per_vm)
{
    struct vm *a = add_vm("a"), *b = add_vm("b");
    char big[VM_CONSOLE_RING_BYTES];
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    for (int i = 0; i < 2; i++)
        guest_prints(a, big);              /* 64 KiB without a newline: 159-character lines */
    guest_prints(b, "fine\n");
    cr_assert_gt(vm_console_dropped(a), 0);
    cr_assert_eq(vm_console_dropped(b), 0);
}

/* After an exit, a VM drains only while it has output itself, and stops once its own is out. */
Test(vm_console, a_vm_that_prints_nothing_never_drains_for_the_others)
{
    struct vm *flood = add_vm("flood"), *calm = add_vm("calm");
    for (int i = 0; i < 20; i++)
        guest_prints(flood, "flood line\n");
    vm_console_drain(calm);
    cr_assert_eq(console_len, 0, "calm had nothing queued: it paid nothing");
    guest_prints(calm, "one\n");
    vm_console_drain(calm);                /* its own line and at most one of each other VM */
    char lines[8][256];
    size_t n = console_lines(lines, 8);
    cr_assert_leq(n, 2);
    cr_assert(!strcmp(lines[n - 1], "[calm] one") || !strcmp(lines[0], "[calm] one"));
    cr_assert(vm_console_backlog(), "the flood's lines wait for the flood's own exits");
    size_t before = console_len;
    vm_console_drain(flood);
    cr_assert_gt(console_len, before);
}
