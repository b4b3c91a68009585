/* insn_alu.c: the arithmetic of the read-modify-write instructions the MMIO emulation executes for
 * the guest (ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST on 1-8 bytes) and the RFLAGS they leave,
 * per each instruction's "Flags Affected" in SDM Vol. 2. Pure code (tests/unit/test_x86_decode.c). */
#include "x86_insn.h"

static uint64_t mask_of(uint32_t size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* PF: set when the low byte of the result has an even number of 1 bits (SDM Vol. 1, 3.4.3.1). */
static bool parity_even(uint64_t r)
{
    return !(__builtin_popcountll(r & 0xFF) & 1);
}

bool x86_alu_writes(enum x86_alu_op op)
{
    return op != X86_ALU_CMP && op != X86_ALU_TEST;
}

uint64_t x86_alu(enum x86_alu_op op, uint32_t size, uint64_t dst, uint64_t src, uint64_t *rflags)
{
    uint64_t m = mask_of(size), sign = 1ull << (8 * size - 1);
    uint64_t a = dst & m, b = src & m, cin = (*rflags & X86_RFLAGS_CF) ? 1 : 0, r;
    bool cf = false, of = false, af = false;
    switch (op) {
    case X86_ALU_ADD:
    case X86_ALU_ADC:
        r = (a + b + (op == X86_ALU_ADC ? cin : 0)) & m;
        cf = ((a & b) | ((a | b) & ~r)) & sign;     /* carry out of the top bit */
        of = (a ^ r) & (b ^ r) & sign;              /* both operands' sign differs from the result's */
        af = (a ^ b ^ r) & 0x10;                    /* carry out of bit 3 */
        break;
    case X86_ALU_SUB:
    case X86_ALU_SBB:
    case X86_ALU_CMP:
        r = (a - b - (op == X86_ALU_SBB ? cin : 0)) & m;
        cf = ((~a & b) | ((~a | b) & r)) & sign;    /* borrow into the top bit */
        of = (a ^ b) & (a ^ r) & sign;
        af = (a ^ b ^ r) & 0x10;                    /* borrow into bit 3 */
        break;
    case X86_ALU_OR:
        r = a | b;
        break;
    case X86_ALU_XOR:
        r = a ^ b;
        break;
    default:                                        /* AND, TEST: CF = OF = 0; AF undefined, 0 as */
        r = a & b;                                  /* Intel and AMD CPUs (and QEMU, Bochs) leave it */
        break;
    }
    uint64_t f = *rflags & ~X86_RFLAGS_ARITH;
    if (cf)
        f |= X86_RFLAGS_CF;
    if (parity_even(r))
        f |= X86_RFLAGS_PF;
    if (af)
        f |= X86_RFLAGS_AF;
    if (r == 0)
        f |= X86_RFLAGS_ZF;
    if (r & sign)
        f |= X86_RFLAGS_SF;
    if (of)
        f |= X86_RFLAGS_OF;
    *rflags = f;
    return r;
}
