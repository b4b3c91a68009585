/* x86_insn.h: the x86 instruction decoder for MMIO emulation: the MOV / MOVZX / MOVSX / MOVSXD / STOS
 * forms guests use on device memory (pure, host-tested: tests/unit/test_x86_decode.c). */
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
};

struct x86_insn {
    uint8_t len;            /* bytes, prefixes included */
    uint8_t kind;           /* enum x86_insn_kind */
    uint8_t size;           /* bytes accessed in memory: 1, 2, 4, 8 */
    uint8_t reg;            /* register operand (encoding 0-15) */
    bool reg_high8;         /* AH/CH/DH/BH: bits 15:8 of register reg */
    uint8_t dest_size;      /* LOAD: size of the destination register write */
    bool sign_extend;       /* LOAD: MOVSX / MOVSXD */
    bool rep;               /* STOS with an F3/F2 prefix */
    uint8_t addr_size;      /* address size in bytes: 2, 4, 8 (rDI / rCX width for STOS) */
    uint64_t imm;           /* STORE_IMM: the value, already sign-extended to size */
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
/* MOV to CR (0F 22 /r): sets *cr and *gpr, returns the length; 0 when it is not one. */
size_t x86_decode_mov_to_cr(const uint8_t *bytes, size_t avail, enum x86_cpu_mode mode, uint8_t *cr, uint8_t *gpr);

/* The register value a load writes: the loaded data extended as the instruction says, merged into
 * old (the register's current value) for 8- and 16-bit destinations, zero-extended for 32-bit ones
 * in 64-bit mode (SDM Vol. 1, 3.4.1.1). */
uint64_t x86_insn_load_result(const struct x86_insn *insn, uint64_t old, uint64_t data);
/* The value a STORE writes from the register's current value. */
uint64_t x86_insn_store_value(const struct x86_insn *insn, uint64_t reg_value);

#endif
