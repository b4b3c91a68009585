/* guest_gprs.h: assembler macros shared by the SVM and VMX world switches: load and store the
 * guest general-purpose registers that neither VMCB nor VMCS holds, from/to gpr[] at %rdi
 * (struct arch_vcpu.gpr, SDM register-encoding order; RAX (0) and RSP (4) are handled by the
 * callers, RDI (7) last because it holds the pointer). */
#ifndef GUEST_GPRS_H
#define GUEST_GPRS_H

#define GPR(n) (8 * (n))

/* gpr[] at %rdi -> registers; %rdi itself is loaded last. */
.macro LOAD_GUEST_GPRS
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
.endm

/* Right after the exit, with gpr[] pushed just below the top of the stack: the guest's
 * registers -> gpr[] (RDI via the stack). Leaves %rdi = gpr[] and pops the saved pointer. */
.macro STORE_GUEST_GPRS
    pushq %rdi
    movq 8(%rsp), %rdi
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
.endm

/* Right after the exit, before the hypervisor's first RET: 32 return-stack-buffer entries that
 * point at a speculation trap, so no RET predicts into an address the guest left there (spec.c).
 * Clobbers %rcx and the flags; the stack is as before. */
.macro FILL_RSB
    movl $16, %ecx
771:
    call 772f
773:
    pause
    lfence
    jmp 773b
772:
    call 774f
775:
    pause
    lfence
    jmp 775b
774:
    decl %ecx
    jnz 771b
    addq $(32 * 8), %rsp
.endm

#endif
