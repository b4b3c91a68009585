/* isr.S: one 16-byte stub per IDT vector; all of them save the GPRs and call isr_dispatch(frame). */

/* Vectors whose exceptions push an error code (SDM Vol. 3A, table 6-1): the others get
 * a 0 so every frame looks alike (struct isr_frame in exceptions.c). */
.macro STUB v
    .balign 16
    .if (\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
    .else
    pushq   $0
    .endif
    pushq   $\v
    jmp     isr_common
.endm

    .text
    .balign 16
    .global isr_stubs
isr_stubs:                          /* stub for vector v at isr_stubs + 16 * v */
    .set    vec, 0
    .rept   256
    STUB    vec
    .set    vec, vec + 1
    .endr

isr_common:
    pushq   %rax
    pushq   %rbx
    pushq   %rcx
    pushq   %rdx
    pushq   %rsi
    pushq   %rdi
    pushq   %rbp
    pushq   %r8
    pushq   %r9
    pushq   %r10
    pushq   %r11
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    movq    %rsp, %rdi              /* 22 quadwords below a 16-aligned RSP: still aligned */
    cld
    call    isr_dispatch
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %r11
    popq    %r10
    popq    %r9
    popq    %r8
    popq    %rbp
    popq    %rdi
    popq    %rsi
    popq    %rdx
    popq    %rcx
    popq    %rbx
    popq    %rax
    addq    $16, %rsp               /* vector and error code */
    iretq
