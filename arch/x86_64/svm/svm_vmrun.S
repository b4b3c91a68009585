/* svm_vmrun.S: the SVM world switch (AMD APM Vol. 2, 15.5 VMRUN, 15.5.2 VMLOAD/VMSAVE, 15.17 GIF).
 * VMRUN switches RAX, RSP, RIP, RFLAGS, CRs and the segment registers; VMLOAD/VMSAVE switch FS, GS,
 * TR, LDTR and the SYSCALL/SYSENTER MSRs; the other general-purpose registers are switched here. */
#include "arch_vm.h"
#include "guest_gprs.h"

#define SVM_EXIT_VMMCALL 0x081          /* EXITCODE (APM Vol. 2, appendix C) */
#define SVM_EXIT_NPF     0x400
#define VMCB_EXIT_CODE   0x070          /* control area offset (vmcb.h) */


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
.Lenter:
    LOAD_GUEST_GPRS
    vmrun %rax                      /* RAX is the VMCB again after #VMEXIT (host save area) */
    STORE_GUEST_GPRS
    /* VMMCALL and nested page faults: svm_fast.c may answer them with GIF still 0 and the guest's
     * VMLOAD state still in the CPU, then VMRUN again (why nothing is missed, and why FILL_RSB can
     * wait: svm_fast.c). */
    cmpq $SVM_EXIT_VMMCALL, VMCB_EXIT_CODE(%rax)
    je 1f
    cmpq $SVM_EXIT_NPF, VMCB_EXIT_CODE(%rax)
    jne .Lexit
1:
    movq %rdi, %rbx                 /* callee-saved across the call: gpr[], the VMCB */
    movq %rax, %r12
    movq %rax, %rsi
    call svm_fast_exit              /* the stack is 16-byte aligned here */
    testb %al, %al
    jz .Lexit_vmcb
    pushq %rbx                      /* gpr[] where STORE_GUEST_GPRS expects it */
    movq %rbx, %rdi
    movq %r12, %rax
    jmp .Lenter
.Lexit_vmcb:
    movq %r12, %rax
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
