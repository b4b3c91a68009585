/* exceptions.c: the IDT. Exceptions are recorded and, inside exc_catch() at a probe
 * instruction, skipped; anything else is a FAIL. Interrupts are counted per CPU and vector. */
#include "test.h"
#include "internal.h"

/* Pushed by the CPU (SDM Vol. 3A, 6.14.2), by the stub (vector, error code) and isr_common. */
struct isr_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

/* SDM Vol. 3A, 6.14.1: 64-bit IDT gate descriptor. */
struct idt_gate {
    uint16_t offset_lo, selector;
    uint8_t ist, type;
    uint16_t offset_mid;
    uint32_t offset_hi, reserved;
} __attribute__((packed));

#define GATE_INTERRUPT  0x8E            /* present, DPL 0, 64-bit interrupt gate: IF cleared */

struct probe { uint64_t insn, resume; };   /* probes.S */
extern const struct probe __probes_start[], __probes_end[];
extern char isr_stubs[];                /* isr.S: 16 bytes per vector */

/* Written by the boot CPU before any AP starts, read-only afterwards. */
static struct idt_gate idt[256] __attribute__((aligned(16)));
static irq_handler_t handlers[256];

/* Each CPU writes only its own entry (the boot CPU fills self/index before APs start). */
struct cpu cpus[MAX_CPUS];

static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF(old)", "#TS", "#NP",
    "#SS", "#GP", "#PF", "(15)", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "(22)", "(23)",
    "(24)", "(25)", "(26)", "(27)", "#HV", "#VC", "#SX", "(31)",
};

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t a = (uintptr_t)isr_stubs + 16 * v;
        idt[v] = (struct idt_gate){
            .offset_lo = (uint16_t)a, .selector = SEL_CODE64, .type = GATE_INTERRUPT,
            .offset_mid = (uint16_t)(a >> 16), .offset_hi = (uint32_t)(a >> 32),
        };
    }
}

/* A gate CPL 3 may use with INT n (DPL 3), to handler instead of the vector's stub. */
void idt_set_user_gate(unsigned v, void (*handler)(void))
{
    uint64_t a = (uintptr_t)handler;
    idt[v & 0xff] = (struct idt_gate){
        .offset_lo = (uint16_t)a, .selector = SEL_CODE64, .type = GATE_INTERRUPT | 0x60,
        .offset_mid = (uint16_t)(a >> 16), .offset_hi = (uint32_t)(a >> 32),
    };
}

void idt_set_ist(unsigned vector, unsigned ist)
{
    idt[vector & 0xff].ist = (uint8_t)(ist & 7);
}

void idt_load(void)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d = {
        sizeof idt - 1, (uintptr_t)idt,
    };
    __asm__ volatile("lidt %0" :: "m"(d));
}

void irq_set_handler(unsigned vector, irq_handler_t fn)
{
    handlers[vector & 0xff] = fn;
}

static void exception(struct isr_frame *f)
{
    struct cpu *c = this_cpu();
    c->exc_last = (struct exc_record){ f->vector, f->error, f->rip, read_cr(2), 0, 0 };
    if (f->vector == 1) {               /* #DB: keep DR6, reset it, and stop single-stepping */
        uint64_t dr6;
        __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
        __asm__ volatile("mov %0, %%dr6" :: "r"(0xFFFF0FF0ull));
        c->exc_last.dr6 = dr6;
        f->rflags &= ~0x100ull;
    }
    if (handlers[f->vector]) {          /* the payload's own: the exception returns where it arose */
        handlers[f->vector]((unsigned)f->vector);
        return;
    }
    if (c->catching)
        for (const struct probe *p = __probes_start; p < __probes_end; p++)
            if (p->insn == f->rip) {
                c->exc_count++;
                f->rip = p->resume;
                return;
            }
    check(false, "unexpected_exception", "%s (vector %lu) on cpu %u: error 0x%lx rip 0x%lx cr2 0x%lx rsp 0x%lx",
          exc_names[f->vector], f->vector, c->index, f->error, f->rip, c->exc_last.cr2, f->rsp);
    if (c->index == 0)
        test_done();
    for (;;)
        __asm__ volatile("cli; hlt");
}

static void interrupt(struct isr_frame *f)
{
    struct cpu *c = this_cpu();
    unsigned v = (unsigned)f->vector;
    c->irq_tsc[v] = tsc();
    c->irq_count[v]++;
    if (v < VEC_PIC_BASE + 16 || v == VEC_SPURIOUS)
        return;                 /* 8259 (masked; spurious IRQ 7/15) or LAPIC spurious: no EOI */
    if (handlers[v])
        handlers[v](v);
    lapic_eoi();
}

void isr_dispatch(struct isr_frame *f)
{
    if (f->vector == 2 && handlers[2]) {    /* NMI with a handler: counted and handed over, no EOI */
        this_cpu()->irq_count[2]++;
        handlers[2](2);
        return;
    }
    if (f->vector < 32)
        exception(f);
    else
        interrupt(f);
}

unsigned exc_catch(uint64_t (*fn)(uint64_t), uint64_t arg, struct exc_record *rec)
{
    struct cpu *c = this_cpu();
    c->exc_count = 0;
    c->exc_last = (struct exc_record){ 0 };
    barrier();
    c->catching = true;
    barrier();
    uint64_t result = fn(arg);
    barrier();
    c->catching = false;
    barrier();
    *rec = c->exc_last;
    rec->result = result;
    return c->exc_count;
}

bool exc_expect(uint64_t (*fn)(uint64_t), uint64_t arg, unsigned vector, const void *insn,
                struct exc_record *rec)
{
    unsigned n = exc_catch(fn, arg, rec);
    return n == 1 && rec->vector == vector && rec->rip == (uintptr_t)insn;
}
