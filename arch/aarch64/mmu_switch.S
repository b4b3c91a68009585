/* mmu_switch.S: el2_mmu_switch(ttbr0, tcr, mair, sctlr): moves EL2 stage 1 onto new tables. */

/*
 * The firmware's tables stay live until TTBR0_EL2 changes. Writing MAIR_EL2 and
 * TCR_EL2 under them would let them be walked with attributes and a layout they
 * were not built for, and changing a page's memory type without
 * break-before-make is not allowed (Arm DDI 0487, "Using break-before-make when updating translation table entries"). So the MMU is off for
 * the few instructions of the switch: none of them touches memory, and code is
 * identity mapped in both the old and new tables.
 */
    .text
    .global el2_mmu_switch
    .type el2_mmu_switch, %function
el2_mmu_switch:
    dsb     ish                 /* the new tables are written before any walk can see them */
    mrs     x4, sctlr_el2
    bic     x4, x4, #1          /* SCTLR_EL2.M = 0 */
    msr     sctlr_el2, x4
    isb
    msr     mair_el2, x2
    msr     tcr_el2, x1
    msr     ttbr0_el2, x0
    isb
    tlbi    alle2               /* nothing cached from the firmware's tables survives */
    dsb     ish
    isb
    msr     sctlr_el2, x3
    isb
    ret
    .size el2_mmu_switch, . - el2_mmu_switch
