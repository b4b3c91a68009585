/* smm.c: System Management Mode as a guest's firmware uses it (arch/x86_64/smm.c, smram.c): an SMI
 * handler at 0x38000 (SMBASE 0x30000 + 0x8000) entered through the APM port 0xB2, a self-IPI and another
 * vCPU's IPI; a saved register the handler changes, seen after RSM; SMBASE relocated to TSEG; TSEG and
 * the legacy window closed and locked through the q35 host bridge (0x9D SMRAM, 0x9E ESMRAMC, 0x50
 * extended TSEG size) so non-SMM code reads all-ones and its writes vanish; an SMI raised inside the
 * handler taken once after RSM; an NMI held until RSM. "hostile cr4|lma|cs": the handler corrupts the
 * state-save map and RSMs: the hypervisor must stop this VM, naming the check. */
#include "test.h"

#define APM_CNT 0xB2
#define ICR_SMI (2u << 8)
#define CFG_EXT_TSEG_MBYTES 0x50
#define CFG_SMRAM 0x9D
#define CFG_ESMRAMC 0x9E
#define SMRAM_D_OPEN 0x40
#define SMRAM_D_LCK 0x10
#define SMRAM_G_SMRAME 0x08
#define ESMRAMC_TSEG_EXT 0x06
#define ESMRAMC_T_EN 0x01
#define MSR_SMI_COUNT 0x34
#define MSR_IA32_SMBASE 0x9E
#define HANDLER_PA 0x38000ull            /* default SMBASE 0x30000 + 0x8000 */
#define CR0_PE 1u

/* The handler's mailbox (offsets used by the 16-bit code below). */
struct mbox {
    uint32_t entries;        /* 0: SMM entries */
    uint32_t cs;             /* 4: CS selector in the handler */
    uint32_t cr0;            /* 8 */
    uint32_t revision;       /* 12: save map 0xFEFC */
    uint32_t smbase;         /* 16: save map 0xFF00 */
    uint32_t smbase_msr;     /* 20: IA32_SMBASE read in SMM */
    uint32_t mode;           /* 24: what the next entry does (one-shot) */
    uint32_t arg;            /* 28 */
    uint32_t read;           /* 32: mode 4's read */
    uint32_t in_smm;         /* 36: mode 5: the handler waits in SMM */
    uint32_t go;             /* 40: mode 5: it may leave */
    uint32_t nmis_in_smm;    /* 44: mode 5: NMIs the guest's handler had taken by then */
};
volatile struct mbox smm_mbox;
volatile uint32_t nmis;

enum { MODE_PLAIN, MODE_SMI_INSIDE, MODE_RELOCATE, MODE_SET_RAX, MODE_READ, MODE_WAIT_GO,
       MODE_BAD_CR4 = 10, MODE_BAD_LMA, MODE_BAD_CS };

/* The SMI handler: 16-bit code with 4 GiB segments (SDM Vol. 3C 34.5.1), CS base = SMBASE, so the save
 * map is at CS:0xFE00 (AMD64 layout) and the mailbox at its absolute address through DS (base 0). */
__asm__(
    "    .pushsection .rodata\n"
    "    .balign 16\n"
    "    .global smm_handler_start, smm_handler_end\n"
    "    .code16\n"
    "smm_handler_start:\n"
    "    addr32 incl smm_mbox+0\n"
    "    movw %cs, %ax\n"
    "    movzwl %ax, %eax\n"
    "    addr32 movl %eax, smm_mbox+4\n"
    "    movl %cr0, %eax\n"
    "    addr32 movl %eax, smm_mbox+8\n"
    "    movl %cs:0xFEFC, %eax\n"
    "    addr32 movl %eax, smm_mbox+12\n"
    "    movl %cs:0xFF00, %eax\n"
    "    addr32 movl %eax, smm_mbox+16\n"
    "    movl $0x9E, %ecx\n"
    "    rdmsr\n"
    "    addr32 movl %eax, smm_mbox+20\n"
    "    addr32 movl smm_mbox+24, %eax\n"
    "    addr32 movl $0, smm_mbox+24\n"
    "    cmpl $1, %eax\n"
    "    jne 2f\n"
    "    movb $0x5A, %al\n"
    "    outb %al, $0xB2\n"                  /* an SMI inside SMM: latched until RSM */
    "    jmp 9f\n"
    "2:  cmpl $2, %eax\n"
    "    jne 3f\n"
    "    addr32 movl smm_mbox+28, %eax\n"
    "    movl %eax, %cs:0xFF00\n"             /* SMBASE relocation */
    "    jmp 9f\n"
    "3:  cmpl $3, %eax\n"
    "    jne 4f\n"
    "    addr32 movl smm_mbox+28, %eax\n"
    "    movl %eax, %cs:0xFFF8\n"             /* saved RAX */
    "    movl $0, %cs:0xFFFC\n"
    "    jmp 9f\n"
    "4:  cmpl $4, %eax\n"
    "    jne 5f\n"
    "    addr32 movl smm_mbox+28, %esi\n"
    "    addr32 movl (%esi), %eax\n"
    "    addr32 movl %eax, smm_mbox+32\n"
    "    jmp 9f\n"
    "5:  cmpl $5, %eax\n"
    "    jne 6f\n"
    "    addr32 movl $1, smm_mbox+36\n"
    "7:  pause\n"
    "    addr32 cmpl $0, smm_mbox+40\n"
    "    je 7b\n"
    "    addr32 movl nmis, %eax\n"
    "    addr32 movl %eax, smm_mbox+44\n"
    "    jmp 9f\n"
    "6:  cmpl $10, %eax\n"
    "    jne 6f\n"
    "    orl $0x8000, %cs:0xFF48\n"           /* CR4 bit 15: reserved */
    "    jmp 9f\n"
    "6:  cmpl $11, %eax\n"
    "    jne 6f\n"
    "    andl $0xFFFFFFDF, %cs:0xFF48\n"      /* CR4.PAE clear with EFER.LMA */
    "    jmp 9f\n"
    "6:  cmpl $12, %eax\n"
    "    jne 9f\n"
    "    movw $0, %cs:0xFE10\n"               /* CS selector null in IA-32e mode */
    "9:  rsm\n"
    "smm_handler_end:\n"
    "    .code64\n"
    "    .popsection\n"
    /* RSM outside SMM: #UD (SDM Vol. 2B, RSM) */
    "    .text\n"
    "    .global probe_rsm, probe_rsm_insn\n"
    "probe_rsm:\n"
    "    .pushsection .probes, \"a\"\n"
    "    .quad probe_rsm_insn, 1f\n"
    "    .popsection\n"
    "probe_rsm_insn:\n"
    "    rsm\n"
    "1:  xorl %eax, %eax\n"
    "    ret\n");
extern const char smm_handler_start[], smm_handler_end[];
uint64_t probe_rsm(uint64_t unused);
extern char probe_rsm_insn[];

static void cfg_select(unsigned reg) { outl(0xCF8, 0x80000000u | (reg & 0xFCu)); }
static uint8_t cfg_read8(unsigned reg) { cfg_select(reg); return inb((uint16_t)(0xCFC + (reg & 3))); }
static void cfg_write8(unsigned reg, uint8_t v) { cfg_select(reg); outb((uint16_t)(0xCFC + (reg & 3)), v); }
static uint16_t cfg_read16(unsigned reg) { cfg_select(reg); return inw((uint16_t)(0xCFC + (reg & 2))); }
static void cfg_write16(unsigned reg, uint16_t v) { cfg_select(reg); outw((uint16_t)(0xCFC + (reg & 2)), v); }

static volatile uint32_t *at(uint64_t pa) { return (volatile uint32_t *)(uintptr_t)pa; }

static void install(uint64_t smbase)
{
    memcpy((void *)(uintptr_t)(smbase + 0x8000), smm_handler_start, (size_t)(smm_handler_end - smm_handler_start));
}

/* One SMI through APM_CNT with mode / arg for the handler; returns the entries it caused. */
static uint32_t smi(uint32_t mode, uint32_t arg)
{
    uint32_t e = smm_mbox.entries;
    smm_mbox.mode = mode;
    smm_mbox.arg = arg;
    outb(APM_CNT, 0x01);
    return smm_mbox.entries - e;
}

static void nmi_handler(unsigned v)
{
    (void)v;
    nmis++;
}

/* The second vCPU: sends an SMI IPI to vCPU 0 on command 1; on command 2 waits until vCPU 0 sits in its
 * SMI handler, sends it an NMI, lets it leave 50 ms later. */
static volatile uint32_t ap_cmd, ap_done, bsp_apic;
static void ap_main(unsigned cpu)
{
    (void)cpu;
    for (;;) {
        while (!ap_cmd)
            cpu_relax();
        if (ap_cmd == 1) {
            lapic_send_icr(bsp_apic, ICR_SMI | ICR_ASSERT);
        } else if (ap_cmd == 2) {
            wait_eq(&smm_mbox.in_smm, 1, 2000000);
            lapic_send_icr(bsp_apic, ICR_NMI | ICR_ASSERT);
            delay_us(50000);
            smm_mbox.go = 1;
        }
        ap_cmd = 0;
        ap_done++;
    }
}

static void hostile(const char *what)
{
    install(0x30000);
    uint32_t mode = !strncmp(what, "cr4", 4) ? MODE_BAD_CR4 : !strncmp(what, "lma", 4) ? MODE_BAD_LMA
                    : !strncmp(what, "cs", 3) ? MODE_BAD_CS : 0;
    if (!mode) {
        check(false, "hostile_part", "want hostile cr4, lma or cs, got \"%s\"", what);
        return;
    }
    printf("smm: hostile %s: the handler corrupts the save map, then RSM\n", what);
    smi(mode, 0);
    check(false, "hostile_rsm_refused", "RSM from a corrupted map (%s) returned to the interrupted code", what);
}

int main(void)
{
    const char *arg = mb_cmdline();
    while (*arg && *arg != ' ')
        arg++;
    while (*arg == ' ')
        arg++;
    if (!strncmp(arg, "hostile ", 8)) {
        hostile(arg + 8);
        test_done();
    }
    irq_set_handler(2, nmi_handler);
    bsp_apic = lapic_id();

    struct exc_record rec;
    check(exc_expect(probe_rsm, 0, EXC_UD, probe_rsm_insn, &rec), "rsm_outside_smm_ud",
          "RSM outside SMM: vector %lu at 0x%lx (want #UD at the RSM)", rec.vector, rec.rip);
    check(exc_expect(probe_rdmsr, MSR_IA32_SMBASE, EXC_GP, probe_rdmsr_insn, &rec), "smbase_msr_gp_outside_smm",
          "RDMSR IA32_SMBASE outside SMM: vector %lu (want #GP)", rec.vector);

    /* The handler at 0x38000, entered through APM_CNT. */
    install(0x30000);
    uint64_t count0 = rdmsr(MSR_SMI_COUNT);
    uint32_t n = smi(MODE_PLAIN, 0);
    check(n == 1 && smm_mbox.cs == 0x3000 && !(smm_mbox.cr0 & CR0_PE) && smm_mbox.revision == 0x00020064 &&
              smm_mbox.smbase == 0x30000 && smm_mbox.smbase_msr == 0x30000,
          "smi_port_b2_handler_ran_in_smm",
          "%u entries; in the handler CS 0x%x CR0 0x%x, map revision 0x%x SMBASE 0x%x, IA32_SMBASE 0x%x "
          "(want 1 entry, CS 0x3000, PE clear, 0x20064, 0x30000, 0x30000)",
          n, smm_mbox.cs, smm_mbox.cr0, smm_mbox.revision, smm_mbox.smbase, smm_mbox.smbase_msr);

    uint32_t e = smm_mbox.entries;
    lapic_send_icr(lapic_id(), ICR_SMI | ICR_ASSERT);
    bool self = wait_eq(&smm_mbox.entries, e + 1, 1000000);
    check(self && smm_mbox.entries == e + 1, "smi_self_ipi", "SMI self-IPI: %u handler entries (want 1)",
          smm_mbox.entries - e);

    /* RSM gives the interrupted code the register the handler wrote into the save map. */
    smm_mbox.mode = MODE_SET_RAX;
    smm_mbox.arg = 0x5EC0DE42;
    uint64_t rax = 0x1111;
    __asm__ volatile("outb %%al, $0xB2" : "+a"(rax) :: "memory");
    check(rax == 0x5EC0DE42, "rsm_restores_changed_rax", "RAX after RSM 0x%lx (want the handler's 0x5ec0de42)", rax);

    /* An SMI raised inside the handler waits for RSM, then is taken once. */
    n = smi(MODE_SMI_INSIDE, 0);
    delay_us(20000);
    uint32_t later = smm_mbox.entries;
    delay_us(20000);
    check(n == 2 && smm_mbox.entries == later, "smi_in_smm_latched_once",
          "OUT 0xB2 whose handler raised another SMI: %u entries (want 2), %u more later (want 0)", n,
          smm_mbox.entries - later);
    uint64_t count = rdmsr(MSR_SMI_COUNT) - count0;
    check(count == smm_mbox.entries, "msr_smi_count_counts", "MSR_SMI_COUNT rose by %lu over %u SMIs", count,
          smm_mbox.entries);

    /* The extended TSEG size the host bridge reports (QEMU's 0x50 protocol), from hv.cfg. */
    cfg_write16(CFG_EXT_TSEG_MBYTES, 0xFFFF);
    uint32_t tseg_mb = cfg_read16(CFG_EXT_TSEG_MBYTES);
    uint64_t tseg = ram_end() - ((uint64_t)tseg_mb << 20);
    check(tseg_mb == 8 && cfg_read8(CFG_SMRAM) == 0x02 && cfg_read8(CFG_ESMRAMC) == 0x38, "host_bridge_smram_registers",
          "extended TSEG %u MiB (want hv.cfg's 8), SMRAM 0x%x (want 0x02), ESMRAMC 0x%x (want 0x38)", tseg_mb,
          cfg_read8(CFG_SMRAM), cfg_read8(CFG_ESMRAMC));

    /* The legacy window: RAM while D_OPEN, closed to non-SMM code once D_OPEN is clear. */
    cfg_write8(CFG_SMRAM, SMRAM_G_SMRAME | SMRAM_D_OPEN);
    *at(0xA0000) = 0x1234ABCD;
    uint32_t open_read = *at(0xA0000);
    cfg_write8(CFG_SMRAM, SMRAM_G_SMRAME);
    uint32_t closed_read = *at(0xA0000);
    *at(0xA0000) = 0x0BAD0BAD;
    smi(MODE_READ, 0xA0000);
    check(open_read == 0x1234ABCD && closed_read == 0xFFFFFFFF && smm_mbox.read == 0x1234ABCD,
          "legacy_smram_closed_outside_smm",
          "0xA0000: 0x%x while open, 0x%x closed (want all-ones), 0x%x from SMM after a closed write (want 0x1234abcd)",
          open_read, closed_read, smm_mbox.read);

    /* SMBASE relocated to TSEG: the next SMI enters at TSEG + 0x8000. */
    install(tseg);
    *at(tseg + 0x100) = 0x5AFE5AFE;
    smi(MODE_RELOCATE, (uint32_t)tseg);
    n = smi(MODE_PLAIN, 0);
    check(n == 1 && smm_mbox.smbase == tseg && smm_mbox.smbase_msr == tseg && smm_mbox.cs == ((tseg >> 4) & 0xFFFF),
          "smbase_relocated_to_tseg", "after relocating to 0x%lx: %u entries, map SMBASE 0x%x, IA32_SMBASE 0x%x, CS 0x%x",
          tseg, n, smm_mbox.smbase, smm_mbox.smbase_msr, smm_mbox.cs);

    /* TSEG enabled and locked: non-SMM reads all-ones, its writes vanish; the handler (in TSEG) sees RAM. */
    cfg_write8(CFG_ESMRAMC, ESMRAMC_TSEG_EXT | ESMRAMC_T_EN);
    cfg_write8(CFG_SMRAM, SMRAM_G_SMRAME | SMRAM_D_LCK);
    uint32_t r1 = *at(tseg + 0x100);
    *at(tseg + 0x100) = 0xDEADBEEF;
    uint32_t r2 = *at(tseg + 0x100);
    n = smi(MODE_READ, (uint32_t)tseg + 0x100);
    check(r1 == 0xFFFFFFFF && r2 == 0xFFFFFFFF && n == 1 && smm_mbox.read == 0x5AFE5AFE,
          "tseg_locked_outside_smm", "TSEG from non-SMM: 0x%x, after a write 0x%x (want all-ones); from SMM 0x%x "
          "(want 0x5afe5afe), %u entries", r1, r2, smm_mbox.read, n);
    cfg_write8(CFG_ESMRAMC, 0);
    cfg_write8(CFG_SMRAM, SMRAM_G_SMRAME | SMRAM_D_OPEN);
    uint8_t sm = cfg_read8(CFG_SMRAM), es = cfg_read8(CFG_ESMRAMC);
    uint32_t r3 = *at(tseg + 0x100), r4 = *at(0xA0000);
    check(sm == (0x02 | SMRAM_G_SMRAME | SMRAM_D_LCK) && es == (0x38 | ESMRAMC_TSEG_EXT | ESMRAMC_T_EN) &&
              r3 == 0xFFFFFFFF && r4 == 0xFFFFFFFF,
          "smram_lock_holds", "after D_LCK, reopening: SMRAM 0x%x, ESMRAMC 0x%x, TSEG 0x%x, 0xA0000 0x%x "
          "(want 0x1a, 0x3f, all-ones, all-ones)", sm, es, r3, r4);

    /* The second vCPU. */
    if (ap_start(1, ap_main) < 0) {
        check(false, "second_vcpu_started", "vCPU 1 (APIC ID 1) did not start");
        test_done();
    }
    e = smm_mbox.entries;
    uint32_t d = ap_done;
    ap_cmd = 1;
    bool ipi = wait_eq(&smm_mbox.entries, e + 1, 2000000) && wait_eq(&ap_done, d + 1, 1000000);
    check(ipi && smm_mbox.entries == e + 1 && smm_mbox.smbase == tseg, "smi_ipi_from_other_vcpu",
          "SMI IPI from vCPU 1: %u entries on vCPU 0 (want 1) at SMBASE 0x%x", smm_mbox.entries - e, smm_mbox.smbase);

    /* An NMI sent while vCPU 0 is in SMM waits for RSM (SDM Vol. 3C 34.8). */
    nmis = 0;
    smm_mbox.in_smm = smm_mbox.go = 0;
    smm_mbox.nmis_in_smm = ~0u;
    ap_cmd = 2;
    n = smi(MODE_WAIT_GO, 0);
    bool after = wait_eq(&nmis, 1, 1000000);
    check(n == 1 && smm_mbox.nmis_in_smm == 0 && after && nmis == 1, "nmi_blocked_in_smm",
          "NMI sent while in SMM: %u taken before RSM (want 0), %u after (want 1), %u entries", smm_mbox.nmis_in_smm,
          nmis, n);
    test_done();
}
