/* test_console_ring.c: a VM's console queue (kernel/console_ring.c): escaping, line splitting,
 * whole-line drops with the note at the gap, wrap-around. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "console_ring.h"

static struct console_ring ring;
static uint8_t buf[4096];

static void setup(void) { console_ring_init(&ring, buf, sizeof(buf)); }

TestSuite(console_ring, .init = setup);

static void put(struct console_ring *r, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        console_ring_putc(r, (uint8_t)s[i]);
}

static void puts_ring(struct console_ring *r, const char *s) { put(r, s, strlen(s)); }

/* The next record must be a line with exactly this text. */
static void want_line(struct console_ring *r, const char *want)
{
    char text[CONSOLE_LINE_MAX + 1];
    uint32_t len = 0;
    uint64_t dropped = 0;
    cr_assert_eq(console_ring_pop(r, text, &len, &dropped), CONSOLE_REC_LINE, "want line '%s'", want);
    text[len] = 0;
    cr_assert_str_eq(text, want);
}

static void want_dropped(struct console_ring *r, uint64_t want)
{
    char text[CONSOLE_LINE_MAX];
    uint32_t len;
    uint64_t dropped = 0;
    cr_assert_eq(console_ring_pop(r, text, &len, &dropped), CONSOLE_REC_DROPPED, "want a drop note");
    cr_assert_eq(dropped, want, "dropped %llu, want %llu", (unsigned long long)dropped, (unsigned long long)want);
}

static void want_empty(struct console_ring *r)
{
    char text[CONSOLE_LINE_MAX];
    uint32_t len;
    uint64_t dropped;
    cr_assert_not(console_ring_pending(r));
    cr_assert_eq(console_ring_pop(r, text, &len, &dropped), CONSOLE_REC_NONE);
}

Test(console_ring, escape_keeps_printable_and_tab_drops_cr_hexes_the_rest)
{
    char out[CONSOLE_ESCAPE_MAX + 1];
    for (unsigned b = 0; b < 256; b++) {
        if (b == '\n')
            continue;
        memset(out, 0, sizeof(out));
        uint32_t n = console_escape((uint8_t)b, out);
        if (b == '\r') {
            cr_assert_eq(n, 0);
        } else if ((b >= 0x20 && b < 0x7f) || b == '\t') {
            cr_assert_eq(n, 1);
            cr_assert_eq((uint8_t)out[0], b);
        } else {
            char want[8];
            snprintf(want, sizeof(want), "\\x%02x", b);
            cr_assert_eq(n, 4, "byte 0x%02x", b);
            cr_assert_str_eq(out, want);
        }
    }
}

Test(console_ring, lines_end_at_newline_cr_dropped)
{
    puts_ring(&ring, "hello\r\nworld\n\r\n");
    want_line(&ring, "hello");
    want_line(&ring, "world");
    want_line(&ring, "");
    want_empty(&ring);
}

Test(console_ring, unfinished_line_waits_until_end_line)
{
    puts_ring(&ring, "~ # ");
    want_empty(&ring);
    console_ring_end_line(&ring);
    want_line(&ring, "~ # ");
    console_ring_putc(&ring, '\r');
    console_ring_end_line(&ring);          /* a lone CR is no line */
    want_empty(&ring);
}

/* A forged hypervisor line: ESC[2K erases the terminal's line, CR goes to column 0. */
Test(console_ring, forged_hypervisor_line_arrives_escaped)
{
    puts_ring(&ring, "\x1b[2K\rhv: all VMs stopped, powering off\n");
    want_line(&ring, "\\x1b[2Khv: all VMs stopped, powering off");
    puts_ring(&ring, "\b\b\b\x7f\x9b" "1G\xc3\xa9\tok\n");
    want_line(&ring, "\\x08\\x08\\x08\\x7f\\x9b1G\\xc3\\xa9\tok");
    put(&ring, "a\0b\n", 4);
    want_line(&ring, "a\\x00b");
}

Test(console_ring, long_lines_split_at_159_characters)
{
    char s[400];
    memset(s, 'a', 159);
    s[159] = 'b';
    s[160] = '\n';
    put(&ring, s, 161);
    char want[CONSOLE_LINE_MAX + 1];
    memset(want, 'a', 159);
    want[159] = 0;
    want_line(&ring, want);
    want_line(&ring, "b");
    /* Exactly 159 and then '\n': one line, no empty one after it. */
    put(&ring, s, 159);
    console_ring_putc(&ring, '\n');
    want_line(&ring, want);
    want_empty(&ring);
}

Test(console_ring, an_escape_is_never_split)
{
    char s[200];
    memset(s, 'a', 157);
    s[157] = 0x1b;
    s[158] = '\n';
    put(&ring, s, 159);
    char want[200];
    memset(want, 'a', 157);
    want[157] = 0;
    want_line(&ring, want);               /* 157 + 4 > 159: the escape starts the next line */
    want_line(&ring, "\\x1b");
    want_empty(&ring);
}

/* 64 bytes hold two records of a 20-character line (4 + 20 each); the third is dropped whole. */
Test(console_ring, full_ring_drops_the_newest_whole_lines_and_notes_the_gap)
{
    static uint8_t small[64];
    struct console_ring r;
    console_ring_init(&r, small, sizeof(small));
    puts_ring(&r, "line-1 aaaaaaaaaaaaa\nline-2 aaaaaaaaaaaaa\nline-3 aaaaaaaaaaaaa\r\n");
    cr_assert_eq(r.dropped_total, 22);    /* line 3 with its CR and LF */
    want_line(&r, "line-1 aaaaaaaaaaaaa");
    /* Room again: the note goes in first, at the gap, then line 4. */
    puts_ring(&r, "line-4 aaaaaaaaaaaaa\n");
    want_line(&r, "line-2 aaaaaaaaaaaaa");
    want_dropped(&r, 22);
    want_line(&r, "line-4 aaaaaaaaaaaaa");
    want_empty(&r);
    cr_assert_eq(r.dropped_total, 22);
}

Test(console_ring, drops_with_nothing_queued_come_out_as_a_note)
{
    static uint8_t small[64];
    struct console_ring r;
    console_ring_init(&r, small, sizeof(small));
    char s[120];
    memset(s, 'x', 100);                   /* 104 bytes as a record: never fits */
    s[100] = '\n';
    put(&r, s, 101);
    put(&r, s, 101);
    cr_assert(console_ring_pending(&r));
    want_dropped(&r, 202);
    want_empty(&r);
    cr_assert_eq(r.dropped_total, 202);
}

Test(console_ring, no_buffer_drops_everything_and_counts_it)
{
    struct console_ring r;
    console_ring_init(&r, NULL, 0);
    puts_ring(&r, "abc\n");
    want_dropped(&r, 4);
    want_empty(&r);
}

/* Records of every length through a small ring, three at a time: the free-running offsets wrap
 * at every position, and content and order survive. */
static void fill(char *s, size_t size, unsigned i)
{
    snprintf(s, size, "%u:%.*s", i, (int)(i % 40), "0123456789012345678901234567890123456789");
}

Test(console_ring, wraps_around_without_losing_or_mixing_bytes)
{
    static uint8_t small[256];
    struct console_ring r;
    console_ring_init(&r, small, sizeof(small));
    unsigned next_pop = 0;
    for (unsigned i = 0; i < 3000; i++) {
        char s[64];
        fill(s, sizeof(s), i);
        puts_ring(&r, s);
        console_ring_putc(&r, '\n');
        for (; i % 3 == 2 && next_pop <= i; next_pop++) {
            fill(s, sizeof(s), next_pop);
            want_line(&r, s);
        }
    }
    cr_assert_eq(r.dropped_total, 0);
    cr_assert_eq(next_pop, 3000);
    want_empty(&r);
}
