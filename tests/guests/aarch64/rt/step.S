/* step.S: calling a function with software step on for its first instruction (step_call, rt.h). */

#define MDSCR_SS   (1 << 0)
#define MDSCR_KDE  (1 << 13)
#define SPSR_EL1H_AIF (0x1c5)          /* EL1h; A, I, F masked; D clear: debug exceptions on */
#define SPSR_SS    (1 << 21)

    .text
/* uint64_t step_call(uint64_t (*fn)(uint64_t) x0, uint64_t arg x1): MDSCR_EL1.SS and KDE set,
 * the OS lock cleared (OSLAR_EL1), then ERET to fn at EL1h with SPSR_EL1.SS set, so its first
 * instruction runs in the active-not-pending state and the step exception follows (Arm ARM
 * D2.12). fn's RET comes back to step_call's caller (x30 is untouched); PSTATE.D is set again
 * there by the caller (step_call's C users). */
    .global step_call
step_call:
    mrs     x2, mdscr_el1
    orr     x2, x2, #MDSCR_SS
    orr     x2, x2, #MDSCR_KDE
    msr     mdscr_el1, x2
    msr     oslar_el1, xzr
    isb
    msr     elr_el1, x0
    mov     x2, #SPSR_EL1H_AIF
    orr     x2, x2, #SPSR_SS
    msr     spsr_el1, x2
    mov     x0, x1
    eret
    dsb     nsh
    isb
