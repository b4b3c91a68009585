/* wallclock.c: the host's wall-clock time, read once from its MC146818 RTC (CMOS ports 0x70/0x71): what
 * the guests' clocks (kvmclock's wall clock) start from. Seconds only: the RTC has no finer field. */
#include "arch.h"
#include "x86.h"
#include "x86_vplatform.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS   0x04
#define RTC_DAY     0x07
#define RTC_MONTH   0x08
#define RTC_YEAR    0x09
#define RTC_REG_A   0x0A
#define RTC_REG_B   0x0B
#define RTC_CENTURY 0x32           /* not architectural; years below 70 are taken as 20xx instead */
#define REG_A_UIP   0x80           /* update in progress: the time registers are changing */
#define REG_B_24H   0x02
#define REG_B_BINARY 0x04
#define HOUR_PM     0x80
#define UIP_SPINS   10000000u

static uint8_t cmos(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

static uint32_t bcd(uint8_t v, bool binary) { return binary ? v : (uint32_t)(v >> 4) * 10 + (v & 0xF); }

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, uint32_t m, uint32_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    uint64_t yoe = (uint64_t)(y - era * 400);
    uint64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

uint64_t x86_wallclock_seconds(uint32_t year, uint32_t month, uint32_t day, uint32_t h, uint32_t m, uint32_t s)
{
    return (uint64_t)days_from_civil(year, month, day) * 86400 + h * 3600 + m * 60 + s;
}

/* Read twice until both reads agree, each after UIP cleared (MC146818 data sheet: the registers are
 * stable for 244 us after UIP reads 0), so no update tears the fields. */
static uint64_t read_rtc(void)
{
    uint8_t r[7], prev[7] = { 0 };
    for (int tries = 0; tries < 10; tries++) {
        for (uint32_t spins = 0; (cmos(RTC_REG_A) & REG_A_UIP) && spins < UIP_SPINS; spins++)
            arch_cpu_relax();
        static const uint8_t regs[7] = { RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY, RTC_MONTH, RTC_YEAR,
                                         RTC_CENTURY };
        for (int i = 0; i < 7; i++)
            r[i] = cmos(regs[i]);
        bool same = true;
        for (int i = 0; i < 7; i++)
            same &= r[i] == prev[i];
        if (same && tries)
            break;
        for (int i = 0; i < 7; i++)
            prev[i] = r[i];
    }
    uint8_t b = cmos(RTC_REG_B);
    bool bin = b & REG_B_BINARY;
    uint32_t hour = bcd(r[2] & 0x7F, bin);
    if (!(b & REG_B_24H) && (r[2] & HOUR_PM))
        hour = hour % 12 + 12;
    else if (!(b & REG_B_24H) && hour == 12)
        hour = 0;
    uint32_t year = bcd(r[5], bin), century = bcd(r[6], bin);
    year += century >= 19 && century <= 30 ? century * 100 : year < 70 ? 2000 : 1900;
    return x86_wallclock_seconds(year, bcd(r[4], bin), bcd(r[3], bin), hour, bcd(r[1], bin), bcd(r[0], bin));
}

/* The first call reads the RTC: CPU 0 while it loads the VMs, before any guest runs (nothing else uses the
 * CMOS ports then). Later calls, from any CPU, read the cached value. */
uint64_t x86_wallclock_boot_seconds(void)
{
    static uint64_t boot_seconds;   /* written once, as above */
    static bool read;
    if (!__atomic_load_n(&read, __ATOMIC_ACQUIRE)) {
        uint64_t now_ns = arch_time_ns();
        uint64_t s = read_rtc() - now_ns / 1000000000ull;
        boot_seconds = s;
        __atomic_store_n(&read, true, __ATOMIC_RELEASE);
    }
    return boot_seconds;
}
