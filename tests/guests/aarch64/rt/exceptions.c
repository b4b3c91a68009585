/* exceptions.c: records every EL1 exception; a test may catch synchronous ones (exc_catch),
 * run code at EL0 (el0_call) and take IRQs (irq_set_handler); anything else is reported as a
 * FAIL and ends the run. */
#include "test.h"

struct exc_frame { uint64_t x[31], elr, spsr, pad; };   /* layout: vectors.S */

static const char *const kind_names[16] = {
    "sync_sp0", "irq_sp0", "fiq_sp0", "serror_sp0",
    "sync", "irq", "fiq", "serror",
    "sync_lower64", "irq_lower64", "fiq_lower64", "serror_lower64",
    "sync_lower32", "irq_lower32", "fiq_lower32", "serror_lower32",
};
#define KIND_SYNC_SPX 4
#define KIND_IRQ_SPX 5
#define KIND_SYNC_LOWER64 8
#define SPSR_EL1H_MASKED 0x3c5ull       /* back from EL0: EL1h, DAIF masked (el0_call restores) */
#define EL0_STACK_SIZE 0x1000

uint64_t el0_enter(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t sp_el0);   /* el0.S */
extern char el0_return[];

static uint8_t el0_stacks[MAX_CPUS][EL0_STACK_SIZE] __attribute__((aligned(16)));
static void (*volatile irq_handler)(void);

/* Indexed by cpu_index(); each CPU touches only its own slot. */
static struct exc_state {
    volatile bool armed;
    volatile unsigned count;
    struct exc_record last;
} state[MAX_CPUS];

void exc_handle(struct exc_frame *f, uint64_t kind)
{
    struct exc_state *s = &state[cpu_index()];
    uint64_t esr = read_sysreg(esr_el1), far = read_sysreg(far_el1);

    if (kind == KIND_SYNC_LOWER64 && ESR_EC(esr) == EC_SVC64) {   /* el0_call's fn returned */
        f->elr = (uint64_t)(uintptr_t)el0_return;
        f->spsr = SPSR_EL1H_MASKED;
        return;
    }
    if (kind == KIND_IRQ_SPX && irq_handler) {
        irq_handler();
        return;
    }
    s->last.esr = esr;
    s->last.far = far;
    s->last.elr = f->elr;
    if (kind == KIND_SYNC_SPX && ESR_EC(esr) == EC_SOFTSTEP_CUR && s->armed) {
        /* A software step (step_call): ELR is the next instruction, not yet run. Stepping ends. */
        s->count++;
        write_sysreg(mdscr_el1, read_sysreg(mdscr_el1) & ~MDSCR_SS);
        isb();
        return;
    }
    if ((kind == KIND_SYNC_SPX || kind == KIND_SYNC_LOWER64) && s->armed) {
        s->count++;
        f->elr += 4;            /* A64 instructions are all 4 bytes */
        return;
    }
    check(false, "unexpected_exception", "%s on cpu %u esr=0x%lx (ec=0x%x) far=0x%lx elr=0x%lx",
          kind < 16 ? kind_names[kind] : "?", cpu_index(), esr, ESR_EC(esr), far, f->elr);
    if (cpu_index() == 0)
        test_done();
    psci_cpu_off();
    for (;;)
        __asm__ volatile("wfe");
}

unsigned exc_catch(uint64_t (*fn)(uint64_t), uint64_t arg, struct exc_record *rec)
{
    struct exc_state *s = &state[cpu_index()];
    s->count = 0;
    s->last = (struct exc_record){ 0 };
    s->armed = true;
    uint64_t result = fn(arg);
    s->armed = false;
    *rec = s->last;
    rec->result = result;
    return s->count;
}

unsigned exc_catch_step(uint64_t (*fn)(uint64_t), uint64_t arg, struct exc_record *rec)
{
    struct exc_state *s = &state[cpu_index()];
    s->count = 0;
    s->last = (struct exc_record){ 0 };
    s->armed = true;
    uint64_t result = step_call(fn, arg);
    __asm__ volatile("msr daifset, #8" ::: "memory");      /* PSTATE.D again (step_call cleared it) */
    write_sysreg(mdscr_el1, read_sysreg(mdscr_el1) & ~(MDSCR_SS | MDSCR_KDE));
    isb();
    s->armed = false;
    *rec = s->last;
    rec->result = result;
    return s->count;
}

bool exc_expect(uint64_t (*fn)(uint64_t), uint64_t arg, uint32_t ec, const void *insn,
                struct exc_record *rec)
{
    unsigned n = exc_catch(fn, arg, rec);
    return n == 1 && ESR_EC(rec->esr) == ec && rec->elr == (uint64_t)(uintptr_t)insn;
}

uint64_t el0_call(uint64_t (*fn)(uint64_t), uint64_t arg)
{
    uint64_t daif = read_sysreg(daif);
    uint64_t result = el0_enter(fn, arg, (uint64_t)(uintptr_t)el0_stacks[cpu_index()] + EL0_STACK_SIZE);
    write_sysreg(daif, daif);
    return result;
}

void irq_set_handler(void (*fn)(void))
{
    irq_handler = fn;
}
