/* svm_fast.c: the SVM exit path's fastest tier. svm_vmrun.S calls svm_fast_vmmcall right after a
 * #VMEXIT for VMMCALL (with the guest's RBX and caller-saved GPRs in gpr[], the others still in the
 * CPU) and svm_fast_exit after a nested page fault (all GPRs in gpr[]), with GIF still 0 and the
 * guest's VMLOAD/VMSAVE state (FS/GS/TR/LDTR, SYSCALL MSRs) still in the CPU. A read-only hypercall
 * and a load from the vCPU's xAPIC page are counted and answered as on the generic path, and VMRUN
 * follows at once: no VMSAVE/VMLOAD, no host state restored, no trip through arch_vcpu_run's entry
 * sequence.
 *
 * Why skipping that sequence loses nothing:
 * - A host interrupt that arrives meanwhile (a kick IPI for INIT, an NMI, an SMI, a shutdown, a
 *   pause or a new interrupt for this vCPU; the host LAPIC timer armed for the next virtual LAPIC
 *   or PIT deadline or the 10 ms poll) is held by GIF = 0 and, with the INTR intercept, ends the
 *   next VMRUN before any guest instruction (APM Vol. 2, 15.17 and 15.21.4). kick_by_ipi stays 1
 *   for the whole loop, so every kick is an IPI. cpu_work[] is written only by this pCPU's own
 *   tick handler, which cannot run while GIF = 0: checked once here.
 * - What the entry sequence recomputes is unchanged by these exits, or checked below: the TPR
 *   (V_TPR written by the guest's MOV CR8 since the last entry: the generic path syncs it and may
 *   inject), NMI unmasking after IRET, an event whose delivery the exit interrupted, the TLB
 *   generation and the flush request, VM shutdown and pause. Neither a read-only hypercall nor an
 *   xAPIC register read changes an interrupt, a timer or the stage-2 tables.
 * - An interrupt already pending in the vLAPIC that the guest could not take at the last entry
 *   has its window armed (guest.c inject_events: V_IRQ with the VINTR intercept, 15.21.2), so once
 *   the STI/MOV-SS shadow ends below the next VMRUN exits for it before the guest's next
 *   instruction, as after the generic path (tests/guests/x86_64/basics.c fast_hvc_*).
 * - Single-step (RFLAGS.TF), CPL > 0 hypercalls (HV_HC_DENIED), SMM, writes and anything the
 *   decoder does not call a plain load take the generic path.
 * - Only the VMCB's own state is used: FS/GS bases there are stale until VMSAVE, and the fast
 *   handlers need neither (the instruction fetch uses CS only; no string instruction here), nor
 *   the hypervisor's GS base (no arch_cpu_index: the vCPU's pcpu field names this CPU).
 * - RSB: the guest's return-stack entries are overwritten (FILL_RSB) only when the exit leaves
 *   this loop; until then every RET here returns to a CALL made since the exit, so none predicts
 *   from an entry the guest left. The spectre mitigations of each entry still run
 *   (x86_spec_vm_entry). */
#include <stddef.h>
#include "arch_vm.h"
#include "kernel.h"
#include "vm.h"
#include "vmcb.h"
#include "x86_guest_walk.h"
#include "x86_insn.h"
#include "x86_regs.h"
#include "x86_spec.h"
#include "x86_vcpu.h"
#include "x86_vplatform.h"

#define RFLAGS_TF    (1ull << 8)
#define VMMCALL_LEN  3              /* 0F 01 D9 */
#define PAGE_FRAME   0x000FFFFFFFFFF000ull

_Static_assert(offsetof(struct vmcb, control.exit_code) == 0x070, "svm_vmrun.S reads EXITCODE at 0x070");

bool svm_fast_exit(uint64_t *gpr, struct vmcb *vmcb);
bool svm_fast_vmmcall(uint64_t *gpr, struct vmcb *vmcb);

static inline struct vcpu *vcpu_of(uint64_t *gpr)
{
    return (struct vcpu *)((char *)gpr - offsetof(struct vcpu, arch.gpr));
}

/* Nothing the generic entry sequence would do differently after this exit (see above). An
 * instruction intercept (VMMCALL) never interrupts an event's delivery, so its EXITINTINFO is never
 * valid (15.7.2): the caller checks that for the nested page fault only. */
static inline bool quiet(const struct vcpu *v, const struct vmcb *vmcb)
{
    const struct arch_vcpu *a = &v->arch;
    const struct vm *vm = v->vm;
    return !(vmcb->save.rflags & RFLAGS_TF) &&
           (vmcb->control.int_ctl & V_TPR_MASK) == a->lapic.tpr >> 4 && !a->nmi_soft.masked &&
           !a->flush_on_entry && !a->smm.in_smm &&
           __atomic_load_n(&vm->arch.tlb_gen, __ATOMIC_ACQUIRE) == a->tlb_gen_seen && vcpu_fast_ready(v);
}

/* The instruction completed (exit.c x86_vcpu_advance ends its STI/MOV-SS shadow), and svm_run's
 * and exit.c's bookkeeping after an exit: no flush asked, no event to re-inject (EXITINTINFO
 * invalid), the guest made progress. */
static inline void completed(struct vcpu *v, struct vmcb_control *c)
{
    c->int_shadow = 0;
    c->tlb_control = TLB_CONTROL_NONE;
    c->event_inj = 0;
    v->arch.exc_loop = 0;
    x86_spec_vm_entry();
}

/* VMMCALL of a read-only hypercall at CPL 0: answered by hypercall_fast as handle_hypercall does
 * (through hypercall_handle, which gives the fast IDs hypercall_fast's answer), completed as
 * arch_vcpu_complete does (RAX-RDX, RIP past the VMMCALL, the STI/MOV-SS shadow ended), straight in
 * the VMCB and gpr[]: svm_run copies RAX, RIP and the rest to struct arch_vcpu at the exit that
 * leaves this loop. svm_vmrun.S has stored only RBX and the caller-saved GPRs in gpr[] (the others
 * are still the guest's in the CPU, kept by the C calling convention) and loads back the same. */
bool svm_fast_vmmcall(uint64_t *gpr, struct vmcb *vmcb)
{
    struct vcpu *v = vcpu_of(gpr);
    struct vmcb_save *s = &vmcb->save;
    uint64_t nr = s->rax;
    /* NEXT_RIP (15.7.1) is written only by CPUs with NRIPS (QEMU TCG has none): else, as svm.c's
     * exit table, the instruction's length without prefixes. */
    uint64_t next_rip = vmcb->control.next_rip ? vmcb->control.next_rip : s->rip + VMMCALL_LEN;
    if (!hypercall_is_fast(nr) || s->cpl != 0 || next_rip <= s->rip || !quiet(v, vmcb))
        return false;
    vcpu_count_exit(v, EXIT_HYPERCALL);
    uint64_t ret[4];
    hypercall_fast(v, nr, gpr[GPR_RBX], ret);
    s->rax = ret[0];
    gpr[GPR_RBX] = ret[1];
    gpr[GPR_RCX] = ret[2];
    gpr[GPR_RDX] = ret[3];
    s->rip = next_rip;
    completed(v, &vmcb->control);
    return true;
}


/* A nested page fault on a read of the vCPU's xAPIC page by a plain load (MOV, MOVZX, MOVSX,
 * MOVSXD): the instruction fetched and decoded as emulate.c x86_emul_npf does, the register read
 * as the VM's bus or vlapic_relocated_mmio would answer it, the load completed as
 * x86_emul_complete_mmio does. */
static bool fast_xapic_load(struct vcpu *v, uint64_t *gpr, struct vmcb *vmcb)
{
    struct arch_vcpu *a = &v->arch;
    struct vmcb_save *s = &vmcb->save;
    uint64_t gpa = vmcb->control.exit_info2;
    if ((vmcb->control.exit_info1 & (NPF_WRITE | NPF_FETCH | NPF_GUEST_WALK)) ||
        ((gpa ^ a->apic_base) & PAGE_FRAME))
        return false;
    /* The instruction at CS:RIP (emulate.c x86_fetch_insn, from the VMCB: svm_get_mode). */
    bool cs_l = (s->cs.attrib & SEG_ATTR_L) && (s->efer & EFER_LMA);
    enum x86_cpu_mode mode = cs_l ? X86_MODE_64 : (s->cs.attrib & SEG_ATTR_DB) ? X86_MODE_32 : X86_MODE_16;
    uint64_t la = s->cs.base + s->rip;
    if (mode != X86_MODE_64)
        la &= 0xFFFFFFFFull;
    struct x86_paging_regs pr = { s->cr0, s->cr3, s->cr4, s->efer };
    uint8_t bytes[X86_INSN_MAX_BYTES];
    size_t n = x86_guest_fetch_linear(&a->fetch_cache, x86_vcpu_slots(v), &pr, la, bytes, X86_INSN_MAX_BYTES);
    struct x86_insn i;
    uint64_t data;
    if (x86_insn_decode(bytes, n, mode, &i) != X86_DECODE_OK || i.kind != X86_INSN_LOAD ||
        !vlapic_xapic_read(v, gpa, i.size, &data))
        return false;
    vcpu_count_exit(v, (a->apic_base & PAGE_FRAME) == VLAPIC_BASE_DEFAULT ? EXIT_MMIO : EXIT_OTHER);
    a->mmio = i;
    a->emul.write_pending = false;
    uint64_t *dst = i.reg == GPR_RAX ? &s->rax : i.reg == GPR_RSP ? &s->rsp : &gpr[i.reg];
    *dst = x86_insn_load_result(&i, *dst, data);
    s->rip += i.len;
    return true;
}

/* The nested page fault: true, answered, VMRUN again; false, nothing changed, the ordinary exit
 * path takes it. All the guest's GPRs are in gpr[]. */
bool svm_fast_exit(uint64_t *gpr, struct vmcb *vmcb)
{
    struct vcpu *v = vcpu_of(gpr);
    if ((vmcb->control.exit_int_info & EVENTINJ_VALID) || !quiet(v, vmcb) || !fast_xapic_load(v, gpr, vmcb))
        return false;
    completed(v, &vmcb->control);
    return true;
}
