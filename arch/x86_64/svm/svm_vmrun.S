/* svm_vmrun.S: the SVM world switch (AMD APM Vol. 2, 15.5 VMRUN, 15.5.2 VMLOAD/VMSAVE, 15.17 GIF).
 * VMRUN switches RAX, RSP, RIP, RFLAGS, CRs and the segment registers; VMLOAD/VMSAVE switch FS, GS,
 * TR, LDTR and the SYSCALL/SYSENTER MSRs; the other general-purpose registers are switched here. */
#include "arch_vm.h"

#define GPR(n) (8 * (n))

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
    pushq %rdi                      /* gpr[] */
    movq %rsi, %rax
    clgi                            /* no interrupt or NMI until the host state is whole again */
    sti                             /* host IF = 1 during the guest: a physical interrupt (kick, host
                                       timer) exits (INTR intercept, 15.21.4); GIF = 0 holds it till STGI */
    vmload %rax
    movq GPR(1)(%rdi), %rcx
    movq GPR(2)(%rdi), %rdx
    movq GPR(3)(%rdi), %rbx
    movq GPR(5)(%rdi), %rbp
    movq GPR(6)(%rdi), %rsi
    movq GPR(8)(%rdi), %r8
    movq GPR(9)(%rdi), %r9
    movq GPR(10)(%rdi), %r10
    movq GPR(11)(%rdi), %r11
    movq GPR(12)(%rdi), %r12
    movq GPR(13)(%rdi), %r13
    movq GPR(14)(%rdi), %r14
    movq GPR(15)(%rdi), %r15
    movq GPR(7)(%rdi), %rdi
    vmrun %rax
    vmsave %rax                     /* RAX is the VMCB again after #VMEXIT (host save area) */
    pushq %rdi
    movq 8(%rsp), %rdi              /* gpr[] */
    movq %rcx, GPR(1)(%rdi)
    movq %rdx, GPR(2)(%rdi)
    movq %rbx, GPR(3)(%rdi)
    movq %rbp, GPR(5)(%rdi)
    movq %rsi, GPR(6)(%rdi)
    movq %r8, GPR(8)(%rdi)
    movq %r9, GPR(9)(%rdi)
    movq %r10, GPR(10)(%rdi)
    movq %r11, GPR(11)(%rdi)
    movq %r12, GPR(12)(%rdi)
    movq %r13, GPR(13)(%rdi)
    movq %r14, GPR(14)(%rdi)
    movq %r15, GPR(15)(%rdi)
    popq GPR(7)(%rdi)
    addq $8, %rsp
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
