/* passthrough.c: a physical device passed through from hv.cfg ('device = 0x09010000 4K spi 34'):
 * QEMU virt's PL031 RTC and its SPI 2 (INTID 34). With the device in its DTB (the hypervisor
 * adds the pl031 node when it passes the RTC through; bare QEMU always has it) the payload
 * owns it: RTCDR advances, a match interrupt (RTCMR = RTCDR + 1, RTCIMSC) arrives as INTID 34
 * through the GIC, is cleared (RTCICR) and EOIed, and a second one arrives too, which proves
 * the guest's deactivation ended the physical interrupt (ICH_LR<n>_EL2.HW). Its pending state
 * is the device's line: several alarms run the handler once each whether it clears the RTC
 * before or after its EOI, and a pending SPI whose line drops is no longer pending. With a
 * second CPU, routed there, it arrives on CPU 1 twice. Without the device
 * in its DTB the payload is the other VM: reading or writing 0x09010000 must abort. */
#include "gic.h"
#include "test.h"

#define PL031_BASE  0x09010000ul
#define RTCDR       0x000          /* data: seconds */
#define RTCMR       0x004          /* match */
#define RTCIMSC     0x010          /* interrupt mask set/clear: 1 = enabled */
#define RTCRIS      0x014
#define RTCMIS      0x018
#define RTCICR      0x01c          /* write 1: clear */
#define PL031_PID0  0xfe0          /* PrimeCell peripheral ID: 0x31 */
#define SPI_RTC     34
#define PPI_VTIMER  27             /* the backstop that ends a WFI wait at its timeout */
#define PRIO        0x80
#define WAIT_US     4000000ull

static volatile uint64_t rtc_hits, rtc_mis, other_hits, cpu1_hits, cpu1_ready;
static volatile uint64_t rtc_stale;     /* handler entries that found RIS or MIS clear */
static volatile uint64_t eoi_first;     /* the handler EOIs before it clears the device */

static void irq_handler(void)
{
    uint32_t intid = gic_ack();
    if (intid >= 1020)
        return;
    if (intid == PPI_VTIMER) {
        write_sysreg(cntv_ctl_el0, 0);
        isb();
    } else if (intid == SPI_RTC) {
        uint32_t ris = mmio_read32(PL031_BASE + RTCRIS), mis = mmio_read32(PL031_BASE + RTCMIS);
        shared_store(&rtc_mis, mis);
        if (!(ris & mis & 1))
            shared_store(&rtc_stale, shared_load(&rtc_stale) + 1);
        if (shared_load(&eoi_first)) {
            /* EOI while the line is still high: the SPI is pending again at once, and stays
             * so until the device drops the line; IRQs stay masked here meanwhile. */
            gic_eoi(intid);
            delay_us(2000);
            mmio_write32(PL031_BASE + RTCICR, 1);
            dsb(sy);
            shared_store(&rtc_hits, shared_load(&rtc_hits) + 1);
            return;
        }
        mmio_write32(PL031_BASE + RTCICR, 1);     /* the device's line drops before the EOI */
        dsb(sy);
        shared_store(&rtc_hits, shared_load(&rtc_hits) + 1);
        if (cpu_index() == 1)
            shared_store(&cpu1_hits, shared_load(&cpu1_hits) + 1);
    } else {
        shared_store(&other_hits, shared_load(&other_hits) + 1);
    }
    gic_eoi(intid);
}

/* wfi: the interrupt comes to this CPU; otherwise poll (another CPU takes it). */
static bool wait_hits_on(uint64_t want, uint64_t timeout_us, bool wfi)
{
    uint64_t end = counter() + timeout_us * counter_freq() / 1000000;
    if (wfi) {                               /* CNTV at the timeout: WFI cannot sleep forever */
        write_sysreg(cntv_cval_el0, end);
        write_sysreg(cntv_ctl_el0, 1);
        isb();
    }
    while (shared_load(&rtc_hits) < want && counter() < end) {
        if (wfi)
            __asm__ volatile("wfi");
        else
            delay_us(1000);
    }
    write_sysreg(cntv_ctl_el0, 0);
    isb();
    return shared_load(&rtc_hits) >= want;
}

static bool wait_hits(uint64_t want, uint64_t timeout_us)
{
    return wait_hits_on(want, timeout_us, true);
}

/* One match interrupt: RTCMR one second ahead, the interrupt unmasked. */
static void arm_match(void)
{
    mmio_write32(PL031_BASE + RTCICR, 1);
    mmio_write32(PL031_BASE + RTCMR, mmio_read32(PL031_BASE + RTCDR) + 1);
    mmio_write32(PL031_BASE + RTCIMSC, 1);
    dsb(sy);
}

/* Several alarms, each followed by a quiet delay: the handler runs exactly once per alarm and
 * finds the alarm in RIS and MIS every time (a virtual SPI left pending after the device
 * dropped its line would run it again with both 0). IRQs unmasked on entry and exit. */
#define ALARMS 3
static void alarms_once_each(bool eoi_before_clear, const char *name)
{
    uint64_t before = shared_load(&rtc_hits), stale = shared_load(&rtc_stale), bad = 0, seen = 0;
    shared_store(&eoi_first, eoi_before_clear);
    for (int i = 0; i < ALARMS; i++) {
        uint64_t want = before + (uint64_t)i + 1;
        arm_match();
        bool hit = wait_hits(want, WAIT_US);
        delay_us(300000);
        seen = shared_load(&rtc_hits) - before;
        if (!hit || seen != (uint64_t)i + 1)
            bad++;
    }
    mmio_write32(PL031_BASE + RTCIMSC, 0);
    shared_store(&eoi_first, 0);
    check(bad == 0 && shared_load(&rtc_stale) == stale, name,
          "%d alarms: handler ran %lu times, %lu alarms off, %lu entries with RIS/MIS 0", ALARMS, seen, bad,
          shared_load(&rtc_stale) - stale);
}

/* A pending SPI not taken yet (IRQs masked) whose device line drops is no longer pending
 * (IHI 0069, level-sensitive interrupts: pending while the line is asserted), with no
 * GICD_ICPENDR, and is never taken afterwards. */
static void line_drop_withdraws_pending(void)
{
    uint64_t before = shared_load(&rtc_hits);
    irq_mask();
    arm_match();
    uint64_t end = counter() + 4 * counter_freq();
    while (!gic_irq_pending(SPI_RTC) && counter() < end)
        delay_us(1000);
    bool was_pending = gic_irq_pending(SPI_RTC);
    mmio_write32(PL031_BASE + RTCIMSC, 0);
    mmio_write32(PL031_BASE + RTCICR, 1);
    dsb(sy);
    bool still = gic_irq_pending(SPI_RTC);
    check(was_pending && !still, "line_drop_withdraws_pending", "pending %d, after the line dropped %d",
          was_pending, still);
    irq_unmask();
    delay_us(300000);
    CHECK_EQ(shared_load(&rtc_hits) - before, 0, "line_drop_not_taken_later");
}

static void owner(void)
{
    CHECK_EQ(mmio_read32(PL031_BASE + PL031_PID0) & 0xff, 0x31, "pl031_peripheral_id");
    uint32_t t0 = mmio_read32(PL031_BASE + RTCDR), t1 = t0;
    uint64_t end = counter() + 3 * counter_freq();
    while (t1 == t0 && counter() < end)
        t1 = mmio_read32(PL031_BASE + RTCDR);
    check(t1 > t0, "rtc_advances", "RTCDR %u then %u after up to 3 s", t0, t1);

    gic_dist_init();
    if (!check(gic_cpu_init(), "gic_redistributor_found", "no redistributor for this CPU"))
        return;
    irq_set_handler(irq_handler);
    gic_irq_enable(PPI_VTIMER, PRIO);
    gic_irq_enable(SPI_RTC, PRIO);
    irq_unmask();

    arm_match();
    check(wait_hits(1, WAIT_US), "rtc_spi34_delivered", "no INTID %d within %llu us (RTCRIS %u)", SPI_RTC,
          WAIT_US, mmio_read32(PL031_BASE + RTCRIS));
    CHECK_EQ(shared_load(&rtc_mis) & 1, 1, "rtc_mis_in_handler");
    CHECK_EQ(mmio_read32(PL031_BASE + RTCRIS) & 1, 0, "rtc_cleared_by_icr");
    check(!gic_irq_active(SPI_RTC) && !gic_irq_pending(SPI_RTC), "spi34_idle_after_eoi", "active %d pending %d",
          gic_irq_active(SPI_RTC), gic_irq_pending(SPI_RTC));

    /* A second match: only arrives if the guest's EOI deactivated the physical SPI. */
    arm_match();
    check(wait_hits(2, WAIT_US), "rtc_spi34_again", "took INTID %d %lu times", SPI_RTC, shared_load(&rtc_hits));
    mmio_write32(PL031_BASE + RTCIMSC, 0);
    delay_us(100000);
    CHECK_EQ(shared_load(&rtc_hits), 2, "rtc_spi34_once_per_match");
    CHECK_EQ(shared_load(&other_hits), 0, "no_other_interrupts");

    /* A forwarded SPI the guest withdraws before taking it (device line lowered, then
     * GICD_ICPENDR): the next match must still arrive, so the withdrawal ended the physical
     * SPI too. */
    irq_mask();
    arm_match();
    end = counter() + 4 * counter_freq();
    while (!gic_irq_pending(SPI_RTC) && counter() < end)
        delay_us(1000);
    CHECK(gic_irq_pending(SPI_RTC), "rtc_spi34_pending_while_masked");
    mmio_write32(PL031_BASE + RTCIMSC, 0);
    mmio_write32(PL031_BASE + RTCICR, 1);
    dsb(sy);
    gic_irq_clear_pending(SPI_RTC);
    CHECK(!gic_irq_pending(SPI_RTC), "icpendr_withdraws_it");
    irq_unmask();
    uint64_t before = shared_load(&rtc_hits);
    arm_match();
    check(wait_hits(before + 1, WAIT_US), "rtc_spi34_after_icpendr", "took INTID %d %lu times", SPI_RTC,
          shared_load(&rtc_hits) - before);
    mmio_write32(PL031_BASE + RTCIMSC, 0);
    alarms_once_each(false, "rtc_alarms_once_each_clear_then_eoi");
    alarms_once_each(true, "rtc_alarms_once_each_eoi_then_clear");
    line_drop_withdraws_pending();
    irq_mask();
}

/* CPU 1 routes the SPI to itself (GICD_IROUTER = its MPIDR) and takes it. */
void secondary_main(uint64_t context_id)
{
    (void)context_id;
    if (!gic_cpu_init())
        return;
    gic_irq_enable(SPI_RTC, PRIO);
    irq_unmask();
    shared_store(&cpu1_ready, 1);
    for (;;)                                 /* until main's SYSTEM_OFF */
        __asm__ volatile("wfi");
}

/* With a second CPU: the SPI routed to CPU 1 arrives there, twice (the physical SPI still goes
 * to the first pCPU under hv; CPU 1's deactivation must end it too). */
static void on_cpu1(void *dtb)
{
    uint64_t cpus[2];
    if (fdt_cpus(dtb, cpus, 2) < 2)
        return;                              /* one CPU: nothing to check */
    if (!check(psci_cpu_on_entry(cpus[1], 0) == PSCI_SUCCESS && shared_wait(&cpu1_ready, 1, 2000000),
               "cpu1_online", "CPU 1 did not come up"))
        return;
    uint64_t before = shared_load(&rtc_hits);
    arm_match();
    check(wait_hits_on(before + 1, WAIT_US, false) && shared_load(&cpu1_hits) == 1, "rtc_spi34_on_cpu1",
          "CPU 1 took it %lu times, %lu in all", shared_load(&cpu1_hits), shared_load(&rtc_hits) - before);
    arm_match();
    check(wait_hits_on(before + 2, WAIT_US, false) && shared_load(&cpu1_hits) == 2, "rtc_spi34_on_cpu1_again",
          "CPU 1 took it %lu times, %lu in all", shared_load(&cpu1_hits), shared_load(&rtc_hits) - before);
    mmio_write32(PL031_BASE + RTCIMSC, 0);
}

/* The device belongs to another VM: nothing is mapped at its address here. */
static uint64_t write_probe(uint64_t addr)
{
    return probe_write64(addr, 0x5ca1ab1e);
}

static void isolated(void)
{
    struct exc_record rec;
    bool ok = exc_expect(probe_read64, PL031_BASE, EC_DABT_CUR, probe_read64_insn, &rec);
    check(ok && ESR_DFSC(rec.esr) == DFSC_SEA, "device_read_aborts", "esr 0x%lx far 0x%lx", rec.esr, rec.far);
    ok = exc_expect(write_probe, PL031_BASE + RTCIMSC, EC_DABT_CUR, probe_write64_insn, &rec);
    check(ok && ESR_DFSC(rec.esr) == DFSC_SEA, "device_write_aborts", "esr 0x%lx far 0x%lx", rec.esr, rec.far);
}

int main(void *dtb)
{
    if (fdt_has_compatible(dtb, "arm,pl031")) {
        puts("passthrough: the PL031 is mine\n");
        owner();
        on_cpu1(dtb);
    } else {
        puts("passthrough: no PL031 in my device tree\n");
        isolated();
    }
    return 0;
}
