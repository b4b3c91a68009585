/* hostile.c: guest-boundary checks of issue 15 (aarch64): an EL0 process looping on a trapped
 * PMU register under its EL1 handler is not a fault loop; the hypervisor's AT walk of the
 * guest's tables survives an external abort; CNTV_CVAL = ~0 does not make the idle pCPU spin;
 * WFIT honours its deadline; MOPS works or is hidden. Expects `device = 0x0b000000 4K` (a
 * host address with nothing behind it) for the AT check. */
#include "test.h"
#include "gic.h"
#include "hypercall.h"

#define EL0_TRAPS       20000u
#define PMU_TRAP_ISS    0x30e41bu   /* MRS X0, PMCCNTR_EL0: Op0 3 Op2 0 Op1 3 CRn 9 Rt 0 CRm 13, read */
#define NOWHERE         0x0b000000ull   /* `device` of this VM: stage-2 mapped, no device behind */
#define UNMAPPED_IPA    0x0b800000ull   /* no memslot, no emulated device */
#define ALIAS_VA        0x8000000000ull /* L0 index 1: an alias of RAM (1 GiB block) */
#define RAM_PA          0x40000000ull
#define PPI_PTIMER      30u
#define PRIO            0x80u

/* ---- EL0 trap loop ---------------------------------------------------------------------- */

uint64_t el0_pmccntr_loop(uint64_t n);
extern char el0_pmccntr_insn[];
__asm__(".text\n.balign 4\n.global el0_pmccntr_loop\nel0_pmccntr_loop:\n"
        "    mov x1, x0\n1:  cbz x1, 2f\n"
        ".global el0_pmccntr_insn\nel0_pmccntr_insn:\n"
        "    mrs x0, pmccntr_el0\n    sub x1, x1, #1\n    b 1b\n2:  ret\n");

static uint64_t at_el0(uint64_t n) { return el0_call(el0_pmccntr_loop, n); }

/* A user process reading PMCCNTR_EL0 with PMUSERENR_EL0.EN clear, its EL1 handler skipping
 * the read each time: EL0_TRAPS exceptions taken from EL0, the VM keeps running. */
static void test_el0_trap_loop(void)
{
    write_sysreg(pmuserenr_el0, 0);
    isb();
    struct exc_record rec;
    unsigned n = exc_catch(at_el0, EL0_TRAPS, &rec);
    check(n == EL0_TRAPS && ESR_EC(rec.esr) == EC_SYS64 && ESR_ISS(rec.esr) == PMU_TRAP_ISS &&
              rec.elr == (uint64_t)(uintptr_t)el0_pmccntr_insn,
          "el0_trap_loop_not_stopped", "%u of %u traps, last esr 0x%lx elr 0x%lx", n, EL0_TRAPS, rec.esr, rec.elr);
}

/* ---- AT over guest tables that abort ------------------------------------------------------ */

static uint64_t l0[512] __attribute__((aligned(4096)));
static uint64_t l1_id[512] __attribute__((aligned(4096)));
static uint64_t l1_alias[512] __attribute__((aligned(4096)));
static volatile uint64_t warm_words[2] __attribute__((aligned(16))) = { 0x1111, 0x2222 };

#define PTE_TABLE   3ull
#define PTE_BLOCK   1ull
#define PTE_AF      (1ull << 10)
#define PTE_ATTR(i) ((uint64_t)(i) << 2)
#define PTE_XN      (3ull << 53)     /* UXN, PXN */
#define MAIR_VALUE  0x4400ull        /* attr0 Device-nGnRnE, attr1 Normal non-cacheable */
#define TCR_VALUE   (16ull | 1ull << 23 | 2ull << 32)   /* T0SZ 16, EPD1, IPS 40 bits, 4 KiB, walks NC */
#define SCTLR_M     1ull

/* probe_ldp: a pair load (ISV = 0: the hypervisor must decode the instruction, so it
 * translates the PC with AT S1E1R). at_probe_run(fn, addr) calls fn(addr); any exception on
 * the way lands in at_vectors, which record it and resume at at_probe_recover with x0 = 1. */
uint64_t probe_ldp(uint64_t addr);
uint64_t at_probe_run(uint64_t fn, uint64_t addr);
extern char probe_ldp_insn[], at_vectors[];
extern volatile uint64_t at_vec_esr, at_vec_elr;
__asm__(".text\n.balign 4\n.global probe_ldp\nprobe_ldp:\n"
        ".global probe_ldp_insn\nprobe_ldp_insn:\n"
        "    ldp x2, x3, [x0]\n    add x0, x2, x3\n    ret\n"
        ".global at_probe_run\nat_probe_run:\n"
        "    stp x29, x30, [sp, #-16]!\n    mov x2, x0\n    mov x0, x1\n    blr x2\n"
        "    mov x0, #0\n    b 1f\n"
        "at_probe_recover:\n    mov x0, #1\n"
        "1:  ldp x29, x30, [sp], #16\n    ret\n"
        ".macro at_vec\n    .balign 128\n    mrs x9, esr_el1\n    adr x10, at_vec_esr\n    str x9, [x10]\n"
        "    mrs x9, elr_el1\n    str x9, [x10, #8]\n    adr x9, at_probe_recover\n    msr elr_el1, x9\n    eret\n.endm\n"
        ".balign 2048\n.global at_vectors\nat_vectors:\n"
        "    .rept 16\n    at_vec\n    .endr\n"
        ".data\n.balign 8\n.global at_vec_esr\nat_vec_esr: .quad 0\n.global at_vec_elr\nat_vec_elr: .quad 0\n.text\n");

static uint64_t alias_of(const void *p) { return (uint64_t)(uintptr_t)p - RAM_PA + ALIAS_VA; }

/* The guest runs code through an alias whose translation QEMU's TLB holds, then points the
 * alias's level-0 entry at a table on NOWHERE without a TLBI (its own fetches keep using the
 * cached translation) and makes an ISV=0 access to an unmapped IPA from there: the
 * hypervisor's AT of the PC walks into NOWHERE. With HCR_EL2.PTW that walk is a stage-2
 * permission fault reported in PAR_EL1 (on hardware without PTW, or RAM with an error, an
 * external abort at EL2: the hypervisor's fixup, proven by its own selftest); either way
 * the decode fails and the guest gets the external abort at its LDP. */
static void test_at_walk_abort(void)
{
    for (int i = 0; i < 512; i++)
        l0[i] = l1_id[i] = l1_alias[i] = 0;
    l1_id[0] = 0x0ull | PTE_ATTR(0) | PTE_AF | PTE_XN | PTE_BLOCK;
    l1_id[1] = RAM_PA | PTE_ATTR(1) | PTE_AF | PTE_BLOCK;
    l1_alias[0] = RAM_PA | PTE_ATTR(1) | PTE_AF | PTE_BLOCK;
    l0[0] = (uint64_t)(uintptr_t)l1_id | PTE_TABLE;
    l0[1] = (uint64_t)(uintptr_t)l1_alias | PTE_TABLE;
    uint64_t vbar = read_sysreg(vbar_el1), sctlr = read_sysreg(sctlr_el1);
    write_sysreg(mair_el1, MAIR_VALUE);
    write_sysreg(tcr_el1, TCR_VALUE);
    write_sysreg(ttbr0_el1, (uint64_t)(uintptr_t)l0);
    dsb(sy);
    __asm__ volatile("tlbi vmalle1\n\tdsb sy\n\tisb" ::: "memory");
    write_sysreg(vbar_el1, (uint64_t)(uintptr_t)at_vectors);
    write_sysreg(sctlr_el1, sctlr | SCTLR_M);
    isb();
    at_vec_esr = at_vec_elr = 0;
    uint64_t warm = at_probe_run(alias_of(probe_ldp), (uint64_t)(uintptr_t)warm_words);
    uint64_t warm_esr = at_vec_esr;
    l0[1] = NOWHERE | PTE_TABLE;            /* no TLBI: the alias's code stays cached */
    dsb(sy);
    isb();
    at_vec_esr = at_vec_elr = 0;
    uint64_t faulted = at_probe_run(alias_of(probe_ldp), UNMAPPED_IPA);
    uint64_t esr = at_vec_esr, elr = at_vec_elr;
    write_sysreg(sctlr_el1, sctlr);
    isb();
    l0[1] = (uint64_t)(uintptr_t)l1_alias | PTE_TABLE;
    __asm__ volatile("dsb sy\n\ttlbi vmalle1\n\tdsb sy\n\tisb" ::: "memory");
    write_sysreg(vbar_el1, vbar);
    isb();
    if (!check(warm == 0 && warm_esr == 0, "at_walk_alias_runs", "the alias faulted: esr 0x%lx", warm_esr))
        return;
    check(faulted == 1 && ESR_EC(esr) == EC_DABT_CUR && (esr & 0x3f) == DFSC_SEA && elr == alias_of(probe_ldp_insn),
          "at_walk_into_device_aborts", "want a data abort (EC 0x25, DFSC 0x10) at 0x%lx; got %s esr 0x%lx elr 0x%lx",
          alias_of(probe_ldp_insn), faulted ? "exception" : "none", esr, elr);
}

/* ---- CNTV_CVAL = ~0 ------------------------------------------------------------------------ */

static volatile uint64_t ptimer_fired;
static void irq_handler(void)
{
    uint32_t intid = gic_ack();
    if (intid >= 1020)
        return;
    if (intid == PPI_PTIMER) {
        write_sysreg(cntp_ctl_el0, 0);
        isb();
        ptimer_fired = 1;
    }
    gic_eoi(intid);
}

/* The virtual timer enabled with CVAL = ~0 (never) while the vCPU waits 100 ms in WFI for the
 * physical timer: the pCPU must idle, waking a few times per 10 ms tick, not spin. */
static void test_cval_max(void)
{
    uint64_t freq = counter_freq();
    gic_irq_enable(PPI_PTIMER, PRIO);
    write_sysreg(cntv_cval_el0, ~0ull);
    write_sysreg(cntv_ctl_el0, 1);
    bool hv = hv_present();
    uint64_t wake0 = hv ? hvc(HV_HC_VM_STAT, HV_STAT_IDLE_WAKEUPS, 0, 0) : 0;
    uint64_t exits0 = hv ? hvc(HV_HC_VM_STAT, HV_STAT_EXITS_TOTAL, 0, 0) : 0;
    isb();
    uint64_t start = read_sysreg(cntpct_el0), cval = start + freq / 10;
    write_sysreg(cntp_cval_el0, cval);
    write_sysreg(cntp_ctl_el0, 1);
    irq_unmask();
    while (!ptimer_fired && read_sysreg(cntpct_el0) < cval + freq)
        __asm__ volatile("wfi");
    irq_mask();
    uint64_t wake = hv ? hvc(HV_HC_VM_STAT, HV_STAT_IDLE_WAKEUPS, 0, 0) - wake0 : 0;
    uint64_t exits = hv ? hvc(HV_HC_VM_STAT, HV_STAT_EXITS_TOTAL, 0, 0) - exits0 : 0;
    uint64_t ctl = read_sysreg(cntv_ctl_el0);
    write_sysreg(cntv_ctl_el0, 0);
    gic_irq_disable(PPI_PTIMER);
    check(ptimer_fired && !(ctl & 4), "cval_max_never_fires", "ptimer fired %lu, CNTV_CTL 0x%lx", ptimer_fired, ctl);
    if (!hv) {
        skip("cval_max_does_not_spin", "not under hv");
        return;
    }
    printf("hostile: 100 ms in WFI with CNTV_CVAL = ~0: %lu idle wake-ups, %lu exits\n", wake, exits);
    check(wake <= 60 && exits <= 60, "cval_max_does_not_spin",
          "%lu idle wake-ups and %lu exits in 100 ms (a 100 Hz tick gives about 10)", wake, exits);
}

/* ---- WFIT and MOPS -------------------------------------------------------------------------- */

#define ISAR2_WFXT(v) (((v) >> 0) & 0xf)
#define ISAR2_MOPS(v) (((v) >> 16) & 0xf)

/* WFIT X0 (FEAT_WFxT), no interrupt enabled: returns at the CNTVCT deadline in X0. */
static void test_wfit(uint64_t isar2)
{
    if (ISAR2_WFXT(isar2) < 2) {
        skip("wfit_2ms_deadline", "ID_AA64ISAR2_EL1.WFxT = 0");
        return;
    }
    uint64_t freq = counter_freq(), t0 = counter(), deadline = t0 + freq / 500;
    register uint64_t x0 __asm__("x0") = deadline;
    __asm__ volatile(".inst 0xd5031020" :: "r"(x0) : "memory");     /* WFIT X0 */
    uint64_t took_us = (counter() - t0) * 1000000 / freq;
    printf("hostile: WFIT with a 2 ms deadline returned after %lu us\n", took_us);
    check(took_us >= 1500 && took_us <= 50000, "wfit_2ms_deadline", "returned after %lu us", took_us);
}

/* SETP/SETM/SETE and CPYFP/CPYFM/CPYFE (FEAT_MOPS) when advertised; hidden is the other
 * acceptable answer (the instructions would UNDEF without HCRX_EL2.MSCEn). */
static void test_mops(uint64_t isar2)
{
    if (!ISAR2_MOPS(isar2)) {
        puts("hostile: MOPS hidden\n");
        CHECK(true, "mops_works_or_hidden");
        return;
    }
    static uint8_t a[96] __attribute__((aligned(16))), b[96] __attribute__((aligned(16)));
    for (int i = 0; i < 96; i++)
        a[i] = b[i] = 0;
    register uint64_t d __asm__("x0") = (uint64_t)(uintptr_t)(a + 8);
    register uint64_t n __asm__("x1") = 64;
    register uint64_t v __asm__("x2") = 0x5a;
    __asm__ volatile(".inst 0x19c20420\n\t.inst 0x19c24420\n\t.inst 0x19c28420"   /* SETP/M/E [x0]!, x1!, x2 */
                     : "+r"(d), "+r"(n) : "r"(v) : "memory");
    register uint64_t cd __asm__("x0") = (uint64_t)(uintptr_t)(b + 8);
    register uint64_t cs __asm__("x1") = (uint64_t)(uintptr_t)(a + 8);
    register uint64_t cn __asm__("x2") = 64;
    __asm__ volatile(".inst 0x19010440\n\t.inst 0x19410440\n\t.inst 0x19810440"   /* CPYFP/M/E [x0]!, [x1]!, x2! */
                     : "+r"(cd), "+r"(cs), "+r"(cn) :: "memory");
    bool ok = true;
    for (int i = 0; i < 96; i++)
        ok &= a[i] == (i >= 8 && i < 72 ? 0x5a : 0) && b[i] == a[i];
    puts("hostile: MOPS advertised\n");
    check(ok, "mops_works_or_hidden", "SET/CPY results wrong (a[8]=0x%x b[8]=0x%x a[72]=0x%x)", a[8], b[8], a[72]);
}

int main(void *dtb)
{
    (void)dtb;
    puts("hostile: start\n");
    irq_set_handler(irq_handler);
    gic_dist_init();
    if (!check(gic_cpu_init(), "gic_redistributor_found", "no GICR frame with MPIDR 0x%lx", mpidr()))
        return 0;
    test_el0_trap_loop();
    test_at_walk_abort();
    test_cval_max();
    uint64_t isar2 = read_sysreg(id_aa64isar2_el1);
    printf("hostile: ID_AA64ISAR2_EL1 0x%lx\n", isar2);
    test_wfit(isar2);
    test_mops(isar2);
    return 0;
}
