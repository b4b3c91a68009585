/* vmx_entry.S: the VMX world switch (Intel SDM Vol. 3C, 26 VM entries, 27.5 host state on VM exit).
 * VM entry loads RSP, RIP, RFLAGS, CRs and segments from the VMCS; the other GPRs are switched here. */
#include "arch_vm.h"
#include "guest_gprs.h"

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
    LOAD_GUEST_GPRS
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
    STORE_GUEST_GPRS
    movq %rax, GPR(0)(%rdi)         /* RAX was left alone by the macro */
    FILL_RSB
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    xorl %eax, %eax
    ret

    .section .note.GNU-stack, "", @progbits
