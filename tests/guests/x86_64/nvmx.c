/* nvmx.c: an L1 hypervisor for nested VMX ('nested = vmx'): it checks the capabilities it is offered,
 * each VMX instruction's architectural result (VMsucceed, VMfailInvalid, VMfailValid with the SDM's error
 * numbers, #UD / #GP), VM-entry failures for invalid vmcs12 fields (GUEST_RFLAGS bit 1 clear among
 * them), then runs an L2 on its own page tables and checks the exits it gets from it: CPUID, MSR and
 * I/O bitmaps (accesses outside them stay L2's), HLT, an exception in the exception bitmap, VMCALL, and
 * the VMX-preemption timer (value 0 exits before L2's first instruction, value N after about N ticks,
 * saved on exit), then nested EPT and VPID (EPT violations and misconfigurations reflected to L1, a
 * remapping seen after INVEPT, INVEPT / INVVPID operand errors). Intel SDM Vol. 3C, chapters 24-30
 * (2016 numbering). */
#include "test.h"

#define CPUID_1_ECX_VMX (1u << 5)
#define CR4_VMXE (1ull << 13)
#define RFLAGS_CF (1ull << 0)
#define RFLAGS_ZF (1ull << 6)

/* VMCS field encodings (SDM Vol. 3C, appendix B). */
enum {
    GUEST_ES_SELECTOR = 0x0800, GUEST_CS_SELECTOR = 0x0802, GUEST_SS_SELECTOR = 0x0804, GUEST_DS_SELECTOR = 0x0806,
    GUEST_FS_SELECTOR = 0x0808, GUEST_GS_SELECTOR = 0x080A, GUEST_LDTR_SELECTOR = 0x080C, GUEST_TR_SELECTOR = 0x080E,
    HOST_ES_SELECTOR = 0x0C00, HOST_CS_SELECTOR = 0x0C02, HOST_SS_SELECTOR = 0x0C04, HOST_DS_SELECTOR = 0x0C06,
    HOST_FS_SELECTOR = 0x0C08, HOST_GS_SELECTOR = 0x0C0A, HOST_TR_SELECTOR = 0x0C0C,
    VPID = 0x0000, EPT_POINTER = 0x201A, GUEST_PHYSICAL_ADDRESS = 0x2400, SECONDARY_CTLS = 0x401E,
    GUEST_LINEAR_ADDRESS = 0x640A,
    IO_BITMAP_A = 0x2000, IO_BITMAP_B = 0x2002, MSR_BITMAP = 0x2004, TSC_OFFSET = 0x2010,
    VMCS_LINK_POINTER = 0x2800, GUEST_IA32_EFER = 0x2806, HOST_IA32_EFER = 0x2C02,
    PIN_CTLS = 0x4000, CPU_CTLS = 0x4002, EXCEPTION_BITMAP = 0x4004, CR3_TARGET_COUNT = 0x400A,
    EXIT_CTLS = 0x400C, ENTRY_CTLS = 0x4012, ENTRY_INTR_INFO = 0x4016,
    VM_INSTRUCTION_ERROR = 0x4400, EXIT_REASON = 0x4402, EXIT_INTR_INFO = 0x4404, EXIT_INSN_LEN = 0x440C,
    GUEST_ES_LIMIT = 0x4800, GUEST_ES_AR = 0x4814, GUEST_LDTR_AR = 0x4820, GUEST_TR_LIMIT = 0x480E,
    GUEST_TR_AR = 0x4822, GUEST_CS_AR = 0x4816, GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812,
    GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY = 0x4826, PREEMPTION_TIMER = 0x482E,
    CR0_MASK = 0x6000, CR4_MASK = 0x6002, EXIT_QUALIFICATION = 0x6400,
    GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804, GUEST_ES_BASE = 0x6806, GUEST_FS_BASE = 0x680E,
    GUEST_GS_BASE = 0x6810, GUEST_TR_BASE = 0x6814, GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818,
    GUEST_DR7 = 0x681A, GUEST_RSP = 0x681C, GUEST_RIP = 0x681E, GUEST_RFLAGS = 0x6820,
    HOST_CR0 = 0x6C00, HOST_CR3 = 0x6C02, HOST_CR4 = 0x6C04, HOST_FS_BASE = 0x6C06, HOST_GS_BASE = 0x6C08,
    HOST_TR_BASE = 0x6C0A, HOST_GDTR_BASE = 0x6C0C, HOST_IDTR_BASE = 0x6C0E, HOST_RSP = 0x6C14, HOST_RIP = 0x6C16,
};
#define PIN_EXT_INTR (1u << 0)
#define PIN_NMI_EXITING (1u << 3)
#define PIN_PREEMPT (1u << 6)
#define CPU_HLT (1u << 7)
#define CPU_IO_BITMAPS (1u << 25)
#define CPU_MSR_BITMAPS (1u << 28)
#define CPU_SECONDARY (1u << 31)
#define SEC_EPT (1u << 1)
#define SEC_VPID (1u << 5)
#define EXIT_HOST64 (1u << 9)
#define EXIT_ACK_INTR (1u << 15)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define EXIT_SAVE_PREEMPT (1u << 22)
#define ENTRY_IA32E (1u << 9)
#define ENTRY_LOAD_EFER (1u << 15)

/* --- VMX instructions: the RFLAGS they leave (CF: VMfailInvalid, ZF: VMfailValid) ----------------- */

static uint64_t rflags_after(void) { uint64_t f; __asm__ volatile("pushfq; popq %0" : "=r"(f)); return f; }

static uint64_t vmxon(uint64_t pa)
{
    uint64_t f;
    __asm__ volatile("vmxon %1; pushfq; popq %0" : "=r"(f) : "m"(pa) : "cc", "memory");
    return f;
}
static uint64_t vmxoff(void) { uint64_t f; __asm__ volatile("vmxoff; pushfq; popq %0" : "=r"(f) :: "cc"); return f; }
static uint64_t vmclear(uint64_t pa)
{
    uint64_t f;
    __asm__ volatile("vmclear %1; pushfq; popq %0" : "=r"(f) : "m"(pa) : "cc", "memory");
    return f;
}
static uint64_t vmptrld(uint64_t pa)
{
    uint64_t f;
    __asm__ volatile("vmptrld %1; pushfq; popq %0" : "=r"(f) : "m"(pa) : "cc", "memory");
    return f;
}
static uint64_t vmptrst(void) { uint64_t p = 0; __asm__ volatile("vmptrst %0" : "=m"(p) :: "cc"); return p; }
static uint64_t vmwrite_f(uint64_t field, uint64_t value)
{
    uint64_t f;
    __asm__ volatile("vmwrite %2, %1; pushfq; popq %0" : "=r"(f) : "r"(field), "r"(value) : "cc");
    return f;
}
static uint64_t vmread_f(uint64_t field, uint64_t *value)
{
    uint64_t f;
    __asm__ volatile("vmread %2, %1; pushfq; popq %0" : "=r"(f), "=r"(*value) : "r"(field) : "cc");
    return f;
}
static uint64_t vmread_mem(uint64_t field, uint64_t *dst)
{
    uint64_t f;
    __asm__ volatile("vmread %2, %1; pushfq; popq %0" : "=r"(f), "=m"(*dst) : "r"(field) : "cc");
    return f;
}
static uint64_t vmr(uint64_t field) { uint64_t v = 0; vmread_f(field, &v); return v; }
static void vmw(uint64_t field, uint64_t value) { vmwrite_f(field, value); }
static bool ok_flags(uint64_t f) { return !(f & (RFLAGS_CF | RFLAGS_ZF)); }
static bool invalid_flags(uint64_t f) { return (f & RFLAGS_CF) && !(f & RFLAGS_ZF); }
static bool valid_fail(uint64_t f, uint64_t error) { return (f & RFLAGS_ZF) && !(f & RFLAGS_CF) && vmr(VM_INSTRUCTION_ERROR) == error; }

/* VMXON where a test expects an exception (the runtime's probe convention, rt/probes.S). */
uint64_t probe_vmxon(uint64_t pa_ptr);
extern char probe_vmxon_insn[];
__asm__(
    ".text\n.globl probe_vmxon, probe_vmxon_insn\nprobe_vmxon:\n"
    "  .pushsection .probes, \"a\"\n  .quad probe_vmxon_insn, 1f\n  .popsection\n"
    "probe_vmxon_insn: vmxon (%rdi)\n1: xor %eax, %eax\n  ret\n");

/* INVEPT / INVVPID: type in a register, 128-bit descriptor in memory (Vol. 2B). */
static uint64_t invept_f(uint64_t type, const uint64_t desc[2])
{
    uint64_t f;
    __asm__ volatile("invept %2, %1; pushfq; popq %0" : "=r"(f) : "r"(type), "m"(*(const uint64_t(*)[2])desc) : "cc", "memory");
    return f;
}
static uint64_t invvpid_f(uint64_t type, const uint64_t desc[2])
{
    uint64_t f;
    __asm__ volatile("invvpid %2, %1; pushfq; popq %0" : "=r"(f) : "r"(type), "m"(*(const uint64_t(*)[2])desc) : "cc", "memory");
    return f;
}

/* --- running L2: L1's callee-saved registers on its stack, L2's GPRs in l2 ---------------------- */

struct gprs { uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15; };
struct gprs l2;
/* 0: a VM exit (to l2_exit); 1: VMfailInvalid; 2: VMfailValid. */
int vmx_run_l2(int resume);
__asm__(
    ".text\n.globl vmx_run_l2\nvmx_run_l2:\n"
    "  push %rbp\n  push %rbx\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  mov $0x6C14, %rax\n  vmwrite %rsp, %rax\n"
    "  lea l2_exit(%rip), %rdx\n  mov $0x6C16, %rax\n  vmwrite %rdx, %rax\n"
    "  test %edi, %edi\n"
    "  mov l2+0(%rip), %rax\n  mov l2+8(%rip), %rcx\n  mov l2+16(%rip), %rdx\n  mov l2+24(%rip), %rbx\n"
    "  mov l2+32(%rip), %rbp\n  mov l2+40(%rip), %rsi\n  mov l2+48(%rip), %rdi\n  mov l2+56(%rip), %r8\n"
    "  mov l2+64(%rip), %r9\n  mov l2+72(%rip), %r10\n  mov l2+80(%rip), %r11\n  mov l2+88(%rip), %r12\n"
    "  mov l2+96(%rip), %r13\n  mov l2+104(%rip), %r14\n  mov l2+112(%rip), %r15\n"
    "  jnz 1f\n  vmlaunch\n  jmp 2f\n1: vmresume\n"
    "2: mov $1, %eax\n  jc 3f\n  mov $2, %eax\n"
    "3: pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbx\n  pop %rbp\n  ret\n"
    "l2_exit:\n"
    "  mov %rax, l2+0(%rip)\n  mov %rcx, l2+8(%rip)\n  mov %rdx, l2+16(%rip)\n  mov %rbx, l2+24(%rip)\n"
    "  mov %rbp, l2+32(%rip)\n  mov %rsi, l2+40(%rip)\n  mov %rdi, l2+48(%rip)\n  mov %r8, l2+56(%rip)\n"
    "  mov %r9, l2+64(%rip)\n  mov %r10, l2+72(%rip)\n  mov %r11, l2+80(%rip)\n  mov %r12, l2+88(%rip)\n"
    "  mov %r13, l2+96(%rip)\n  mov %r14, l2+104(%rip)\n  mov %r15, l2+112(%rip)\n"
    "  xor %eax, %eax\n  jmp 3b\n");

/* L2's program: each instruction either exits to L1 (which checks the reason and steps past it) or
 * is L0's to handle for L2 (no exit to L1). */
extern char l2_prog[], l2_cpuid[], l2_rdmsr_tsc[], l2_out80[], l2_hlt[], l2_ud2[], l2_vmcall[], l2_spin[], l2_delay_cpuid[],
            l2_halt[], l2_after_halt[];
__asm__(
    ".text\n.globl l2_prog\nl2_prog:\n"
    "l2_cpuid: cpuid\n"
    "  mov $0x10, %ecx\n"
    "l2_rdmsr_tsc: rdmsr\n"                 /* IA32_TSC: its read bit is set in L1's MSR bitmap */
    "  mov $0x1B, %ecx\n  rdmsr\n"          /* IA32_APIC_BASE: bit clear, L0 answers */
    "l2_out80: out %al, $0x80\n"            /* port 0x80: set in I/O bitmap A */
    "  in $0x61, %al\n"                     /* port 0x61: clear, L0's PIT answers */
    "l2_hlt: hlt\n"
    "l2_ud2: ud2\n"
    "l2_vmcall: vmcall\n"
    "l2_spin: inc %rbx\n  jmp l2_spin\n"
    "l2_delay_cpuid: mov $20000, %ecx\n1: dec %ecx\n  jnz 1b\n  cpuid\n"
    "l2_halt: hlt\nl2_after_halt: jmp l2_spin\n"
    "l2_ept_load: mov (%rsi), %rax\n  vmcall\n"
    "l2_ept_store: mov %rdx, (%rsi)\n  vmcall\n");
extern char l2_ept_load[], l2_ept_store[];

static uint8_t vmxon_region[4096] __attribute__((aligned(4096)));
static uint8_t vmcs[4096] __attribute__((aligned(4096)));
static uint8_t vmcs_bad[4096] __attribute__((aligned(4096)));
static uint8_t io_bitmaps[8192] __attribute__((aligned(4096)));
static uint8_t msr_bitmap[4096] __attribute__((aligned(4096)));
static uint8_t l2_stack[65536] __attribute__((aligned(16)));
static uint32_t revision;
extern char tss[];

struct __attribute__((packed)) dtr { uint16_t limit; uint64_t base; };

/* The allowed settings of a control: must-be-1 bits plus want, limited to what may be 1. */
static uint32_t ctl(uint32_t msr, uint32_t want)
{
    uint64_t v = rdmsr(msr);
    return ((uint32_t)v | want) & (uint32_t)(v >> 32);
}

/* vmcs12 for a 64-bit L2 on L1's page tables, GDT and IDT, with its own stack; L1's host state. */
static void setup_vmcs(void)
{
    struct dtr gdtr, idtr;
    __asm__ volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
    vmw(PIN_CTLS, ctl(0x48D, PIN_EXT_INTR | PIN_NMI_EXITING));
    vmw(CPU_CTLS, ctl(0x48E, CPU_HLT | CPU_IO_BITMAPS | CPU_MSR_BITMAPS));
    vmw(EXIT_CTLS, ctl(0x48F, EXIT_HOST64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER));
    vmw(ENTRY_CTLS, ctl(0x490, ENTRY_IA32E | ENTRY_LOAD_EFER));
    vmw(EXCEPTION_BITMAP, 1u << 6);
    vmw(CR3_TARGET_COUNT, 0);
    vmw(IO_BITMAP_A, (uintptr_t)io_bitmaps);
    vmw(IO_BITMAP_B, (uintptr_t)io_bitmaps + 4096);
    vmw(MSR_BITMAP, (uintptr_t)msr_bitmap);
    io_bitmaps[0x80 / 8] |= 1u << (0x80 % 8);
    msr_bitmap[0x10 / 8] |= 1u << (0x10 % 8);
    vmw(ENTRY_INTR_INFO, 0);
    vmw(CR0_MASK, 0);
    vmw(CR4_MASK, 0);
    vmw(TSC_OFFSET, 0);
    /* Host: L1 as it is now. */
    vmw(HOST_CR0, read_cr(0));
    vmw(HOST_CR3, read_cr(3));
    vmw(HOST_CR4, read_cr(4));
    vmw(HOST_CS_SELECTOR, SEL_CODE64);
    vmw(HOST_SS_SELECTOR, SEL_DATA);
    vmw(HOST_DS_SELECTOR, SEL_DATA);
    vmw(HOST_ES_SELECTOR, SEL_DATA);
    vmw(HOST_FS_SELECTOR, 0);
    vmw(HOST_GS_SELECTOR, 0);
    vmw(HOST_TR_SELECTOR, SEL_TSS);
    vmw(HOST_FS_BASE, rdmsr(0xC0000100));
    vmw(HOST_GS_BASE, rdmsr(MSR_IA32_GS_BASE));
    vmw(HOST_TR_BASE, (uintptr_t)tss);
    vmw(HOST_GDTR_BASE, gdtr.base);
    vmw(HOST_IDTR_BASE, idtr.base);
    vmw(HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
    /* Guest: L2 in 64-bit mode. */
    vmw(GUEST_CR0, read_cr(0));
    vmw(GUEST_CR3, read_cr(3));
    vmw(GUEST_CR4, read_cr(4));
    vmw(GUEST_IA32_EFER, rdmsr(MSR_IA32_EFER));
    for (unsigned i = 0; i < 6; i++) {
        uint32_t sel = i == 1 ? SEL_CODE64 : SEL_DATA;
        vmw(GUEST_ES_SELECTOR + 2 * i, sel);
        vmw(GUEST_ES_BASE + 2 * i, 0);
        vmw(GUEST_ES_LIMIT + 2 * i, 0xFFFFFFFF);
        vmw(GUEST_ES_AR + 2 * i, i == 1 ? 0xA09B : 0xC093);
    }
    vmw(GUEST_GS_BASE, rdmsr(MSR_IA32_GS_BASE));
    vmw(GUEST_LDTR_SELECTOR, 0);
    vmw(GUEST_LDTR_AR, 1u << 16);
    vmw(GUEST_TR_SELECTOR, SEL_TSS);
    vmw(GUEST_TR_BASE, (uintptr_t)tss);
    vmw(GUEST_TR_LIMIT, 103);
    vmw(GUEST_TR_AR, 0x8B);
    vmw(GUEST_GDTR_BASE, gdtr.base);
    vmw(GUEST_GDTR_LIMIT, gdtr.limit);
    vmw(GUEST_IDTR_BASE, idtr.base);
    vmw(GUEST_IDTR_LIMIT, idtr.limit);
    vmw(GUEST_DR7, 0x400);
    vmw(GUEST_RSP, (uintptr_t)l2_stack + sizeof(l2_stack));
    vmw(GUEST_RIP, (uintptr_t)l2_prog);
    vmw(GUEST_RFLAGS, 2);
    vmw(GUEST_INTERRUPTIBILITY, 0);
    vmw(GUEST_ACTIVITY, 0);
    vmw(VMCS_LINK_POINTER, ~0ull);
}

/* --- checks ------------------------------------------------------------------------------------- */

static void test_caps(void)
{
    uint64_t fc = rdmsr(0x3A), basic = rdmsr(0x480);
    CHECK(cpuid(1, 0).ecx & CPUID_1_ECX_VMX, "cpuid_vmx_offered");
    CHECK_EQ(fc, 5, "feature_control_locked_vmx_on");
    revision = (uint32_t)basic & 0x7FFFFFFF;
    check(((basic >> 32) & 0x1FFF) == 4096 && (basic & (1ull << 55)) && revision, "vmx_basic",
          "IA32_VMX_BASIC 0x%lx (want region 4096 and TRUE controls)", basic);
    uint64_t tp = rdmsr(0x48D);
    check((tp >> 32) & PIN_PREEMPT, "preemption_timer_offered", "IA32_VMX_TRUE_PINBASED_CTLS 0x%lx", tp);
}

static void test_instructions(void)
{
    uint64_t cr4 = read_cr(4);
    struct exc_record rec;
    CHECK(exc_catch(probe_write_cr4, cr4 | CR4_VMXE, &rec) == 0 && (read_cr(4) & CR4_VMXE), "cr4_vmxe_set");
    /* VMXON needs CR0 within IA32_VMX_CR0_FIXED0/1 (SDM 23.8): NE among them, which this runtime
     * leaves clear; #GP(0) until then. */
    memcpy(vmxon_region, &revision, 4);
    uint64_t region = (uintptr_t)vmxon_region;
    uint64_t cr0 = read_cr(0);
    if (!(cr0 & (1u << 5)))
        check(exc_expect(probe_vmxon, (uintptr_t)&region, EXC_GP, probe_vmxon_insn, &rec), "vmxon_cr0_ne_clear_gp",
              "vector %lu at 0x%lx (want #GP at VMXON)", rec.vector, rec.rip);
    else
        check(false, "vmxon_cr0_ne_clear_gp", "CR0.NE was already set: 0x%lx", cr0);
    __asm__ volatile("mov %0, %%cr0" :: "r"(cr0 | rdmsr(0x486)) : "memory");
    uint32_t bad = revision ^ 1;
    memcpy(vmcs_bad, &bad, 4);
    check(invalid_flags(vmxon((uintptr_t)vmxon_region + 8)), "vmxon_unaligned_vmfailinvalid", "RFLAGS 0x%lx",
          rflags_after());
    check(invalid_flags(vmxon((uintptr_t)vmcs_bad)), "vmxon_bad_revision_vmfailinvalid", "flags");
    uint64_t f = vmxon((uintptr_t)vmxon_region);
    check(ok_flags(f), "vmxon_succeeds", "RFLAGS 0x%lx", f);
    check(invalid_flags(vmxon((uintptr_t)vmxon_region)), "vmxon_in_root_without_vmcs_vmfailinvalid", "flags");
    CHECK(exc_expect(probe_write_cr4, cr4 & ~CR4_VMXE, EXC_GP, probe_write_cr4_insn, &rec) && (read_cr(4) & CR4_VMXE),
          "cr4_vmxe_clear_gp_in_vmx_operation");
    CHECK_EQ(vmptrst(), ~0ull, "vmptrst_without_current_vmcs");
    uint64_t v;
    check(invalid_flags(vmread_f(GUEST_RIP, &v)), "vmread_without_vmcs_vmfailinvalid", "flags");
    memcpy(vmcs, &revision, 4);
    f = vmclear((uintptr_t)vmcs);
    uint64_t f2 = vmptrld((uintptr_t)vmcs);
    check(ok_flags(f) && ok_flags(f2) && vmptrst() == (uintptr_t)vmcs, "vmclear_vmptrld_vmptrst",
          "VMCLEAR 0x%lx VMPTRLD 0x%lx VMPTRST 0x%lx", f, f2, vmptrst());
    /* VMfailValid with the error numbers of SDM Vol. 3C, 30.4 (a current VMCS now exists). */
    check(valid_fail(vmclear((uintptr_t)vmcs + 0x10), 2), "vmclear_unaligned_error_2", "error %lu", vmr(VM_INSTRUCTION_ERROR));
    check(valid_fail(vmclear((uintptr_t)vmxon_region), 3), "vmclear_vmxon_pointer_error_3", "error %lu", vmr(VM_INSTRUCTION_ERROR));
    check(valid_fail(vmptrld(1ull << 52), 9), "vmptrld_beyond_maxphyaddr_error_9", "error %lu", vmr(VM_INSTRUCTION_ERROR));
    check(valid_fail(vmptrld((uintptr_t)vmxon_region), 10), "vmptrld_vmxon_pointer_error_10", "error %lu", vmr(VM_INSTRUCTION_ERROR));
    check(valid_fail(vmptrld((uintptr_t)vmcs_bad), 11), "vmptrld_bad_revision_error_11", "error %lu", vmr(VM_INSTRUCTION_ERROR));
    check(vmptrst() == (uintptr_t)vmcs, "failed_vmptrld_keeps_current", "0x%lx", vmptrst());
    check(valid_fail(vmread_f(0x6821, &v), 12), "vmread_unsupported_error_12", "error %lu", vmr(VM_INSTRUCTION_ERROR));
    check(valid_fail(vmwrite_f(EXIT_REASON, 0), 13), "vmwrite_read_only_error_13", "error %lu", vmr(VM_INSTRUCTION_ERROR));
    check(valid_fail(vmxon((uintptr_t)vmxon_region), 15), "vmxon_in_root_error_15", "error %lu", vmr(VM_INSTRUCTION_ERROR));
    /* VMWRITE / VMREAD: widths, the high half of a 64-bit field, a memory destination. */
    vmw(GUEST_CS_SELECTOR, 0x12345678);
    vmw(TSC_OFFSET, 0x1111111122222222ull);
    vmw(TSC_OFFSET + 1, 0x33333333);
    uint64_t mem = 0;
    f = vmread_mem(GUEST_CS_SELECTOR, &mem);
    check(vmr(GUEST_CS_SELECTOR) == 0x5678 && vmr(TSC_OFFSET) == 0x3333333322222222ull && ok_flags(f) && mem == 0x5678,
          "vmwrite_vmread_widths", "selector 0x%lx (mem 0x%lx), TSC offset 0x%lx", vmr(GUEST_CS_SELECTOR), mem,
          vmr(TSC_OFFSET));
    /* The vmcs12 survives VMCLEAR and VMPTRLD (written back to its region, read again). */
    vmw(GUEST_RIP, 0xABCD);
    vmclear((uintptr_t)vmcs);
    uint64_t gone = vmptrst();
    vmptrld((uintptr_t)vmcs);
    check(gone == ~0ull && vmr(GUEST_RIP) == 0xABCD, "vmcs_kept_across_vmclear_vmptrld", "VMPTRST 0x%lx, RIP 0x%lx",
          gone, vmr(GUEST_RIP));
    check(vmx_run_l2(1) == 2 && vmr(VM_INSTRUCTION_ERROR) == 5, "vmresume_not_launched_error_5", "error %lu",
          vmr(VM_INSTRUCTION_ERROR));
}

/* Invalid vmcs12 fields: each gives its architectural VM-entry failure, and L1 goes on. */
static void test_entry_failures(void)
{
    setup_vmcs();
    static const struct { const char *name; uint32_t field; uint64_t value; int result; uint32_t error; } bad[] = {
        { "entry_fail_rflags_bit1_clear", GUEST_RFLAGS, 0, 0, 33 },
        { "entry_fail_rflags_reserved_bit", GUEST_RFLAGS, 2 | (1u << 15), 0, 33 },
        { "entry_fail_cs_not_code", GUEST_CS_AR, 0xA093, 0, 33 },
        { "entry_fail_tr_available_tss", GUEST_TR_AR, 0x89, 0, 33 },
        { "entry_fail_rip_not_canonical", GUEST_RIP, 0x0000900000000000ull, 0, 33 },
        { "entry_fail_activity_hlt", GUEST_ACTIVITY, 1, 0, 33 },
        { "entry_fail_sti_and_movss", GUEST_INTERRUPTIBILITY, 3, 0, 33 },
        { "entry_fail_guest_cr0_pg_clear", GUEST_CR0, 0x31, 0, 33 },
        { "entry_fail_efer_lma_clear", GUEST_IA32_EFER, 0x100, 0, 33 },
        { "entry_fail_gdtr_limit", GUEST_GDTR_LIMIT, 0x10000, 0, 33 },
        { "entry_fail_pin_reserved", PIN_CTLS, 0x16 | (1u << 7), 2, 7 },
        { "entry_fail_cr3_target_count", CR3_TARGET_COUNT, 5, 2, 7 },
        { "entry_fail_io_bitmap_unaligned", IO_BITMAP_A, 0x1234, 2, 7 },
        { "entry_fail_host_cs_zero", HOST_CS_SELECTOR, 0, 2, 8 },
        { "entry_fail_host_ss_rpl", HOST_SS_SELECTOR, SEL_DATA | 3, 2, 8 },
        { "entry_fail_host_cr4_vmxe_clear", HOST_CR4, 0x20, 2, 8 },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t old = vmr(bad[i].field);
        vmw(bad[i].field, bad[i].value);
        int r = vmx_run_l2(0);
        uint64_t reason = vmr(EXIT_REASON), err = vmr(VM_INSTRUCTION_ERROR);
        if (bad[i].result == 0)
            check(r == 0 && reason == (0x80000000u | bad[i].error), bad[i].name,
                  "VMLAUNCH gave %d, exit reason 0x%lx (want a VM exit with 0x%x)", r, reason, 0x80000000u | bad[i].error);
        else
            check(r == 2 && err == bad[i].error, bad[i].name, "VMLAUNCH gave %d, VM-instruction error %lu (want VMfailValid %u)",
                  r, err, bad[i].error);
        vmw(bad[i].field, old);
    }
}

static bool expect_exit(const char *name, int resume, uint32_t reason, const char *rip)
{
    int r = vmx_run_l2(resume);
    uint64_t got = vmr(EXIT_REASON), grip = vmr(GUEST_RIP);
    bool ok = check(r == 0 && got == reason && grip == (uintptr_t)rip, name,
                    "run %d, exit reason 0x%lx at RIP 0x%lx (want %u at 0x%lx), qualification 0x%lx", r, got, grip, reason,
                    (uintptr_t)rip, vmr(EXIT_QUALIFICATION));
    vmw(GUEST_RIP, grip + vmr(EXIT_INSN_LEN));
    return ok;
}

static void test_l2_exits(void)
{
    setup_vmcs();
    memset(&l2, 0, sizeof(l2));
    expect_exit("l2_cpuid_exits", 0, 10, l2_cpuid);
    CHECK_EQ(vmr(EXIT_INSN_LEN), 2, "l2_cpuid_instruction_length");
    expect_exit("l2_rdmsr_in_bitmap_exits", 1, 31, l2_rdmsr_tsc);
    expect_exit("l2_msr_outside_bitmap_and_out_in_bitmap", 1, 30, l2_out80);
    uint64_t q = vmr(EXIT_QUALIFICATION);
    check((q >> 16) == 0x80 && !(q & 8), "l2_io_exit_qualification", "0x%lx (want port 0x80, OUT)", q);
    expect_exit("l2_port_outside_bitmap_then_hlt_exits", 1, 12, l2_hlt);
    expect_exit("l2_ud2_in_exception_bitmap", 1, 0, l2_ud2);
    uint64_t info = vmr(EXIT_INTR_INFO);
    check(info == (0x80000000u | (3u << 8) | 6), "l2_exception_exit_info", "0x%lx (want valid, hardware exception, #UD)", info);
    expect_exit("l2_vmcall_exits", 1, 18, l2_vmcall);
    check(vmr(GUEST_RSP) == (uintptr_t)l2_stack + sizeof(l2_stack), "l2_state_saved", "GUEST_RSP 0x%lx", vmr(GUEST_RSP));
    /* L1's own state is back: the host CS, SS, CR3 and CR4 of its vmcs12. */
    uint16_t cs, ss;
    __asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
    check(cs == SEL_CODE64 && ss == SEL_DATA && read_cr(3) == vmr(HOST_CR3) && (read_cr(4) & CR4_VMXE),
          "l1_host_state_loaded", "CS 0x%x SS 0x%x CR3 0x%lx CR4 0x%lx", cs, ss, read_cr(3), read_cr(4));
}

/* The VMX-preemption timer (SDM 25.5.1): counts down at the TSC rate >> IA32_VMX_MISC[4:0] from entry;
 * 0 exits before L2's first instruction. */
static void test_preemption_timer(void)
{
    uint32_t rate = (uint32_t)rdmsr(0x485) & 0x1F;
    vmw(PIN_CTLS, ctl(0x48D, PIN_EXT_INTR | PIN_NMI_EXITING | PIN_PREEMPT));
    vmw(EXIT_CTLS, ctl(0x48F, EXIT_HOST64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER));
    vmw(GUEST_RIP, (uintptr_t)l2_spin);
    vmw(PREEMPTION_TIMER, 0);
    l2.rbx = 0;
    int r = vmx_run_l2(1);
    check(r == 0 && vmr(EXIT_REASON) == 52 && vmr(GUEST_RIP) == (uintptr_t)l2_spin && l2.rbx == 0,
          "preemption_timer_0_exits_before_first_instruction", "run %d reason %lu RIP 0x%lx rbx %lu", r, vmr(EXIT_REASON),
          vmr(GUEST_RIP), l2.rbx);
    uint32_t n = 2000;
    vmw(PREEMPTION_TIMER, n);
    uint64_t t0 = tsc();
    r = vmx_run_l2(1);
    uint64_t dt = tsc() - t0;
    check(r == 0 && vmr(EXIT_REASON) == 52 && l2.rbx > 0 && dt >= ((uint64_t)n << rate) / 2, "preemption_timer_n_expires",
          "run %d reason %lu, L2 ran %lu iterations in %lu TSC ticks (want >= %lu)", r, vmr(EXIT_REASON), l2.rbx, dt,
          ((uint64_t)n << rate) / 2);
    /* Saved on exit: after a CPUID exit (behind a 20000-iteration loop) the value left is below what was
     * loaded. */
    vmw(EXIT_CTLS, ctl(0x48F, EXIT_HOST64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PREEMPT));
    vmw(GUEST_RIP, (uintptr_t)l2_delay_cpuid);
    vmw(PREEMPTION_TIMER, 0x10000000);
    r = vmx_run_l2(1);
    uint64_t left = vmr(PREEMPTION_TIMER);
    check(r == 0 && vmr(EXIT_REASON) == 10 && left < 0x10000000 && left > 0, "preemption_timer_saved_on_exit",
          "run %d reason %lu value left 0x%lx", r, vmr(EXIT_REASON), left);
    vmw(PIN_CTLS, ctl(0x48D, PIN_EXT_INTR | PIN_NMI_EXITING));
    vmw(EXIT_CTLS, ctl(0x48F, EXIT_HOST64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER));
}

/* The livelock reproducer (issue 14): L1 keeps an interrupt of its own pending (its LAPIC timer fired
 * while it runs with IF clear, and it does not acknowledge on exit) and re-enters L2 with an external
 * interrupt to inject each time. Each entry must exit to L1 for that interrupt, and L0 makes the exit
 * right after the injection is delivered (a preemption timer of 0), until its throttle lets L2 run
 * the injected interrupt's handler; the VM next door keeps its pace all along. */
#define VEC_L2_EVENT 0x40
#define VEC_L1_TIMER 0x41
static void test_livelock(void)
{
    lapic_write(LAPIC_TDCR, TDCR_DIV_1);
    lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_ONESHOT | VEC_L1_TIMER);
    lapic_write(LAPIC_TMICT, 1000);
    uint32_t irr = LAPIC_IRR + 0x10 * (VEC_L1_TIMER / 32), bit = 1u << (VEC_L1_TIMER % 32);
    uint64_t t0 = tsc();
    while (!(lapic_read(irr) & bit) && tsc() - t0 < us_to_tsc(1000000))
        cpu_relax();
    CHECK(lapic_read(irr) & bit, "livelock_l1_interrupt_pending");
    uint32_t before = irq_count(0, VEC_L2_EVENT);
    unsigned n = 300, ext = 0;
    vmw(GUEST_RSP, (uintptr_t)l2_stack + sizeof(l2_stack));
    t0 = tsc();
    for (unsigned i = 0; i < n; i++) {
        vmw(GUEST_RIP, (uintptr_t)l2_spin);
        vmw(GUEST_RFLAGS, 0x202);
        vmw(ENTRY_INTR_INFO, 0x80000000u | VEC_L2_EVENT);
        if (vmx_run_l2(1) == 0 && vmr(EXIT_REASON) == 1)
            ext++;
        if (vmr(GUEST_RSP) < (uintptr_t)l2_stack + 4096)
            vmw(GUEST_RSP, (uintptr_t)l2_stack + sizeof(l2_stack));
    }
    uint64_t dt = tsc() - t0;
    uint32_t ran = irq_count(0, VEC_L2_EVENT) - before;
    check(ext == n, "livelock_each_entry_exits_for_l1_interrupt", "%u of %u entries ended in an external-interrupt exit",
          ext, n);
    check(ran > 0 && ran < n, "livelock_l2_progresses_under_throttle",
          "L2's handler ran %u times in %u entries (%lu us)", ran, n, tsc_to_us(dt));
    printf("nvmx: livelock: %u entries in %lu us, L2's handler ran %u times\n", n, tsc_to_us(dt), ran);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    /* Acknowledge interrupt on exit (27.2.2): the next exit for the still-pending interrupt carries its
     * vector and moves it from L1's IRR to its ISR. */
    vmw(EXIT_CTLS, ctl(0x48F, EXIT_HOST64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_ACK_INTR));
    vmw(GUEST_RIP, (uintptr_t)l2_spin);
    vmw(ENTRY_INTR_INFO, 0);
    int r = vmx_run_l2(1);
    uint64_t info = vmr(EXIT_INTR_INFO);
    check(r == 0 && vmr(EXIT_REASON) == 1 && info == (0x80000000u | VEC_L1_TIMER) && !(lapic_read(irr) & bit) &&
          (lapic_read(LAPIC_ISR + 0x10 * (VEC_L1_TIMER / 32)) & bit), "ack_on_exit_takes_the_vector",
          "run %d reason %lu info 0x%lx, IRR bit %u", r, vmr(EXIT_REASON), info, !!(lapic_read(irr) & bit));
    lapic_eoi();
    /* HLT in L2 without HLT exiting (IF clear in L2): L2 halts until L1's next interrupt, which is then
     * a VM exit to L1 past the HLT. */
    vmw(CPU_CTLS, ctl(0x48E, CPU_IO_BITMAPS | CPU_MSR_BITMAPS));
    vmw(GUEST_RIP, (uintptr_t)l2_halt);
    vmw(GUEST_RFLAGS, 2);
    lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_ONESHOT | VEC_L1_TIMER);
    lapic_write(LAPIC_TMICT, (uint32_t)(lapic_timer_hz() / 100));      /* 10 ms */
    r = vmx_run_l2(1);
    info = vmr(EXIT_INTR_INFO);
    check(r == 0 && vmr(EXIT_REASON) == 1 && info == (0x80000000u | VEC_L1_TIMER) &&
          vmr(GUEST_RIP) == (uintptr_t)l2_after_halt, "l2_hlt_ends_with_l1_interrupt_exit",
          "run %d reason %lu info 0x%lx RIP 0x%lx (want 1, 0x%x, 0x%lx)", r, vmr(EXIT_REASON), info, vmr(GUEST_RIP),
          0x80000000u | VEC_L1_TIMER, (uintptr_t)l2_after_halt);
    lapic_eoi();
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
}

/* Nested EPT and VPID (SDM 24.6.11, 26.2.1.1, 27.2.1 table 27-7, 28.2, 30.3 INVEPT / INVVPID): L2 runs
 * on an EPT of L1's that identity-maps its first GiB with 2 MiB pages; the page at L2-physical 1 GiB is
 * missing (an EPT violation to L1), then mapped with a 4 KiB page to page_a, then moved to page_b with
 * INVEPT; a read-only page and a write-without-read entry give the violation and misconfiguration L1
 * expects; bad INVEPT / INVVPID operands VMfail with error 28. */
#define EPT_RWX 7ull
#define EPT_WB (6ull << 3)
#define EPT_2M (1ull << 7)
#define L2_WINDOW 0x40000000ull
static uint64_t ept_pml4[512] __attribute__((aligned(4096)));
static uint64_t ept_pdpt[512] __attribute__((aligned(4096)));
static uint64_t ept_pd[512] __attribute__((aligned(4096)));
static uint64_t ept_pd_window[512] __attribute__((aligned(4096)));
static uint64_t ept_pt_window[512] __attribute__((aligned(4096)));
static uint64_t page_a[512] __attribute__((aligned(4096)));
static uint64_t page_b[512] __attribute__((aligned(4096)));

static void test_nested_ept(void)
{
    uint64_t p2 = rdmsr(0x48B) >> 32, cap = rdmsr(0x48C);
    uint64_t want_cap = (1ull << 6) | (1ull << 14) | (1ull << 16) | (1ull << 20) | (1ull << 25) | (1ull << 26) |
                        (1ull << 32) | (1ull << 41) | (1ull << 42);
    check((p2 & SEC_EPT) && (p2 & SEC_VPID) && (cap & want_cap) == want_cap && !(cap & (1ull << 21)), "ept_vpid_offered",
          "IA32_VMX_PROCBASED_CTLS2 allowed-1 0x%lx, IA32_VMX_EPT_VPID_CAP 0x%lx", p2, cap);
    for (unsigned i = 0; i < 512; i++)
        ept_pd[i] = (uint64_t)i << 21 | EPT_RWX | EPT_WB | EPT_2M;
    ept_pdpt[0] = (uintptr_t)ept_pd | EPT_RWX;
    ept_pml4[0] = (uintptr_t)ept_pdpt | EPT_RWX;
    uint64_t eptp = (uintptr_t)ept_pml4 | 6 | 3 << 3;
    vmclear((uintptr_t)vmcs);
    vmptrld((uintptr_t)vmcs);
    setup_vmcs();
    memset(&l2, 0, sizeof(l2));
    vmw(CPU_CTLS, ctl(0x48E, CPU_HLT | CPU_IO_BITMAPS | CPU_MSR_BITMAPS | CPU_SECONDARY));
    vmw(SECONDARY_CTLS, SEC_EPT | SEC_VPID);
    /* VM-entry checks of the EPT pointer and the VPID (26.2.1.1): VMfailValid 7. */
    vmw(VPID, 1);
    vmw(EPT_POINTER, (uintptr_t)ept_pml4 | 2 | 3 << 3);
    int r = vmx_run_l2(0);
    check(r == 2 && vmr(VM_INSTRUCTION_ERROR) == 7, "entry_fail_eptp_memory_type", "VMLAUNCH gave %d, error %lu", r,
          vmr(VM_INSTRUCTION_ERROR));
    vmw(EPT_POINTER, (uintptr_t)ept_pml4 | 6 | 1 << 3);
    r = vmx_run_l2(0);
    check(r == 2 && vmr(VM_INSTRUCTION_ERROR) == 7, "entry_fail_eptp_walk_length", "VMLAUNCH gave %d, error %lu", r,
          vmr(VM_INSTRUCTION_ERROR));
    vmw(EPT_POINTER, eptp);
    vmw(VPID, 0);
    r = vmx_run_l2(0);
    check(r == 2 && vmr(VM_INSTRUCTION_ERROR) == 7, "entry_fail_vpid_0", "VMLAUNCH gave %d, error %lu", r,
          vmr(VM_INSTRUCTION_ERROR));
    vmw(VPID, 1);
    /* L2 reads L2-physical 1 GiB, which L1's EPT does not map: an EPT violation to L1 (reason 48) with
     * the address, a read (bit 0), no permission (5:3 clear), a linear-address access (7, 8). */
    page_a[0] = 0xA5A5A5A500000001ull;
    page_b[0] = 0xB6B6B6B600000002ull;
    l2.rsi = L2_WINDOW;
    vmw(GUEST_RIP, (uintptr_t)l2_ept_load);
    r = vmx_run_l2(0);
    uint64_t q = vmr(EXIT_QUALIFICATION);
    check(r == 0 && vmr(EXIT_REASON) == 48 && vmr(GUEST_PHYSICAL_ADDRESS) == L2_WINDOW && (q & 0x1BF) == 0x181 &&
          vmr(GUEST_LINEAR_ADDRESS) == L2_WINDOW && vmr(GUEST_RIP) == (uintptr_t)l2_ept_load,
          "ept_violation_unmapped_gpa", "run %d reason %lu GPA 0x%lx qualification 0x%lx linear 0x%lx RIP 0x%lx", r,
          vmr(EXIT_REASON), vmr(GUEST_PHYSICAL_ADDRESS), q, vmr(GUEST_LINEAR_ADDRESS), vmr(GUEST_RIP));
    /* L1 maps it (a new PD and a 4 KiB page: no INVEPT needed for an entry that was not present) and
     * resumes: L2's load completes with page_a's value. */
    ept_pt_window[0] = (uintptr_t)page_a | EPT_RWX | EPT_WB;
    ept_pd_window[0] = (uintptr_t)ept_pt_window | EPT_RWX;
    ept_pdpt[1] = (uintptr_t)ept_pd_window | EPT_RWX;
    r = vmx_run_l2(1);
    check(r == 0 && vmr(EXIT_REASON) == 18 && l2.rax == page_a[0], "ept_violation_then_map_and_resume",
          "run %d reason %lu, L2 read 0x%lx (want 0x%lx)", r, vmr(EXIT_REASON), l2.rax, page_a[0]);
    /* L1 points the page elsewhere and invalidates (single-context INVEPT): L2 sees page_b. */
    ept_pt_window[0] = (uintptr_t)page_b | EPT_RWX | EPT_WB;
    uint64_t desc[2] = { eptp, 0 };
    uint64_t f = invept_f(1, desc);
    vmw(GUEST_RIP, (uintptr_t)l2_ept_load);
    l2.rax = 0;
    r = vmx_run_l2(1);
    check(ok_flags(f) && r == 0 && vmr(EXIT_REASON) == 18 && l2.rax == page_b[0], "invept_after_remap_sees_new_page",
          "INVEPT flags 0x%lx, run %d reason %lu, L2 read 0x%lx (want 0x%lx)", f, r, vmr(EXIT_REASON), l2.rax, page_b[0]);
    /* A write to a read-only page: a violation with the write bit (1) and "readable" (3) only. */
    ept_pt_window[1] = (uintptr_t)page_b | 1 | EPT_WB;
    l2.rsi = L2_WINDOW + 0x1000;
    l2.rdx = 0x77;
    vmw(GUEST_RIP, (uintptr_t)l2_ept_store);
    r = vmx_run_l2(1);
    q = vmr(EXIT_QUALIFICATION);
    check(r == 0 && vmr(EXIT_REASON) == 48 && vmr(GUEST_PHYSICAL_ADDRESS) == L2_WINDOW + 0x1000 && (q & 0x3F) == 0x0A &&
          page_b[0] == 0xB6B6B6B600000002ull, "ept_violation_write_to_read_only",
          "run %d reason %lu GPA 0x%lx qualification 0x%lx", r, vmr(EXIT_REASON), vmr(GUEST_PHYSICAL_ADDRESS), q);
    /* Writable but not readable: an EPT misconfiguration (28.2.3.1, reason 49) with the address. */
    ept_pt_window[2] = (uintptr_t)page_b | 2 | EPT_WB;
    l2.rsi = L2_WINDOW + 0x2000;
    vmw(GUEST_RIP, (uintptr_t)l2_ept_load);
    r = vmx_run_l2(1);
    check(r == 0 && vmr(EXIT_REASON) == 49 && vmr(GUEST_PHYSICAL_ADDRESS) == L2_WINDOW + 0x2000, "ept_misconfig_write_only",
          "run %d reason %lu GPA 0x%lx", r, vmr(EXIT_REASON), vmr(GUEST_PHYSICAL_ADDRESS));
    /* INVEPT / INVVPID operands (30.3; VMfailValid 28: invalid operand to INVEPT/INVVPID). */
    uint64_t bad_eptp[2] = { (uintptr_t)ept_pml4 | 6 | 1 << 3, 0 }, vpid0[2] = { 0, 0 }, vpid_high[2] = { 1ull << 16, 0 };
    uint64_t vpid1[2] = { 1, 0 };
    check(valid_fail(invept_f(3, desc), 28), "invept_type_3_error_28", "error %lu", vmr(VM_INSTRUCTION_ERROR));
    check(valid_fail(invept_f(1, bad_eptp), 28), "invept_bad_eptp_error_28", "error %lu", vmr(VM_INSTRUCTION_ERROR));
    check(ok_flags(invept_f(2, desc)), "invept_all_context_succeeds", "flags");
    check(valid_fail(invvpid_f(0, vpid1), 28), "invvpid_individual_address_error_28", "error %lu", vmr(VM_INSTRUCTION_ERROR));
    check(valid_fail(invvpid_f(1, vpid0), 28), "invvpid_single_vpid_0_error_28", "error %lu", vmr(VM_INSTRUCTION_ERROR));
    check(valid_fail(invvpid_f(2, vpid_high), 28), "invvpid_reserved_bits_error_28", "error %lu", vmr(VM_INSTRUCTION_ERROR));
    check(ok_flags(invvpid_f(1, vpid1)) && ok_flags(invvpid_f(2, vpid1)), "invvpid_single_and_all_succeed", "flags");
}

/* VMCS shadowing (SDM 24.10): L1's VMREAD of a vmcs12 field completes without a VM exit when the host
 * has it (Bochs does): 1000 of them cost well under 1000 CPUIDs, which always exit. */
static void test_vmcs_shadowing(void)
{
    uint64_t v = 0, t0 = tsc();
    for (unsigned i = 0; i < 1000; i++)
        vmread_f(GUEST_RIP, &v);
    uint64_t t_vmread = tsc() - t0;
    t0 = tsc();
    for (unsigned i = 0; i < 1000; i++)
        cpuid(0, 0);
    uint64_t t_cpuid = tsc() - t0;
    check(t_vmread * 10 < t_cpuid && v == (uintptr_t)l2_ept_load, "vmread_shadowed_without_exit",
          "1000 VMREADs took %lu TSC ticks, 1000 CPUIDs %lu; GUEST_RIP 0x%lx", t_vmread, t_cpuid, v);
}

/* Without 'nested = vmx': no VMX in CPUID, its MSRs #GP, CR4.VMXE #GP, VMXON #UD. */
static void test_off(void)
{
    struct exc_record rec;
    uint64_t region = 0x200000;
    CHECK(!(cpuid(1, 0).ecx & CPUID_1_ECX_VMX), "off_cpuid_vmx_hidden");
    CHECK(exc_expect(probe_rdmsr, 0x480, EXC_GP, probe_rdmsr_insn, &rec), "off_vmx_basic_gp");
    CHECK(exc_expect(probe_write_cr4, read_cr(4) | CR4_VMXE, EXC_GP, probe_write_cr4_insn, &rec), "off_cr4_vmxe_gp");
    CHECK(exc_expect(probe_vmxon, (uintptr_t)&region, EXC_UD, probe_vmxon_insn, &rec), "off_vmxon_ud");
}

int main(void)
{
    const char *cmd = mb_cmdline();
    size_t len = strlen(cmd);
    if (len >= 4 && strncmp(cmd + len - 4, " off", 4) == 0) {
        test_off();
        return 0;
    }
    printf("nvmx: start\n");
    if (!(cpuid(1, 0).ecx & CPUID_1_ECX_VMX)) {
        CHECK(false, "cpuid_vmx_offered");
        return 0;
    }
    test_caps();
    irq_disable();               /* L1 takes no interrupt of its own while it drives L2 */
    test_instructions();
    test_entry_failures();
    test_l2_exits();
    test_preemption_timer();
    test_livelock();
    test_nested_ept();
    test_vmcs_shadowing();
    uint64_t f = vmxoff();
    irq_enable();
    struct exc_record rec;
    uint64_t cr4 = read_cr(4);
    check(ok_flags(f) && exc_catch(probe_write_cr4, cr4 & ~CR4_VMXE, &rec) == 0 && !(read_cr(4) & CR4_VMXE),
          "vmxoff_then_cr4_vmxe_clears", "VMXOFF flags 0x%lx, CR4 0x%lx", f, read_cr(4));
    return 0;
}
