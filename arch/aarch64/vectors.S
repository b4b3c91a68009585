/* vectors.S: the EL2 exception vector table (VBAR_EL2): exceptions from a guest return to
 * guest_enter's caller (world_switch.S); the hypervisor's own save the GPRs and call exception.c. */

/* struct exception_frame in exception.c: x0..x30 and one pad word. */
#define FRAME_BYTES (32 * 8)

/* Arm DDI 0487, "Exception vectors": 16 entries of 0x80 bytes, the table 2 KiB aligned. */
.macro vector_entry kind
    .balign 128
    sub     sp, sp, #FRAME_BYTES
    stp     x0, x1, [sp, #16 * 0]
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    str     x30, [sp, #16 * 15]
    mov     x0, #\kind
    b       vector_common
.endm

/* From the guest (lower EL): SP_EL2 is guest_enter's frame; keep x0/x1 there, pass the index. */
.macro guest_vector_entry kind
    .balign 128
    stp     x0, x1, [sp, #-16]!
    mov     x1, #\kind
    b       guest_exit
.endm

/* Lower EL AArch64 synchronous: an HVC (ESR_EL2.EC 0x16, Arm ARM D17.2.40) and a data abort
 * (EC 0x24) try the light paths first (world_switch.S guest_hvc_light, guest_dabt_light);
 * anything else exits as the other vectors do. */
.macro guest_sync_a64_entry
    .balign 128
    stp     x0, x1, [sp, #-16]!
    mrs     x1, esr_el2
    lsr     x1, x1, #26
    cmp     x1, #0x16
    b.eq    guest_hvc_light
    cmp     x1, #0x24
    b.eq    guest_dabt_light
    mov     x1, #8
    b       guest_exit
.endm

    .text
    .balign 2048
    .global el2_vectors
el2_vectors:
    /* current EL with SP_EL0 */
    vector_entry 0
    vector_entry 1
    vector_entry 2
    vector_entry 3
    /* current EL with SP_ELx */
    vector_entry 4
    vector_entry 5
    vector_entry 6
    vector_entry 7
    /* lower EL using AArch64 */
    guest_sync_a64_entry
    guest_vector_entry 9
    guest_vector_entry 10
    guest_vector_entry 11
    /* lower EL using AArch32 */
    guest_vector_entry 12
    guest_vector_entry 13
    guest_vector_entry 14
    guest_vector_entry 15

vector_common:
    mov     x1, sp
    mov     x29, xzr
    bl      el2_exception       /* exception.c: returns only after an absorbed probe fault */
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
    ldr     x30, [sp, #16 * 15]
    add     sp, sp, #FRAME_BYTES
    eret
