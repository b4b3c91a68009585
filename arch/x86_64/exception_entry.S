/* exception_entry.S: one 16-byte stub per IDT vector, and the common path that saves the GPRs for idt.c. */

/* Intel SDM Vol. 3A, 6.15 and table 6-1: these exceptions push an error code;
 * every other vector gets a 0 pushed in its place, so all frames look alike. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

    .text
    .balign 16
    .globl x86_exception_stubs
x86_exception_stubs:
    .set vector, 0
    .rept 256
    .balign 16
    .if HAS_ERROR_CODE(vector) == 0
    pushq $0
    .endif
    pushq $vector
    .if vector < 32
    jmp exception_common
    .else
    jmp irq_common
    .endif
    .set vector, vector + 1
    .endr

/* Stack on entry (CPU-aligned to 16 in 64-bit mode, SDM Vol. 3A 6.14.2): SS, RSP, RFLAGS, CS,
 * RIP, error code, vector; the GPRs pushed below complete struct x86_exception_frame. */
exception_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    movq %rsp, %rdi
    call x86_exception
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp          /* vector and error code */
    iretq

/* Vectors 32-255: the hypervisor's own interrupts (kick IPI, host timer, spurious). They come only at
 * the points where the hypervisor opens IF around a VM exit; x86_host_irq EOIs and nothing else: the
 * VM exit they caused was their purpose. Caller-saved registers are enough (SysV ABI). */
irq_common:
    pushq %rax
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    cld
    movq 72(%rsp), %rdi     /* vector */
    call x86_host_irq
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rax
    addq $16, %rsp
    iretq

    .section .note.GNU-stack, "", @progbits
