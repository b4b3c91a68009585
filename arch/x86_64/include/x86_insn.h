/* x86_insn.h: the x86 instruction decoder for MMIO and string port I/O emulation: MOV / MOVZX /
 * MOVSX / MOVSXD, STOS, MOVS, the read-modify-write ALU forms, TEST, XCHG, INS / OUTS, and the ALU
 * arithmetic with its RFLAGS (pure, host-tested: tests/unit/test_x86_decode.c). */
#ifndef X86_INSN_H
#define X86_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define X86_INSN_MAX_BYTES 15          /* Intel SDM Vol. 2A, 2.3.11 */

enum x86_insn_kind {
    X86_INSN_LOAD,          /* register <- memory (MOV, MOVZX, MOVSX, MOVSXD, MOV AL/eAX <- moffs) */
    X86_INSN_STORE,         /* memory <- register (MOV, MOV moffs <- AL/eAX) */
    X86_INSN_STORE_IMM,     /* memory <- immediate (MOV r/m, imm) */
    X86_INSN_STOS,          /* memory <- AL/AX/EAX/RAX at ES:rDI, then rDI +/- size (REP: one element) */
    X86_INSN_MOVS,          /* ES:rDI <- seg:rSI, then both +/- size (REP: one element) */
    X86_INSN_RMW,           /* memory <- memory op (register or immediate), RFLAGS; TEST / CMP only read */
    X86_INSN_XCHG,          /* memory <-> register */
    X86_INSN_INS,           /* ES:rDI <- port DX, then rDI +/- size (REP: one element) */
    X86_INSN_OUTS,          /* port DX <- seg:rSI, then rSI +/- size (REP: one element) */
};

/* The ALU operations of RMW: 0-7 in the group-1 order of ModRM.reg (SDM Vol. 2A, table A-6). */
enum x86_alu_op {
    X86_ALU_ADD, X86_ALU_OR, X86_ALU_ADC, X86_ALU_SBB, X86_ALU_AND, X86_ALU_SUB, X86_ALU_XOR, X86_ALU_CMP,
    X86_ALU_TEST,
    X86_ALU_OP_COUNT
};

/* Segment registers in their SDM encoding (Vol. 3A, 3.4.2 / the Sreg field). */
enum x86_seg { X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS };

struct x86_insn {
    uint8_t len;            /* bytes, prefixes included */
    uint8_t kind;           /* enum x86_insn_kind */
    uint8_t size;           /* bytes accessed in memory (or at the port): 1, 2, 4, 8 */
    uint8_t reg;            /* register operand (encoding 0-15) */
    bool reg_high8;         /* AH/CH/DH/BH: bits 15:8 of register reg */
    uint8_t dest_size;      /* LOAD: size of the destination register write */
    bool sign_extend;       /* LOAD: MOVSX / MOVSXD */
    bool rep;               /* string instructions with an F3/F2 prefix */
    uint8_t addr_size;      /* address size in bytes: 2, 4, 8 (rSI / rDI / rCX width for strings) */
    uint8_t op;             /* RMW: enum x86_alu_op */
    uint8_t seg;            /* MOVS / OUTS: the source segment (DS unless overridden), enum x86_seg */
    bool has_imm;           /* STORE_IMM, RMW with an immediate: imm is the source operand */
    uint64_t imm;           /* the immediate, already sign-extended to size */
};

/* Execution mode of the code segment: sets the default operand and address sizes. */
enum x86_cpu_mode { X86_MODE_16 = 2, X86_MODE_32 = 4, X86_MODE_64 = 8 };

enum x86_decode_error {
    X86_DECODE_OK = 0,
    X86_DECODE_TRUNCATED = -1,      /* the bytes end inside the instruction */
    X86_DECODE_UNSUPPORTED = -2,    /* not one of the forms above */
    X86_DECODE_NOT_MEMORY = -3,     /* register-to-register form: cannot have faulted on memory */
};

/* Decodes the instruction at bytes[0..avail). Returns X86_DECODE_OK and fills *out, or an error. */
int x86_insn_decode(const uint8_t *bytes, size_t avail, enum x86_cpu_mode mode, struct x86_insn *out);
/* The same without the shortcut for plain MOVs x86_insn_decode takes first (the unit test checks
 * that both agree). */
int x86_insn_decode_general(const uint8_t *bytes, size_t avail, enum x86_cpu_mode mode, struct x86_insn *out);
/* MOV to CR (0F 22 /r): sets *cr and *gpr, returns the length; 0 when it is not one. */
size_t x86_decode_mov_to_cr(const uint8_t *bytes, size_t avail, enum x86_cpu_mode mode, uint8_t *cr, uint8_t *gpr);

/* The register value a load writes: the loaded data extended as the instruction says, merged into
 * old (the register's current value) for 8- and 16-bit destinations, zero-extended for 32-bit ones
 * in 64-bit mode (SDM Vol. 1, 3.4.1.1). XCHG's register write is a load of size bytes. */
uint64_t x86_insn_load_result(const struct x86_insn *insn, uint64_t old, uint64_t data);
/* The source operand (what a STORE writes, an RMW combines, an XCHG writes) from the register's
 * current value, or the immediate. */
uint64_t x86_insn_store_value(const struct x86_insn *insn, uint64_t reg_value);

/* The arithmetic flags: CF, PF, AF, ZF, SF, OF (SDM Vol. 1, 3.4.3.1). */
#define X86_RFLAGS_CF (1ull << 0)
#define X86_RFLAGS_PF (1ull << 2)
#define X86_RFLAGS_AF (1ull << 4)
#define X86_RFLAGS_ZF (1ull << 6)
#define X86_RFLAGS_SF (1ull << 7)
#define X86_RFLAGS_OF (1ull << 11)
#define X86_RFLAGS_ARITH (X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | X86_RFLAGS_ZF | X86_RFLAGS_SF | \
                          X86_RFLAGS_OF)

/* insn_alu.c: dst op src on size bytes. Returns the result (masked to size) and replaces the six
 * arithmetic flags in *rflags as the SDM's Flags Affected says for op (ADC / SBB read CF from it). */
uint64_t x86_alu(enum x86_alu_op op, uint32_t size, uint64_t dst, uint64_t src, uint64_t *rflags);
/* Whether op writes its result back (everything but CMP and TEST). */
bool x86_alu_writes(enum x86_alu_op op);

#endif
