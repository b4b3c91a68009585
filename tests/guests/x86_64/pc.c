/* pc.c: the PC platform devices an OS probes, from inside a guest: the MC146818 RTC and CMOS RAM
 * (a date from the host's clock, seconds advancing, register C read-clear, binary mode, setting the
 * clock), PCI configuration mechanism #1 (the host bridge at 00:00.0, nothing at 00:1f.7, the
 * enable bit), the 8042 (self test, command byte), COM1's interrupts through the IOAPIC (THRE,
 * OUT2 gating, a byte received in loopback); then a VM reset through 0xCF9 and one through the
 * 8042 (command 0xFE): CMOS RAM survives each and carries the phase and the count of checks. */
#include "test.h"

#define VEC_COM1        0x52
#define COM1_GSI        4           /* ISA IRQ 4, no MADT override */
#define PHASE_BYTE      0x4F        /* CMOS RAM bytes the payload keeps across its resets */
#define COUNT_BYTE      0x4E
#define SCRATCH_BYTE    0x4D
#define PHASE_MAGIC     0xA0        /* | phase number: a stray value is not taken for a phase */

#define RTC_A           0x0A
#define RTC_B           0x0B
#define RTC_C           0x0C
#define RTC_CENTURY     0x32
#define A_UIP           0x80
#define B_SET           0x80
#define B_DM            0x04
#define C_UF            0x10

#define UART_RBR        (COM1_BASE + 0)
#define UART_IER        (COM1_BASE + 1)
#define UART_IIR        (COM1_BASE + 2)
#define UART_MCR        (COM1_BASE + 4)
#define UART_LSR        (COM1_BASE + 5)
#define UART_MSR        (COM1_BASE + 6)
#define MCR_DTR_RTS     0x03
#define MCR_OUT2        0x08
#define MCR_LOOP        0x10

static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
    outb(0x70, reg);
    outb(0x71, v);
}

static unsigned bcd(uint8_t v) { return (v >> 4) * 10 + (v & 15); }

struct rtc_now { unsigned year, month, day, hour, min, sec; };

/* The date in BCD, read after UIP is seen clear (MC146818A: no update for 244 us then). */
static bool rtc_now(struct rtc_now *t)
{
    uint64_t end = tsc() + us_to_tsc(100000);
    while (cmos_read(RTC_A) & A_UIP)
        if (tsc() > end)
            return false;
    *t = (struct rtc_now){ .sec = bcd(cmos_read(0x00)), .min = bcd(cmos_read(0x02)), .hour = bcd(cmos_read(0x04)),
                           .day = bcd(cmos_read(0x07)), .month = bcd(cmos_read(0x08)),
                           .year = bcd(cmos_read(RTC_CENTURY)) * 100 + bcd(cmos_read(0x09)) };
    return true;
}

static unsigned day_seconds(const struct rtc_now *t) { return t->hour * 3600 + t->min * 60 + t->sec; }

static void test_rtc(void)
{
    struct rtc_now a, b;
    uint8_t reg_b = cmos_read(RTC_B), reg_d = cmos_read(0x0D);
    bool ok = rtc_now(&a);
    printf("pc: rtc %04u-%02u-%02u %02u:%02u:%02u, register B 0x%02x, D 0x%02x\n", a.year, a.month, a.day, a.hour,
           a.min, a.sec, reg_b, reg_d);
    check(ok && reg_b == 0x02 && reg_d == 0x80 && a.year >= 2024 && a.year < 2100 && a.month >= 1 &&
          a.month <= 12 && a.day >= 1 && a.day <= 31 && a.hour < 24 && a.min < 60 && a.sec < 60,
          "rtc_date_from_host", "UIP cleared %d, register B 0x%x (want 0x02: BCD, 24 h), D 0x%x (want 0x80), "
          "%u-%u-%u %u:%u:%u", ok, reg_b, reg_d, a.year, a.month, a.day, a.hour, a.min, a.sec);

    cmos_read(RTC_C);                                   /* clear the flags */
    delay_us(1500000);
    uint8_t c1 = cmos_read(RTC_C), c2 = cmos_read(RTC_C);
    ok = rtc_now(&b);
    unsigned d = (day_seconds(&b) + 86400 - day_seconds(&a)) % 86400;
    check(ok && d >= 1 && d <= 3, "rtc_seconds_advance", "%u s passed in 1.5 s (UIP cleared %d)", d, ok);
    check((c1 & C_UF) && c2 == 0, "rtc_reg_c_read_clears", "register C 0x%x after 1.5 s (want UF 0x10), then "
          "0x%x (want 0)", c1, c2);

    /* Binary mode (register B DM): the same year, not in BCD. */
    cmos_write(RTC_B, 0x02 | B_DM);
    uint8_t year_bin = cmos_read(0x09), century_bin = cmos_read(RTC_CENTURY);
    cmos_write(RTC_B, 0x02);
    check(year_bin == b.year % 100 && century_bin == b.year / 100, "rtc_binary_mode",
          "binary year %u century %u, BCD said %u", year_bin, century_bin, b.year);

    /* Setting the clock (as an OS does: SET, write, clear SET) moves the VM's time; set it back. */
    cmos_write(RTC_B, 0x02 | B_SET);
    cmos_write(0x09, (uint8_t)(((b.year + 1) % 100 / 10) << 4 | (b.year + 1) % 10));
    cmos_write(RTC_B, 0x02);
    struct rtc_now s;
    bool set_ok = rtc_now(&s);
    cmos_write(RTC_B, 0x02 | B_SET);
    cmos_write(0x09, (uint8_t)((b.year % 100 / 10) << 4 | b.year % 10));
    cmos_write(RTC_B, 0x02);
    struct rtc_now r;
    bool back_ok = rtc_now(&r);
    check(set_ok && back_ok && s.year == b.year + 1 && r.year == b.year && s.month == b.month,
          "rtc_set_year", "after writing year %u: %u (month %u, was %u); set back: %u", b.year + 1, s.year,
          s.month, b.month, r.year);

    cmos_write(SCRATCH_BYTE, 0x5A);
    uint8_t x = cmos_read(SCRATCH_BYTE);
    cmos_write(SCRATCH_BYTE, 0xA5);
    uint8_t y = cmos_read(SCRATCH_BYTE);
    check(x == 0x5A && y == 0xA5, "cmos_ram_bytes", "0x%x, 0x%x (want 0x5a, 0xa5)", x, y);
}

static uint32_t pci_read32(uint32_t address)
{
    outl(0xCF8, address);
    return inl(0xCFC);
}

static void test_pci(void)
{
    outl(0xCF8, 0x80000000u);
    uint32_t addr = inl(0xCF8), id = inl(0xCFC);
    uint16_t id_hi = inw(0xCFE);
    uint8_t id_b3 = inb(0xCFF);
    uint32_t class = pci_read32(0x80000008u) >> 8, absent = pci_read32(0x8000FF00u);   /* 00:1f.7 */
    outl(0xCF8, 0x00000000u);
    uint32_t disabled = inl(0xCFC);
    check(addr == 0x80000000u && id == 0x29C08086u && id_hi == 0x29C0 && id_b3 == 0x29 && class == 0x060000 &&
          absent == 0xFFFFFFFFu && disabled == 0xFFFFFFFFu, "pci_conf1_host_bridge",
          "CONFIG_ADDRESS read 0x%x; 00:00.0 ID 0x%x (want 0x29c08086), word at 0xCFE 0x%x, byte at 0xCFF 0x%x, "
          "class 0x%x (want 0x060000); 00:1f.7 0x%x, with enable clear 0x%x (want all ones)", addr, id, id_hi,
          id_b3, class, absent, disabled);
}

static bool kbc_wait_input_empty(void)
{
    for (int i = 0; i < 100000; i++)
        if (!(inb(0x64) & 0x02))
            return true;
    return false;
}

static int kbc_read(void)
{
    for (int i = 0; i < 100000; i++)
        if (inb(0x64) & 0x01)
            return inb(0x60);
    return -1;
}

static void test_i8042(void)
{
    while (inb(0x64) & 0x01)                            /* whatever the firmware left */
        inb(0x60);
    uint8_t status = inb(0x64);
    kbc_wait_input_empty();
    outb(0x64, 0xAA);
    int selftest = kbc_read();
    outb(0x64, 0x20);
    int ccb = kbc_read();
    outb(0x64, 0x60);
    kbc_wait_input_empty();
    outb(0x60, (uint8_t)(ccb ^ 0x10));                  /* keyboard disable bit */
    outb(0x64, 0x20);
    int ccb2 = kbc_read();
    outb(0x64, 0x60);
    kbc_wait_input_empty();
    outb(0x60, (uint8_t)ccb);
    check(status != 0xFF && !(status & 0x02) && selftest == 0x55 && ccb >= 0 && ccb2 == (ccb ^ 0x10),
          "i8042_self_test_and_command_byte", "status 0x%x, self test 0x%x (want 0x55), command byte 0x%x, "
          "0x%x after writing 0x%x", status, selftest, ccb, ccb2, ccb ^ 0x10);
}

/* COM1 is the console: nothing is printed between setting IER/MCR/loopback and restoring them. */
static void test_uart_irq(void)
{
    const volatile uint32_t *count = &cpus[0].irq_count[VEC_COM1];
    ioapic_write_rte(COM1_GSI, VEC_COM1 | RTE_DEST(lapic_id()));

    /* OUT2 clear: the UART has the THRE interrupt (IIR says so) but the line stays low. */
    uint32_t n0 = *count;
    outb(UART_MCR, MCR_DTR_RTS);
    outb(UART_IER, 0x02);
    delay_us(20000);
    uint32_t gated = *count - n0;
    uint8_t iir_gated = inb(UART_IIR);                  /* also clears THRE */
    outb(UART_IER, 0);

    /* OUT2 set, ETBEI 0 -> 1 with THR empty: THRE, one edge on GSI 4. */
    n0 = *count;
    outb(UART_MCR, MCR_DTR_RTS | MCR_OUT2);
    outb(UART_IER, 0x02);
    bool thre = wait_ge(count, n0 + 1, 100000);
    uint8_t iir_thre = inb(UART_IIR), iir_after = inb(UART_IIR);
    outb(UART_IER, 0);
    delay_us(10000);
    uint32_t thre_n = *count - n0;

    /* Loopback: the byte written comes back in RBR and raises the receive interrupt. */
    outb(UART_MCR, MCR_LOOP | MCR_OUT2 | MCR_DTR_RTS);
    uint8_t msr = inb(UART_MSR) & 0xF0;
    n0 = *count;
    outb(UART_IER, 0x01);
    outb(UART_RBR, 0x5A);
    bool rda = wait_ge(count, n0 + 1, 100000);
    uint8_t iir_rda = inb(UART_IIR), lsr = inb(UART_LSR), byte = inb(UART_RBR), iir_empty = inb(UART_IIR);
    outb(UART_IER, 0);
    outb(UART_MCR, MCR_DTR_RTS);
    ioapic_write_rte(COM1_GSI, RTE_MASKED);
    uint32_t rda_n = *count - n0;

    SKIP_IF_NOT_HV("uart_out2_gates_irq")               /* QEMU's 16550 ignores OUT2 */
        check(gated == 0 && iir_gated == 0xC2, "uart_out2_gates_irq",
              "%u interrupts with OUT2 clear (want 0), IIR 0x%x (want 0xc2: THRE)", gated, iir_gated);
    check(thre && thre_n == 1 && iir_thre == 0xC2 && iir_after == 0xC1, "uart_thre_irq",
          "THRE: %u interrupts at vector 0x%x (want 1), IIR 0x%x then 0x%x (want 0xc2, then 0xc1 as the read "
          "cleared it)", thre_n, VEC_COM1, iir_thre, iir_after);
    check(rda && rda_n == 1 && msr == 0xB0 && iir_rda == 0xC4 && (lsr & 0x01) && byte == 0x5A && iir_empty == 0xC1,
          "uart_loopback_rx_irq", "loopback MSR 0x%x (want 0xb0), %u receive interrupts (want 1), IIR 0x%x "
          "(want 0xc4), LSR 0x%x, byte 0x%x (want 0x5a), IIR after 0x%x (want 0xc1)", msr, rda_n, iir_rda, lsr,
          byte, iir_empty);
}

int main(void)
{
    uint8_t phase = cmos_read(PHASE_BYTE);
    if (phase == (PHASE_MAGIC | 1)) {
        test_carry_passed(cmos_read(COUNT_BYTE));
        CHECK(true, "reset_cf9_restarts_vm_cmos_kept");
        cmos_write(COUNT_BYTE, (uint8_t)test_passed_count());
        cmos_write(PHASE_BYTE, PHASE_MAGIC | 2);
        printf("pc: resetting through the 8042 (0xFE to port 0x64)\n");
        kbc_wait_input_empty();
        outb(0x64, 0xFE);
        delay_us(200000);
        check(false, "reset_8042", "still running 200 ms after 0xFE to port 0x64");
        test_done();
    }
    if (phase == (PHASE_MAGIC | 2)) {
        test_carry_passed(cmos_read(COUNT_BYTE));
        CHECK(true, "reset_8042_restarts_vm_cmos_kept");
        cmos_write(PHASE_BYTE, 0);
        cmos_write(COUNT_BYTE, 0);
        test_done();
    }
    printf("pc: start (phase byte 0x%x)\n", phase);
    test_rtc();
    test_pci();
    test_i8042();
    test_uart_irq();
    if (test_failed_count())
        test_done();                                    /* the resets only once everything before held */
    cmos_write(COUNT_BYTE, (uint8_t)test_passed_count());
    cmos_write(PHASE_BYTE, PHASE_MAGIC | 1);
    printf("pc: resetting through 0xCF9\n");
    outb(0xCF9, 0x02);
    outb(0xCF9, 0x06);
    delay_us(200000);
    check(false, "reset_cf9", "still running 200 ms after writing 0x06 to 0xCF9");
    cmos_write(PHASE_BYTE, 0);
    test_done();
}
