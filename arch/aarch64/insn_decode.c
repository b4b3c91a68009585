/* insn_decode.c: the A64 single-register loads and stores a guest may aim at MMIO
 * (Arm ARM C4.1.66, "Loads and Stores"); pure C, unit-tested and fuzzed on the host. */
#include "insn_decode.h"

#define BITS32(v, hi, lo) (((v) >> (lo)) & ((2u << ((hi) - (lo))) - 1))

/* Fills size/direction/extension from size (bits 31:30) and opc (bits 23:22), C4.1.66
 * tables "Load/store register (...)": opc 00 store, 01 load, 10 load signed to Xt (or
 * PRFM for size 3: no data access, refused), 11 load signed to Wt (size 0 and 1 only). */
static bool size_opc(uint32_t insn, struct a64_ldst *a)
{
    uint32_t size = BITS32(insn, 31, 30), opc = BITS32(insn, 23, 22);
    a->size_bytes = (uint8_t)(1u << size);
    a->store = opc == 0;
    a->sign_extend = opc >= 2;
    switch (opc) {
    case 0:
    case 1:
        a->dest_64 = size == 3;
        return true;
    case 2:
        a->dest_64 = true;
        return size != 3;
    default:
        a->dest_64 = false;
        return size <= 1;
    }
}

bool a64_decode_ldst(uint32_t insn, struct a64_ldst *out)
{
    struct a64_ldst a = { 0 };
    a.rt = (uint8_t)BITS32(insn, 4, 0);
    a.rn = (uint8_t)BITS32(insn, 9, 5);
    if ((insn & 0x3f000000u) == 0x39000000u) {
        /* Load/store register (unsigned immediate): LDR Xt, [Xn, #imm12 << size] */
        if (!size_opc(insn, &a))
            return false;
    } else if ((insn & 0x3f200000u) == 0x38000000u) {
        /* Load/store register (unscaled, post-indexed, unprivileged, pre-indexed): bits 11:10 */
        uint32_t form = BITS32(insn, 11, 10);
        int64_t imm9 = (int64_t)(int32_t)(BITS32(insn, 20, 12) << 23) >> 23;
        if (!size_opc(insn, &a))
            return false;
        if (form == 1 || form == 3) {
            a.writeback = true;
            a.imm = imm9;
        }
    } else if ((insn & 0x3f200c00u) == 0x38200800u) {
        /* Load/store register (register offset): option<1> must be 1 (UXTW, LSL, SXTW, SXTX) */
        if (!(BITS32(insn, 15, 13) & 2) || !size_opc(insn, &a))
            return false;
    } else {
        return false;
    }
    /* Writeback with Rn == Rt (not SP) is CONSTRAINED UNPREDICTABLE (C6.2, LDR (immediate)). */
    if (a.writeback && a.rn == a.rt && a.rn != 31)
        return false;
    *out = a;
    return true;
}
