/* fastpath.c: the exits the hypervisor answers in its fast tier (arch/aarch64/fast_exit.c) keep
 * the generic path's semantics: answers, exit statistics, an abort for an address no device
 * claims, and interrupts that become pending while the fast tier runs are taken before the
 * guest's next instruction: the PMU overflow the hypervisor detects at a fast HVC exit (raised
 * on this vCPU's own pCPU, so no kick IPI ends the entry); an SGI another vCPU sends during the
 * fast HVCs arrives. */
#include "gic.h"
#include "hypercall.h"
#include "test.h"

#define CALLS 1000
#define PROMPT_ITERATIONS 200          /* a late delivery waits for the next slow exit: the 10 ms
                                          host tick, thousands of fast HVCs later (an SGI from
                                          the other vCPU is not held to this: see below) */
#define PMU_PPI 23
#define SGI_PING 5
#define PMCR_E  (1ull << 0)
#define PMCR_LC (1ull << 6)
#define CYCLE   (1ull << 31)
#define UARTFR  (PL011_BASE + 0x18)
#define UARTIBRD (PL011_BASE + 0x24)
#define FR_TXFE (1u << 7)
#define GICD_PIDR2 (GICD_BASE + 0xffe8)

/* The instructions stepped (step_call): a load the syndrome describes (the fast tier's device
 * read), a post-indexed load (ISV = 0: the generic path decodes it), an HVC and a trapped ID
 * register read (HCR_EL2.TID3: sysreg_trap.c); the step exception must come right after each,
 * at the NOP. */
uint64_t step_ldr(uint64_t addr);
uint64_t step_ldr_post(uint64_t addr);
uint64_t step_hvc(uint64_t fn);
uint64_t step_mrs(uint64_t unused);
extern char step_ldr_next[], step_ldr_post_next[], step_hvc_next[], step_mrs_next[];
__asm__(".text\n"
        "step_ldr:       ldr w0, [x0]\n"
        "step_ldr_next:  nop\n"
        "                ret\n"
        "step_ldr_post:  ldr w1, [x0], #4\n"
        "step_ldr_post_next: mov x0, x1\n"
        "                ret\n"
        "step_hvc:       hvc #0\n"
        "step_hvc_next:  nop\n"
        "                ret\n"
        "step_mrs:       mrs x0, id_aa64pfr0_el1\n"
        "step_mrs_next:  nop\n"
        "                ret\n");

static volatile uint64_t iterations, irq_iteration, irq_intid, sgi_sent_at, cpu1_ready;

static uint64_t stat(uint64_t id) { return hvc(HV_HC_VM_STAT, id, 0, 0); }

static void test_fast_hvc(void)
{
    uint64_t hvc0 = stat(HV_STAT_EXITS_HVC), wrong = 0;
    for (unsigned i = 0; i < CALLS; i++)
        wrong += hvc(HV_HC_VERSION, 0, 0, 0) != HV_ABI_VERSION;
    uint64_t hvc1 = stat(HV_STAT_EXITS_HVC);
    check(!wrong, "fast_hvc_answers", "%lu of %u HV_HC_VERSION calls answered wrong", wrong, CALLS);
    /* Each call is one exit; the second VM_STAT counts itself. */
    check(hvc1 - hvc0 == CALLS + 1, "fast_hvc_exits_counted", "HVC exits went up by %lu, want %u",
          hvc1 - hvc0, CALLS + 1);
}

static void test_fast_mmio(void)
{
    uint64_t mmio0 = stat(HV_STAT_EXITS_MMIO), wrong = 0;
    for (unsigned i = 0; i < CALLS / 2; i++) {
        wrong += !(mmio_read32(UARTFR) & FR_TXFE);             /* transmit is instantaneous */
        wrong += (mmio_read32(GICD_PIDR2) >> 4 & 0xf) != 3;    /* ArchRev: GICv3 */
    }
    uint64_t mmio1 = stat(HV_STAT_EXITS_MMIO);
    check(!wrong, "fast_mmio_reads_answer", "%lu of %u reads wrong", wrong, CALLS);
    check(mmio1 - mmio0 == CALLS, "fast_mmio_exits_counted", "MMIO exits went up by %lu, want %u",
          mmio1 - mmio0, CALLS);
    /* Device writes take the same tier: each one lands (read back) and is one exit. */
    wrong = 0;
    mmio1 = stat(HV_STAT_EXITS_MMIO);        /* the checks above printed through the PL011 */
    for (unsigned i = 0; i < CALLS / 2; i++) {
        mmio_write32(UARTIBRD, i + 1);
        wrong += mmio_read32(UARTIBRD) != i + 1;
    }
    mmio_write32(UARTIBRD, 0);
    uint64_t mmio2 = stat(HV_STAT_EXITS_MMIO);
    check(!wrong && mmio2 - mmio1 == CALLS + 1, "fast_mmio_writes_land_and_count",
          "%lu of %u written values read back wrong; MMIO exits went up by %lu, want %u", wrong, CALLS / 2,
          mmio2 - mmio1, CALLS + 1);
    /* No device and no RAM there: the external abort of the generic path (Arm ARM D1.10). */
    struct exc_record rec;
    bool ok = exc_expect(probe_read64, 0x0b000000, EC_DABT_CUR, probe_read64_insn, &rec);
    check(ok && ESR_DFSC(rec.esr) == DFSC_SEA, "fast_mmio_unclaimed_read_aborts",
          "esr 0x%lx elr 0x%lx (want one EC 0x25 DFSC 0x10 at the load)", rec.esr, rec.elr);
}

/* Single-stepping over exits the hypervisor emulates: the emulated instruction counts as the
 * one stepped (PSTATE.SS cleared when the hypervisor moves the PC past it), so the step
 * exception is taken before the next instruction, with the right result. */
struct step_case {
    const char *name;
    uint64_t (*fn)(uint64_t);
    uint64_t arg;
    const char *next;             /* where the step exception must be taken */
    uint64_t mask, want;          /* fn's result under mask */
    unsigned n;                   /* exceptions seen */
    struct exc_record rec;
};

static void test_single_step(void)
{
    struct step_case c[] = {
        { "single_step_fast_mmio_read", step_ldr, UARTFR, step_ldr_next, FR_TXFE, FR_TXFE, 0, { 0 } },
        { "single_step_decoded_mmio_read", step_ldr_post, UARTFR, step_ldr_post_next, FR_TXFE, FR_TXFE, 0, { 0 } },
        { "single_step_fast_hvc", step_hvc, HV_HC_VERSION, step_hvc_next, ~0ull, HV_ABI_VERSION, 0, { 0 } },
        /* The value the same read gives without stepping. */
        { "single_step_trapped_sysreg", step_mrs, 0, step_mrs_next, ~0ull, step_mrs(0), 0, { 0 } },
    };
    /* The stepped exits only between the two readings (checks print through the PL011). */
    uint64_t hvc0 = stat(HV_STAT_EXITS_HVC), mmio0 = stat(HV_STAT_EXITS_MMIO);
    for (unsigned i = 0; i < 4; i++)
        c[i].n = exc_catch_step(c[i].fn, c[i].arg, &c[i].rec);
    uint64_t hvc1 = stat(HV_STAT_EXITS_HVC), mmio1 = stat(HV_STAT_EXITS_MMIO);
    for (unsigned i = 0; i < 4; i++)
        check(c[i].n == 1 && ESR_EC(c[i].rec.esr) == EC_SOFTSTEP_CUR && c[i].rec.elr == (uint64_t)(uintptr_t)c[i].next &&
              (c[i].rec.result & c[i].mask) == c[i].want, c[i].name,
              "%u exceptions, last esr 0x%lx elr 0x%lx (want one EC 0x33 at 0x%lx), result 0x%lx (want 0x%lx under mask 0x%lx)",
              c[i].n, c[i].rec.esr, c[i].rec.elr, (uint64_t)(uintptr_t)c[i].next, c[i].rec.result, c[i].want, c[i].mask);
    /* HVC: the MMIO reading, the stepped HVC, the second HVC reading (each counts itself). */
    check(hvc1 - hvc0 == 3 && mmio1 - mmio0 == 2, "single_step_exits_counted",
          "HVC exits +%lu (want 3), MMIO exits +%lu (want 2: the stepped loads)", hvc1 - hvc0, mmio1 - mmio0);
}

static void irq_handler(void)
{
    uint32_t intid = gic_ack();
    if (intid >= 1020)
        return;
    if (intid == PMU_PPI) {
        write_sysreg(pmintenclr_el1, CYCLE);     /* once: the line drops with the overflow flag */
        write_sysreg(pmovsclr_el0, CYCLE);
        isb();
    }
    if (!irq_intid) {
        irq_intid = intid;
        irq_iteration = iterations;
    }
    gic_eoi(intid);
}

/* HV_HC_VERSION in a loop, interrupts unmasked, until the handler ran (or far too long). */
static void fast_hvc_loop(void)
{
    irq_unmask();
    for (uint64_t i = 0; !irq_intid && i < 200000; i++) {
        hvc(HV_HC_VERSION, 0, 0, 0);
        iterations = i + 1;
    }
    irq_mask();
}

/* The cycle counter one cycle short of its 64-bit overflow (PMCR_EL0.LC): the hypervisor adds
 * the guest's time at each exit, so the overflow, and PPI 23 with it, appears at one of the
 * loop's exits. Taken at once, the handler sees the iteration that exit ended. */
static void test_pmu_overflow_at_fast_exit(void)
{
    gic_irq_set_edge(PMU_PPI, false);
    gic_irq_enable(PMU_PPI, 0x80);
    irq_intid = 0;
    iterations = 0;
    write_sysreg(pmcr_el0, PMCR_E | PMCR_LC);
    write_sysreg(pmovsclr_el0, CYCLE);
    write_sysreg(pmccfiltr_el0, 0);
    write_sysreg(pmintenset_el1, CYCLE);
    write_sysreg(pmccntr_el0, ~0ull);
    write_sysreg(pmcntenset_el0, CYCLE);
    isb();
    fast_hvc_loop();
    write_sysreg(pmcntenclr_el0, CYCLE);
    write_sysreg(pmcr_el0, 0);
    isb();
    check(irq_intid == PMU_PPI && irq_iteration < PROMPT_ITERATIONS, "pmu_overflow_at_fast_exit_taken_at_once",
          "interrupt %lu taken after %lu fast HVCs (want PPI %u within %u)", irq_intid, irq_iteration,
          PMU_PPI, PROMPT_ITERATIONS);
}

/* vCPU 1: waits until vCPU 0 is in its loop, notes how far it got, sends the SGI. */
void secondary_main(uint64_t context_id)
{
    (void)context_id;
    shared_store(&cpu1_ready, 1);
    while (shared_load(&iterations) < 1000)
        ;
    shared_store(&sgi_sent_at, shared_load(&iterations));
    gic_send_sgi(SGI_PING, 0);
}

static void test_sgi_during_fast_hvcs(void *dtb)
{
    uint64_t cpus[2];
    if (fdt_cpus(dtb, cpus, 2) < 2) {
        skip("sgi_during_fast_hvcs_delivered", "one vCPU");
        return;
    }
    gic_irq_enable(SGI_PING, 0x80);
    irq_intid = 0;
    iterations = 0;
    if (psci_cpu_on_entry(cpus[1], 0) != PSCI_SUCCESS || !shared_wait(&cpu1_ready, 1, 2000000)) {
        check(false, "sgi_during_fast_hvcs_delivered", "vCPU 1 did not start");
        return;
    }
    fast_hvc_loop();
    /* Delivered, after the send. How many HVCs later depends on the emulator's threads (the
     * sender's own trap, then QEMU noticing the IPI on the other CPU), not only on the
     * hypervisor: no bound here; the PMU check above is the one on this vCPU's own pCPU. */
    check(irq_intid == SGI_PING && irq_iteration >= shared_load(&sgi_sent_at),
          "sgi_during_fast_hvcs_delivered", "interrupt %lu taken at HVC %lu, sent at %lu (want SGI %u after the send)",
          irq_intid, irq_iteration, shared_load(&sgi_sent_at), SGI_PING);
}

int main(void *dtb)
{
    SKIP_IF_NOT_HV("fast_hvc_answers") {
        test_fast_hvc();
        test_fast_mmio();
        test_single_step();
        irq_set_handler(irq_handler);
        gic_dist_init();
        gic_cpu_init();
        test_pmu_overflow_at_fast_exit();
        test_sgi_during_fast_hvcs(dtb);
    }
    test_done();
}
