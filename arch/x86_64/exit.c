/* exit.c: what each exit means, decided once for both backends (the KVM split: x86.c's exit handlers):
 * a handler per enum x86_exit_kind turns the backend's decoded exit (struct x86_exit) into kernel/'s
 * struct vcpu_exit, or completes it here: CPUID and MSR policy, port I/O, hypercalls (CPL 0 only),
 * MOV to CR0 / CR4 / CR8, XSETBV, RDPMC, RSM, and the exits that end the VM. */
#include <inttypes.h>
#include "arch.h"
#include "hypercall.h"
#include "kernel.h"
#include "x86.h"
#include "x86_internal.h"
#include "x86_vcpu.h"

typedef void (*x86_exit_fn)(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit);

void x86_vcpu_crash(struct vcpu *v, struct vcpu_exit *exit, const char *what, uint64_t code)
{
    hv_printf("vm %s: vcpu %" PRIu32 ": %s (exit 0x%" PRIx64 ") at RIP 0x%" PRIx64 ", stopping the VM\n",
              v->vm->name, v->id, what, code, v->arch.rip);
    vm_request_shutdown(v->vm, VM_SHUTDOWN_CRASH);
    exit->reason = EXIT_SHUTDOWN;
}

static void crash(struct vcpu *v, struct vcpu_exit *exit, const char *what, uint64_t code)
{
    x86_vcpu_crash(v, exit, what, code);
}

/* A real-mode guest's exception pushes no error code (SDM Vol. 3A, 20.1.4; VM entry refuses one, Vol. 3C
 * 26.2.1.3), on both backends, as KVM's kvm_inject_exception. */
void x86_vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    if (has_error) {
        struct x86_guest_mode m;
        ops->get_mode(v, &m);
        has_error = m.cr0 & CR0_PE;
    }
    ops->set_event(v, vector | X86_EVENT_TYPE_EXCEPTION | X86_EVENT_VALID | (has_error ? X86_EVENT_ERROR_VALID : 0),
                   error);
}

static void inject(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    x86_vcpu_inject_exception(v, vector, has_error, error);
}

/* The instruction behind the exit completed (emulated or skipped): RIP moves past it and the STI /
 * MOV-SS shadow it may have been in ends with it (SDM Vol. 3A 6.8.3), as KVM's skip does. */
void x86_vcpu_advance(struct vcpu *v, uint64_t rip)
{
    v->arch.rip = rip;
    x86_vcpu_clear_interrupt_shadow(v);
}

static void advance(struct vcpu *v, uint64_t rip) { x86_vcpu_advance(v, rip); }

static void skip(struct vcpu *v, const struct x86_exit *x) { advance(v, v->arch.rip + x->insn_len); }

static void exit_none(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    (void)v; (void)x;
    exit->reason = EXIT_OTHER;
}

static void exit_cpuid(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    uint64_t *g = v->arch.gpr;
    uint32_t r[4];
    x86_cpuid_policy(v, (uint32_t)g[GPR_RAX], (uint32_t)g[GPR_RCX], r);
    g[GPR_RAX] = r[0];
    g[GPR_RBX] = r[1];
    g[GPR_RCX] = r[2];
    g[GPR_RDX] = r[3];
    skip(v, x);
    exit->reason = EXIT_SYSREG;
}

static void exit_rdmsr(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    uint64_t *g = v->arch.gpr, value;
    exit->reason = EXIT_SYSREG;
    if (!x86_msr_read(v, (uint32_t)g[GPR_RCX], &value)) {
        inject(v, X86_EXC_GP, true, 0);
        return;
    }
    g[GPR_RAX] = (uint32_t)value;
    g[GPR_RDX] = value >> 32;
    skip(v, x);
}

static void exit_wrmsr(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    uint64_t *g = v->arch.gpr;
    exit->reason = EXIT_SYSREG;
    if (!x86_msr_write(v, (uint32_t)g[GPR_RCX], (uint32_t)g[GPR_RAX] | g[GPR_RDX] << 32)) {
        inject(v, X86_EXC_GP, true, 0);
        return;
    }
    skip(v, x);
}

static uint64_t size_mask(uint32_t size) { return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1; }

static void exit_io(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    if (x->io.string) {
        x86_emul_io_string(v, x, exit);
        return;
    }
    v->arch.emul.pio_string = false;
    v->arch.next_rip = v->arch.rip + x->insn_len;
    exit->reason = EXIT_PIO;
    exit->mmio.gpa = x->io.port;
    exit->mmio.size = x->io.size;
    exit->mmio.write = !x->io.in;
    exit->mmio.data = x->io.in ? 0 : v->arch.gpr[GPR_RAX] & size_mask(x->io.size);
}

static void exit_hlt(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    skip(v, x);                         /* STI; HLT: the interrupt lands after the HLT (skip ends the shadow) */
    exit->reason = EXIT_WFX;
}

static void exit_hypercall(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    uint64_t *g = v->arch.gpr;
    struct x86_guest_mode m;
    x86_vcpu_backend()->get_mode(v, &m);
    if (m.cpl != 0) {
        /* Only the guest's kernel may call the hypervisor (KVM answers -KVM_EPERM): a user process
         * must not print guest-kernel memory through the console-write call. */
        g[GPR_RAX] = (uint64_t)(int64_t)HV_HC_DENIED;
        advance(v, v->arch.rip + x->insn_len);
        exit->reason = EXIT_OTHER;         /* answered here: nothing for kernel/'s hypercall ABI */
        return;
    }
    v->arch.next_rip = v->arch.rip + x->insn_len;
    exit->reason = EXIT_HYPERCALL;
    exit->hypercall.nr = g[GPR_RAX];
    exit->hypercall.arg[0] = g[GPR_RBX];
    exit->hypercall.arg[1] = g[GPR_RCX];
    exit->hypercall.arg[2] = g[GPR_RDX];
    exit->hypercall.arg[3] = g[GPR_RSI];
}

static size_t fetch_insn(struct vcpu *v, uint8_t bytes[X86_INSN_MAX_BYTES], enum x86_cpu_mode *mode)
{
    struct x86_guest_mode m;
    return x86_fetch_insn(v, bytes, mode, &m);
}

/* An access outside RAM or to a read-only slot: emulate.c. */
static void exit_npf(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    x86_emul_npf(v, x, exit);
}

/* A kick or the host timer (the point was the exit itself); the host timer is one-shot: re-arm it. */
static void exit_intr(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    (void)x;
    v->arch.host_timer_armed = ~0ull;
    exit->reason = EXIT_IRQ;
}

static void exit_shutdown(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    crash(v, exit, "triple fault", x->code);
}

/* INIT to a running vCPU: INIT/SIPI start-up comes with the virtual LAPIC; ignored until then. */
static void exit_init(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    (void)v; (void)x;
    exit->reason = EXIT_OTHER;
}

static void exit_ud(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    (void)x;
    inject(v, X86_EXC_UD, false, 0);
    exit->reason = EXIT_ABORT;
}

static void exit_skip(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    skip(v, x);
    exit->reason = EXIT_OTHER;
}

static void exit_failed_entry(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    hv_printf("vm %s: vcpu %" PRIu32 ": VM entry failed (0x%" PRIx64 ", 0x%" PRIx64 ")\n", v->vm->name, v->id,
              x->info1, x->info2);
    crash(v, exit, "invalid guest state", x->code);
}

/* MOV to CR0 / CR4 that the backend trapped: cr.c's checks, #GP(0) when they fail. Without the
 * register from the backend (SVM without decode assists) the instruction is decoded here. */
static void exit_cr_write(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    exit->reason = EXIT_SYSREG;
    uint8_t cr = x->cr.n, gpr = (uint8_t)x->cr.gpr;
    uint32_t len = x->insn_len;
    if (x->cr.gpr < 0) {
        uint8_t bytes[X86_INSN_MAX_BYTES];
        enum x86_cpu_mode mode;
        size_t n = fetch_insn(v, bytes, &mode);
        len = (uint32_t)x86_decode_mov_to_cr(bytes, n, mode, &cr, &gpr);
        if (!len || cr != x->cr.n) {
            crash(v, exit, "a CR write exit whose instruction is not MOV to that CR", x->code);
            return;
        }
    }
    struct x86_guest_mode m;
    x86_vcpu_backend()->get_mode(v, &m);
    uint64_t value = v->arch.gpr[gpr & 15];
    if (!(m.efer & (1ull << 10)))
        value = (uint32_t)value;            /* outside IA-32e mode MOV to CR moves 32 bits */
    if (!x86_cr_write(v, cr, value)) {
        inject(v, X86_EXC_GP, true, 0);
        return;
    }
    advance(v, v->arch.rip + len);
}

static void exit_cr8(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    exit->reason = EXIT_SYSREG;
    if (!x86_cr8_access(v, x->cr.read, (uint8_t)x->cr.gpr)) {
        inject(v, X86_EXC_GP, true, 0);
        return;
    }
    skip(v, x);
}

/* MOV to / from a control register the backend trapped: CR0 / CR4 writes and CR8 are the common
 * layer's; any other access is not expected from a backend. */
static void exit_unknown(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit);
static void exit_cr(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    if (x->cr.n == 8)
        exit_cr8(v, x, exit);
    else if (!x->cr.read && (x->cr.n == 0 || x->cr.n == 4))
        exit_cr_write(v, x, exit);
    else
        exit_unknown(v, x, exit);
}

/* RDPMC: no virtual PMU on x86 yet, so no counter exists (SDM Vol. 2B, RDPMC: #GP(0) for an invalid
 * counter); never the host's counters. */
static void exit_rdpmc(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    (void)x;
    inject(v, X86_EXC_GP, true, 0);
    exit->reason = EXIT_SYSREG;
}

/* XSETBV (SDM Vol. 2C): the checks the CPU makes before the exit are made again here (a backend may
 * report it from any state), then fpu.c's: #UD without CR4.OSXSAVE, #GP(0) at CPL > 0 or for an XCR0
 * the guest may not have. */
static void exit_xsetbv(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    uint64_t *g = v->arch.gpr;
    struct x86_guest_mode m;
    x86_vcpu_backend()->get_mode(v, &m);
    exit->reason = EXIT_OTHER;
    if (!(m.cr4 & CR4_OSXSAVE)) {
        inject(v, X86_EXC_UD, false, 0);
        return;
    }
    uint64_t value = (g[GPR_RDX] & 0xFFFFFFFFu) << 32 | (g[GPR_RAX] & 0xFFFFFFFFu);
    if (m.cpl != 0 || !x86_fpu_xsetbv(v, (uint32_t)g[GPR_RCX], value)) {
        inject(v, X86_EXC_GP, true, 0);
        return;
    }
    skip(v, x);
}

static void exit_rsm(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    x86_smm_rsm(v, x, exit);
}

static void exit_unknown(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    hv_printf("vm %s: vcpu %" PRIu32 ": unhandled exit 0x%" PRIx64 " (info 0x%" PRIx64 ", 0x%" PRIx64 ")\n",
              v->vm->name, v->id, x->code, x->info1, x->info2);
    crash(v, exit, "unhandled exit", x->code);
}

static const x86_exit_fn exit_handlers[X86_EXIT_KIND_COUNT] = {
    [X86_EXIT_NONE] = exit_none,
    [X86_EXIT_CPUID] = exit_cpuid,
    [X86_EXIT_RDMSR] = exit_rdmsr,
    [X86_EXIT_WRMSR] = exit_wrmsr,
    [X86_EXIT_IO] = exit_io,
    [X86_EXIT_HLT] = exit_hlt,
    [X86_EXIT_HYPERCALL] = exit_hypercall,
    [X86_EXIT_NPF] = exit_npf,
    [X86_EXIT_INTR] = exit_intr,
    [X86_EXIT_SHUTDOWN] = exit_shutdown,
    [X86_EXIT_INIT] = exit_init,
    [X86_EXIT_UD] = exit_ud,
    [X86_EXIT_CACHE_FLUSH] = exit_skip,      /* guest RAM is write-back host memory: nothing to flush */
    [X86_EXIT_MONITOR_MWAIT] = exit_ud,      /* hidden in CPUID (cpuid.c) */
    [X86_EXIT_FAILED_ENTRY] = exit_failed_entry,
    [X86_EXIT_CR_ACCESS] = exit_cr,
    [X86_EXIT_EXCEPTION] = x86_exception_exit,
    [X86_EXIT_RDPMC] = exit_rdpmc,
    [X86_EXIT_XSETBV] = exit_xsetbv,
    [X86_EXIT_RSM] = exit_rsm,
    [X86_EXIT_IRET] = exit_none,             /* event.c's, before the handler */
    [X86_EXIT_UNKNOWN] = exit_unknown,
};

void x86_exit_handle(struct vcpu *v, struct x86_exit *x, struct vcpu_exit *exit)
{
    if (x->kind >= X86_EXIT_KIND_COUNT)
        x->kind = X86_EXIT_UNKNOWN;
    if (x->kind != X86_EXIT_EXCEPTION && x->kind != X86_EXIT_INTR)
        v->arch.exc_loop = 0;              /* exception.c: the guest made progress */
    x86_event_exit(v, x);                  /* before the handler: it may queue an event of its own */
    exit_handlers[x->kind](v, x, exit);
}
