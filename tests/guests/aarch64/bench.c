/* bench.c: cost of the basic exits, counted in CNTVCT ticks: an HVC round trip, a trapped
 * MMIO read, a console line through the PL011, a CPU_ON wake-up (the caller waiting in WFI), an
 * SGI round trip between two vCPUs, and the HVC round trip again with an interrupt pending (so a
 * shortcut taken only when the vGIC is idle cannot hide the general path). Under QEMU -icount
 * shift=0 one tick is a fixed instruction count. */
#include "gic.h"
#include "test.h"
#include "hypercall.h"

#define ITERATIONS 10000
#define WAKE_ITERATIONS 100
#define LINE_ITERATIONS 32             /* 64-byte lines: 2 KiB, within the drain's burst */
#define SGI_ITERATIONS 1000
#define SGI_PING 1                     /* CPU 0 -> CPU 1 */
#define SGI_PONG 2                     /* CPU 1 -> CPU 0, from its handler */
#define SGI_STOP 3
#define SGI_WAKE 4                     /* CPU_ON's new vCPU -> CPU 0: it arrived */
#define SGI_HELD 7                     /* left pending (PSTATE.I set) during an HVC loop */
#define ECHO_CONTEXT 0x5151            /* CPU_ON context: run the SGI echo loop */

static volatile uint64_t woke, echo_ready, echo_stop, pongs;

/* Both CPUs: CPU 1 answers every PING with a PONG; CPU 0 counts the PONGs. */
static void sgi_handler(void)
{
    uint32_t intid = gic_ack();
    if (intid >= 1020)
        return;
    if (intid == SGI_PING)
        gic_send_sgi(SGI_PONG, 0);
    else if (intid == SGI_PONG)
        shared_store(&pongs, shared_load(&pongs) + 1);
    gic_eoi(intid);
}

/* Started by CPU_ON: says it arrived, then powers itself off again; or, for the SGI round
 * trip, echoes SGIs until told to stop. */
void secondary_main(uint64_t context_id)
{
    if (context_id != ECHO_CONTEXT) {
        shared_store(&woke, 1);
        write_sysreg(S3_0_C12_C12_5, read_sysreg(S3_0_C12_C12_5) | 1);   /* ICC_SRE_EL1.SRE */
        isb();
        gic_send_sgi(SGI_WAKE, 0);     /* CPU 0 waits in WFI: the SGI ends it */
        return;
    }
    gic_cpu_init();
    gic_irq_enable(SGI_PING, 0x80);
    gic_irq_enable(SGI_STOP, 0x80);
    irq_unmask();
    shared_store(&echo_ready, 1);
    while (!shared_load(&echo_stop))
        __asm__ volatile("wfi");
    irq_mask();
}

/* Waits in WFI (interrupts unmasked) until *p == want, at most timeout_us. Under -icount a
 * CPU that spins keeps the other one from running until QEMU's next timer event, so both
 * sides of a round trip wait in WFI. */
static bool wfi_wait(volatile uint64_t *p, uint64_t want, uint64_t timeout_us)
{
    uint64_t start = counter(), ticks = timeout_us * counter_freq() / 1000000;
    while (shared_load(p) != want) {
        if (counter() - start > ticks)
            return false;
        __asm__ volatile("wfi");
    }
    return true;
}

/* SGI from vCPU 0 to vCPU 1 and the answer back: a trapped ICC_SGI1R_EL1 write, the target
 * woken and given the virtual SGI, each way. */
static void bench_sgi_roundtrip(void *dtb)
{
    uint64_t cpus[2];
    if (fdt_cpus(dtb, cpus, 2) < 2) {
        puts("bench: one cpu, no SGI figure\n");
        return;
    }
    irq_set_handler(sgi_handler);
    gic_dist_init();
    gic_cpu_init();
    gic_irq_enable(SGI_PONG, 0x80);
    while (psci_affinity_info(cpus[1]) != AFFINITY_OFF)
        ;
    if (psci_cpu_on_entry(cpus[1], ECHO_CONTEXT) != PSCI_SUCCESS || !shared_wait(&echo_ready, 1, 2000000)) {
        puts("bench: SGI echo CPU did not start\n");
        return;
    }
    unsigned cpu1 = (unsigned)(cpus[1] & 0xff);
    irq_unmask();
    gic_send_sgi(SGI_PING, cpu1);                  /* warm up */
    bool ok = wfi_wait(&pongs, 1, 1000000);
    uint64_t t0 = counter();
    for (uint64_t i = 2; ok && i <= SGI_ITERATIONS + 1; i++) {
        gic_send_sgi(SGI_PING, cpu1);
        ok = wfi_wait(&pongs, i, 1000000);
    }
    uint64_t total = counter() - t0;
    irq_mask();
    if (ok)
        bench_report("sgi_roundtrip", total, SGI_ITERATIONS);
    else
        printf("bench: SGI round trip lost an answer after %lu\n", shared_load(&pongs));
    shared_store(&echo_stop, 1);
    gic_send_sgi(SGI_STOP, cpu1);
}

/* Wake-up latency of a powered-off vCPU: CPU_ON until the vCPU runs guest code, which tells the
 * caller with an SGI. The caller waits in WFI (under -icount a spinning vCPU would keep the
 * other from running and the figure would measure that, not the hypervisor). */
static void bench_cpu_on_wakeup(void *dtb)
{
    uint64_t cpus[2];
    if (fdt_cpus(dtb, cpus, 2) < 2) {
        puts("bench: one cpu, no wake-up figure\n");
        return;
    }
    gic_irq_enable(SGI_WAKE, 0x80);
    irq_unmask();
    uint64_t total = 0;
    for (unsigned i = 0; i < WAKE_ITERATIONS; i++) {
        while (psci_affinity_info(cpus[1]) != AFFINITY_OFF)
            ;                                 /* not timed: the last one's CPU_OFF */
        shared_store(&woke, 0);
        uint64_t t0 = counter();
        if (psci_cpu_on_entry(cpus[1], i) != PSCI_SUCCESS) {
            puts("bench: CPU_ON failed\n");
            irq_mask();
            return;
        }
        if (!wfi_wait(&woke, 1, 1000000)) {
            puts("bench: the woken CPU did not answer\n");
            irq_mask();
            return;
        }
        total += counter() - t0;
    }
    irq_mask();
    bench_report("cpu_on_wakeup", total, WAKE_ITERATIONS);
}

/* The HVC round trip with an SGI pending that the guest cannot take (PSTATE.I set): every entry
 * has a list register to load. */
static void bench_hvc_irq_pending(uint32_t fn)
{
    static volatile uint64_t held_taken;
    gic_irq_enable(SGI_HELD, 0x80);
    gic_send_sgi(SGI_HELD, 0);
    if (!gic_irq_pending(SGI_HELD)) {
        puts("bench: the held SGI is not pending, no figure\n");
        return;
    }
    hvc(fn, 0, 0, 0);
    uint64_t t0 = counter();
    for (unsigned i = 0; i < ITERATIONS; i++)
        hvc(fn, 0, 0, 0);
    uint64_t total = counter() - t0;
    bool still = gic_irq_pending(SGI_HELD);
    irq_unmask();                             /* now take it (sgi_handler ends it) */
    for (unsigned i = 0; i < 1000 && gic_irq_pending(SGI_HELD); i++)
        ;
    irq_mask();
    held_taken = !gic_irq_pending(SGI_HELD);
    if (still && held_taken)
        bench_report("hvc_irq_pending", total, ITERATIONS);
    else
        printf("bench: the held SGI was %s, no figure\n", still ? "never taken" : "taken during the loop");
}

int main(void *dtb)
{
    /* HV_HC_VERSION is the cheapest call the hypervisor answers itself; bare QEMU only
     * answers PSCI. */
    uint32_t fn = hv_present() ? HV_HC_VERSION : PSCI_VERSION;
    printf("bench: hvc function 0x%x\n", fn);

    hvc(fn, 0, 0, 0);                       /* warm up the path once */
    uint64_t t0 = counter();
    for (unsigned i = 0; i < ITERATIONS; i++)
        hvc(fn, 0, 0, 0);
    bench_report("hvc_roundtrip", counter() - t0, ITERATIONS);

    mmio_read32(PL011_BASE + 0x18);
    t0 = counter();
    for (unsigned i = 0; i < ITERATIONS; i++)
        mmio_read32(PL011_BASE + 0x18);     /* UARTFR */
    bench_report("mmio_read_pl011_fr", counter() - t0, ITERATIONS);

    /* A 64-byte console line, one UARTDR write per byte (no FR polling): the guest's side of
     * the console path (queued in the VM's ring) and the drain that prints it after the exits. */
    static const char line[] = "bench: uart line 0123456789abcdefghijklmnopqrstuvwxyz0123456789\n";
    _Static_assert(sizeof(line) == 65, "64 bytes and the NUL");
    t0 = counter();
    for (unsigned i = 0; i < LINE_ITERATIONS; i++)
        for (const char *c = line; *c; c++)
            mmio_write32(PL011_BASE, (uint8_t)*c);
    bench_report("uart_tx_line", counter() - t0, LINE_ITERATIONS);

    irq_set_handler(sgi_handler);
    gic_dist_init();
    gic_cpu_init();
    bench_cpu_on_wakeup(dtb);
    bench_sgi_roundtrip(dtb);
    bench_hvc_irq_pending(fn);
    test_done();
}
