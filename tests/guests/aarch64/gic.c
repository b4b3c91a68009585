/* gic.c: the GICv3 as a guest drives it (QEMU virt, 2 CPUs): pending/active transitions seen in
 * GICD_ISPENDR/ISACTIVER with EOImode 0 and 1 (ICC_DIR_EL1), priority masking by ICC_PMR_EL1,
 * SGIs between CPUs (targeted, broadcast, to self), the virtual timer's PPI 27 at its deadline,
 * and the PL011's SPI 33. Runs the same on bare QEMU (-M virt,gic-version=3 -smp 2) and under
 * hv. */
#include "gic.h"
#include "test.h"

#define SGI_PING   1        /* CPU 0 -> CPU 1, which answers with SGI_PONG */
#define SGI_PONG   2
#define SGI_BCAST  3        /* IRM = 1: every CPU but the sender */
#define SGI_SELF   4
#define SGI_STOP   5        /* CPU 1 leaves its wait loop */
#define PPI_VTIMER 27
#define PPI_PTIMER 30
#define SPI_UART   33       /* PL011 UARTINTR, SPI 1 */
#define SPI_SOFT   40       /* SPIs with no device: made pending by software */
#define SPI_MASKED 41
#define PRIO       0x80
#define TRACKED    64

#define UARTMIS    0x040
#define UARTIMSC   0x038
#define UART_TXIM  (1u << 5)
#define CNTV_ENABLE 1u

/* hits[cpu][intid]: interrupts taken; each CPU writes only its own row. */
static volatile uint64_t hits[2][TRACKED];
static volatile uint64_t timer_at, ptimer_at, uart_mis, cpu1_ready, cpu1_stop;

static void count(unsigned cpu, uint32_t intid)
{
    if (cpu < 2 && intid < TRACKED)
        shared_store(&hits[cpu][intid], shared_load(&hits[cpu][intid]) + 1);
}

static uint64_t hit(unsigned cpu, uint32_t intid)
{
    return shared_load(&hits[cpu][intid]);
}

/* EOImode 0 here: the EOIR both drops the priority and deactivates. Each device's line is
 * lowered before the EOI, as a driver does. */
static void irq_handler(void)
{
    uint32_t intid = gic_ack();
    if (intid >= 1020)
        return;
    unsigned cpu = cpu_index();
    if (intid == PPI_VTIMER) {
        shared_store(&timer_at, counter());
        write_sysreg(cntv_ctl_el0, 0);
        isb();
    } else if (intid == PPI_PTIMER) {
        isb();
        shared_store(&ptimer_at, read_sysreg(cntpct_el0));
        write_sysreg(cntp_ctl_el0, 0);
        isb();
    } else if (intid == SPI_UART) {
        shared_store(&uart_mis, mmio_read32(PL011_BASE + UARTMIS));
        mmio_write32(PL011_BASE + UARTIMSC, 0);
    } else if (intid == SGI_PING && cpu == 1) {
        gic_send_sgi(SGI_PONG, 0);
    }
    count(cpu, intid);
    gic_eoi(intid);
}

void secondary_main(uint64_t context_id)
{
    (void)context_id;
    if (!gic_cpu_init())
        return;
    gic_irq_enable(SGI_PING, PRIO);
    gic_irq_enable(SGI_BCAST, PRIO);
    gic_irq_enable(SGI_STOP, PRIO);
    irq_unmask();
    shared_store(&cpu1_ready, 1);
    while (!shared_load(&cpu1_stop))
        __asm__ volatile("wfi");
    irq_mask();
}

static bool wait_hits(unsigned cpu, uint32_t intid, uint64_t want, uint64_t timeout_us)
{
    return shared_wait(&hits[cpu][intid], want, timeout_us);
}

/* With IRQs masked at PSTATE, the interrupt is taken by polling ICC_IAR1_EL1. */
static void test_pending_active(void)
{
    gic_irq_set_edge(SPI_SOFT, true);
    gic_irq_enable(SPI_SOFT, PRIO);
    gic_irq_set_pending(SPI_SOFT);
    check(gic_irq_pending(SPI_SOFT) && !gic_irq_active(SPI_SOFT), "spi_pending_after_ispendr",
          "pending %d active %d, want 1 0", gic_irq_pending(SPI_SOFT), gic_irq_active(SPI_SOFT));
    CHECK_EQ(gic_ack(), SPI_SOFT, "ack_returns_the_spi");
    check(!gic_irq_pending(SPI_SOFT) && gic_irq_active(SPI_SOFT), "spi_active_after_ack",
          "pending %d active %d, want 0 1", gic_irq_pending(SPI_SOFT), gic_irq_active(SPI_SOFT));
    gic_irq_set_pending(SPI_SOFT);
    check(gic_irq_pending(SPI_SOFT) && gic_irq_active(SPI_SOFT), "spi_active_and_pending",
          "pending %d active %d, want 1 1", gic_irq_pending(SPI_SOFT), gic_irq_active(SPI_SOFT));

    gic_set_eoimode(true);
    gic_eoi(SPI_SOFT);                               /* priority drop only */
    CHECK(gic_irq_active(SPI_SOFT), "eoimode1_eoir_keeps_it_active");
    CHECK_EQ(gic_ack(), GIC_SPURIOUS, "active_and_pending_not_signalled");
    gic_dir(SPI_SOFT);
    check(!gic_irq_active(SPI_SOFT) && gic_irq_pending(SPI_SOFT), "dir_deactivates",
          "pending %d active %d, want 1 0", gic_irq_pending(SPI_SOFT), gic_irq_active(SPI_SOFT));
    CHECK_EQ(gic_ack(), SPI_SOFT, "pending_again_after_dir");
    gic_eoi(SPI_SOFT);
    gic_dir(SPI_SOFT);
    check(!gic_irq_active(SPI_SOFT) && !gic_irq_pending(SPI_SOFT), "eoimode1_ends_inactive",
          "pending %d active %d, want 0 0", gic_irq_pending(SPI_SOFT), gic_irq_active(SPI_SOFT));
    CHECK_EQ(gic_ack(), GIC_SPURIOUS, "nothing_left_pending");
    gic_set_eoimode(false);
    gic_irq_disable(SPI_SOFT);
}

/* ICC_PMR_EL1 = the interrupt's priority masks it: it stays pending until the mask lifts. */
static void test_priority_mask(void)
{
    gic_irq_set_edge(SPI_MASKED, true);
    gic_irq_enable(SPI_MASKED, PRIO);
    gic_set_pmr(PRIO);
    irq_unmask();
    gic_irq_set_pending(SPI_MASKED);
    delay_us(20000);
    check(hit(0, SPI_MASKED) == 0 && gic_irq_pending(SPI_MASKED), "pmr_masked_stays_pending",
          "taken %lu times, pending %d", hit(0, SPI_MASKED), gic_irq_pending(SPI_MASKED));
    gic_set_pmr(PRIO + 0x10);
    check(wait_hits(0, SPI_MASKED, 1, 1000000), "pmr_unmask_delivers", "taken %lu times", hit(0, SPI_MASKED));
    irq_mask();
    gic_set_pmr(0xff);
    gic_irq_disable(SPI_MASKED);
}

static void test_sgis(const uint64_t *cpus, unsigned n)
{
    static const char *const names[] = { "sgi_targeted", "sgi_answer_to_sender", "sgi_broadcast",
                                         "sgi_broadcast_not_to_sender", "sgi_self" };
    if (n < 2 || psci_cpu_on_entry(cpus[1], 0) != PSCI_SUCCESS || !shared_wait(&cpu1_ready, 1, 2000000)) {
        for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            skip(names[i], "no second CPU");
        return;
    }
    unsigned cpu1 = (unsigned)(cpus[1] & 0xff);
    gic_irq_enable(SGI_PONG, PRIO);
    gic_irq_enable(SGI_BCAST, PRIO);
    gic_irq_enable(SGI_SELF, PRIO);
    irq_unmask();
    gic_send_sgi(SGI_PING, cpu1);
    check(wait_hits(1, SGI_PING, 1, 1000000), "sgi_targeted", "CPU 1 took SGI %d %lu times", SGI_PING,
          hit(1, SGI_PING));
    check(wait_hits(0, SGI_PONG, 1, 1000000), "sgi_answer_to_sender", "CPU 0 took SGI %d %lu times", SGI_PONG,
          hit(0, SGI_PONG));
    gic_send_sgi_others(SGI_BCAST);
    check(wait_hits(1, SGI_BCAST, 1, 1000000), "sgi_broadcast", "CPU 1 took SGI %d %lu times", SGI_BCAST,
          hit(1, SGI_BCAST));
    delay_us(20000);
    CHECK_EQ(hit(0, SGI_BCAST), 0, "sgi_broadcast_not_to_sender");
    gic_send_sgi(SGI_SELF, (unsigned)(mpidr() & 0xff));
    check(wait_hits(0, SGI_SELF, 1, 1000000), "sgi_self", "CPU 0 took SGI %d %lu times", SGI_SELF,
          hit(0, SGI_SELF));
    irq_mask();
    shared_store(&cpu1_stop, 1);
    gic_send_sgi(SGI_STOP, cpu1);
    for (int i = 0; i < 1000 && psci_affinity_info(cpus[1]) != AFFINITY_OFF; i++)
        delay_us(1000);
}

/* CNTV 10 ms ahead: PPI 27 arrives, not before CVAL, while the CPU waits in WFI; the guest's
 * CNTV_CTL_EL0 reads back as written. */
static void test_vtimer(void)
{
    uint64_t freq = counter_freq();
    gic_irq_enable(PPI_VTIMER, PRIO);
    irq_unmask();
    uint64_t cval = counter() + freq / 100;
    write_sysreg(cntv_cval_el0, cval);
    write_sysreg(cntv_ctl_el0, CNTV_ENABLE);
    isb();
    uint64_t ctl = read_sysreg(cntv_ctl_el0);
    while (!shared_load(&timer_at) && counter() < cval + freq)
        __asm__ volatile("wfi");
    irq_mask();
    uint64_t at = shared_load(&timer_at);
    CHECK_EQ(ctl & 3, CNTV_ENABLE, "vtimer_ctl_as_written");
    check(at != 0, "vtimer_ppi27_fires", "no interrupt within 1 s of the deadline");
    check(at >= cval, "vtimer_ppi27_not_before_deadline", "taken at CNTVCT %lu, CVAL %lu", at, cval);
    check(at != 0 && at - cval < freq / 2, "vtimer_ppi27_at_deadline", "taken %lu ticks after CVAL", at - cval);
    CHECK_EQ(hit(0, PPI_VTIMER), 1, "vtimer_ppi27_once");
    gic_irq_disable(PPI_VTIMER);
}

/* The EL1 physical timer the same way: CNTP 10 ms ahead, PPI 30, compared with CNTPCT. */
static void test_ptimer(void)
{
    uint64_t freq = counter_freq();
    gic_irq_enable(PPI_PTIMER, PRIO);
    irq_unmask();
    isb();
    uint64_t cval = read_sysreg(cntpct_el0) + freq / 100;
    write_sysreg(cntp_cval_el0, cval);
    write_sysreg(cntp_ctl_el0, CNTV_ENABLE);
    isb();
    while (!shared_load(&ptimer_at) && read_sysreg(cntpct_el0) < cval + freq)
        __asm__ volatile("wfi");
    irq_mask();
    uint64_t at = shared_load(&ptimer_at);
    check(at >= cval && at - cval < freq / 2, "ptimer_ppi30_at_deadline", "taken at CNTPCT %lu, CVAL %lu", at, cval);
    CHECK_EQ(hit(0, PPI_PTIMER), 1, "ptimer_ppi30_once");
    gic_irq_disable(PPI_PTIMER);
}

/* The PL011's transmit interrupt is raised while TX has room (RIS.TX) and IMSC.TXIM is set:
 * SPI 33, level; the handler masks it again and the line drops. */
static void test_uart(void)
{
    gic_irq_enable(SPI_UART, PRIO);
    irq_unmask();
    mmio_write32(PL011_BASE + UARTIMSC, UART_TXIM);
    for (int i = 0; i < 1000 && !shared_load(&uart_mis); i++)
        delay_us(1000);
    delay_us(10000);
    irq_mask();
    check(shared_load(&uart_mis) & UART_TXIM, "uart_spi33_tx", "UARTMIS 0x%lx in the handler",
          shared_load(&uart_mis));
    CHECK_EQ(hit(0, SPI_UART), 1, "uart_spi33_level_drops");
    gic_irq_disable(SPI_UART);
}

/* What the guest is told: GICv3 system registers, a GICv3 distributor with LPIs and at least
 * 64 SPIs, 16-bit INTIDs, and a redistributor carrying this CPU's affinity. */
static void test_identification(void)
{
    uint32_t typer = mmio_read32(GICD_BASE + 0x0004), pidr2 = mmio_read32(GICD_BASE + 0xffe8);
    uint64_t gicr_typer = *(volatile uint64_t *)(gic_rd_base() + 0x0008), m = mpidr();
    CHECK_EQ((read_sysreg(id_aa64pfr0_el1) >> 24) & 0xf, 1, "id_aa64pfr0_gic_sysregs");
    check((typer & 0x1f) >= 2 && (typer >> 17 & 1) && ((typer >> 19) & 0x1f) >= 13, "gicd_typer",
          "GICD_TYPER 0x%x: want ITLinesNumber >= 2, LPIS, IDbits >= 13", typer);
    CHECK_EQ((pidr2 >> 4) & 0xf, 3, "gicd_pidr2_archrev3");
    CHECK_EQ(gicr_typer >> 32, ((m >> 32) & 0xff) << 24 | (m & 0xffffff), "gicr_typer_affinity");
    CHECK_EQ(gicr_typer & 1, 1, "gicr_typer_plpis");
}

int main(void *dtb)
{
    uint64_t cpus[2];
    unsigned n = fdt_cpus(dtb, cpus, 2);
    puts("gic: start\n");
    irq_set_handler(irq_handler);
    gic_dist_init();
    if (!check(gic_cpu_init(), "gic_redistributor_found", "no GICR frame with MPIDR 0x%lx", mpidr()))
        return 0;
    test_identification();
    test_pending_active();
    test_priority_mask();
    test_sgis(cpus, n);
    test_vtimer();
    test_ptimer();
    test_uart();
    return 0;
}
