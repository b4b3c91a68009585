/* world_switch.S: entering an EL1 guest with ERET and coming back when it takes an exception to EL2. */
#include "arch_vm.h"

/* guest_enter's frame on the hypervisor stack: x29/x30, x19-x28, the vCPU pointer. SP_EL2
 * stays at this frame while the guest runs, so the lower-EL vectors find it again. */
#define FRAME_BYTES 112
#define FRAME_VCPU  96
#define CPTR_EL2_TFP (1 << 10)

    .text
/* uint64_t guest_enter(struct arch_vcpu *v): runs the guest from v->x, v->pc, v->pstate
 * until it takes an exception to EL2; returns the vector index (vectors.S, 8..15). */
    .global guest_enter
    .type guest_enter, %function
guest_enter:
    stp     x29, x30, [sp, #-FRAME_BYTES]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    str     x0, [sp, #FRAME_VCPU]
    ldp     x1, x2, [x0, #GUEST_REGS_PC]
    msr     elr_el2, x1
    msr     spsr_el2, x2
    ldp     x2, x3, [x0, #16 * 1]
    ldp     x4, x5, [x0, #16 * 2]
    ldp     x6, x7, [x0, #16 * 3]
    ldp     x8, x9, [x0, #16 * 4]
    ldp     x10, x11, [x0, #16 * 5]
    ldp     x12, x13, [x0, #16 * 6]
    ldp     x14, x15, [x0, #16 * 7]
    ldp     x16, x17, [x0, #16 * 8]
    ldp     x18, x19, [x0, #16 * 9]
    ldp     x20, x21, [x0, #16 * 10]
    ldp     x22, x23, [x0, #16 * 11]
    ldp     x24, x25, [x0, #16 * 12]
    ldp     x26, x27, [x0, #16 * 13]
    ldp     x28, x29, [x0, #16 * 14]
    ldr     x30, [x0, #16 * 15]
    ldp     x0, x1, [x0, #16 * 0]
    eret
    dsb     nsh                 /* no speculation past the ERET (Spectre-style hardening) */
    isb
    .size guest_enter, . - guest_enter

/* The guest's caller-saved registers x0-x18 and x30 to / from its register file at x0 / x1. */
.macro save_caller_saved
    stp     x2, x3, [x0, #16 * 1]
    stp     x4, x5, [x0, #16 * 2]
    stp     x6, x7, [x0, #16 * 3]
    stp     x8, x9, [x0, #16 * 4]
    stp     x10, x11, [x0, #16 * 5]
    stp     x12, x13, [x0, #16 * 6]
    stp     x14, x15, [x0, #16 * 7]
    stp     x16, x17, [x0, #16 * 8]
    str     x18, [x0, #16 * 9]
    str     x30, [x0, #16 * 15]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0, #16 * 0]
.endm
/* The guest's x19-x29, PC and PSTATE to / from its register file at x0 / x1. */
.macro save_callee_saved_pc
    str     x19, [x0, #16 * 9 + 8]
    stp     x20, x21, [x0, #16 * 10]
    stp     x22, x23, [x0, #16 * 11]
    stp     x24, x25, [x0, #16 * 12]
    stp     x26, x27, [x0, #16 * 13]
    stp     x28, x29, [x0, #16 * 14]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x2, x3, [x0, #GUEST_REGS_PC]
.endm
.macro load_callee_saved_pc
    ldp     x2, x3, [x1, #GUEST_REGS_PC]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    ldr     x19, [x1, #16 * 9 + 8]
    ldp     x20, x21, [x1, #16 * 10]
    ldp     x22, x23, [x1, #16 * 11]
    ldp     x24, x25, [x1, #16 * 12]
    ldp     x26, x27, [x1, #16 * 13]
    ldp     x28, x29, [x1, #16 * 14]
.endm
/* CPTR_EL2.TFP set: from here the hypervisor's first FP/SIMD use traps and saves the guest's
 * registers, which are still live (fpsimd.c; with E2H=0 it traps EL2 too). */
.macro fp_trap_on
    mrs     x2, cptr_el2
    orr     x2, x2, #CPTR_EL2_TFP
    msr     cptr_el2, x2
    isb
.endm
.macro load_caller_saved
    ldp     x2, x3, [x1, #16 * 1]
    ldp     x4, x5, [x1, #16 * 2]
    ldp     x6, x7, [x1, #16 * 3]
    ldp     x8, x9, [x1, #16 * 4]
    ldp     x10, x11, [x1, #16 * 5]
    ldp     x12, x13, [x1, #16 * 6]
    ldp     x14, x15, [x1, #16 * 7]
    ldp     x16, x17, [x1, #16 * 8]
    ldr     x18, [x1, #16 * 9]
    ldr     x30, [x1, #16 * 15]
    ldp     x0, x1, [x1, #16 * 0]
.endm

/* An HVC from the guest (vectors.S), [sp] holding its x0/x1: fast_hvc_light (fast_exit.c)
 * answers the fast hypercalls without the rest of the exit. The guest's x19-x29 are
 * callee-saved under AAPCS64, so they stay live in the registers across that C call and only
 * x0-x18 and x30 go through memory; ELR_EL2/SPSR_EL2 (the guest's PC and PSTATE, single-step
 * state included) are never touched, and neither is CPTR_EL2: the guest's FP/SIMD registers
 * stay live (that C code uses none: -mgeneral-regs-only, no library calls). Its answer:
 * 1, back into the guest; 0, not answered: the ordinary exit of vector 8; 2, answered but the
 * run loop has work: the ordinary exit with index FAST_KIND_HANDLED (guest.h). */
    .global guest_hvc_light
    .type guest_hvc_light, %function
guest_hvc_light:
    ldr     x0, [sp, #16 + FRAME_VCPU]
    save_caller_saved
    bl      fast_hvc_light
    ldr     x1, [sp, #FRAME_VCPU]
    cmp     w0, #1
    b.ne    1f
    load_caller_saved
    eret
    dsb     nsh
    isb
1:  mov     w2, #8
    mov     w3, #FAST_KIND_HANDLED
    cmp     w0, #0
    csel    x1, x2, x3, eq      /* 0: vector 8's exit; 2: answered, the run loop takes over */
    ldr     x0, [sp, #FRAME_VCPU]
    b       guest_exit_callee_saved   /* x0-x18 and x30 are in the register file already */
    .size guest_hvc_light, . - guest_hvc_light

/* A data abort from the guest (vectors.S), [sp] holding its x0/x1: all of its GPRs, PC and
 * PSTATE go to its register file (the device read may load any Rt and moves the PC), FP/SIMD
 * is made to trap, and fast_dabt_light (fast_exit.c) answers a device read without the rest of
 * the exit. 1: back into the guest with ELR_EL2/SPSR_EL2 from the register file and FP/SIMD
 * untrapped again (the guest's registers were never touched: fast_dabt_light said so); 0: the
 * ordinary exit of vector 8 (everything is saved already); 2: answered, the ordinary exit with
 * index FAST_KIND_HANDLED. */
    .global guest_dabt_light
    .type guest_dabt_light, %function
guest_dabt_light:
    ldr     x0, [sp, #16 + FRAME_VCPU]
    save_caller_saved
    save_callee_saved_pc
    fp_trap_on
    bl      fast_dabt_light
    ldr     x1, [sp, #FRAME_VCPU]
    cmp     w0, #1
    b.ne    1f
    mrs     x2, cptr_el2
    bic     x2, x2, #CPTR_EL2_TFP
    msr     cptr_el2, x2        /* the ERET below synchronises it */
    load_callee_saved_pc
    load_caller_saved
    eret
    dsb     nsh
    isb
1:  mov     w2, #8
    mov     w3, #FAST_KIND_HANDLED
    cmp     w0, #0
    csel    x0, x2, x3, eq      /* 0: vector 8's exit; 2: answered, the run loop takes over */
    b       guest_exit_host
    .size guest_dabt_light, . - guest_dabt_light

/* From a lower-EL vector (vectors.S): [sp] holds the guest's x0/x1, x1 = vector index. */
    .global guest_exit
    .type guest_exit, %function
guest_exit:
    ldr     x0, [sp, #16 + FRAME_VCPU]
    save_caller_saved
guest_exit_callee_saved:
    save_callee_saved_pc
    fp_trap_on
    mov     x0, x1
guest_exit_host:                /* x0: guest_enter's return value */
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #FRAME_BYTES
    ret
    .size guest_exit, . - guest_exit
