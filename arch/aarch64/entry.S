/* entry.S: how a CPU enters the hypervisor: the boot CPU's stack switch and the secondary CPUs' start-up stub. */
#include "cpu_data.h"

    .text

/* el2_call_on_stack(arg, stack_top, fn): never returns; the old stack (the firmware's) is abandoned. */
    .global el2_call_on_stack
    .type el2_call_on_stack, %function
el2_call_on_stack:
    mov     sp, x1
    mov     x29, xzr            /* end of the frame-pointer chain */
    mov     x30, xzr
    blr     x2
1:  wfi
    b       1b
    .size el2_call_on_stack, . - el2_call_on_stack

/*
 * secondary_entry: where PSCI CPU_ON starts a secondary CPU (Arm DEN 0022, CPU_ON):
 * EL2, MMU and caches off, x0 = context_id = this CPU's struct cpu_data.
 * Until SCTLR_EL2.M is set every load is non-cacheable, so the boot CPU
 * cleaned cpu_data and this stub to the PoC before CPU_ON. Only PC-relative
 * addressing is used here: the image was relocated by the firmware.
 */
    .global secondary_entry
    .global secondary_entry_end
    .type secondary_entry, %function
    .balign 64
secondary_entry:
    msr     daifset, #7         /* A, I, F: as on the boot CPU (early_init.c), whatever PSCI left */
    mov     x19, x0
    ldr     x1, [x19, #CPU_DATA_CPTR]
    msr     cptr_el2, x1
    ldr     x1, [x19, #CPU_DATA_MAIR]
    msr     mair_el2, x1
    ldr     x1, [x19, #CPU_DATA_TCR]
    msr     tcr_el2, x1
    ldr     x1, [x19, #CPU_DATA_TTBR0]
    msr     ttbr0_el2, x1
    adrp    x1, el2_vectors
    add     x1, x1, :lo12:el2_vectors
    msr     vbar_el2, x1
    isb
    /* TLB and instruction-cache contents are UNKNOWN out of reset (DDI 0487): invalidate before use. */
    tlbi    alle2
    ic      iallu
    dsb     nsh
    isb
    ldr     x1, [x19, #CPU_DATA_SCTLR]
    msr     sctlr_el2, x1
    isb
    ldr     x1, [x19, #CPU_DATA_STACK_TOP]
    mov     sp, x1
    msr     tpidr_el2, x19
    mov     w1, #1
    add     x2, x19, #CPU_DATA_ONLINE
    stlr    w1, [x2]            /* the boot CPU waits for this before the next CPU_ON */
    bl      host_irq_cpu_init   /* this CPU's redistributor and GIC CPU interface */
    ldr     w0, [x19, #CPU_DATA_INDEX]
    mov     x29, xzr
    mov     x30, xzr
    bl      kernel_secondary_main
2:  wfi
    b       2b
secondary_entry_end:
    .size secondary_entry, . - secondary_entry
