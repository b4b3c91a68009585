/* start.S: entry of the boot CPU (x0 = DTB) and of CPUs started by PSCI CPU_ON (x0 = context id).
 * Both arrive at EL1h with the MMU off; nothing may touch the stack before cpu_setup. */
#include "layout.h"

    .section .text.boot, "ax"
    .global _start
_start:
    mov     x19, x0                 /* DTB: callee-saved across setup and .bss zeroing */
    bl      cpu_setup
    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
1:  cmp     x0, x1                  /* .bss is 16-aligned and 16-sized (guest.lds) */
    b.hs    2f
    stp     xzr, xzr, [x0], #16
    b       1b
2:  dsb     sy
    mov     x0, x19
    bl      rt_main                 /* does not return */
    b       park

    .text
    .global secondary_entry
secondary_entry:
    mov     x19, x0                 /* context id from CPU_ON */
    bl      cpu_setup
    mov     x0, x19
    bl      rt_secondary            /* does not return */
    b       park

/* SP_EL1 = top of this CPU's stack, VBAR_EL1 = vectors. Uses x0-x3 only. */
cpu_setup:
    msr     spsel, #1
    mrs     x0, mpidr_el1
    and     x1, x0, #0xff           /* index = Aff1 * 16 + Aff0, as cpu_index() */
    ubfx    x2, x0, #8, #8
    add     x1, x1, x2, lsl #4
    cmp     x1, #MAX_CPUS
    b.hs    park
    adrp    x2, stacks
    add     x2, x2, :lo12:stacks
    add     x1, x1, #1
    mov     x3, #STACK_SIZE
    madd    x2, x1, x3, x2
    mov     sp, x2
    adrp    x0, vectors
    add     x0, x0, :lo12:vectors
    msr     vbar_el1, x0
    isb
    ret

    .global park
park:
    wfe
    b       park

    .bss
    .balign 16
stacks:
    .space  MAX_CPUS * STACK_SIZE
