/* svm_fast.c: the SVM exit path's fastest tier. svm_vmrun.S calls svm_fast_vmmcall right after a
 * #VMEXIT for VMMCALL, with GIF still 0, the guest's GPRs in gpr[] and the guest's VMLOAD/VMSAVE
 * state (FS/GS/TR/LDTR bases, SYSCALL MSRs) still in the CPU. A read-only hypercall is counted and
 * answered as on the generic path (kernel/vcpu.c vcpu_fast_exit, hypercall_handle, guest.c
 * arch_vcpu_complete), and VMRUN follows at once: no VMSAVE/VMLOAD, no host state restored,
 * no trip through arch_vcpu_run's entry sequence.
 *
 * Why skipping that sequence loses nothing:
 * - A host interrupt that arrives meanwhile (a kick IPI for INIT, an NMI, an SMI, a shutdown, a
 *   pause or a new interrupt for this vCPU; the host LAPIC timer armed for the next virtual LAPIC
 *   or PIT deadline or the 10 ms poll) is held by GIF = 0 and, with the INTR intercept, ends the
 *   next VMRUN before any guest instruction (APM Vol. 2, 15.17 and 15.21.4). kick_by_ipi stays 1
 *   for the whole loop, so every kick is an IPI. cpu_work[] is written only by this pCPU's own
 *   tick handler, which cannot run while GIF = 0: checked once here.
 * - What the entry sequence recomputes is unchanged by a read-only hypercall, or checked below:
 *   the TPR (V_TPR written by the guest's MOV CR8 since the last entry: the generic path syncs it
 *   and may inject), NMI unmasking after IRET, an event whose delivery the exit interrupted, the
 *   TLB generation and the flush request, VM shutdown, pause and power state.
 * - An interrupt already pending in the vLAPIC that the guest could not take at the last entry
 *   has its window armed (guest.c inject_events: V_IRQ with the VINTR intercept, 15.21.2), so once
 *   the STI/MOV-SS shadow ends below the next VMRUN exits for it before the guest's next
 *   instruction, as after the generic path.
 * - Single-step (RFLAGS.TF) and CPL > 0 (HV_HC_DENIED) take the generic path.
 * - RSB: the guest's return-stack entries are overwritten (FILL_RSB) only when the exit leaves
 *   this loop; until then every RET here returns to a CALL made since the exit, so none predicts
 *   from an entry the guest left. The spectre mitigations of each entry still run
 *   (x86_spec_vm_entry). */
#include <stddef.h>
#include "arch_vm.h"
#include "kernel.h"
#include "vm.h"
#include "vmcb.h"
#include "x86_regs.h"
#include "x86_spec.h"

#define RFLAGS_TF    (1ull << 8)
#define VMMCALL_LEN  3              /* 0F 01 D9 */

_Static_assert(offsetof(struct vmcb, control.exit_code) == 0x070, "svm_vmrun.S reads EXITCODE at 0x070");

bool svm_fast_vmmcall(uint64_t *gpr, struct vmcb *vmcb);

/* True: answered, VMRUN again. False: nothing changed, the ordinary exit path takes it. */
bool svm_fast_vmmcall(uint64_t *gpr, struct vmcb *vmcb)
{
    struct vcpu *v = (struct vcpu *)((char *)gpr - offsetof(struct vcpu, arch.gpr));
    struct arch_vcpu *a = &v->arch;
    struct vmcb_control *c = &vmcb->control;
    struct vmcb_save *s = &vmcb->save;
    struct vm *vm = v->vm;
    /* NEXT_RIP (15.7.1) is written only by CPUs with NRIPS (QEMU TCG has none): else, as svm.c's
     * exit table, the instruction's length without prefixes. */
    uint64_t next_rip = c->next_rip ? c->next_rip : s->rip + VMMCALL_LEN;
    if (!hypercall_is_fast(s->rax) || s->cpl != 0 || (s->rflags & RFLAGS_TF) || next_rip <= s->rip ||
        (c->exit_int_info & EVENTINJ_VALID) ||
        (c->int_ctl & V_TPR_MASK) != a->lapic.tpr >> 4 || a->svm.iret_seen || a->flush_on_entry ||
        __atomic_load_n(&vm->arch.tlb_gen, __ATOMIC_ACQUIRE) != a->tlb_gen_seen || cpu_work[v->pcpu] ||
        __atomic_load_n(&vm->shutdown, __ATOMIC_RELAXED) != VM_SHUTDOWN_NONE ||
        __atomic_load_n(&vm->pause_req, __ATOMIC_RELAXED))
        return false;
    /* Counted as vcpu_fast_exit counts it, answered by hypercall_handle as handle_hypercall does,
     * completed as arch_vcpu_complete does (RAX-RDX, RIP past the VMMCALL, the STI/MOV-SS shadow
     * ended), straight in the VMCB and gpr[]: svm_run copies RAX, RIP and the rest to struct
     * arch_vcpu at the exit that leaves this loop. */
    __atomic_fetch_add(&vm->exit_total, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&vm->exit_count[EXIT_HYPERCALL], 1, __ATOMIC_RELAXED);
    struct vcpu_exit exit;
    exit.reason = EXIT_HYPERCALL;
    exit.hypercall.nr = s->rax;
    exit.hypercall.arg[0] = gpr[GPR_RBX];
    exit.hypercall.arg[1] = gpr[GPR_RCX];
    exit.hypercall.arg[2] = gpr[GPR_RDX];
    exit.hypercall.arg[3] = gpr[GPR_RSI];
    hypercall_handle(v, &exit);
    s->rax = exit.hypercall.ret[0];
    gpr[GPR_RBX] = exit.hypercall.ret[1];
    gpr[GPR_RCX] = exit.hypercall.ret[2];
    gpr[GPR_RDX] = exit.hypercall.ret[3];
    s->rip = next_rip;
    c->int_shadow = 0;
    /* svm_run's and exit.c's bookkeeping after an exit: no flush asked, no event to re-inject
     * (EXITINTINFO invalid, checked), the guest made progress. */
    c->tlb_control = TLB_CONTROL_NONE;
    c->event_inj = 0;
    a->exc_loop = 0;
    x86_spec_vm_entry();
    return true;
}
