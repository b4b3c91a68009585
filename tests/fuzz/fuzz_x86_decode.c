/* libFuzzer target for the x86 MMIO instruction decoder: no crashes, and every accepted decode is
 * self-consistent (length within the bytes and 15, sizes architectural, registers in range). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "x86_insn.h"
#include "fuzz_check.h"

static int is_size(unsigned s) { return s == 1 || s == 2 || s == 4 || s == 8; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum x86_cpu_mode modes[] = { X86_MODE_16, X86_MODE_32, X86_MODE_64 };
    for (unsigned m = 0; m < 3; m++) {
        struct x86_insn i;
        int rc = x86_insn_decode(data, size, modes[m], &i);
        CHECK(rc == X86_DECODE_OK || rc == X86_DECODE_TRUNCATED || rc == X86_DECODE_UNSUPPORTED ||
              rc == X86_DECODE_NOT_MEMORY);
        if (rc != X86_DECODE_OK)
            continue;
        CHECK(i.len >= 1 && i.len <= X86_INSN_MAX_BYTES && i.len <= size);
        CHECK(is_size(i.size) && is_size(i.addr_size));
        CHECK(i.reg < 16);
        CHECK(!i.reg_high8 || (i.reg < 4 && i.size == 1));
        CHECK(i.kind <= X86_INSN_OUTS);
        CHECK(i.kind != X86_INSN_LOAD || is_size(i.dest_size));
        CHECK(i.kind != X86_INSN_XCHG || i.dest_size == i.size);
        CHECK(i.kind != X86_INSN_RMW || i.op < X86_ALU_OP_COUNT);
        CHECK(i.seg <= X86_SEG_GS);
        CHECK((i.kind != X86_INSN_INS && i.kind != X86_INSN_OUTS) || i.size <= 4);
        CHECK(!i.has_imm || (i.imm & ~(i.size == 8 ? ~0ull : (1ull << (8 * i.size)) - 1)) == 0);
        CHECK(!i.rep || i.kind == X86_INSN_STOS || i.kind == X86_INSN_MOVS || i.kind == X86_INSN_INS ||
              i.kind == X86_INSN_OUTS);
        CHECK(modes[m] == X86_MODE_64 || (i.size != 8 && i.reg < 8));
        /* Decoding is a function of the bytes it consumed: a prefix of exactly len bytes decodes alike. */
        struct x86_insn j;
        CHECK(x86_insn_decode(data, i.len, modes[m], &j) == X86_DECODE_OK && j.len == i.len &&
              j.size == i.size && j.reg == i.reg && j.kind == i.kind && j.imm == i.imm);
        uint64_t v = x86_insn_load_result(&i, 0x1122334455667788ull, ~0ull);
        if (i.kind == X86_INSN_LOAD && i.dest_size == 4)
            CHECK(v >> 32 == 0);
        (void)x86_insn_store_value(&i, ~0ull);
        if (i.kind == X86_INSN_RMW) {
            /* The ALU keeps the result within the operand size and touches only the six flags. */
            uint64_t f = 0x202 | (data[0] & 1), r = x86_alu(i.op, i.size, ~0ull / 3, x86_insn_store_value(&i, ~0ull), &f);
            CHECK(i.size == 8 || r >> (8 * i.size) == 0);
            CHECK((f & ~X86_RFLAGS_ARITH) == 0x202);
        }
    }
    return 0;
}
