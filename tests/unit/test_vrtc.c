/* Host unit tests for the emulated MC146818A (arch/x86_64/vrtc.c) at given host wall-clock times: BCD
 * and binary, 24- and 12-hour, time advancing with the host's, UIP only before an update, register C
 * cleared by its read, setting the clock (with and without SET) as a per-VM offset, CMOS RAM, and the
 * memory-size bytes. */
#include <criterion/criterion.h>

#include "mc146818.h"
#include "x86_vcpu.h"

#define NS 1000000000ull
/* 2026-12-05 22:47:30 UTC (a Saturday) in seconds since 1970. */
#define T0 1796510850ull

enum { SEC = 0, MIN = 2, HOUR = 4, WDAY = 6, MDAY = 7, MONTH = 8, YEAR = 9, A = 0x0A, B = 0x0B, C = 0x0C,
       D = 0x0D, CENTURY = 0x32 };

uint64_t x86_tsc_hz(void) { return NS; }
bool mc146818_read(struct rtc_date *out)
{
    *out = (struct rtc_date){ 2026, 12, 5, 22, 47, 30 };
    return true;
}

static struct vrtc r;
static uint8_t rd(uint8_t reg, uint64_t now) { return vrtc_read(&r, reg, now); }
static void wr(uint8_t reg, uint8_t v, uint64_t now) { vrtc_write(&r, reg, v, now); }

static void setup(void) { vrtc_power_on(&r, 64ull << 20); }
TestSuite(vrtc, .init = setup);

Test(vrtc, bcd_24h_by_default)
{
    uint64_t now = T0 * NS + NS / 2;
    cr_assert_eq(rd(A, now), 0x26);
    cr_assert_eq(rd(B, now), 0x02);
    cr_assert_eq(rd(D, now), 0x80, "VRT: valid RAM and time");
    cr_assert_eq(rd(SEC, now), 0x30);
    cr_assert_eq(rd(MIN, now), 0x47);
    cr_assert_eq(rd(HOUR, now), 0x22);
    cr_assert_eq(rd(WDAY, now), 0x07, "Saturday is 7 (Sunday 1)");
    cr_assert_eq(rd(MDAY, now), 0x05);
    cr_assert_eq(rd(MONTH, now), 0x12);
    cr_assert_eq(rd(YEAR, now), 0x26);
    cr_assert_eq(rd(CENTURY, now), 0x20);
}

Test(vrtc, binary_and_12_hour_modes)
{
    uint64_t now = T0 * NS;
    wr(B, 0x06, now);                       /* binary, 24 h */
    cr_assert_eq(rd(HOUR, now), 22);
    cr_assert_eq(rd(YEAR, now), 26);
    cr_assert_eq(rd(MONTH, now), 12);
    wr(B, 0x04, now);                       /* binary, 12 h */
    cr_assert_eq(rd(HOUR, now), 0x80 | 10, "10 PM");
    wr(B, 0x00, now);                       /* BCD, 12 h */
    cr_assert_eq(rd(HOUR, now), 0x80 | 0x10);
    cr_assert_eq(rd(HOUR, (T0 - 22 * 3600) * NS), 0x12, "midnight is 12 AM");
}

Test(vrtc, time_advances_with_the_host_clock)
{
    cr_assert_eq(rd(SEC, T0 * NS), 0x30);
    cr_assert_eq(rd(SEC, (T0 + 1) * NS), 0x31);
    cr_assert_eq(rd(MIN, (T0 + 30) * NS), 0x48);
    uint64_t new_year = (T0 + 26 * 86400 + 3600 + 12 * 60 + 30) * NS;   /* 2027-01-01 00:00:00 */
    cr_assert_eq(rd(YEAR, new_year), 0x27);
    cr_assert_eq(rd(MONTH, new_year), 0x01);
    cr_assert_eq(rd(MDAY, new_year), 0x01);
    cr_assert_eq(rd(HOUR, new_year), 0x00);
}

Test(vrtc, uip_only_in_the_244us_before_an_update)
{
    cr_assert_eq(rd(A, T0 * NS + 500000000) & 0x80, 0);
    cr_assert_eq(rd(A, T0 * NS + NS - 200000) & 0x80, 0x80, "200 us before the second: UIP");
    cr_assert_eq(rd(A, (T0 + 1) * NS + 1000) & 0x80, 0, "the update done: UIP clear again");
    wr(A, 0xA6, T0 * NS);
    cr_assert_eq(rd(A, T0 * NS) & 0x7F, 0x26, "divider and rate as written, UIP read-only");
}

Test(vrtc, register_c_uf_cleared_by_read)
{
    rd(C, T0 * NS);
    cr_assert_eq(rd(C, T0 * NS + 1000), 0, "no update since the last read");
    cr_assert_eq(rd(C, (T0 + 1) * NS), 0x10, "an update happened: UF");
    cr_assert_eq(rd(C, (T0 + 1) * NS + 1000), 0, "cleared by the read");
    wr(B, 0x12, (T0 + 1) * NS);             /* UIE */
    cr_assert_eq(rd(C, (T0 + 2) * NS), 0x90, "UF with UIE: IRQF too");
}

Test(vrtc, set_bit_freezes_then_offsets_the_clock)
{
    uint64_t now = T0 * NS;
    wr(B, 0x82, now);                       /* SET */
    wr(YEAR, 0x30, now);
    wr(HOUR, 0x08, now);
    cr_assert_eq(rd(SEC, now + 5 * NS), 0x30, "no updates while SET");
    cr_assert_eq(rd(YEAR, now + 5 * NS), 0x30);
    wr(B, 0x02, now + 5 * NS);              /* counting resumes from what was written */
    cr_assert_eq(rd(SEC, now + 7 * NS), 0x32);
    cr_assert_eq(rd(HOUR, now + 7 * NS), 0x08);
    cr_assert_eq(rd(YEAR, now + 7 * NS), 0x30);
    cr_assert_eq(rd(MDAY, now + 7 * NS), 0x05);
}

Test(vrtc, write_without_set_moves_the_clock)
{
    uint64_t now = T0 * NS;
    wr(MIN, 0x00, now);
    cr_assert_eq(rd(MIN, now + NS), 0x00);
    cr_assert_eq(rd(SEC, now + NS), 0x31, "the other fields keep counting");
    wr(CENTURY, 0x21, now);
    cr_assert_eq(rd(CENTURY, now), 0x21);
    cr_assert_eq(rd(YEAR, now), 0x26);
    wr(MONTH, 0x13, now);                   /* not a month: ignored */
    wr(SEC, 0x5A, now);                     /* not BCD: ignored */
    cr_assert_eq(rd(MONTH, now), 0x12);
    cr_assert_eq(rd(SEC, now), 0x30);
}

Test(vrtc, cmos_ram_and_memory_size_bytes)
{
    wr(0x40, 0xA5, 0);
    wr(0x7F, 0x5A, 0);
    cr_assert_eq(rd(0x40, 0), 0xA5);
    cr_assert_eq(rd(0x7F, 0), 0x5A);
    wr(D, 0x00, 0);
    cr_assert_eq(rd(D, 0), 0x80, "D is read-only");
    cr_assert_eq(rd(0x15, 0) | rd(0x16, 0) << 8, 640);
    cr_assert_eq(rd(0x30, 0) | rd(0x31, 0) << 8, 63 * 1024, "64 MiB: 63 MiB above 1 MiB");
    cr_assert_eq(rd(0x34, 0) | rd(0x35, 0) << 8, (48u << 20) >> 16, "above 16 MiB in 64 KiB units");
    vrtc_power_on(&r, 5ull << 30);          /* 3 GiB low, 2 GiB from 4 GiB */
    cr_assert_eq(rd(0x34, 0) | rd(0x35, 0) << 8, ((3u << 30) - (16u << 20)) >> 16, "below 4 GiB only");
    cr_assert_eq(rd(0x17, 0) | rd(0x18, 0) << 8, 0xFFFF, "KiB above 1 MiB: capped");
    cr_assert_eq(rd(0x5B, 0) | rd(0x5C, 0) << 8 | rd(0x5D, 0) << 16, (2u << 30) >> 16);
}
