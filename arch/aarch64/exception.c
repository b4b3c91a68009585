/* exception.c: what an unexpected EL2 exception prints (kind, syndrome, registers) before the panic. */
#include <inttypes.h>
#include "arch.h"
#include "cpu_data.h"
#include "guest.h"
#include "kernel.h"
#include "mmio.h"
#include "sysreg.h"

/* Laid out by vector_entry in vectors.S. */
struct exception_frame {
    uint64_t x[31];
    uint64_t pad;
};

extern char _text[] __attribute__((visibility("hidden")));   /* image start (linker script) */

/* VBAR_EL2 offsets / 0x80, in table order (DDI 0487, "Exception vectors"). */
static const char *const vector_names[16] = {
    "sync, current EL, SP_EL0", "IRQ, current EL, SP_EL0", "FIQ, current EL, SP_EL0", "SError, current EL, SP_EL0",
    "sync, current EL, SP_EL2", "IRQ, current EL, SP_EL2", "FIQ, current EL, SP_EL2", "SError, current EL, SP_EL2",
    "sync, lower EL, AArch64", "IRQ, lower EL, AArch64", "FIQ, lower EL, AArch64", "SError, lower EL, AArch64",
    "sync, lower EL, AArch32", "IRQ, lower EL, AArch32", "FIQ, lower EL, AArch32", "SError, lower EL, AArch32",
};

/* ESR_EL2.EC values (Arm DDI 0487, ESR_EL2), the ones an EL2 fault is likely to show. */
static const struct { uint8_t ec; const char *name; } ec_names[] = {
    { 0x00, "unknown reason" },
    { 0x01, "WFI/WFE" },
    { 0x07, "SVE/SIMD/FP access" },
    { 0x0e, "illegal execution state" },
    { 0x15, "SVC (AArch64)" },
    { 0x16, "HVC (AArch64)" },
    { 0x17, "SMC (AArch64)" },
    { 0x18, "MSR/MRS/system instruction" },
    { 0x19, "SVE access" },
    { 0x20, "instruction abort, lower EL" },
    { 0x21, "instruction abort, same EL" },
    { 0x22, "PC alignment fault" },
    { 0x24, "data abort, lower EL" },
    { 0x25, "data abort, same EL" },
    { 0x26, "SP alignment fault" },
    { 0x2f, "SError" },
    { 0x30, "breakpoint, lower EL" },
    { 0x31, "breakpoint, same EL" },
    { 0x32, "software step, lower EL" },
    { 0x33, "software step, same EL" },
    { 0x34, "watchpoint, lower EL" },
    { 0x35, "watchpoint, same EL" },
    { 0x3c, "BRK" },
};

static const char *ec_name(uint32_t ec)
{
    for (size_t i = 0; i < sizeof(ec_names) / sizeof(ec_names[0]); i++)
        if (ec_names[i].ec == ec)
            return ec_names[i].name;
    return "other";
}

#define EC_DATA_ABORT_SAME_EL 0x25
#define VECTOR_SYNC_SP_EL2 4      /* vector_names index: sync, current EL, SP_EL2 */

/* The one exception that returns: a data abort on the load of mmio_probe_read32,
 * which is then skipped (ELR_EL2 += 4, every A64 instruction is 4 bytes). */
static bool probe_absorbed(struct cpu_data *c, uint64_t esr, uint64_t far)
{
    if (!c || !c->probe_active || BITS(esr, 31, 26) != EC_DATA_ABORT_SAME_EL || far != c->probe_addr)
        return false;
    c->probe_faulted = 1;
    write_sysreg(elr_el2, read_sysreg(elr_el2) + 4);
    return true;
}

bool mmio_probe_read32(uint64_t addr, uint32_t *out)
{
    struct cpu_data *c = this_cpu();
    uint32_t v = 0;
    if (!c)
        return false;
    c->probe_addr = addr;
    c->probe_faulted = 0;
    c->probe_active = 1;
    __asm__ volatile("ldr %w0, [%1]" : "+r"(v) : "r"(addr) : "memory");
    c->probe_active = 0;
    *out = v;
    return !c->probe_faulted;
}

/* Instructions that may take a synchronous abort at EL2 on the guest's behalf, and where
 * execution goes on instead (Linux's exception-table idea): the AT walks over guest page
 * tables (guest_at.S). */
extern char guest_at_s1e1r_insn[], guest_at_s1e1r_fixup[], guest_at_s1e0r_insn[], guest_at_s1e0r_fixup[];
static const struct { const char *insn, *fixup; } fixups[] = {
    { guest_at_s1e1r_insn, guest_at_s1e1r_fixup },
    { guest_at_s1e0r_insn, guest_at_s1e0r_fixup },
};

static bool fixup_taken(uint64_t esr)
{
    if (ESR_EC(esr) != EC_DABT_CUR)
        return false;
    uint64_t elr = read_sysreg(elr_el2);
    for (size_t i = 0; i < sizeof(fixups) / sizeof(fixups[0]); i++) {
        if (elr == (uintptr_t)fixups[i].insn) {
            write_sysreg(elr_el2, (uintptr_t)fixups[i].fixup);
            return true;
        }
    }
    return false;
}

/* Called by vectors.S; returns (and the vector erets) only for an absorbed probe fault, a
 * fixed-up abort or the lazy FP/SIMD trap. */
void el2_exception(uint64_t kind, struct exception_frame *f);

void el2_exception(uint64_t kind, struct exception_frame *f)
{
    struct cpu_data *c = this_cpu();
    uint64_t esr = read_sysreg(esr_el2), far = read_sysreg(far_el2);
    if (kind == VECTOR_SYNC_SP_EL2 && probe_absorbed(c, esr, far))
        return;
    if (kind == VECTOR_SYNC_SP_EL2 && fixup_taken(esr))
        return;
    /* newlib's first FP/SIMD use after a guest exit (fpsimd.c). */
    if (kind == VECTOR_SYNC_SP_EL2 && ESR_EC(esr) == EC_FP_ASIMD && fpsimd_trap())
        return;
    if (c && c->in_exception++)
        arch_power_off();   /* the dump itself faulted: nothing more is safe to print */

    uint64_t elr = read_sysreg(elr_el2), spsr = read_sysreg(spsr_el2);
    uint64_t base = (uintptr_t)_text;
    console_panic_begin();          /* the dump does not wait behind guest output or a dead lock holder */
    hv_printf("\nEXCEPTION on cpu %" PRIu32 ": %s\n", arch_cpu_index(), vector_names[kind & 15]);
    hv_printf("  ESR_EL2  0x%016" PRIx64 "  EC=0x%02" PRIx64 " (%s) IL=%" PRIu64 " ISS=0x%07" PRIx64 "\n",
              esr, BITS(esr, 31, 26), ec_name(BITS(esr, 31, 26)), BITS(esr, 25, 25), BITS(esr, 24, 0));
    hv_printf("  FAR_EL2  0x%016" PRIx64 "\n", far);
    hv_printf("  ELR_EL2  0x%016" PRIx64 "  (hv.efi+0x%" PRIx64 ")\n", elr, elr - base);
    hv_printf("  SPSR_EL2 0x%016" PRIx64 "\n", spsr);
    for (int i = 0; i < 31; i += 2) {
        if (i + 1 < 31)
            hv_printf("  x%-2d 0x%016" PRIx64 "  x%-2d 0x%016" PRIx64 "\n", i, f->x[i], i + 1, f->x[i + 1]);
        else
            hv_printf("  x%-2d 0x%016" PRIx64 "  sp  0x%016" PRIx64 "\n", i, f->x[i],
                      (uint64_t)(uintptr_t)(f + 1));
    }
    kernel_panic("unexpected exception");
}

/* Test hook: a load from far above the identity map must end in the dump above. */
void arch_selftest_fault(void)
{
    (void)*(volatile uint64_t *)(uintptr_t)0xdead0000000ull;
}

/* Test hook (selftest = at-abort PA): AT S1E1R of the EL1&0 regime, stage 2 off, whose level-0
 * table is at pa, Normal memory for the walk: with nothing behind pa the walk takes a
 * synchronous External abort, which QEMU delivers to EL2 as a Data Abort on the AT. A guest
 * cannot make that happen under QEMU (HCR_EL2.PTW turns its table walks into Device memory
 * into a stage-2 permission fault, reported in PAR_EL1), so the fixup is proven here. The EL1
 * registers belong to no guest yet (boot CPU, before any VM). */
#define SELFTEST_TCR   (16ull | 1ull << 23 | 2ull << 32)   /* T0SZ 16, EPD1, IPS 40 bits, 4 KiB, walks NC */
#define SELFTEST_SCTLR (0x30d00800ull | 1)                 /* RES1 bits, M */
#define HCR_RW_ONLY    (1ull << 31)                        /* EL1 AArch64, stage 2 and every trap off */

void arch_selftest_at_abort(uint64_t pa)
{
    uint64_t hcr = read_sysreg(hcr_el2), sctlr = read_sysreg(sctlr_el1), tcr = read_sysreg(tcr_el1);
    uint64_t ttbr0 = read_sysreg(ttbr0_el1), par = read_sysreg(par_el1);
    write_sysreg(hcr_el2, HCR_RW_ONLY);
    write_sysreg(tcr_el1, SELFTEST_TCR);
    write_sysreg(ttbr0_el1, pa);
    write_sysreg(sctlr_el1, SELFTEST_SCTLR);
    isb();
    __asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" ::: "memory");
    bool walked = guest_at_s1e1r(0x1000);
    isb();
    uint64_t result = read_sysreg(par_el1);
    write_sysreg(sctlr_el1, sctlr);
    write_sysreg(ttbr0_el1, ttbr0);
    write_sysreg(tcr_el1, tcr);
    write_sysreg(par_el1, par);
    write_sysreg(hcr_el2, hcr);
    isb();
    __asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" ::: "memory");
    if (!walked)
        hv_printf("hv: selftest: AT S1E1R over a table at 0x%" PRIx64 " took an external abort at EL2: "
                  "fixed up as a failed translation\n", pa);
    else
        hv_printf("hv: selftest: AT S1E1R over a table at 0x%" PRIx64 " took no exception (PAR_EL1 0x%" PRIx64
                  ")\n", pa, result);
}
