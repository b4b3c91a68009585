/* guest_at.S: AT S1E1R / S1E0R over the guest's stage 1 that survive a synchronous External
 * abort on the guest's table walk: exception.c's fixup table sends such an abort, taken at
 * EL2 on the AT itself, to the fixup after it, which returns false (sysreg.h). */

    .text
/* bool guest_at_s1e1r(uint64_t va): true once PAR_EL1 holds the result. */
    .global guest_at_s1e1r
    .global guest_at_s1e1r_insn
    .global guest_at_s1e1r_fixup
    .type guest_at_s1e1r, %function
guest_at_s1e1r:
    mov     x1, x0
    mov     x0, #1
guest_at_s1e1r_insn:
    at      s1e1r, x1
    ret
guest_at_s1e1r_fixup:
    mov     x0, #0
    ret
    .size guest_at_s1e1r, . - guest_at_s1e1r

/* bool guest_at_s1e0r(uint64_t va): the same with the EL0 permissions. */
    .global guest_at_s1e0r
    .global guest_at_s1e0r_insn
    .global guest_at_s1e0r_fixup
    .type guest_at_s1e0r, %function
guest_at_s1e0r:
    mov     x1, x0
    mov     x0, #1
guest_at_s1e0r_insn:
    at      s1e0r, x1
    ret
guest_at_s1e0r_fixup:
    mov     x0, #0
    ret
    .size guest_at_s1e0r, . - guest_at_s1e0r
