/* insn_decode.h: decoding of the A64 loads and stores that reach MMIO (pure, host-tested). */
#ifndef AARCH64_INSN_DECODE_H
#define AARCH64_INSN_DECODE_H

#include <stdbool.h>
#include <stdint.h>

/* One single-register load or store, as far as an emulated device access needs it. */
struct a64_ldst {
    uint8_t size_bytes;       /* 1, 2, 4 or 8 */
    bool store;
    bool sign_extend;         /* load: sign-extend the value from size_bytes */
    bool dest_64;             /* load: Xt (else Wt: the upper 32 bits are zeroed) */
    uint8_t rt;               /* 31: XZR */
    uint8_t rn;               /* base register, 31: SP (only meaningful with writeback) */
    bool writeback;           /* pre- or post-indexed: Xn += imm after the access */
    int64_t imm;              /* writeback amount */
};

/* Arm ARM C4.1.66 "Loads and Stores": LDR/STR (B, H, W, X) and LDRS(B, H, W) with an
 * unsigned offset, unscaled (LDUR), unprivileged (LDTR), pre- and post-indexed and
 * register offset forms, general-purpose registers only. False for anything else
 * (pairs, exclusives, atomics, SIMD&FP, PRFM, unallocated encodings). */
bool a64_decode_ldst(uint32_t insn, struct a64_ldst *out);

/* The same fields from a data abort's instruction syndrome (ESR_ELx ISS with ISV=1:
 * SAS [23:22], SSE [21], SRT [20:16], SF [15], WnR [6]; Arm ARM D17.2.40). Inline: the exit
 * path's fast tier uses it. */
static inline void a64_ldst_from_iss(uint32_t iss, struct a64_ldst *out)
{
    *out = (struct a64_ldst){
        .size_bytes = (uint8_t)(1u << ((iss >> 22) & 3)),
        .store = (iss >> 6) & 1,
        .sign_extend = (iss >> 21) & 1,
        .dest_64 = (iss >> 15) & 1,
        .rt = (uint8_t)((iss >> 16) & 31),
    };
}

/* The value a load leaves in Xt for raw bytes read from the device. */
static inline uint64_t a64_load_value(const struct a64_ldst *a, uint64_t raw)
{
    uint32_t bits = a->size_bytes >= 8 ? 64 : a->size_bytes * 8u;
    uint64_t v = bits == 64 ? raw : raw & ((1ull << bits) - 1);
    if (a->sign_extend && bits < 64 && (v >> (bits - 1)) & 1)
        v |= ~0ull << bits;
    if (!a->dest_64)
        v &= 0xffffffffull;
    return v;
}

#endif
