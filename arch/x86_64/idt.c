/* idt.c: the IDT; every vector dumps the CPU state (vector, error code, CRs, GPRs) and panics. */
#include <inttypes.h>
#include "arch.h"
#include "kernel.h"
#include "x86.h"
#include "x86_internal.h"

#define IDT_VECTORS 256
#define STUB_BYTES 16                 /* exception_entry.S: one stub per vector */
#define GATE_INTERRUPT_64 0x8E        /* P, DPL 0, 64-bit interrupt gate (IF cleared on entry) */

/* What exception_entry.S leaves on the stack, lowest address first. */
struct x86_exception_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;   /* pushed by the CPU (SDM Vol. 3A, 6.14.2) */
};

/* SDM Vol. 3A, 6.14.1, figure 6-8: a 64-bit IDT gate descriptor. */
struct idt_gate {
    uint16_t offset_low, selector;
    uint8_t ist, type_attr;
    uint16_t offset_mid;
    uint32_t offset_high, reserved;
};

struct idt_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

extern const uint8_t x86_exception_stubs[];
void x86_exception(struct x86_exception_frame *f);

static struct idt_gate idt[IDT_VECTORS];   /* written by CPU 0 before any other CPU starts */

/* SDM Vol. 3A, 6.15, table 6-1 (vectors 28-30 from AMD APM Vol. 2, 8.2). */
static const char *const exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR BOUND range exceeded", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack-segment fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87 floating-point error", "#AC alignment check",
    "#MC machine check", "#XM SIMD floating-point", "#VE virtualization exception",
    "#CP control protection", "reserved 22", "reserved 23", "reserved 24", "reserved 25",
    "reserved 26", "reserved 27", "#HV hypervisor injection", "#VC VMM communication",
    "#SX security exception", "reserved 31",
};

void x86_idt_init(void)
{
    for (uint32_t v = 0; v < IDT_VECTORS; v++) {
        uint64_t handler = (uintptr_t)x86_exception_stubs + (uint64_t)v * STUB_BYTES;
        uint8_t ist = v == 2 ? IST_NMI : v == 8 ? IST_DF : v == 18 ? IST_MC : 0;
        idt[v] = (struct idt_gate){
            .offset_low = (uint16_t)handler, .selector = GDT_CODE64, .ist = ist,
            .type_attr = GATE_INTERRUPT_64, .offset_mid = (uint16_t)(handler >> 16),
            .offset_high = (uint32_t)(handler >> 32),
        };
    }
}

void x86_idt_load(void)
{
    struct idt_pointer idtr = { sizeof(idt) - 1, (uintptr_t)idt };
    __asm__ volatile("lidt %0" :: "m"(idtr));
}

void x86_host_irq(uint64_t vector);

/* Kick IPIs, the host timer, anything a firmware left programmed: acknowledged, nothing more. */
void x86_host_irq(uint64_t vector)
{
    if (vector == X86_VECTOR_TIMER)
        kernel_tick();                   /* the run loop's periodic work (kernel/vcpu.c) */
    if (vector != X86_VECTOR_SPURIOUS)   /* a spurious interrupt is not in service: no EOI (SDM 10.9) */
        lapic_eoi();
}

void x86_exception(struct x86_exception_frame *f)
{
    if (f->vector == 7) {                /* #NM: CR0.TS guards the guest's x87/SSE state (fpu.c) */
        x86_fpu_nm();
        return;
    }
    const char *name = f->vector < 32 ? exception_names[f->vector] : "unexpected interrupt";
    console_panic_begin();               /* the dump does not wait behind guest output or a dead lock holder */
    hv_printf("exception: vector %" PRIu64 " %s, error code 0x%" PRIx64 ", cpu %" PRIu32 "\n",
              f->vector, name, f->error_code, arch_cpu_index());
    hv_printf("  RIP 0x%016" PRIx64 " CS 0x%" PRIx64 " RFLAGS 0x%" PRIx64 " RSP 0x%016" PRIx64
              " SS 0x%" PRIx64 "\n", f->rip, f->cs, f->rflags, f->rsp, f->ss);
    hv_printf("  CR0 0x%" PRIx64 " CR2 0x%016" PRIx64 " CR3 0x%" PRIx64 " CR4 0x%" PRIx64 "\n",
              read_cr0(), read_cr2(), read_cr3(), read_cr4());
    hv_printf("  RAX 0x%016" PRIx64 " RBX 0x%016" PRIx64 " RCX 0x%016" PRIx64 " RDX 0x%016" PRIx64 "\n",
              f->rax, f->rbx, f->rcx, f->rdx);
    hv_printf("  RSI 0x%016" PRIx64 " RDI 0x%016" PRIx64 " RBP 0x%016" PRIx64 " R8  0x%016" PRIx64 "\n",
              f->rsi, f->rdi, f->rbp, f->r8);
    hv_printf("  R9  0x%016" PRIx64 " R10 0x%016" PRIx64 " R11 0x%016" PRIx64 " R12 0x%016" PRIx64 "\n",
              f->r9, f->r10, f->r11, f->r12);
    hv_printf("  R13 0x%016" PRIx64 " R14 0x%016" PRIx64 " R15 0x%016" PRIx64 "\n",
              f->r13, f->r14, f->r15);
    kernel_panic("unexpected exception");
}

void arch_selftest_fault(void)
{
    /* The first address past the identity map: a #PF with CR2 = that address. */
    volatile const uint64_t *p = (volatile const uint64_t *)(uintptr_t)x86_paging_map_end();
    (void)*p;
}

/* AT over guest page tables is aarch64's (arch/aarch64/exception.c); x86 walks guest tables in
 * software (guest_walk.c) through the audited accessor and has no such abort to survive. */
void arch_selftest_at_abort(uint64_t pa)
{
    hv_printf("hv: selftest: at-abort 0x%" PRIx64 " is for aarch64 only, nothing done\n", pa);
}
