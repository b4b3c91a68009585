/* svm_vmrun.S: the SVM world switch (AMD APM Vol. 2, 15.5 VMRUN, 15.5.2 VMLOAD/VMSAVE, 15.17 GIF).
 * VMRUN switches RAX, RSP, RIP, RFLAGS, CRs and the segment registers; VMLOAD/VMSAVE switch FS, GS,
 * TR, LDTR and the SYSCALL/SYSENTER MSRs; the other general-purpose registers are switched here. */
#include "arch_vm.h"
#include "guest_gprs.h"

#define SVM_EXIT_VMMCALL 0x081          /* EXITCODE (APM Vol. 2, appendix C) */
#define SVM_EXIT_NPF     0x400
#define VMCB_EXIT_CODE   0x070          /* control area offset (vmcb.h) */


/* The guest's RBP and R12-R15 -> gpr[] (at the top of the stack); clobbers %rdi. */
.macro STORE_CALLEE_SAVED_GPRS
    movq (%rsp), %rdi
    movq %rbp, GPR(5)(%rdi)
    movq %r12, GPR(12)(%rdi)
    movq %r13, GPR(13)(%rdi)
    movq %r14, GPR(14)(%rdi)
    movq %r15, GPR(15)(%rdi)
.endm

    .text
/* void svm_vmrun(uint64_t *gpr, uint64_t vmcb_pa, uint64_t host_vmcb_pa)
 * gpr: struct arch_vcpu.gpr (RAX and RSP are taken from and left in the VMCB). host_vmcb_pa: this
 * pCPU's VMCB holding the hypervisor's VMSAVE state (its GS base, TR). */
    .globl svm_vmrun
svm_vmrun:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdx                      /* host VMCB */
    pushq %rdi                      /* gpr[]: at (%rsp) for the whole loop */
    movq %rsi, %rax
    clgi                            /* no interrupt or NMI until the host state is whole again */
    sti                             /* host IF = 1 during the guest: a physical interrupt (kick, host
                                       timer) exits (INTR intercept, 15.21.4); GIF = 0 holds it till STGI */
    vmload %rax
.Lenter:
    LOAD_GUEST_GPRS
.Lvmrun:
    vmrun %rax                      /* RAX is the VMCB again after #VMEXIT (host save area) */
    /* The guest's caller-saved GPRs and RBX (the hypercall's argument and result) -> gpr[] (RDI
     * via the stack). RBP and R12-R15 stay the guest's in the CPU across a C call (SysV ABI: the
     * callee preserves them) and are stored only on the way to a path that reads gpr[] whole. */
    pushq %rdi
    movq 8(%rsp), %rdi
    movq %rcx, GPR(1)(%rdi)
    movq %rdx, GPR(2)(%rdi)
    movq %rbx, GPR(3)(%rdi)
    movq %rsi, GPR(6)(%rdi)
    movq %r8, GPR(8)(%rdi)
    movq %r9, GPR(9)(%rdi)
    movq %r10, GPR(10)(%rdi)
    movq %r11, GPR(11)(%rdi)
    popq GPR(7)(%rdi)
    /* VMMCALL and nested page faults: svm_fast.c may answer them with GIF still 0 and the guest's
     * VMLOAD state still in the CPU, then VMRUN again (why nothing is missed, and why FILL_RSB can
     * wait: svm_fast.c). */
    cmpq $SVM_EXIT_VMMCALL, VMCB_EXIT_CODE(%rax)
    jne 2f
    pushq %rax                      /* the VMCB; the stack is 16-byte aligned at the call */
    movq %rax, %rsi
    call svm_fast_vmmcall           /* reads and writes gpr[] RBX-RDX only */
    testb %al, %al
    popq %rax
    jz .Lstore_callee_saved
    /* Back what the call may have clobbered (and the answer in RBX-RDX). */
    movq (%rsp), %rdi
    movq GPR(1)(%rdi), %rcx
    movq GPR(2)(%rdi), %rdx
    movq GPR(3)(%rdi), %rbx
    movq GPR(6)(%rdi), %rsi
    movq GPR(8)(%rdi), %r8
    movq GPR(9)(%rdi), %r9
    movq GPR(10)(%rdi), %r10
    movq GPR(11)(%rdi), %r11
    movq GPR(7)(%rdi), %rdi
    jmp .Lvmrun
2:
    cmpq $SVM_EXIT_NPF, VMCB_EXIT_CODE(%rax)
    jne .Lstore_callee_saved
    STORE_CALLEE_SAVED_GPRS         /* svm_fast_exit reads any GPR */
    pushq %rax
    movq %rax, %rsi
    call svm_fast_exit
    testb %al, %al
    popq %rax
    jz .Lexit_gprs_stored
    movq (%rsp), %rdi
    jmp .Lenter
.Lstore_callee_saved:
    STORE_CALLEE_SAVED_GPRS
.Lexit_gprs_stored:
    addq $8, %rsp                   /* gpr[] */
.Lexit:
    vmsave %rax
    FILL_RSB
    popq %rax
    vmload %rax                     /* the hypervisor's GS base (per-CPU data) and TR */
    stgi                            /* a pending host interrupt is taken here (idt.c: EOI only) */
    cli
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

    .section .note.GNU-stack, "", @progbits
