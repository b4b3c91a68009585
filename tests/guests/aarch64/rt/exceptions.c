/* exceptions.c: records every EL1 exception; a test may catch synchronous ones (exc_catch),
 * anything else is reported as a FAIL and ends the run. */
#include "test.h"

struct exc_frame { uint64_t x[31], elr, spsr, pad; };   /* layout: vectors.S */

static const char *const kind_names[16] = {
    "sync_sp0", "irq_sp0", "fiq_sp0", "serror_sp0",
    "sync", "irq", "fiq", "serror",
    "sync_lower64", "irq_lower64", "fiq_lower64", "serror_lower64",
    "sync_lower32", "irq_lower32", "fiq_lower32", "serror_lower32",
};
#define KIND_SYNC_SPX 4

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

    s->last.esr = esr;
    s->last.far = far;
    s->last.elr = f->elr;
    if (kind == KIND_SYNC_SPX && s->armed) {
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

bool exc_expect(uint64_t (*fn)(uint64_t), uint64_t arg, uint32_t ec, const void *insn,
                struct exc_record *rec)
{
    unsigned n = exc_catch(fn, arg, rec);
    return n == 1 && ESR_EC(rec->esr) == ec && rec->elr == (uint64_t)(uintptr_t)insn;
}
