/* user.S: into CPL 3 with IRETQ and back with INT VEC_USER_RETURN (SDM Vol. 3A, 6.12.1 and 6.14). */
#include "layout.h"

    .text
    .global user_enter, user_return
/* user_enter(fn, arg, rflags_or, user_rsp): rdi, rsi, rdx, rcx. Callee-saved registers and the
 * stack pointer are kept for user_return, which comes back here with fn's value in rax. */
user_enter:
    pushq   %rbx
    pushq   %rbp
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    movq    %rsp, user_kernel_rsp(%rip)
    movq    %rsp, tss + 4(%rip)     /* TSS.RSP0: where CPL 3's interrupts and exceptions land */
    movq    %rdi, %rax
    movq    %rsi, %rdi
    pushq   $SEL_UDATA              /* SS */
    pushq   %rcx                    /* RSP */
    pushfq
    orq     %rdx, (%rsp)            /* RFLAGS */
    pushq   $SEL_UCODE64            /* CS */
    leaq    user_entry(%rip), %rdx
    pushq   %rdx                    /* RIP */
    iretq
user_entry:                         /* CPL 3: rax = fn, rdi = arg */
    call    *%rax
    int     $VEC_USER_RETURN

user_return:                        /* CPL 0, on TSS.RSP0 below user_enter's frame */
    movq    user_kernel_rsp(%rip), %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbp
    popq    %rbx
    ret

    .bss
    .balign 16
    .global tss
tss:        .skip 104               /* the 64-bit TSS (SDM Vol. 3A, 7.7): RSP0 at +4 */
user_kernel_rsp: .quad 0
