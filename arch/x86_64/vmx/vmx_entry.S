/* vmx_entry.S: the VMX world switch (Intel SDM Vol. 3C, 26 VM entries, 27.5 host state on VM exit).
 * VM entry loads RSP, RIP, RFLAGS, CRs and segments from the VMCS; the other GPRs are switched here. */
#include "arch_vm.h"

#define GPR(n) (8 * (n))
#define HOST_RSP 0x6C14
#define HOST_RIP 0x6C16

    .text
/* int vmx_enter(uint64_t *gpr, int launched): 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed
 * (VM_INSTRUCTION_ERROR says why). gpr[RSP] is not used: the guest's RSP is in the VMCS. */
    .globl vmx_enter
vmx_enter:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi                      /* gpr[] */
    movq $HOST_RSP, %rax
    vmwrite %rsp, %rax
    leaq vmx_exit(%rip), %rdx
    movq $HOST_RIP, %rax
    vmwrite %rdx, %rax
    testl %esi, %esi                /* MOVs below leave the flags alone */
    movq GPR(0)(%rdi), %rax
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
    jnz 1f
    vmlaunch
    jmp 2f
1:  vmresume
2:  /* VMfail: still the host, with the guest's GPRs loaded */
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    movl $1, %eax
    ret

vmx_exit:
    pushq %rdi
    movq 8(%rsp), %rdi              /* gpr[] */
    movq %rax, GPR(0)(%rdi)
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
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    xorl %eax, %eax
    ret

    .section .note.GNU-stack, "", @progbits
