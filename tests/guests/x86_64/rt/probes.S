/* probes.S: instructions a test expects to fault, at known addresses. Each PROBE records
 * (instruction, resume address) in .probes: the exception handler, when a test is catching,
 * resumes there, since x86 instruction lengths are not known to it. */

.macro PROBE name
    .pushsection .probes, "a"
    .quad   \name\()_insn, 1f
    .popsection
.endm

    .text
    .global probe_rdmsr, probe_rdmsr_insn
probe_rdmsr:                        /* edi = MSR -> value, 0 if it faulted */
    movl    %edi, %ecx
    xorl    %eax, %eax
    xorl    %edx, %edx
    PROBE   probe_rdmsr
probe_rdmsr_insn:
    rdmsr
1:  shlq    $32, %rdx
    orq     %rdx, %rax
    ret

    .global probe_wrmsr, probe_wrmsr_insn
probe_wrmsr:                        /* edi = MSR, rsi = value -> 0 */
    movl    %edi, %ecx
    movl    %esi, %eax
    movq    %rsi, %rdx
    shrq    $32, %rdx
    PROBE   probe_wrmsr
probe_wrmsr_insn:
    wrmsr
1:  xorl    %eax, %eax
    ret

    .global probe_read64, probe_read64_insn
probe_read64:                       /* rdi = address -> value, or the address if it faulted */
    movq    %rdi, %rax
    PROBE   probe_read64
probe_read64_insn:
    movq    (%rdi), %rax
1:  ret

    .global probe_read32, probe_read32_insn
probe_read32:                       /* rdi = address -> value, or the address if it faulted */
    movq    %rdi, %rax
    PROBE   probe_read32
probe_read32_insn:
    movl    (%rdi), %eax
1:  ret

    .global probe_write64, probe_write64_insn
probe_write64:                      /* rdi = address, rsi = value -> 0 */
    PROBE   probe_write64
probe_write64_insn:
    movq    %rsi, (%rdi)
1:  xorl    %eax, %eax
    ret

    .global probe_ud2, probe_ud2_insn
probe_ud2:                          /* -> the argument; always #UD */
    movq    %rdi, %rax
    PROBE   probe_ud2
probe_ud2_insn:
    ud2
1:  ret

/* The hypercalls (docs/hypercalls.md): function ID in RAX, arguments in RBX, RCX, RDX, RSI,
 * results in RAX, RBX, RCX, RDX. C passes (fn, a1, a2, a3, a4, out) in rdi, rsi, rdx, rcx,
 * r8, r9. VMCALL is Intel's (SDM Vol. 3C, 30.3), VMMCALL AMD's (APM Vol. 3); either one #UDs
 * on a CPU of the other vendor and on bare hardware, which a test can catch. */
.macro HYPERCALL name, insn
    .global \name, \name\()_insn
\name:
    pushq   %rbx
    pushq   %r9                     /* out: the hypervisor need not preserve it... */
    movq    %rdi, %rax
    movq    %rsi, %rbx
    movq    %rcx, %r10
    movq    %rdx, %rcx
    movq    %r10, %rdx
    movq    %r8, %rsi
    PROBE   \name
\name\()_insn:
    \insn
1:  popq    %r9                     /* ...so it is saved across the call */
    movq    %rax, 0(%r9)
    movq    %rbx, 8(%r9)
    movq    %rcx, 16(%r9)
    movq    %rdx, 24(%r9)
    popq    %rbx
    ret
.endm

    HYPERCALL hv_vmcall, vmcall
    HYPERCALL hv_vmmcall, vmmcall

/* #DB traps report the instruction after the one that caused them: these probes' _insn label is
 * where the trap lands (exceptions.c clears RFLAGS.TF in the frame of every #DB). */
    .global probe_single_step, probe_single_step_insn
probe_single_step:                  /* -> 0; TF set for exactly one instruction */
    xorl    %eax, %eax
    pushfq
    orq     $0x100, (%rsp)
    PROBE   probe_single_step
    popfq
    nop                             /* the step: #DB after it */
probe_single_step_insn:
    nop
1:  ret

    .global probe_write_watch, probe_write_watch_insn
probe_write_watch:                  /* rdi = address -> 0; a data-breakpoint trap after the store */
    xorl    %eax, %eax
    PROBE   probe_write_watch
    movq    %rax, (%rdi)
probe_write_watch_insn:
    nop
1:  ret

    .global probe_rdpmc, probe_rdpmc_insn
probe_rdpmc:                        /* edi = counter -> value */
    movl    %edi, %ecx
    xorl    %eax, %eax
    xorl    %edx, %edx
    PROBE   probe_rdpmc
probe_rdpmc_insn:
    rdpmc
1:  shlq    $32, %rdx
    orq     %rdx, %rax
    ret

    .global probe_write_cr4, probe_write_cr4_insn
probe_write_cr4:                    /* rdi = value, moved through r9 (a REX-prefixed MOV) -> 0 */
    movq    %rdi, %r9
    xorl    %eax, %eax
    PROBE   probe_write_cr4
probe_write_cr4_insn:
    movq    %r9, %cr4
1:  ret

    .global probe_xsetbv, probe_xsetbv_insn
probe_xsetbv:                       /* rdi = XCR index << 56 | value (bits 55:0) -> 0 */
    movq    %rdi, %rcx
    shrq    $56, %rcx
    movq    %rdi, %rax
    shlq    $8, %rax
    shrq    $8, %rax
    movq    %rax, %rdx
    shrq    $32, %rdx
    PROBE   probe_xsetbv
probe_xsetbv_insn:
    xsetbv
1:  xorl    %eax, %eax
    ret
