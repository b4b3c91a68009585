/* excloop.c: an exception raised again by its own delivery (the CVE-2015-8104 class for #DB,
 * CVE-2015-5307 for #AC): without the hypervisor's intercepts the CPU loops in microcode and the
 * pCPU is lost. The command line picks the part (tests/boot/x86_excloop_common.inc):
 *   db          a write watchpoint (DR0/DR7) on the IST stack slot the #DB frame's first push
 *               writes, then a store there: each #DB delivery hits the watchpoint again.
 *   db skip     only says it is skipped: QEMU 7.2's TCG loses or misplaces such a #DB, or aborts
 *               (an assertion in softmmu/cpus.c when the hit interrupts an event delivery).
 *   ac          CR0.AM and EFLAGS.AC at CPL 3 in 32-bit protected mode (IA-32e mode aligns the frame
 *               to 16 bytes, so only there can the push itself be misaligned), an #AC gate to CPL 3
 *               and a stack 2 bytes off: each #AC delivery pushes misaligned and raises #AC again.
 *   witness N   prints N lines 250 ms apart: the other VMs' loops leave it its pCPU.
 * A looping VM prints nothing after its start line: the hypervisor stops it. A loop that ends is a
 * FAIL. */
#include "test.h"

#define EXC_DB  1
#define EXC_AC  17
#define DR7_L0_WRITE_8  0x90401ull      /* L0, R/W0 = 01 (writes), LEN0 = 10 (8 bytes), bit 10 */
#define CR0_AM  (1ull << 18)

static void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static void write_dr0(uint64_t v) { __asm__ volatile("mov %0, %%dr0" :: "r"(v)); }
static void write_dr7(uint64_t v) { __asm__ volatile("mov %0, %%dr7" :: "r"(v)); }

static uint8_t db_stack[4096] __attribute__((aligned(16)));
static volatile uint32_t dbs;

static void db_count(unsigned vector) { (void)vector; dbs++; }

/* If the loop does not form, the #DBs that were delivered are counted (QEMU's TCG may deliver the
 * watchpoint's #DB instructions later, anywhere). */
static void db_loop(void)
{
    uint64_t top = (uintptr_t)db_stack + sizeof db_stack, slot = top - 8;   /* SS goes first */
    tss_set_ist(1, top);
    idt_set_ist(EXC_DB, 1);
    irq_set_handler(EXC_DB, db_count);
    printf("excloop: #DB loop: watchpoint on 0x%lx, where each #DB delivery pushes SS\n", slot);
    write_dr0(slot);
    write_dr7(DR7_L0_WRITE_8);
    *(volatile uint64_t *)slot = 0;
    delay_us(100 * 1000);
    write_dr7(0x400);
    delay_us(100 * 1000);
    check(false, "db_in_delivery_loops", "no loop: %u #DB delivered", dbs);
}

/* 32-bit protected mode, entered from IA-32e mode as SDM Vol. 3A 9.8.5.4 says (paging off in
 * compatibility mode, then EFER.LME off), with its own GDT and IDT (ac_idt, filled by ac_loop);
 * then IRET to CPL 3 with AC and IOPL 3 (for OUT) on a stack 2 bytes off alignment, where a PUSH
 * raises the first #AC. Its gate leads to CPL 3 code, so the delivery's pushes are CPL 3 accesses
 * to the same misaligned stack. ac_delivered and ac_other run only if a delivery completed. */
void ac_loop_legacy(void) __attribute__((noreturn));
extern char ac_delivered[], ac_other[];
struct gate32 { uint16_t offset_lo, selector; uint8_t zero, type; uint16_t offset_hi; };
struct gate32 ac_idt[32] __attribute__((aligned(8)));
__asm__(
    "   .text\n"
    "   .code64\n"
    "ac_loop_legacy:\n"
    "   cli\n"
    "   lgdt    ac_gdtr(%rip)\n"
    "   pushq   $0x08\n"
    "   leaq    1f(%rip), %rax\n"
    "   pushq   %rax\n"
    "   lretq\n"
    "   .code32\n"
    "1: movl    $0x10, %eax\n"
    "   movl    %eax, %ds\n"
    "   movl    %eax, %es\n"
    "   movl    %eax, %ss\n"
    "   movl    %eax, %fs\n"
    "   movl    %eax, %gs\n"
    "   movl    %cr0, %eax\n"
    "   andl    $0x7fffffff, %eax\n"           /* CR0.PG off: IA-32e mode ends */
    "   movl    %eax, %cr0\n"
    "   movl    $0xc0000080, %ecx\n"
    "   rdmsr\n"
    "   andl    $~0x100, %eax\n"               /* EFER.LME off */
    "   wrmsr\n"
    "   lidt    ac_idtr\n"
    "   movl    %cr0, %eax\n"
    "   orl     $0x40000, %eax\n"              /* CR0.AM */
    "   movl    %eax, %cr0\n"
    "   pushl   $0x23\n"                       /* SS: data, DPL 3 */
    "   pushl   $ac_stack + 4096 - 2\n"        /* ESP: 2 bytes off */
    "   pushl   $0x43002\n"                    /* EFLAGS: AC, IOPL 3 */
    "   pushl   $0x1b\n"                       /* CS: 32-bit code, DPL 3 */
    "   pushl   $2f\n"
    "   iretl\n"
    "2: pushl   %eax\n"                        /* CPL 3, misaligned: #AC(0) */
    "   .global ac_delivered, ac_other\n"
    "ac_delivered:\n"
    "   movl    $ac_delivered_msg, %esi\n"
    "   jmp     3f\n"
    "ac_other:\n"
    "   movl    $ac_other_msg, %esi\n"
    "3: movw    $0x3f8, %dx\n"
    "4: lodsb\n"
    "   testb   %al, %al\n"
    "   jz      5f\n"
    "   outb    %al, %dx\n"
    "   jmp     4b\n"
    "5: movb    $1, %al\n"
    "   outb    %al, $0xf4\n"                  /* isa-debug-exit: the VM ends, failed */
    "   jmp     .\n"
    "   .code64\n"
    "   .section .rodata\n"
    "ac_delivered_msg: .asciz \"FAIL ac_in_delivery_loops: an #AC was delivered: no loop\\n\"\n"
    "ac_other_msg: .asciz \"FAIL ac_in_delivery_loops: another exception in 32-bit mode\\n\"\n"
    "   .balign 8\n"
    "ac_gdt:\n"
    "   .quad   0\n"
    "   .quad   0x00CF9A000000FFFF\n"          /* 0x08: 32-bit code, DPL 0 */
    "   .quad   0x00CF92000000FFFF\n"          /* 0x10: data, DPL 0 */
    "   .quad   0x00CFFA000000FFFF\n"          /* 0x18: 32-bit code, DPL 3 */
    "   .quad   0x00CFF2000000FFFF\n"          /* 0x20: data, DPL 3 */
    "ac_gdt_end:\n"
    "   .balign 8\n"
    "   .word   0, 0, 0\n"
    "ac_gdtr: .word ac_gdt_end - ac_gdt - 1\n"
    "   .quad   ac_gdt\n"                      /* 64-bit LGDT reads 10 bytes */
    "   .word   0\n"
    "ac_idtr: .word 8 * 32 - 1\n"
    "   .long   ac_idt\n"                      /* 32-bit LIDT reads 6 bytes */
    "   .bss\n"
    "   .balign 16\n"
    "ac_stack: .skip 4096\n"
    "   .text\n");

static uint64_t user_misaligned_load(uint64_t addr) { return probe_read64(addr); }
static uint64_t misaligned_load_at_cpl3(uint64_t addr) { return user_run(user_misaligned_load, addr, RFLAGS_AC); }

static void ac_loop(void)
{
    /* First whether this CPU checks alignment at all (QEMU's TCG does not; Bochs does). */
    static volatile uint64_t words[2];
    uint64_t cr0 = read_cr(0);
    write_cr0(cr0 | CR0_AM);
    struct exc_record rec;
    unsigned n = exc_catch(misaligned_load_at_cpl3, (uintptr_t)words + 1, &rec);
    write_cr0(cr0);
    if (n == 0) {
        skip("ac_in_delivery_loops", "this CPU raises no #AC");
        return;
    }
    for (unsigned v = 0; v < 32; v++) {
        uint32_t a = (uint32_t)(uintptr_t)(v == EXC_AC ? ac_delivered : ac_other);
        ac_idt[v] = (struct gate32){ (uint16_t)a, 0x1b, 0, 0xEE, (uint16_t)(a >> 16) };  /* 32-bit interrupt gate */
    }
    printf("excloop: #AC loop: vector %lu from a misaligned load at CPL 3; now 32-bit protected mode, "
           "CPL 3, ESP 2 bytes off\n", rec.vector);
    ac_loop_legacy();
}

static void witness(unsigned lines)
{
    uint64_t gap = us_to_tsc(250 * 1000), next = tsc(), worst = 0;
    for (unsigned i = 1; i <= lines; i++) {
        next += gap;
        while (tsc() < next)
            cpu_relax();
        uint64_t late = tsc() - next;
        worst = late > worst ? late : worst;
        printf("excloop: witness %u of %u\n", i, lines);
    }
    check(tsc_to_us(worst) < 1000 * 1000, "witness_kept_its_pace", "a line came %lu us late", tsc_to_us(worst));
}

int main(void)
{
    const char *arg = mb_cmdline();
    while (*arg && *arg != ' ')
        arg++;                          /* past the image's path */
    while (*arg == ' ')
        arg++;
    if (!strncmp(arg, "db", 3))
        db_loop();
    else if (!strncmp(arg, "db skip", 8))
        skip("db_in_delivery_loops", "QEMU TCG mishandles a data breakpoint hit in event delivery");
    else if (!strncmp(arg, "ac", 3))
        ac_loop();
    else if (!strncmp(arg, "witness ", 8)) {
        unsigned n = 0;
        for (arg += 8; *arg >= '0' && *arg <= '9'; arg++)
            n = n * 10 + (unsigned)(*arg - '0');
        witness(n);
    } else
        check(false, "excloop_part", "command line \"%s\": want db, ac or witness N", mb_cmdline());
    test_done();
}
