/* probes.S: single faulting instructions at known addresses, so a test can check that
 * ELR_EL1 of the exception points exactly at them. Each returns x0 unchanged if the
 * instruction was skipped by the exception handler. */

    .text
    .global probe_read64, probe_read64_insn
probe_read64:                       /* x0 = address -> value */
    mov     x1, x0
probe_read64_insn:
    ldr     x0, [x1]
    ret

    .global probe_write64, probe_write64_insn
probe_write64:                      /* x0 = address, x1 = value */
probe_write64_insn:
    str     x1, [x0]
    ret

    .global probe_impdef_sysreg, probe_impdef_sysreg_insn
probe_impdef_sysreg:                /* -> an IMPLEMENTATION DEFINED register (op0 3, CRn 15) that no
                                     * core we run on has: QEMU's -cpu max gives the A57's
                                     * S3_1_C15_C2_0 (CPUACTLR_EL1) RAZ/WI, so that one is no UNDEF */
probe_impdef_sysreg_insn:
    mrs     x0, s3_1_c15_c15_7
    ret
