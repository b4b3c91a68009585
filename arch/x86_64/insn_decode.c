/* insn_decode.c: decodes the x86 memory-access instructions guests use on MMIO (MOV, MOVZX, MOVSX,
 * MOVSXD, STOS, MOVS, ADD/OR/ADC/SBB/AND/SUB/XOR/CMP/TEST with a memory operand, XCHG) and the string
 * port I/O instructions (INS, OUTS) far enough to emulate them: length, direction, size, register or
 * immediate operand, ALU operation, REP, address size and source segment. The faulting guest-physical
 * address comes from the exit and string addresses from rSI / rDI, so ModRM operands are never evaluated.
 * Pure code (tests/unit/test_x86_decode.c, tests/fuzz/fuzz_x86_decode.c). Intel SDM Vol. 2A, ch. 2. */
#include "x86_insn.h"

#define REX_W 0x8
#define REX_R 0x4

struct cursor {
    const uint8_t *p;
    size_t avail, pos;
};

static bool take(struct cursor *c, size_t n, uint64_t *value)
{
    if (c->avail - c->pos < n || c->pos + n > X86_INSN_MAX_BYTES)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)c->p[c->pos + i] << (8 * i);
    c->pos += n;
    if (value)
        *value = v;
    return true;
}

/* Skips the ModRM operand's SIB and displacement (SDM Vol. 2A, 2.1.5, tables 2-1 to 2-3).
 * Returns X86_DECODE_NOT_MEMORY for mod == 3. */
static int skip_modrm_memory(struct cursor *c, uint8_t modrm, uint32_t addr_size)
{
    uint32_t mod = modrm >> 6, rm = modrm & 7, disp = 0;
    if (mod == 3)
        return X86_DECODE_NOT_MEMORY;
    if (addr_size == 2) {
        disp = mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 6) ? 2 : 0;
    } else {
        if (rm == 4) {
            uint64_t sib;
            if (!take(c, 1, &sib))
                return X86_DECODE_TRUNCATED;
            if (mod == 0 && (sib & 7) == 5)
                disp = 4;
        }
        if (mod == 1)
            disp = 1;
        else if (mod == 2 || (mod == 0 && rm == 5))
            disp = 4;
    }
    return take(c, disp, NULL) ? X86_DECODE_OK : X86_DECODE_TRUNCATED;
}

static uint64_t sign_extend(uint64_t v, uint32_t size)
{
    if (size >= 8)
        return v;
    uint32_t shift = 64 - 8 * size;
    return (uint64_t)((int64_t)(v << shift) >> shift);
}

static uint64_t size_mask(uint32_t size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* Not inlined: the shortcut's callers would pay its prologue. */
__attribute__((noinline))
int x86_insn_decode_general(const uint8_t *bytes, size_t avail, enum x86_cpu_mode mode, struct x86_insn *out)
{
    struct cursor c = { bytes, avail, 0 };
    bool opsize_prefix = false, addrsize_prefix = false, rep = false;
    uint8_t rex = 0, seg = X86_SEG_DS;
    uint64_t b;

    /* Legacy prefixes in any order; a REX prefix counts only right before the opcode (2.2.1). */
    for (;;) {
        if (!take(&c, 1, &b))
            return X86_DECODE_TRUNCATED;
        if (b == 0x66) {
            opsize_prefix = true;
        } else if (b == 0x67) {
            addrsize_prefix = true;
        } else if (b == 0xF2 || b == 0xF3) {
            rep = true;
        } else if (b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E) {
            seg = (uint8_t)((b >> 3) & 3);      /* ES, CS, SS, DS: only string sources use it */
        } else if (b == 0x64 || b == 0x65) {
            seg = (uint8_t)(X86_SEG_FS + (b & 1));
        } else if (b == 0xF0) {
            /* LOCK: the emulated access is one device access (see guest.c for RMW) */
        } else if (mode == X86_MODE_64 && (b & 0xF0) == 0x40) {
            rex = (uint8_t)b;
            if (!take(&c, 1, &b))
                return X86_DECODE_TRUNCATED;
            if ((b & 0xF0) == 0x40 || b == 0x66 || b == 0x67 || b == 0xF2 || b == 0xF3 || b == 0xF0 ||
                b == 0x2E || b == 0x36 || b == 0x3E || b == 0x26 || b == 0x64 || b == 0x65) {
                c.pos--;          /* a prefix after REX: that REX is ignored, decode on */
                rex = 0;
                continue;
            }
            break;
        } else {
            break;
        }
        rex = 0;
    }

    /* Operand and address sizes (SDM Vol. 1, 3.6 and 3.6.1, table 3-4). */
    uint32_t opsize = mode == X86_MODE_16 ? (opsize_prefix ? 4 : 2) : (opsize_prefix ? 2 : 4);
    if (rex & REX_W)
        opsize = 8;
    uint32_t addr_size = mode == X86_MODE_64 ? (addrsize_prefix ? 4 : 8)
                       : mode == X86_MODE_32 ? (addrsize_prefix ? 2 : 4) : (addrsize_prefix ? 4 : 2);

    struct x86_insn insn = { .addr_size = (uint8_t)addr_size, .seg = seg };
    uint32_t opcode = (uint32_t)b;
    if (opcode == 0x0F) {
        if (!take(&c, 1, &b))
            return X86_DECODE_TRUNCATED;
        opcode = 0x0F00 | (uint32_t)b;
    }

    /* group: ModRM.reg extends the opcode (an ALU operation, or 0 for MOV / TEST imm); imm_bytes:
     * the immediate after the ModRM operand, sign-extended to the operand size. */
    bool has_modrm = true, byte_reg = false, group = false;
    uint32_t imm_bytes = 0;
    switch (opcode) {
    case 0x88: insn.kind = X86_INSN_STORE; insn.size = 1; byte_reg = true; break;
    case 0x89: insn.kind = X86_INSN_STORE; insn.size = (uint8_t)opsize; break;
    case 0x8A: insn.kind = X86_INSN_LOAD; insn.size = insn.dest_size = 1; byte_reg = true; break;
    case 0x8B: insn.kind = X86_INSN_LOAD; insn.size = insn.dest_size = (uint8_t)opsize; break;
    case 0xC6: case 0xC7:                   /* MOV r/m, imm (/0 only: /7 is XABORT / XBEGIN) */
        insn.kind = X86_INSN_STORE_IMM;
        insn.size = opcode == 0xC6 ? 1 : (uint8_t)opsize;
        group = true;
        break;
    case 0x0FB6: case 0x0FB7: case 0x0FBE: case 0x0FBF:
        insn.kind = X86_INSN_LOAD;
        insn.size = (opcode & 1) ? 2 : 1;
        insn.dest_size = (uint8_t)opsize;
        insn.sign_extend = opcode >= 0x0FBE;
        break;
    case 0x63:                              /* MOVSXD; ARPL outside 64-bit mode */
        if (mode != X86_MODE_64)
            return X86_DECODE_UNSUPPORTED;
        insn.kind = X86_INSN_LOAD;
        insn.size = 4;
        insn.dest_size = (uint8_t)opsize;
        insn.sign_extend = true;
        break;
    case 0xA0: case 0xA1: case 0xA2: case 0xA3:  /* MOV AL/rAX <-> moffs */
        has_modrm = false;
        insn.kind = opcode < 0xA2 ? X86_INSN_LOAD : X86_INSN_STORE;
        insn.size = insn.dest_size = (opcode & 1) ? (uint8_t)opsize : 1;
        insn.reg = 0;
        if (!take(&c, addr_size, NULL))
            return X86_DECODE_TRUNCATED;
        break;
    /* ALU r/m, reg (SDM Vol. 2A, table A-2 rows 0-3): the memory operand is the destination. */
    case 0x00: case 0x01: case 0x08: case 0x09: case 0x10: case 0x11: case 0x18: case 0x19:
    case 0x20: case 0x21: case 0x28: case 0x29: case 0x30: case 0x31: case 0x38: case 0x39:
        insn.kind = X86_INSN_RMW;
        insn.op = (uint8_t)(opcode >> 3);
        insn.size = (opcode & 1) ? (uint8_t)opsize : 1;
        byte_reg = !(opcode & 1);
        break;
    case 0x80: case 0x81: case 0x83:        /* group 1: ALU r/m, imm (82 is 80's invalid alias) */
        insn.kind = X86_INSN_RMW;
        insn.size = opcode == 0x80 ? 1 : (uint8_t)opsize;
        group = true;
        imm_bytes = opcode == 0x81 ? (insn.size == 8 ? 4 : insn.size) : 1;
        break;
    case 0x84: case 0x85:                   /* TEST r/m, reg */
        insn.kind = X86_INSN_RMW;
        insn.op = X86_ALU_TEST;
        insn.size = opcode == 0x84 ? 1 : (uint8_t)opsize;
        byte_reg = opcode == 0x84;
        break;
    case 0xF6: case 0xF7:                   /* group 3: TEST r/m, imm is /0; NOT, NEG, MUL, DIV are not */
        insn.kind = X86_INSN_RMW;
        insn.op = X86_ALU_TEST;
        insn.size = opcode == 0xF6 ? 1 : (uint8_t)opsize;
        group = true;
        break;
    case 0x86: case 0x87:                   /* XCHG r/m, reg */
        insn.kind = X86_INSN_XCHG;
        insn.size = insn.dest_size = opcode == 0x86 ? 1 : (uint8_t)opsize;
        byte_reg = opcode == 0x86;
        break;
    /* String instructions: no ModRM, the addresses are rSI / rDI (SDM Vol. 2B, MOVS, STOS, INS, OUTS). */
    case 0xA4: case 0xA5: case 0xAA: case 0xAB: case 0x6C: case 0x6D: case 0x6E: case 0x6F:
        has_modrm = false;
        insn.kind = opcode >= 0xAA ? X86_INSN_STOS : opcode >= 0xA4 ? X86_INSN_MOVS
                  : opcode >= 0x6E ? X86_INSN_OUTS : X86_INSN_INS;
        insn.size = (opcode & 1) ? (uint8_t)opsize : 1;
        if ((insn.kind == X86_INSN_INS || insn.kind == X86_INSN_OUTS) && insn.size == 8)
            insn.size = 4;                  /* port I/O has no 64-bit form: REX.W gives dwords */
        insn.reg = 0;
        insn.rep = rep;
        break;
    default:
        return X86_DECODE_UNSUPPORTED;
    }
    if (insn.kind != X86_INSN_LOAD && insn.kind != X86_INSN_XCHG)
        insn.dest_size = 0;

    if (has_modrm) {
        uint64_t modrm;
        if (!take(&c, 1, &modrm))
            return X86_DECODE_TRUNCATED;
        uint32_t reg = (modrm >> 3) & 7;
        if (group) {
            if (insn.kind == X86_INSN_RMW && opcode < 0xF6) {
                insn.op = (uint8_t)reg;
            } else if (reg != 0) {
                return X86_DECODE_UNSUPPORTED;  /* C6/C7 /7 XABORT/XBEGIN, F6/F7 /1-/7 */
            }
            if (insn.kind == X86_INSN_STORE_IMM || opcode >= 0xF6)
                imm_bytes = insn.size == 8 ? 4 : insn.size;
        }
        int rc = skip_modrm_memory(&c, (uint8_t)modrm, addr_size);
        if (rc)
            return rc;
        if (group) {
            insn.reg = 0;
        } else if (byte_reg && !rex && reg >= 4) {
            insn.reg = (uint8_t)(reg - 4);  /* AH, CH, DH, BH (2.1.5, table 2-2 note) */
            insn.reg_high8 = true;
        } else {
            insn.reg = (uint8_t)(reg | ((rex & REX_R) ? 8 : 0));
        }
        if (imm_bytes) {
            if (!take(&c, imm_bytes, &insn.imm))
                return X86_DECODE_TRUNCATED;
            insn.imm = sign_extend(insn.imm, imm_bytes) & size_mask(insn.size);
            insn.has_imm = true;
        }
    }
    insn.len = (uint8_t)c.pos;
    *out = insn;
    return X86_DECODE_OK;
}

/* The common MMIO forms first: MOV r/m, reg and MOV reg, r/m (88, 89, 8A, 8B /r) with no prefix
 * but a REX in 64-bit mode, a memory operand, 32- or 64-bit mode (default address size: X86_MODE_*
 * is it). The same answer as x86_insn_decode_general gives for these bytes
 * (tests/unit/test_x86_decode.c compares them over every ModRM, SIB forms, REX, other prefixes and
 * lengths); false: not this form, or short bytes. */
static bool decode_mov(const uint8_t *b, size_t avail, enum x86_cpu_mode mode, struct x86_insn *out)
{
    uint32_t rex = 0, prefixes = 0;
    if (mode == X86_MODE_16 || avail < 3)
        return false;
    if ((b[0] & 0xF0) == 0x40) {
        if (mode != X86_MODE_64)
            return false;               /* INC / DEC */
        rex = b[0];
        prefixes = 1;
        b++;
    }
    uint32_t opcode = b[0], modrm = b[1];
    if ((opcode & 0xFC) != 0x88 || modrm >= 0xC0)
        return false;
    /* SIB and displacement (SDM Vol. 2A, tables 2-2 and 2-3), as skip_modrm_memory. */
    uint32_t len = prefixes + 2;
    if (modrm >= 0x80)
        len += 4;
    else if (modrm >= 0x40)
        len += 1;
    if ((modrm & 7) == 4) {
        if (avail < prefixes + 3)
            return false;
        len++;
        if (modrm < 0x40 && (b[2] & 7) == 5)
            len += 4;
    } else if ((modrm & 0xC7) == 5) {
        len += 4;
    }
    if (len > avail)
        return false;
    uint32_t reg = (modrm >> 3) & 7, size = 1;
    out->reg_high8 = false;
    if (opcode & 1) {
        size = (rex & REX_W) ? 8 : 4;
    } else if (!rex && reg >= 4) {
        reg -= 4;                       /* AH, CH, DH, BH */
        out->reg_high8 = true;
    }
    out->len = (uint8_t)len;
    out->size = (uint8_t)size;
    out->reg = (uint8_t)(reg | ((rex & REX_R) ? 8 : 0));
    if (opcode & 2) {
        out->kind = X86_INSN_LOAD;
        out->dest_size = (uint8_t)size;
    } else {
        out->kind = X86_INSN_STORE;
        out->dest_size = 0;
    }
    out->sign_extend = out->rep = out->has_imm = false;
    out->addr_size = (uint8_t)mode;
    out->op = 0;
    out->seg = X86_SEG_DS;
    out->imm = 0;
    return true;
}

int x86_insn_decode(const uint8_t *bytes, size_t avail, enum x86_cpu_mode mode, struct x86_insn *out)
{
    return decode_mov(bytes, avail, mode, out) ? X86_DECODE_OK : x86_insn_decode_general(bytes, avail, mode, out);
}

uint64_t x86_insn_load_result(const struct x86_insn *insn, uint64_t old, uint64_t data)
{
    uint64_t v = data & size_mask(insn->size);
    if (insn->sign_extend)
        v = sign_extend(v, insn->size);
    switch (insn->dest_size) {
    case 1:
        return insn->reg_high8 ? (old & ~0xFF00ull) | (v & 0xFF) << 8 : (old & ~0xFFull) | (v & 0xFF);
    case 2:
        return (old & ~0xFFFFull) | (v & 0xFFFF);
    case 4:
        return v & 0xFFFFFFFFull;
    default:
        return v;
    }
}

uint64_t x86_insn_store_value(const struct x86_insn *insn, uint64_t reg_value)
{
    if (insn->has_imm)
        return insn->imm;
    if (insn->reg_high8)
        return (reg_value >> 8) & 0xFF;
    return reg_value & size_mask(insn->size);
}

/* MOV to CR (0F 22 /r, SDM Vol. 2B): the control register (ModRM.reg, REX.R) and the source GPR
 * (ModRM.rm, REX.B; the mod field is ignored, the operand is always a register). For backends that
 * report a CR write without the register (SVM without decode assists). Returns the instruction's
 * length, 0 when the bytes are not a MOV to CR. */
size_t x86_decode_mov_to_cr(const uint8_t *b, size_t avail, enum x86_cpu_mode mode, uint8_t *cr, uint8_t *gpr)
{
    size_t pos = 0;
    uint8_t rex = 0;
    for (; pos < avail && pos < X86_INSN_MAX_BYTES; pos++) {
        uint8_t p = b[pos];
        if (p == 0x66 || p == 0x67 || p == 0xF2 || p == 0xF3 || p == 0x2E || p == 0x36 || p == 0x3E ||
            p == 0x26 || p == 0x64 || p == 0x65) {
            rex = 0;                       /* a REX before a legacy prefix is ignored */
            continue;
        }
        if (mode == X86_MODE_64 && (p & 0xF0) == 0x40) {
            rex = p;
            continue;
        }
        break;
    }
    if (pos + 3 > avail || pos + 3 > X86_INSN_MAX_BYTES || b[pos] != 0x0F || b[pos + 1] != 0x22)
        return 0;
    uint8_t modrm = b[pos + 2];
    *cr = (uint8_t)(((modrm >> 3) & 7) | ((rex & REX_R) ? 8 : 0));
    *gpr = (uint8_t)((modrm & 7) | ((rex & 0x1) ? 8 : 0));
    return pos + 3;
}
