/* mc146818.h: the host's real-time clock (the PC's MC146818A-compatible RTC at ports 0x70/0x71), read once. */
#ifndef MC146818_H
#define MC146818_H

#include <stdbool.h>
#include <stdint.h>

struct rtc_date {
    uint32_t year;                  /* e.g. 2026 */
    uint8_t month, day;             /* 1-12, 1-31 */
    uint8_t hour, min, sec;         /* 24-hour */
};

/* The date and time the host's RTC holds (taken as UTC, as QEMU's and Bochs's default); false when the
 * clock stays in an update or its registers do not read as a date. */
bool mc146818_read(struct rtc_date *out);

#endif
