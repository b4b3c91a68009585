/* test_a64_decode.c: the A64 load/store decoder used for MMIO without a syndrome
 * (arch/aarch64/insn_decode.c). Encodings come from GNU as for the instruction shown. */
#include <criterion/criterion.h>
#include "insn_decode.h"

static struct a64_ldst decode_ok(uint32_t insn)
{
    struct a64_ldst a;
    cr_assert(a64_decode_ldst(insn, &a), "0x%08x should decode", insn);
    return a;
}

Test(a64_decode, unsigned_offset_sizes_and_extension)
{
    struct a64_ldst a = decode_ok(0xf9400020);          /* ldr x0, [x1] */
    cr_assert(a.size_bytes == 8 && !a.store && !a.sign_extend && a.dest_64 && a.rt == 0 && a.rn == 1 && !a.writeback);
    a = decode_ok(0xb9400862);                          /* ldr w2, [x3, #8] */
    cr_assert(a.size_bytes == 4 && !a.dest_64 && a.rt == 2);
    a = decode_ok(0x397ffca4);                          /* ldrb w4, [x5, #4095] */
    cr_assert(a.size_bytes == 1 && !a.sign_extend && a.rt == 4 && a.rn == 5);
    a = decode_ok(0x794004e6);                          /* ldrh w6, [x7, #2] */
    cr_assert(a.size_bytes == 2 && !a.dest_64);
    a = decode_ok(0x39800128);                          /* ldrsb x8, [x9] */
    cr_assert(a.size_bytes == 1 && a.sign_extend && a.dest_64 && a.rt == 8);
    a = decode_ok(0x39c0016a);                          /* ldrsb w10, [x11] */
    cr_assert(a.size_bytes == 1 && a.sign_extend && !a.dest_64 && a.rt == 10);
    a = decode_ok(0x798009ac);                          /* ldrsh x12, [x13, #4] */
    cr_assert(a.size_bytes == 2 && a.sign_extend && a.dest_64);
    a = decode_ok(0xb98005ee);                          /* ldrsw x14, [x15, #4] */
    cr_assert(a.size_bytes == 4 && a.sign_extend && a.dest_64 && a.rt == 14);
    a = decode_ok(0xf93ffe30);                          /* str x16, [x17, #32760] */
    cr_assert(a.size_bytes == 8 && a.store && a.rt == 16 && a.rn == 17);
    a = decode_ok(0x3900025f);                          /* strb wzr, [x18] */
    cr_assert(a.size_bytes == 1 && a.store && a.rt == 31);
}

Test(a64_decode, pre_and_post_index_write_back)
{
    struct a64_ldst a = decode_ok(0xb8404420);          /* ldr w0, [x1], #4 */
    cr_assert(a.writeback && a.imm == 4 && a.rn == 1 && a.rt == 0 && a.size_bytes == 4 && !a.store);
    a = decode_ok(0xf8500c62);                          /* ldr x2, [x3, #-256]! */
    cr_assert(a.writeback && a.imm == -256 && a.rn == 3 && a.size_bytes == 8);
    a = decode_ok(0xb81f0fe4);                          /* str w4, [sp, #-16]! */
    cr_assert(a.writeback && a.imm == -16 && a.rn == 31 && a.store);
    a = decode_ok(0x780ff4c5);                          /* strh w5, [x6], #255 */
    cr_assert(a.writeback && a.imm == 255 && a.size_bytes == 2 && a.store);
}

Test(a64_decode, unscaled_unprivileged_and_register_offset_do_not_write_back)
{
    struct a64_ldst a = decode_ok(0xf85ff107);          /* ldur x7, [x8, #-1] */
    cr_assert(!a.writeback && a.size_bytes == 8 && a.rt == 7);
    a = decode_ok(0xb8400949);                          /* ldtr w9, [x10] */
    cr_assert(!a.writeback && a.size_bytes == 4);
    a = decode_ok(0xf86d698b);                          /* ldr x11, [x12, x13] */
    cr_assert(!a.writeback && a.size_bytes == 8 && a.rt == 11 && a.rn == 12);
    a = decode_ok(0x387049ee);                          /* ldrb w14, [x15, w16, uxtw] */
    cr_assert(a.size_bytes == 1 && a.rt == 14);
    a = decode_ok(0xb8337a51);                          /* str w17, [x18, x19, lsl #2] */
    cr_assert(a.store && a.size_bytes == 4 && a.rt == 17);
    a = decode_ok(0x78f6fab4);                          /* ldrsh w20, [x21, x22, sxtx #1] */
    cr_assert(a.sign_extend && !a.dest_64 && a.size_bytes == 2);
    a = decode_ok(0xf8626821);                          /* ldr x1, [x1, x2]: no writeback, fine */
    cr_assert(a.rt == 1 && a.rn == 1);
}

Test(a64_decode, refuses_what_it_cannot_emulate)
{
    static const uint32_t refused[] = {
        0xa9400440,   /* ldp x0, x1, [x2] */
        0x29010440,   /* stp w0, w1, [x2, #8] */
        0xc85f7c20,   /* ldxr x0, [x1] */
        0xf8200041,   /* ldadd x0, x1, [x2] */
        0x3dc00020,   /* ldr q0, [x1] (SIMD&FP) */
        0xfc408420,   /* ldr d0, [x1], #8 */
        0xf9800000,   /* prfm pldl1keep, [x0] */
        0xf8408400,   /* ldr x0, [x0], #8: writeback onto Rt, CONSTRAINED UNPREDICTABLE */
        0x58000080,   /* ldr x0, literal */
        0xf8200420,   /* ldraa x0, [x1] */
        0xb9c00000,   /* size 2, opc 11: unallocated */
        0xf9c00000,   /* size 3, opc 11: unallocated */
        0x00000000,   /* udf */
    };
    struct a64_ldst a;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        cr_assert(!a64_decode_ldst(refused[i], &a), "0x%08x must be refused", refused[i]);
    }
    cr_assert(!a64_decode_ldst(0xf8602820, &a), "register offset with option<1> = 0 is unallocated");
}

Test(a64_decode, syndrome_fields)
{
    struct a64_ldst a;
    /* ISV, SAS = 2 (word), SSE, SRT = 5, SF, WnR = 0: ldrsw x5 */
    a64_ldst_from_iss(1u << 24 | 2u << 22 | 1u << 21 | 5u << 16 | 1u << 15, &a);
    cr_assert(a.size_bytes == 4 && a.sign_extend && a.dest_64 && a.rt == 5 && !a.store && !a.writeback);
    a64_ldst_from_iss(1u << 24 | 0u << 22 | 31u << 16 | 1u << 6, &a);   /* strb wzr */
    cr_assert(a.size_bytes == 1 && a.store && a.rt == 31 && !a.dest_64);
}

Test(a64_decode, load_value_extension)
{
    struct a64_ldst a = { .size_bytes = 1, .sign_extend = true, .dest_64 = true };
    cr_assert_eq(a64_load_value(&a, 0x80), 0xffffffffffffff80ull);
    a.dest_64 = false;
    cr_assert_eq(a64_load_value(&a, 0x80), 0xffffff80ull, "LDRSB Wt: upper 32 bits zero");
    a = (struct a64_ldst){ .size_bytes = 2, .dest_64 = true };
    cr_assert_eq(a64_load_value(&a, 0xdead8001), 0x8001ull, "zero-extended, bytes above size dropped");
    a = (struct a64_ldst){ .size_bytes = 4, .sign_extend = true, .dest_64 = true };
    cr_assert_eq(a64_load_value(&a, 0x7fffffff), 0x7fffffffull);
    a = (struct a64_ldst){ .size_bytes = 8, .sign_extend = false, .dest_64 = true };
    cr_assert_eq(a64_load_value(&a, 0x8000000000000001ull), 0x8000000000000001ull);
}
