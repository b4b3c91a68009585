/* svm.c: the SVM backend of the x86 vCPU interface (AMD APM Vol. 2, chapter 15): EFER.SVME and the host
 * save area per pCPU, a VMCB per vCPU with nested paging and an ASID per VM, the exit decoding. */
#include <inttypes.h>
#include <string.h>
#include "arch.h"
#include "kernel.h"
#include "page_alloc.h"
#include "stage2.h"
#include "vmcb.h"
#include "x86.h"
#include "x86_vcpu.h"
#include "x86_regs.h"

#define MSR_VM_HSAVE_PA  0xC0010117u
#define CPUID_SVM_NRIPS  (1u << 3)     /* CPUID 8000000A EDX: next RIP saved on intercepts (15.7.1) */
#define IOPM_PAGES       3             /* 12 KiB I/O permission map (15.10.1) */
#define MSRPM_PAGES      2             /* 8 KiB MSR permission map (15.11) */

struct svm_cpu {
    uint64_t hsave_pa;                 /* VM_HSAVE_PA: where VMRUN keeps the host state */
    uint64_t host_vmcb_pa;             /* the host's VMSAVE state: GS base, TR, SYSCALL MSRs */
};

/* Each entry written once by its own pCPU (svm_cpu_enable). */
static struct svm_cpu svm_cpus[HV_MAX_CPUS];
/* Written once by CPU 0 (the first svm_vm_init), read-only afterwards: every port traps; MSRs trap
 * except those VMRUN/VMLOAD/VMSAVE switch with the VMCB. */
static uint64_t iopm_pa, msrpm_pa;
static bool nrips;

void svm_vmrun(uint64_t *gpr, uint64_t vmcb_pa, uint64_t host_vmcb_pa);

static struct vmcb *vmcb_of(const struct vcpu *v) { return (struct vmcb *)(uintptr_t)v->arch.svm.vmcb_pa; }

static const struct pt_format *svm_stage2_format(void) { return &x86_npt_format; }

static const struct x86_exit_table svm_exit_table;

static bool svm_cpu_enable(void)
{
    struct svm_cpu *c = &svm_cpus[arch_cpu_index()];
    x86_exit_table_build(&svm_exit_table);
    c->hsave_pa = hv_page_alloc(1, PAGE_SIZE);
    c->host_vmcb_pa = hv_page_alloc(1, PAGE_SIZE);
    if (!c->hsave_pa || !c->host_vmcb_pa)
        return false;
    wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, c->hsave_pa);
    __asm__ volatile("vmsave %0" :: "a"(c->host_vmcb_pa) : "memory");
    return true;
}

/* MSRPM (15.11, table 15-7): two bits per MSR (read, write) in three 2 KiB blocks. */
static const struct x86_msr_map msrpm = {
    MSRPM_PAGES * PAGE_SIZE, { { 0, 0 }, { 0xC0000000u, 0x800 }, { 0xC0010000u, 0x1000 } }, 3, 2, 1
};

static bool svm_vm_init(struct vm *vm)
{
    if (!iopm_pa) {
        nrips = cpuid(0x8000000A, 0).edx & CPUID_SVM_NRIPS;
        iopm_pa = hv_page_alloc(IOPM_PAGES, PAGE_SIZE);
        msrpm_pa = hv_page_alloc(MSRPM_PAGES, PAGE_SIZE);
        if (!iopm_pa || !msrpm_pa)
            return false;
        memset((void *)(uintptr_t)iopm_pa, 0xFF, IOPM_PAGES * PAGE_SIZE);
        x86_msr_map_fill(&msrpm, (uint8_t *)(uintptr_t)msrpm_pa);   /* in the VMCB: VMRUN / VMLOAD */
    }
    uint32_t asids = cpuid(0x8000000A, 0).ebx;
    if (vm->arch.asid >= asids) {
        hv_printf("vm %s: no SVM ASID left (%" PRIu32 " supported)\n", vm->name, asids);
        return false;
    }
    return true;
}

static bool svm_vcpu_init(struct vcpu *vcpu)
{
    vcpu->arch.svm.vmcb_pa = hv_page_alloc(1, PAGE_SIZE);
    return vcpu->arch.svm.vmcb_pa != 0;
}

/* The VMCB with this hypervisor's intercepts; the guest state comes from cpu_state.c (guest.c). */
static void svm_vcpu_reset(struct vcpu *vcpu)
{
    struct vmcb *vmcb = vmcb_of(vcpu);
    memset(vmcb, 0, sizeof(*vmcb));
    struct vmcb_control *c = &vmcb->control;
    c->intercept_misc1 = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_SMI | INTERCEPT_INIT | INTERCEPT_CPUID |
                         INTERCEPT_INVD | INTERCEPT_HLT | INTERCEPT_INVLPGA | INTERCEPT_IOIO_PROT |
                         INTERCEPT_MSR_PROT | INTERCEPT_SHUTDOWN | INTERCEPT_RDPMC | INTERCEPT_RSM;
    c->intercept_misc2 = INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD | INTERCEPT_VMSAVE |
                         INTERCEPT_STGI | INTERCEPT_CLGI | INTERCEPT_SKINIT | INTERCEPT_WBINVD |
                         INTERCEPT_MONITOR | INTERCEPT_MWAIT | INTERCEPT_MWAIT_ARMED | INTERCEPT_XSETBV;
    c->iopm_base_pa = iopm_pa;
    c->msrpm_base_pa = msrpm_pa;
    c->guest_asid = vcpu->vm->arch.asid;
    c->tlb_control = TLB_CONTROL_FLUSH_ASID;
    c->int_ctl = V_INTR_MASKING;             /* guest RFLAGS.IF masks only virtual interrupts (15.21.1) */
    c->np_control = NP_ENABLE;
    c->n_cr3 = vcpu->vm->stage2.root_pa;
}

/* EVENTINJ (15.20): the X86_EVENT_* layout with the error code in 63:32, delivered through the guest
 * IDT at the next VMRUN. */
static void svm_set_event(struct vcpu *vcpu, uint32_t info, uint32_t error)
{
    vmcb_of(vcpu)->control.event_inj = info | (uint64_t)error << 32;
}
static uint32_t svm_get_event(struct vcpu *vcpu) { return (uint32_t)vmcb_of(vcpu)->control.event_inj; }

/* INT_SHADOW (15.21.5) says only "a shadow": reported as STI's. No NMI blocking state without vNMI. */
static uint32_t svm_get_interruptibility(struct vcpu *vcpu)
{
    return (vmcb_of(vcpu)->control.int_shadow & INT_SHADOW) ? X86_BLOCKED_STI : 0;
}
static void svm_set_interruptibility(struct vcpu *vcpu, uint32_t blocked)
{
    vmcb_of(vcpu)->control.int_shadow = (blocked & X86_BLOCKED_SHADOW) ? INT_SHADOW : 0;
}

/* A virtual interrupt of the highest priority, ignoring V_TPR, that is never taken: the VINTR intercept
 * fires first, as soon as the guest could take it (15.21.2, 15.21.4). The interrupt window and, without
 * vNMI, the NMI window too (it opens once the NMI handler's IRET restored IF): open while either is wanted. */
static void svm_set_window(struct vcpu *vcpu, bool nmi, bool on)
{
    (void)nmi, (void)on;
    struct vmcb_control *c = &vmcb_of(vcpu)->control;
    if (vcpu->arch.window_requested || vcpu->arch.nmi_window_requested) {
        c->int_ctl |= V_IRQ | V_IGN_TPR | 0xFull << V_INTR_PRIO_SHIFT;
        c->intercept_misc1 |= INTERCEPT_VINTR;
    } else {
        c->int_ctl &= ~(V_IRQ | V_IGN_TPR | 0xFull << V_INTR_PRIO_SHIFT);
        c->intercept_misc1 &= ~INTERCEPT_VINTR;
    }
}

static void svm_intercept_iret(struct vcpu *vcpu, bool on)
{
    struct vmcb_control *c = &vmcb_of(vcpu)->control;
    c->intercept_misc1 = on ? c->intercept_misc1 | INTERCEPT_IRET : c->intercept_misc1 & ~INTERCEPT_IRET;
}

/* --- exit decoding: one row per intercepted EXITCODE ----------------------- */

/* Without NRIPS: EXITINFO2 is the next RIP (15.10.2). */
static void decode_ioio(struct vcpu *v, struct x86_exit *x) { x->insn_len = (uint32_t)(x->info2 - v->arch.rip); }

static void decode_msr(struct vcpu *v, struct x86_exit *x)
{
    (void)v;
    x->kind = x->info1 ? X86_EXIT_WRMSR : X86_EXIT_RDMSR;
}

/* MOV to CR4 (cr.c checks it): the GPR from decode assists when the CPU has them, else exit.c
 * decodes the instruction (QEMU TCG has none). */
static void decode_cr_write(struct vcpu *v, struct x86_exit *x)
{
    (void)v;
    x->cr.n = (uint8_t)(x->code - SVM_EXIT_WRITE_CR(0));
    x->cr.gpr = (x->info1 & CR_WRITE_INFO_VALID) ? (int8_t)(x->info1 & 0xF) : -1;
    if (x->cr.gpr < 0)
        x->insn_len = 0;
}

/* An intercepted exception (exception.c); a #DB intercept has already updated the VMCB's DR6 (15.12). */
static void decode_exception(struct vcpu *v, struct x86_exit *x)
{
    x->exc.vector = (uint8_t)(x->code - SVM_EXIT_EXCP(0));
    x->exc.dr6 = vmcb_of(v)->save.dr6;
}

/* One row per intercepted EXITCODE; insn_len: the instruction's length without NRIPS (no prefixes). */
static const struct x86_exit_row svm_exits[] = {
    { SVM_EXIT_INTR, X86_EXIT_INTR, NULL, 0 },
    { SVM_EXIT_NMI, X86_EXIT_INTR, NULL, 0 },
    { SVM_EXIT_SMI, X86_EXIT_INTR, NULL, 0 },
    { SVM_EXIT_INIT, X86_EXIT_INIT, NULL, 0 },
    { SVM_EXIT_VINTR, X86_EXIT_NONE, NULL, 0 },          /* interrupt window: guest.c injects */
    { SVM_EXIT_CPUID, X86_EXIT_CPUID, NULL, 2 },          /* 0F A2 */
    { SVM_EXIT_RSM, X86_EXIT_RSM, NULL, 2 },              /* 0F AA: smm.c */
    { SVM_EXIT_INVD, X86_EXIT_CACHE_FLUSH, NULL, 2 },            /* 0F 08 */
    { SVM_EXIT_WBINVD, X86_EXIT_CACHE_FLUSH, NULL, 2 },          /* 0F 09 */
    { SVM_EXIT_HLT, X86_EXIT_HLT, NULL, 1 },              /* F4 */
    { SVM_EXIT_IOIO, X86_EXIT_IO, decode_ioio, 0 },
    { SVM_EXIT_MSR, X86_EXIT_RDMSR, decode_msr, 2 },      /* 0F 32 / 0F 30 */
    { SVM_EXIT_SHUTDOWN, X86_EXIT_SHUTDOWN, NULL, 0 },
    { SVM_EXIT_VMMCALL, X86_EXIT_HYPERCALL, NULL, 3 },    /* 0F 01 D9 */
    { SVM_EXIT_VMRUN, X86_EXIT_UD, NULL, 0 },             /* no nested SVM: #UD as with EFER.SVME clear */
    { SVM_EXIT_VMLOAD, X86_EXIT_UD, NULL, 0 },
    { SVM_EXIT_VMSAVE, X86_EXIT_UD, NULL, 0 },
    { SVM_EXIT_STGI, X86_EXIT_UD, NULL, 0 },
    { SVM_EXIT_CLGI, X86_EXIT_UD, NULL, 0 },
    { SVM_EXIT_SKINIT, X86_EXIT_UD, NULL, 0 },
    { SVM_EXIT_INVLPGA, X86_EXIT_UD, NULL, 0 },
    { SVM_EXIT_MONITOR, X86_EXIT_MONITOR_MWAIT, NULL, 0 },
    { SVM_EXIT_MWAIT, X86_EXIT_MONITOR_MWAIT, NULL, 0 },
    { SVM_EXIT_MWAIT_ARMED, X86_EXIT_MONITOR_MWAIT, NULL, 0 },
    { SVM_EXIT_XSETBV, X86_EXIT_XSETBV, NULL, 3 },        /* 0F 01 D1 */
    { SVM_EXIT_NPF, X86_EXIT_NPF, NULL, 0 },
    { SVM_EXIT_WRITE_CR(4), X86_EXIT_CR_ACCESS, decode_cr_write, 0 },
    { SVM_EXIT_EXCP(X86_EXC_DB), X86_EXIT_EXCEPTION, decode_exception, 0 },
    { SVM_EXIT_EXCP(X86_EXC_AC), X86_EXIT_EXCEPTION, decode_exception, 0 },
    { SVM_EXIT_EXCP(X86_EXC_MC), X86_EXIT_EXCEPTION, decode_exception, 0 },
    { SVM_EXIT_RDPMC, X86_EXIT_RDPMC, NULL, 2 },            /* 0F 33 */
    { SVM_EXIT_IRET, X86_EXIT_IRET, NULL, 0 },               /* event.c: NMI unmasking */
};
/* EXITINFO1 of IOIO (15.10.2: SZ8/16/32 one-hot in 6:4) and NPF (15.25.6: bit 33, a guest page-table access). */
static const struct x86_exit_quals svm_quals = {
    .io_in = IOIO_TYPE_IN, .io_string = IOIO_STR, .io_rep = IOIO_REP, .io_size_shift = IOIO_SZ_SHIFT,
    .npf_write = NPF_WRITE, .npf_fetch = NPF_FETCH, .npf_walk = NPF_GUEST_WALK,
};
_Static_assert(sizeof(svm_exits) / sizeof(svm_exits[0]) < 255, "the index holds row + 1 in a byte");
static uint8_t svm_exit_index[SVM_EXIT_NPF + 1];
static const struct x86_exit_table svm_exit_table = {
    svm_exits, sizeof(svm_exits) / sizeof(svm_exits[0]), svm_exit_index, sizeof(svm_exit_index), &svm_quals
};

static void svm_decode(struct vcpu *v, struct vmcb *vmcb, struct x86_exit *x)
{
    x->code = vmcb->control.exit_code;
    x->info1 = vmcb->control.exit_info1;
    x->info2 = vmcb->control.exit_info2;
    x->vectoring = (uint32_t)vmcb->control.exit_int_info;
    x->vectoring_error = (uint32_t)(vmcb->control.exit_int_info >> 32);
    vmcb->control.event_inj = 0;       /* delivered, or in EXITINTINFO: none queued after an exit */
    if (x->code == SVM_EXIT_INVALID) {
        x->kind = X86_EXIT_FAILED_ENTRY;
        return;
    }
    if (nrips && vmcb->control.next_rip > v->arch.rip)
        x->insn_len = (uint32_t)(vmcb->control.next_rip - v->arch.rip);
    x86_exit_table_decode(&svm_exit_table, v, x, x->code);
}

static void svm_run(struct vcpu *vcpu, struct x86_exit *x)
{
    struct arch_vcpu *a = &vcpu->arch;
    struct vmcb *vmcb = vmcb_of(vcpu);
    vmcb->save.rax = a->gpr[GPR_RAX];
    vmcb->save.rsp = a->gpr[GPR_RSP];
    vmcb->save.rip = a->rip;
    vmcb->save.rflags = a->rflags;
    /* With V_INTR_MASKING the guest's CR8 is V_TPR (15.21.1): the virtual LAPIC's TPR, both ways. */
    uint32_t tpr = a->lapic.tpr >> 4;
    vmcb->control.int_ctl = (vmcb->control.int_ctl & ~V_TPR_MASK) | tpr;
    svm_vmrun(a->gpr, a->svm.vmcb_pa, svm_cpus[arch_cpu_index()].host_vmcb_pa);
    vmcb->control.tlb_control = TLB_CONTROL_NONE;
    a->gpr[GPR_RAX] = vmcb->save.rax;
    a->gpr[GPR_RSP] = vmcb->save.rsp;
    a->rip = vmcb->save.rip;
    a->rflags = vmcb->save.rflags;
    if ((vmcb->control.int_ctl & V_TPR_MASK) != tpr)
        a->lapic.tpr = (uint32_t)(vmcb->control.int_ctl & V_TPR_MASK) << 4;
    svm_decode(vcpu, vmcb, x);
}

static void svm_get_mode(struct vcpu *vcpu, struct x86_guest_mode *m)
{
    const struct vmcb_save *s = &vmcb_of(vcpu)->save;
    *m = (struct x86_guest_mode){
        .cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer, .cpl = s->cpl, .cs_base = s->cs.base,
        .cs_l = (s->cs.attrib & SEG_ATTR_L) && (s->efer & EFER_LMA), .cs_db = s->cs.attrib & SEG_ATTR_DB,
        .seg_base = { s->es.base, s->cs.base, s->ss.base, s->ds.base, s->fs.base, s->gs.base },
        .idtr_base = s->idtr.base, .idtr_limit = s->idtr.limit,
    };
}

/* The guest's EFER has no SVME: set_efer adds what VMRUN requires (15.5.1). */
static uint64_t svm_get_efer(struct vcpu *vcpu) { return vmcb_of(vcpu)->save.efer & ~EFER_SVME; }
static void svm_set_efer(struct vcpu *vcpu, uint64_t efer) { vmcb_of(vcpu)->save.efer = efer | EFER_SVME; }
static void svm_set_pat(struct vcpu *vcpu, uint64_t pat) { vmcb_of(vcpu)->save.g_pat = pat; }
static void svm_set_tsc_offset(struct vcpu *vcpu, int64_t off) { vmcb_of(vcpu)->control.tsc_offset = (uint64_t)off; }
/* SVM has no fixed CR bits: the guest's values go to the VMCB as they are. */
static void svm_set_cr0(struct vcpu *vcpu, uint64_t value) { vmcb_of(vcpu)->save.cr0 = value; }
static void svm_set_cr4(struct vcpu *vcpu, uint64_t value) { vmcb_of(vcpu)->save.cr4 = value; }
/* No per-bit mask on SVM (15.9): any trapped bit means every MOV to CR4 exits. */
static void svm_trap_cr4_writes(struct vcpu *vcpu, uint64_t trapped)
{
    struct vmcb_control *c = &vmcb_of(vcpu)->control;
    c->intercept_cr = trapped ? c->intercept_cr | INTERCEPT_CR_WRITE(4) : c->intercept_cr & ~INTERCEPT_CR_WRITE(4);
}
static void svm_set_exception_intercepts(struct vcpu *vcpu, uint32_t vectors)
{
    vmcb_of(vcpu)->control.intercept_exceptions = vectors;
}
static uint64_t svm_get_dr(struct vcpu *vcpu, unsigned n)
{
    return n == 6 ? vmcb_of(vcpu)->save.dr6 : vmcb_of(vcpu)->save.dr7;
}
static void svm_set_dr(struct vcpu *vcpu, unsigned n, uint64_t value)
{
    *(n == 6 ? &vmcb_of(vcpu)->save.dr6 : &vmcb_of(vcpu)->save.dr7) = value;
}
static void svm_set_cr3(struct vcpu *vcpu, uint64_t cr3) { vmcb_of(vcpu)->save.cr3 = cr3; }

/* --- segments: VMCB attributes are the neutral AR layout without its bits 11:8 (B-2) ----------------- */

static struct vmcb_seg *seg_of(struct vcpu *vcpu, unsigned seg)
{
    struct vmcb_save *s = &vmcb_of(vcpu)->save;
    struct vmcb_seg *const segs[X86_SEG_COUNT] = { &s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs,
                                                   &s->ldtr, &s->tr, &s->gdtr, &s->idtr };
    return segs[seg];
}

static void svm_get_segment(struct vcpu *vcpu, unsigned seg, struct x86_segment *g)
{
    const struct vmcb_seg *s = seg_of(vcpu, seg);
    *g = (struct x86_segment){ s->selector, (uint16_t)((s->attrib & 0xFF) | (s->attrib & 0xF00) << 4), s->limit, s->base };
}

static void svm_set_segment(struct vcpu *vcpu, unsigned seg, const struct x86_segment *g)
{
    *seg_of(vcpu, seg) = (struct vmcb_seg){ g->sel, (uint16_t)((g->ar & 0xFF) | (g->ar >> 4 & 0xF00)), g->limit, g->base };
    struct vmcb_save *s = &vmcb_of(vcpu)->save;
    if (seg == SREG_SS)       /* CPL is SS.DPL (15.5.1) */
        s->cpl = (s->cr0 & CR0_PE) ? (uint8_t)X86_AR_DPL(g->ar) : 0;
}

/* TLB_CONTROL for the next VMRUN only (15.16.1): svm_run sets it back to none after it. */
static void svm_flush_tlb(struct vcpu *vcpu) { vmcb_of(vcpu)->control.tlb_control = TLB_CONTROL_FLUSH_ASID; }

static void svm_set_stage2(struct vcpu *vcpu, const struct pgtable *pt)
{
    vmcb_of(vcpu)->control.n_cr3 = pt->root_pa;
    vcpu->arch.flush_on_entry = true;
}

const struct x86_vcpu_ops svm_vcpu_ops = {
    .name = "svm",
    .stage2_format = svm_stage2_format,
    .cpu_enable = svm_cpu_enable,
    .vm_init = svm_vm_init,
    .vcpu_init = svm_vcpu_init,
    .vcpu_reset = svm_vcpu_reset,
    .run = svm_run,
    .get_mode = svm_get_mode,
    .get_efer = svm_get_efer,
    .set_efer = svm_set_efer,
    .set_pat = svm_set_pat,
    .set_tsc_offset = svm_set_tsc_offset,
    .set_event = svm_set_event,
    .get_event = svm_get_event,
    .get_interruptibility = svm_get_interruptibility,
    .set_interruptibility = svm_set_interruptibility,
    .set_window = svm_set_window,
    .intercept_iret = svm_intercept_iret,
    .set_cr0 = svm_set_cr0,
    .set_cr4 = svm_set_cr4,
    .trap_cr4_writes = svm_trap_cr4_writes,
    .set_exception_intercepts = svm_set_exception_intercepts,
    .get_dr = svm_get_dr,
    .set_dr = svm_set_dr,
    .get_segment = svm_get_segment,
    .set_segment = svm_set_segment,
    .set_cr3 = svm_set_cr3,
    .set_stage2 = svm_set_stage2,
    .flush_tlb = svm_flush_tlb,
};
