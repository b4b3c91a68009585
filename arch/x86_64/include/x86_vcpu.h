/* x86_vcpu.h: the one x86 vCPU interface (as KVM's kvm_x86_ops): SVM (svm/) and VMX (vmx/) implement
 * it, guest.c implements the arch_guest.h entry points and the exit handling once on top of it. */
#ifndef X86_VCPU_H
#define X86_VCPU_H

#include <stdbool.h>
#include <stdint.h>
#include "pgtable.h"
#include "vm.h"
#include "x86_smm.h"
#include "x86_vplatform.h"

/* Exits as the backends report them, independent of VMX exit reasons and SVM exit codes. */
enum x86_exit_kind {
    X86_EXIT_NONE,          /* nothing for guest.c to do (the backend handled it) */
    X86_EXIT_CPUID,
    X86_EXIT_RDMSR,
    X86_EXIT_WRMSR,
    X86_EXIT_IO,
    X86_EXIT_HLT,
    X86_EXIT_HYPERCALL,     /* VMCALL / VMMCALL */
    X86_EXIT_NPF,           /* EPT violation / nested page fault */
    X86_EXIT_INTR,          /* a physical interrupt or NMI */
    X86_EXIT_SHUTDOWN,      /* triple fault */
    X86_EXIT_INIT,          /* INIT signal */
    X86_EXIT_UD,            /* an instruction the guest does not have (SVM's own, GETSEC; VMX's without nesting) */
    X86_EXIT_CACHE_FLUSH,   /* INVD, WBINVD (exit.c: stepped past) */
    X86_EXIT_MONITOR_MWAIT, /* MONITOR, MWAIT (exit.c: #UD) */
    X86_EXIT_FAILED_ENTRY,  /* VM entry refused the guest state */
    X86_EXIT_CR_ACCESS,     /* MOV to / from a CR: CR0 / CR4 writes and CR8 are the common layer's (cr.c) */
    X86_EXIT_EXCEPTION,     /* an intercepted guest exception: #DB, #AC, #MC (cr.c's policy) */
    X86_EXIT_RDPMC,         /* no virtual PMU: #GP */
    X86_EXIT_XSETBV,        /* XCR0 is the guest's, checked (fpu.c) */
    X86_EXIT_RSM,           /* RSM (SVM: its intercept; VMX: the #UD it raises in VMX non-root, decoded) */
    X86_EXIT_IRET,          /* IRET intercepted for NMI blocking in software (event.c; SVM without vNMI) */
    X86_EXIT_UNKNOWN,
    X86_EXIT_KIND_COUNT
};

struct x86_exit {
    uint32_t kind;               /* enum x86_exit_kind */
    uint32_t insn_len;           /* length of the instruction behind the exit; 0 when unknown */
    uint64_t code;               /* the backend's own exit code (reports) */
    uint64_t info1, info2;       /* the backend's qualification words (reports) */
    struct { uint16_t port; uint8_t size; bool in, string, rep; } io;
    struct { uint64_t gpa; bool write, fetch, walk; } npf;
    struct { uint8_t n; int8_t gpr; bool read; } cr;  /* CR_ACCESS: gpr -1 when the backend cannot tell */
    struct { uint8_t vector; uint64_t dr6; } exc;     /* EXCEPTION: the vector; dr6: #DB only */
    /* Every exit the backend decodes: the event whose delivery it interrupted (SVM EXITINTINFO 15.7.2,
     * VMX IDT-vectoring information 24.9.3, both in the X86_EVENT_* layout) and its error code. */
    uint32_t vectoring, vectoring_error;
};

/* An event for the next entry, as both backends take and report it (SVM EVENTINJ / EXITINTINFO, APM
 * Vol. 2 15.20; VMX VM-entry interruption information / IDT-vectoring information, SDM Vol. 3C 24.8.3,
 * 24.9.3): vector 7:0, type 10:8, error code valid 11, valid 31. */
#define X86_EVENT_TYPE_INTR      (0u << 8)
#define X86_EVENT_TYPE_NMI       (2u << 8)
#define X86_EVENT_TYPE_EXCEPTION (3u << 8)
#define X86_EVENT_ERROR_VALID    (1u << 11)
#define X86_EVENT_VALID          (1u << 31)
/* What blocks events now, in the VMX guest interruptibility-state layout (SDM Vol. 3C 24.4.2):
 * STI and MOV-SS shadows, NMI blocking (set by the hardware only where it tracks it: VMX virtual NMIs). */
#define X86_BLOCKED_STI   (1u << 0)
#define X86_BLOCKED_MOVSS (1u << 1)
#define X86_BLOCKED_NMI   (1u << 3)
#define X86_BLOCKED_SHADOW (X86_BLOCKED_STI | X86_BLOCKED_MOVSS)

/* exit_table.c: a backend's exit codes as data (one row per code, STYLE.md's tables). index maps a code
 * below index_size to its row + 1 (0: none); rows fewer than 255. */
/* Where a backend's qualification word (x->info1) carries the details of port I/O (SVM EXITINFO1, APM
 * Vol. 2 15.10.2; VMX exit qualification, SDM Vol. 3C table 28-5) and nested page faults (APM 15.25.6;
 * EPT violations, SDM table 28-7): the same facts at other bits. The port is bits 31:16 in both. */
struct x86_exit_quals {
    uint64_t io_in, io_string, io_rep;      /* masks */
    uint8_t io_size_shift, io_size_add;     /* bytes = bits (shift + 2):shift + add */
    uint64_t npf_write, npf_fetch;          /* masks */
    uint64_t npf_walk, npf_walk_not;        /* a guest page-table walk: all of npf_walk, none of npf_walk_not */
};
struct x86_exit_row {
    uint32_t code;                   /* SVM EXITCODE / VMX basic exit reason */
    uint8_t kind;                    /* enum x86_exit_kind */
    void (*decode)(struct vcpu *v, struct x86_exit *x);   /* the details, from x->info1 / info2 */
    uint8_t insn_len;                /* the instruction's fixed length when the backend reports none */
};
struct x86_exit_table {
    const struct x86_exit_row *rows;
    size_t count;
    uint8_t *index;
    size_t index_size;
    const struct x86_exit_quals *quals;
};
void x86_exit_table_build(const struct x86_exit_table *t);
/* x->kind from code's row (X86_EXIT_UNKNOWN without one), x->insn_len from it if still 0, x->io / x->npf
 * from x->info1 (and the GPA from x->info2) by the table's quals, then the row's decoder. */
void x86_exit_table_decode(const struct x86_exit_table *t, struct vcpu *v, struct x86_exit *x, uint64_t code);

/* What the guest's paging and code segment look like (page walks, instruction decode). */
struct x86_guest_mode {
    uint64_t cr0, cr3, cr4, efer;        /* CR0 / CR4 as the guest sees them */
    uint8_t cpl;
    uint64_t cs_base;
    bool cs_l, cs_db;            /* 64-bit code segment; default operand size 32 */
    uint64_t seg_base[6];        /* by enum x86_seg (string instructions' operands) */
    uint64_t idtr_base;
    uint32_t idtr_limit;
};

/* The exceptions the hypervisor injects (Intel SDM Vol. 3A, table 6-1). */
#define X86_EXC_DB 1
#define X86_EXC_UD 6
#define X86_EXC_GP 13
#define X86_EXC_AC 17
#define X86_EXC_MC 18
/* Intercepted always, on both backends (cr.c): #DB and #AC can recur during their own delivery
 * (CVE-2015-8104, CVE-2015-5307) and would hold the pCPU in microcode; #MC belongs to the host. */
#define X86_EXC_INTERCEPTED ((1u << X86_EXC_DB) | (1u << X86_EXC_AC) | (1u << X86_EXC_MC))

struct x86_vcpu_ops {
    const char *name;
    /* RSM in the guest raises #UD instead of exiting (VMX non-root operation; SVM intercepts RSM). */
    bool rsm_raises_ud;
    /* The EPT / NPT format for this CPU. */
    const struct pt_format *(*stage2_format)(void);
    /* Per physical CPU, on that CPU, once before its first guest: EFER.SVME / VMXON. */
    bool (*cpu_enable)(void);
    /* Per VM / vCPU, on CPU 0 at creation: VMCB / VMCS memory, ASID / VPID, EPT pointer. */
    bool (*vm_init)(struct vm *vm);
    bool (*vcpu_init)(struct vcpu *vcpu);
    /* On the vCPU's pCPU: the VMCB / VMCS with the hypervisor's controls and the state no
     * struct x86_cpu_state names at its reset value; guest.c then loads x86_reset_state's (x86_vcpu_set_state). */
    void (*vcpu_reset)(struct vcpu *vcpu);
    /* Enters the guest with arch_vcpu.gpr/rip/rflags, returns with them updated and the exit decoded. */
    void (*run)(struct vcpu *vcpu, struct x86_exit *exit);
    void (*get_mode)(struct vcpu *vcpu, struct x86_guest_mode *mode);
    /* IA32_EFER and IA32_PAT of the guest (the backends keep them in the VMCB / VMCS). */
    uint64_t (*get_efer)(struct vcpu *vcpu);
    void (*set_efer)(struct vcpu *vcpu, uint64_t efer);
    void (*set_pat)(struct vcpu *vcpu, uint64_t pat);
    void (*set_tsc_offset)(struct vcpu *vcpu, int64_t offset);
    /* Events (event.c decides; SDM Vol. 3C 26.6, APM Vol. 2 15.20): the event queued for the next entry
     * (X86_EVENT_*, 0: none; after an exit none is, as VMX exits clear theirs, 27.2), and the error code
     * it pushes when X86_EVENT_ERROR_VALID. */
    void (*set_event)(struct vcpu *vcpu, uint32_t info, uint32_t error);
    uint32_t (*get_event)(struct vcpu *vcpu);
    /* X86_BLOCKED_*: the STI / MOV-SS shadow, and NMI blocking where the hardware tracks it. */
    uint32_t (*get_interruptibility)(struct vcpu *vcpu);
    void (*set_interruptibility)(struct vcpu *vcpu, uint32_t blocked);
    /* An exit as soon as the guest can take an interrupt (nmi: an NMI): SVM has one window for both
     * (V_IRQ with the VINTR intercept) and keeps it open while either of arch_vcpu's requests
     * (window_requested, nmi_window_requested) stands; VMX: interrupt- / NMI-window exiting. */
    void (*set_window)(struct vcpu *vcpu, bool nmi, bool on);
    /* Without hardware NMI blocking (SVM without vNMI): IRET exits (X86_EXIT_IRET) while on, so event.c
     * sees the NMI handler end. NULL where the hardware blocks NMIs itself (VMX virtual NMIs). */
    void (*intercept_iret)(struct vcpu *vcpu, bool on);
    /* Control registers (cr.c decides, the backend carries out): the guest's view of CR0 / CR4 is
     * value; the backend adds what its hardware requires (VMX fixed bits) and keeps a write to any
     * bit of cr4_trapped exiting (X86_EXIT_CR_ACCESS). */
    void (*set_cr0)(struct vcpu *vcpu, uint64_t value);
    void (*set_cr4)(struct vcpu *vcpu, uint64_t value);
    void (*trap_cr4_writes)(struct vcpu *vcpu, uint64_t cr4_trapped);
    /* The guest exceptions that exit (a bit per vector; exception.c decides). */
    void (*set_exception_intercepts)(struct vcpu *vcpu, uint32_t vectors);
    /* DR6 and DR7 (n: 6 or 7) of the guest (VMX: DR6 is the live register, DR7 a guest-state field;
     * SVM: both in the VMCB). */
    uint64_t (*get_dr)(struct vcpu *vcpu, unsigned n);
    void (*set_dr)(struct vcpu *vcpu, unsigned n, uint64_t value);
    /* Segment registers in the neutral AR layout (struct x86_segment) by enum x86_sreg, then
     * X86_SEG_LDTR, X86_SEG_TR, and GDTR, IDTR (base and limit only); CR3. cpu_state.c builds the whole
     * state from them (set_segment of SS after set_cr0: SVM's CPL is SS.DPL in protected mode). */
    void (*get_segment)(struct vcpu *vcpu, unsigned seg, struct x86_segment *s);
    void (*set_segment)(struct vcpu *vcpu, unsigned seg, const struct x86_segment *s);
    void (*set_cr3)(struct vcpu *vcpu, uint64_t cr3);
    /* The stage-2 tables this vCPU runs on (vm->stage2, or the SMM view's), flushed on the next entry. */
    void (*set_stage2)(struct vcpu *vcpu, const struct pgtable *pt);
    /* This vCPU's ASID / VPID translations, guest-physical and combined, go before the next entry. */
    void (*flush_tlb)(struct vcpu *vcpu);
};

extern const struct x86_vcpu_ops svm_vcpu_ops;   /* svm/svm.c */
extern const struct x86_vcpu_ops vmx_vcpu_ops;   /* vmx/vmx.c */

/* guest.c: the backend chosen from CPUID at boot (NULL: neither VMX nor SVM). */
const struct x86_vcpu_ops *x86_vcpu_backend(void);
/* exit.c: the instruction behind the exit completed: RIP moves to rip and an STI / MOV-SS shadow
 * ends with it; crash: stops the VM as crashed with a message (exit becomes EXIT_SHUTDOWN). */
void x86_vcpu_advance(struct vcpu *vcpu, uint64_t rip);
void x86_vcpu_crash(struct vcpu *vcpu, struct vcpu_exit *exit, const char *what, uint64_t code);
/* exit.c: an exception for the next entry, without its error code in real mode. */
void x86_vcpu_inject_exception(struct vcpu *vcpu, uint8_t vector, bool has_error, uint32_t error);

/* Segment indices after enum x86_sreg for the backends' get_segment / set_segment. */
enum { X86_SEG_LDTR = SREG_COUNT, X86_SEG_TR, X86_SEG_GDTR, X86_SEG_IDTR, X86_SEG_COUNT };
/* cpu_state.c: the start state (cpu_reset.c), SMM entry and RSM (smm.c): the whole architectural state
 * through the backend's primitives, CR0 / CR4 as the guest sees them (set goes through the backend's
 * set_cr0 / set_cr4 rules); RIP, RFLAGS and the GPRs are arch_vcpu's. Setting it ends any interrupt
 * shadow. */
void x86_vcpu_get_state(struct vcpu *vcpu, struct x86_cpu_state *s);
void x86_vcpu_set_state(struct vcpu *vcpu, const struct x86_cpu_state *s);

/* event.c: the x86 vCPU core's event policy (SDM Vol. 3A 6.7.1, 6.8.3; Vol. 3C 26.3.1.5, 26.6; APM
 * Vol. 2 15.20, 15.21), the same on both backends. */
bool x86_event_queued(struct vcpu *vcpu);
/* The STI / MOV-SS shadow ends (the instruction behind the exit completed, or a new state loaded).
 * Inline: every skipped instruction (hypercall, port I/O, MMIO) comes here. */
static inline void x86_vcpu_clear_interrupt_shadow(struct vcpu *vcpu)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    uint32_t blocked = ops->get_interruptibility(vcpu);
    if (blocked & X86_BLOCKED_SHADOW)
        ops->set_interruptibility(vcpu, blocked & ~X86_BLOCKED_SHADOW);
}
/* An external interrupt now: RFLAGS.IF, no STI / MOV-SS shadow, nothing queued, and not an L2 whose
 * L1 takes its interrupts as VM exits. */
bool x86_interrupt_allowed(struct vcpu *vcpu);
/* An NMI now: no NMI blocking (the hardware's or event.c's own), no shadow, nothing queued, and not
 * an L2 whose L1 takes NMIs as VM exits. */
bool x86_nmi_allowed(struct vcpu *vcpu);
void x86_inject_interrupt(struct vcpu *vcpu, uint8_t vector);
void x86_inject_nmi(struct vcpu *vcpu);
/* The interrupt (nmi: NMI) window wanted or not, told to the backend when that changes (inline: the
 * exit path asks on every entry, the answer rarely changes). */
void x86_window_changed(struct vcpu *vcpu, bool nmi, bool on);
static inline void x86_request_window(struct vcpu *vcpu, bool nmi, bool on)
{
    if (on != (nmi ? vcpu->arch.nmi_window_requested : vcpu->arch.window_requested))
        x86_window_changed(vcpu, nmi, on);
}
/* Right after each exit, before its handler: NMI blocking in software ends once the guest left the
 * NMI handler's IRET; an event whose delivery the exit interrupted is queued again. Inline: on most
 * exits there is neither (IRET exits and iret_seen come only while an NMI is masked in software). */
void x86_event_exit_slow(struct vcpu *vcpu, const struct x86_exit *x);
uint32_t x86_event_redelivered(uint32_t vectoring);
static inline void x86_event_exit(struct vcpu *vcpu, const struct x86_exit *x)
{
    if (vcpu->arch.nmi_soft.masked || (x->vectoring & X86_EVENT_VALID))
        x86_event_exit_slow(vcpu, x);
}

/* emulate.c: the instructions behind MMIO exits (NPF / EPT violation) and string port I/O. One device
 * access per kernel/ exit; a read-then-write instruction leaves its write pending (struct x86_emul),
 * which arch_vcpu_run returns as the next exit (x86_emul_pending_write) before entering the guest. */
size_t x86_fetch_insn(struct vcpu *vcpu, uint8_t bytes[X86_INSN_MAX_BYTES], enum x86_cpu_mode *mode,
                      struct x86_guest_mode *m);
void x86_emul_npf(struct vcpu *vcpu, const struct x86_exit *x, struct vcpu_exit *exit);
void x86_emul_io_string(struct vcpu *vcpu, const struct x86_exit *x, struct vcpu_exit *exit);
bool x86_emul_pending_write(struct vcpu *vcpu, struct vcpu_exit *exit);
void x86_emul_complete_mmio(struct vcpu *vcpu, const struct vcpu_exit *exit, bool handled);
void x86_emul_complete_pio_string(struct vcpu *vcpu, const struct vcpu_exit *exit, bool handled);

/* guest.c: INIT and start-up IPIs (SDM Vol. 3A, 8.4 and 10.6.1) through kernel/'s vCPU power state. */
void x86_vcpu_init_signal(struct vcpu *vcpu);
void x86_vcpu_startup_ipi(struct vcpu *vcpu, uint8_t vector);

/* cr.c: the common layer's control-register and exception policy. */
void x86_cr_reset(struct vcpu *vcpu);                   /* after the backend's vcpu_reset */
/* MOV to CR0 / CR4 with the checks of SDM Vol. 2B (MOV to control registers) and Vol. 3A 2.5;
 * false when the write raises #GP(0) (the caller injects it). */
bool x86_cr_write(struct vcpu *vcpu, uint32_t cr, uint64_t value);
/* The CR4 bits the guest may set: those whose feature CPUID offers it. */
uint64_t x86_cr4_supported(struct vcpu *vcpu);
/* MOV to / from CR8 (SDM Vol. 3A, 10.8.6.1: CR8[3:0] is TPR[7:4]); false when the write raises #GP(0). */
bool x86_cr8_access(struct vcpu *vcpu, bool read, uint8_t gpr);

/* exit.c: the exit's handler by kind (exit->reason EXIT_OTHER unless it says otherwise). */
void x86_exit_handle(struct vcpu *vcpu, struct x86_exit *x, struct vcpu_exit *exit);

/* exception.c: the exception-intercept policy (after the backend's vcpu_reset) and the exits it causes. */
void x86_exception_reset(struct vcpu *vcpu);
void x86_exception_exit(struct vcpu *vcpu, const struct x86_exit *x, struct vcpu_exit *exit);

/* cpuid.c: the CPUID policy: what the guest sees for leaf / subleaf. */
void x86_cpuid_policy(struct vcpu *vcpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* Nested VMX (vmx/nested.c, nested_caps.c): the VM has 'nested = vmx' in hv.cfg. */
static inline bool x86_nested_vmx(const struct vm *vm)
{
    return vm->cfg && vm->cfg->nested == CONFIG_NESTED_VMX;
}
/* The host's IA32_VMX_* MSRs (rdmsr; a table in host tests), and L1's view of msr (0x480-0x491):
 * false means #GP. */
uint64_t x86_vmx_host_msr(uint32_t msr);
/* vmx/nested.c: L2 runs and L1 takes its external interrupts as VM exits: an interrupt pending for L1
 * ends L2's HLT whatever L2's RFLAGS.IF (SDM Vol. 3C, 25.2). */
bool x86_nested_l2_exits_on_l1_interrupt(const struct vcpu *vcpu);
bool x86_nested_l2_exits_on_l1_nmi(const struct vcpu *vcpu);
/* While L2 runs, the window vmcs02 should have when L0 wants one or not (on); else on. */
bool x86_nested_window(const struct vcpu *vcpu, bool nmi, bool on);
bool x86_nested_vmx_msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value);

/* msr.c: the MSR allow list; false means the access raises #GP(0). */
bool x86_msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value);
bool x86_msr_write(struct vcpu *vcpu, uint32_t msr, uint64_t value);
/* The MSRs the guest owns directly (the table's BACKEND rows): pass(ctx, msr) for each. */
void x86_msr_passthrough(void (*pass)(void *ctx, uint32_t msr), void *ctx);
/* msr_map.c: an MSR permission map (SVM MSRPM, APM Vol. 2 15.11; VMX MSR bitmaps, SDM Vol. 3C 24.6.9):
 * bytes long; ranges of X86_MSR_MAP_RANGE MSRs from base at byte offset; bits_per_msr bits per MSR,
 * its read-intercept bit first and its write-intercept bit write_bit bits after it. fill: every access
 * intercepted but those to the MSRs the guest owns (x86_msr_passthrough). */
#define X86_MSR_MAP_RANGE 0x2000u
struct x86_msr_map {
    uint32_t bytes;
    struct { uint32_t base, offset; } range[3];
    uint8_t range_count, bits_per_msr;
    uint32_t write_bit;
};
void x86_msr_map_fill(const struct x86_msr_map *layout, uint8_t *map);
/* The reset values msr.c virtualizes (IA32_APIC_BASE, IA32_PAT). */
void x86_msr_reset(struct vcpu *vcpu);

/* smm.c: guest System Management Mode (docs/smm.md). */
/* An SMI for t (LAPIC SMI IPI, APM control port): taken before its next instruction outside SMM,
 * latched (once) while in SMM. */
void x86_smm_raise(struct vcpu *t);
bool x86_smm_pending(struct vcpu *v);
/* Before entry: takes a pending SMI if the vCPU may take one now; false when it crashed the VM. */
bool x86_smm_deliver(struct vcpu *v, struct vcpu_exit *exit);
void x86_smm_rsm(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit);
/* An intercepted #UD: RSM's (0F AA) when the vCPU is in SMM, handled as RSM; true when it was. */
bool x86_smm_ud(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit);
void x86_smm_vcpu_reset(struct vcpu *v);
bool x86_smm_vm_init(struct vm *vm);         /* the APM ports, SMRAM's registers (with hv.cfg 'smram') */
/* The memory the hypervisor reaches for this vCPU: the SMM view while in SMM, else vm->slots. */
struct memslots *x86_vcpu_slots(struct vcpu *v);
/* MSRs: IA32_SMBASE (only in SMM) and MSR_SMI_COUNT. */
bool x86_smm_msr_read(struct vcpu *v, uint32_t msr, uint64_t *value);

/* smram.c: the q35 host bridge's SMRAM controls (config 0x50, 0x9D, 0x9E) and the two memory views. */
bool x86_smram_vm_init(struct vm *vm);
bool x86_smram_load(struct vm *vm);          /* each (re)load: registers at reset, SMRAM open */
/* Host bridge config space reads / writes that are SMRAM's; false for any other offset. */
bool x86_smram_config_read(struct vm *vm, uint32_t offset, uint32_t size, uint32_t *value);
bool x86_smram_config_write(struct vm *vm, uint32_t offset, uint32_t size, uint32_t value);

/* debug_exit.c: the isa-debug-exit port of the VM's platform (QEMU PC layout). */
#define X86_DEBUG_EXIT_PORT 0xF4u
#define X86_DEBUG_EXIT_PORT_COUNT 4u
bool x86_debug_exit_register(struct vm *vm);

#endif
