/* libFuzzer target for the A64 load/store decoder: every 4 bytes are an instruction, the
 * next 8 a loaded value; checks the decoded fields against the encoding. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "insn_decode.h"
#include "fuzz_check.h"

static void check_one(uint32_t insn, uint64_t raw)
{
    struct a64_ldst a, b;
    memset(&a, 0xa5, sizeof(a));
    if (!a64_decode_ldst(insn, &a))
        return;
    CHECK(a64_decode_ldst(insn, &b) && memcmp(&a, &b, sizeof(a)) == 0);   /* deterministic, fully written */
    /* Only the general-purpose load/store register classes: op0 x x 1 1 1 0 0 ... (C4.1.66) */
    CHECK(((insn >> 27) & 7) == 7 && !(insn & (1u << 26)) && ((insn >> 24) & 3) != 2 && ((insn >> 24) & 3) != 3);
    CHECK(a.size_bytes == 1u << (insn >> 30));
    CHECK(a.rt == (insn & 31) && a.rn == ((insn >> 5) & 31));
    CHECK(!(a.store && a.sign_extend));
    CHECK(!a.sign_extend || a.size_bytes < 8);
    CHECK(!a.writeback || (a.imm >= -256 && a.imm <= 255));
    CHECK(!a.writeback || a.rn != a.rt || a.rn == 31);
    if (!a.store) {
        uint64_t v = a64_load_value(&a, raw);
        CHECK(a.dest_64 || v <= 0xffffffffull);
        if (!a.sign_extend && a.size_bytes < 8)
            CHECK(v < 1ull << (8 * a.size_bytes));
        if (a.size_bytes < 8)
            CHECK((v & ((1ull << (8 * a.size_bytes)) - 1)) == (raw & ((1ull << (8 * a.size_bytes)) - 1)));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    while (size >= 12) {
        uint32_t insn;
        uint64_t raw;
        memcpy(&insn, data, 4);
        memcpy(&raw, data + 4, 8);
        check_one(insn, raw);
        data += 12;
        size -= 12;
    }
    return 0;
}
