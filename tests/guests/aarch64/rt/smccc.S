/* smccc.S: the SMCCC call over HVC (Arm DEN 0028). */

    .text
/* struct smccc_res smccc_hvc(fn, a1, a2, a3): the result struct is returned through x8
 * (AAPCS64 indirect result); SMCCC lets the callee clobber x4-x17, so x8 is saved. */
    .global smccc_hvc
smccc_hvc:
    str     x8, [sp, #-16]!
    hvc     #0
    ldr     x8, [sp], #16
    stp     x0, x1, [x8]
    stp     x2, x3, [x8, #16]
    ret
