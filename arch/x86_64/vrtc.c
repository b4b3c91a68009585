/* vrtc.c: a VM's MC146818A real-time clock and CMOS RAM at ports 0x70 (index) / 0x71 (data) (Motorola
 * MC146818A data sheet): the time and date registers in BCD or binary, 24- or 12-hour, as register B
 * says; UIP before each second's update; the SET bit; register C's UF read-clear; register D's VRT;
 * the PC's century byte at 0x32 and the memory-size bytes QEMU's firmware reads. Time is the host's wall
 * clock (read once at boot, advanced by the TSC) plus the VM's offset, which the guest moves by writing
 * the time registers. No interrupts: PF and AF never set, IRQ 8 never raised. */
#include <inttypes.h>
#include "kernel.h"
#include "mc146818.h"
#include "x86.h"
#include "x86_boot.h"
#include "x86_vcpu.h"

enum { SEC = 0x00, MIN = 0x02, HOUR = 0x04, WDAY = 0x06, MDAY = 0x07, MONTH = 0x08, YEAR = 0x09,
       REG_A = 0x0A, REG_B = 0x0B, REG_C = 0x0C, REG_D = 0x0D, CENTURY = 0x32 };

#define A_UIP        0x80u          /* update in progress */
#define B_SET        0x80u          /* updates inhibited while the time is set */
#define B_UIE        0x10u
#define B_DM         0x04u          /* data mode: binary, else BCD */
#define B_24H        0x02u
#define C_IRQF       0x80u
#define C_UF         0x10u          /* an update cycle ended */
#define D_VRT        0x80u          /* valid RAM and time: the battery is good */
#define HOUR_PM      0x80u          /* 12-hour mode */
#define UIP_NS       244000u        /* UIP rises this long before the update (data sheet, "UIP") */
#define NS_PER_S     1000000000ull
#define S_PER_DAY    86400

struct date { int64_t year; int month, day, hour, min, sec, wday; };   /* wday 0 = Sunday */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's civil algorithms). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static struct date date_from_s(int64_t s)
{
    int64_t days = s >= 0 ? s / S_PER_DAY : -((-s + S_PER_DAY - 1) / S_PER_DAY);
    int64_t rem = s - days * S_PER_DAY;
    struct date t = { .hour = (int)(rem / 3600), .min = (int)(rem / 60 % 60), .sec = (int)(rem % 60),
                      .wday = (int)(((days % 7) + 11) % 7) };                  /* 1970-01-01: Thursday */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    t.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    t.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    t.year = yoe + era * 400 + (t.month <= 2);
    return t;
}

static int64_t s_from_date(const struct date *t)
{
    return days_from_civil(t->year, t->month, t->day) * S_PER_DAY + t->hour * 3600 + t->min * 60 + t->sec;
}

/* Set once by CPU 0 (vrtc_host_clock_init) before any VM runs, read-only after. */
static uint64_t host_epoch_s, host_tsc0;

void vrtc_host_clock_init(void)
{
    struct rtc_date d;
    host_tsc0 = rdtsc();
    if (mc146818_read(&d)) {
        hv_printf("rtc: host clock %04" PRIu32 "-%02u-%02u %02u:%02u:%02u UTC\n", d.year, d.month, d.day, d.hour,
                  d.min, d.sec);
    } else {
        d = (struct rtc_date){ .year = 2000, .month = 1, .day = 1 };
        hv_printf("rtc: cannot read the host's clock, VMs' clocks start at 2000-01-01\n");
    }
    struct date t = { .year = d.year, .month = d.month, .day = d.day, .hour = d.hour, .min = d.min, .sec = d.sec };
    host_epoch_s = (uint64_t)s_from_date(&t);
}

uint64_t vrtc_host_now_ns(void)
{
    return host_epoch_s * NS_PER_S + x86_scale(rdtsc() - host_tsc0, NS_PER_S, x86_tsc_hz());
}

/* The CMOS at power-on: registers A (32.768 kHz time base, 1024 Hz rate) and B (24-hour, BCD) as QEMU's
 * firmware leaves them, the rest zero but for the memory sizes (QEMU's pc_cmos_init): base memory in
 * KiB (0x15), KiB above 1 MiB up to 64 MiB (0x17, 0x30), 64 KiB units above 16 MiB below 4 GiB (0x34)
 * and above 4 GiB (0x5B, three bytes). The VM's clock starts as the host's. */
void vrtc_power_on(struct vrtc *r, uint64_t ram_bytes)
{
    *r = (struct vrtc){ 0 };
    r->cmos[REG_A] = 0x26;
    r->cmos[REG_B] = B_24H;
    uint64_t low = ram_bytes < X86_RAM_LOW_TOP ? ram_bytes : X86_RAM_LOW_TOP, high = ram_bytes - low;
    uint64_t ext_kb = low > (1u << 20) ? (low >> 10) - 1024 : 0, above16 = low > (16u << 20) ? (low - (16u << 20)) >> 16 : 0;
    if (ext_kb > 0xFFFF)
        ext_kb = 0xFFFF;
    if (above16 > 0xFFFF)
        above16 = 0xFFFF;
    high >>= 16;
    const uint8_t bytes[][2] = {
        { 0x15, 640 & 0xFF }, { 0x16, 640 >> 8 }, { 0x17, (uint8_t)ext_kb }, { 0x18, (uint8_t)(ext_kb >> 8) },
        { 0x30, (uint8_t)ext_kb }, { 0x31, (uint8_t)(ext_kb >> 8) }, { 0x34, (uint8_t)above16 },
        { 0x35, (uint8_t)(above16 >> 8) }, { 0x5B, (uint8_t)high }, { 0x5C, (uint8_t)(high >> 8) },
        { 0x5D, (uint8_t)(high >> 16) },
    };
    for (size_t i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++)
        r->cmos[bytes[i][0]] = bytes[i][1];
}

/* The VM's time in seconds: while SET is on, what the guest is writing; else the host's plus the offset. */
static int64_t vm_seconds(const struct vrtc *r, uint64_t now_ns)
{
    if (r->cmos[REG_B] & B_SET)
        return (int64_t)r->frozen_s;
    return (int64_t)(now_ns / NS_PER_S) + r->offset_s;
}

static uint8_t encode(const struct vrtc *r, int v)
{
    return (r->cmos[REG_B] & B_DM) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

/* A register value in the current data mode; -1 when it is not a number in that mode. */
static int decode(const struct vrtc *r, uint8_t v)
{
    if (r->cmos[REG_B] & B_DM)
        return v;
    return (v >> 4) > 9 || (v & 15) > 9 ? -1 : (v >> 4) * 10 + (v & 15);
}

static uint8_t time_read(const struct vrtc *r, uint8_t reg, const struct date *t)
{
    switch (reg) {
    case SEC: return encode(r, t->sec);
    case MIN: return encode(r, t->min);
    case HOUR:
        if (r->cmos[REG_B] & B_24H)
            return encode(r, t->hour);
        return (uint8_t)(encode(r, t->hour % 12 ? t->hour % 12 : 12) | (t->hour >= 12 ? HOUR_PM : 0));
    case WDAY: return encode(r, t->wday + 1);                   /* 1 = Sunday */
    case MDAY: return encode(r, t->day);
    case MONTH: return encode(r, t->month);
    case YEAR: return encode(r, (int)(t->year % 100));
    default: return encode(r, (int)(t->year / 100));           /* CENTURY */
    }
}

/* A write to a time register changes that field of the VM's time (the day of the week follows the date;
 * writes to it are ignored). Out-of-range values are ignored too. */
static void time_write(struct vrtc *r, uint8_t reg, uint8_t v, uint64_t now_ns)
{
    int64_t before = vm_seconds(r, now_ns);
    struct date t = date_from_s(before);
    int n = decode(r, reg == HOUR ? v & (uint8_t)~HOUR_PM : v);
    if (n < 0)
        return;
    switch (reg) {
    case SEC: if (n > 59) return; t.sec = n; break;
    case MIN: if (n > 59) return; t.min = n; break;
    case HOUR:
        if (r->cmos[REG_B] & B_24H) {
            if (n > 23) return;
            t.hour = n;
        } else {
            if (n < 1 || n > 12) return;
            t.hour = n % 12 + ((v & HOUR_PM) ? 12 : 0);
        }
        break;
    case MDAY: if (n < 1 || n > 31) return; t.day = n; break;
    case MONTH: if (n < 1 || n > 12) return; t.month = n; break;
    case YEAR: if (n > 99) return; t.year = t.year / 100 * 100 + n; break;
    case CENTURY: if (n > 99) return; t.year = (int64_t)n * 100 + t.year % 100; break;
    default: return;
    }
    int64_t after = s_from_date(&t);
    if (r->cmos[REG_B] & B_SET)
        r->frozen_s = (uint64_t)after;
    else
        r->offset_s += after - before;
}

static bool is_time_reg(uint8_t reg)
{
    return reg == SEC || reg == MIN || reg == HOUR || reg == WDAY || reg == MDAY || reg == MONTH ||
           reg == YEAR || reg == CENTURY;
}

uint8_t vrtc_read(struct vrtc *r, uint8_t reg, uint64_t now_ns)
{
    reg &= VRTC_CMOS_BYTES - 1;
    if (is_time_reg(reg)) {
        struct date t = date_from_s(vm_seconds(r, now_ns));
        return time_read(r, reg, &t);
    }
    switch (reg) {
    case REG_A: {
        bool uip = !(r->cmos[REG_B] & B_SET) && now_ns % NS_PER_S >= NS_PER_S - UIP_NS;
        return (uint8_t)((r->cmos[REG_A] & ~A_UIP) | (uip ? A_UIP : 0));
    }
    case REG_C: {                       /* flags since the last read, cleared by this one */
        uint64_t s = (uint64_t)vm_seconds(r, now_ns);
        bool uf = !(r->cmos[REG_B] & B_SET) && s != r->uf_s;
        r->uf_s = s;
        return (uint8_t)((uf ? C_UF : 0) | (uf && (r->cmos[REG_B] & B_UIE) ? C_IRQF : 0));
    }
    case REG_D: return D_VRT;
    default: return r->cmos[reg];
    }
}

void vrtc_write(struct vrtc *r, uint8_t reg, uint8_t value, uint64_t now_ns)
{
    reg &= VRTC_CMOS_BYTES - 1;
    if (is_time_reg(reg)) {
        time_write(r, reg, value, now_ns);
        return;
    }
    switch (reg) {
    case REG_A: r->cmos[REG_A] = value & ~A_UIP; break;     /* UIP is read-only */
    case REG_B: {
        bool was_set = r->cmos[REG_B] & B_SET, set = value & B_SET;
        if (set && !was_set) {
            r->frozen_s = (uint64_t)vm_seconds(r, now_ns);
            value &= ~B_UIE;            /* SET going high clears UIE */
        } else if (!set && was_set) {
            r->offset_s = (int64_t)r->frozen_s - (int64_t)(now_ns / NS_PER_S);   /* counting resumes */
        }
        r->cmos[REG_B] = value;
        break;
    }
    case REG_C: case REG_D: break;      /* read-only */
    default: r->cmos[reg] = value; break;
    }
}

static uint64_t rtc_port_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu; (void)size;
    struct vrtc *r = dev;
    if (off != 1)
        return 0xFF;                    /* the index register is write-only */
    spin_lock(&r->lock);
    uint8_t v = vrtc_read(r, r->index, vrtc_host_now_ns());
    spin_unlock(&r->lock);
    return v;
}

static void rtc_port_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)vcpu; (void)size;
    struct vrtc *r = dev;
    spin_lock(&r->lock);
    if (off == 0)
        r->index = (uint8_t)value & 0x7F;   /* bit 7 masks NMIs on a PC: the VM has no NMI source here */
    else
        vrtc_write(r, r->index, (uint8_t)value, vrtc_host_now_ns());
    spin_unlock(&r->lock);
}

static const struct mmio_ops rtc_ops = { rtc_port_read, rtc_port_write };

bool vrtc_register(struct vm *vm)
{
    vrtc_power_on(&vm->arch.rtc, vm->cfg->memory_bytes);
    return mmio_bus_register(&vm->pio, VRTC_PORT, 2, &rtc_ops, &vm->arch.rtc, "rtc") == 0;
}
