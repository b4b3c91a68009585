/* el0.S: running a function at EL0 (el0_call in exceptions.c) and getting back to EL1. */

    .text
/* uint64_t el0_enter(uint64_t (*fn)(uint64_t) x0, uint64_t arg x1, uint64_t sp_el0 x2):
 * ERETs to el0_trampoline at EL0t with DAIF masked; fn's SVC #0 brings exc_handle back to
 * el0_return at EL1h on this same SP_EL1 with x0 = fn's result. fn keeps x19-x29 (AAPCS64),
 * so they are the caller's again when el0_return runs. */
    .global el0_enter
el0_enter:
    stp     x29, x30, [sp, #-16]!
    msr     sp_el0, x2
    adr     x3, el0_trampoline
    msr     elr_el1, x3
    mov     x3, #0x3c0              /* SPSR: EL0t, D, A, I, F masked */
    msr     spsr_el1, x3
    mov     x3, x0
    mov     x0, x1
    eret
    dsb     nsh
    isb

el0_trampoline:                     /* at EL0 */
    blr     x3
    svc     #0
    b       .

    .global el0_return
el0_return:                         /* at EL1h again (exc_handle), x0 = fn's result */
    ldp     x29, x30, [sp], #16
    ret
