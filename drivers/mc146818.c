/* mc146818.c: reads the host's RTC once at boot (Motorola MC146818A data sheet; the PC's CMOS at index
 * port 0x70, data port 0x71), as the wall clock the VMs' RTCs start from. */
#include "mc146818.h"
#include "x86.h"

#define RTC_INDEX   0x70
#define RTC_DATA    0x71
#define REG_A       0x0A
#define REG_B       0x0B
#define REG_CENTURY 0x32            /* the PC's century byte (the FADT's CENTURY field names it; QEMU and Bochs use 0x32) */
#define A_UIP       0x80            /* update in progress: the time registers are changing */
#define B_DM        0x04            /* binary, not BCD */
#define B_24H       0x02

static uint8_t cmos(uint8_t reg)
{
    outb(RTC_INDEX, reg);           /* bit 7 clear: NMIs stay enabled */
    return inb(RTC_DATA);
}

static uint8_t from_bcd(uint8_t v) { return (uint8_t)((v >> 4) * 10 + (v & 15)); }

/* One reading of the date registers, taken while no update is in progress (the data sheet's "UIP" method:
 * UIP clear means no update for at least 244 us, enough for these reads). */
static bool read_once(uint8_t r[7])
{
    static const uint8_t regs[7] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09, REG_CENTURY };
    for (uint32_t spins = 0; cmos(REG_A) & A_UIP; spins++)
        if (spins > 10000000u)
            return false;
    for (int i = 0; i < 7; i++)
        r[i] = cmos(regs[i]);
    return true;
}

bool mc146818_read(struct rtc_date *out)
{
    uint8_t a[7], b[7];
    bool same = false;
    for (int tries = 0; tries < 10 && !same; tries++) {    /* two equal readings: no update between */
        if (!read_once(a) || !read_once(b))
            return false;
        same = true;
        for (int i = 0; i < 7; i++)
            same = same && a[i] == b[i];
    }
    if (!same)
        return false;
    uint8_t mode = cmos(REG_B);
    bool pm = !(mode & B_24H) && (a[2] & 0x80);
    a[2] &= 0x7F;
    if (!(mode & B_DM))
        for (int i = 0; i < 7; i++)
            a[i] = from_bcd(a[i]);
    uint8_t hour = a[2];
    if (!(mode & B_24H))
        hour = (uint8_t)(hour % 12 + (pm ? 12 : 0));
    uint32_t century = a[6] >= 19 && a[6] <= 30 ? a[6] : 20;
    *out = (struct rtc_date){ .year = century * 100 + a[5], .month = a[4], .day = a[3],
                              .hour = hour, .min = a[1], .sec = a[0] };
    return out->month >= 1 && out->month <= 12 && out->day >= 1 && out->day <= 31 && out->hour < 24 &&
           out->min < 60 && out->sec < 60;
}
