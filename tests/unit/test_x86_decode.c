/* test_x86_decode.c: the x86 MMIO instruction decoder (lengths, directions, sizes, registers, extension;
 * MOVS, INS/OUTS, read-modify-write, TEST, XCHG) and the ALU flag arithmetic of insn_alu.c. */
#include <criterion/criterion.h>
#include <string.h>
#include "x86_insn.h"

static struct x86_insn dec(enum x86_cpu_mode mode, const uint8_t *b, size_t n)
{
    struct x86_insn i;
    int rc = x86_insn_decode(b, n, mode, &i);
    cr_assert_eq(rc, X86_DECODE_OK, "decode rc %d", rc);
    return i;
}
#define DEC(mode, ...) ({ static const uint8_t b_[] = { __VA_ARGS__ }; dec(mode, b_, sizeof(b_)); })

Test(x86_decode, mov_store_32bit_with_disp32)
{
    struct x86_insn i = DEC(X86_MODE_32, 0x89, 0x05, 0x00, 0x00, 0x00, 0xE0);   /* mov [0xE0000000], eax */
    cr_assert_eq(i.len, 6);
    cr_assert_eq(i.kind, X86_INSN_STORE);
    cr_assert_eq(i.size, 4);
    cr_assert_eq(i.reg, 0);
}

Test(x86_decode, mov_load_64bit_rex_w_r_with_sib_disp8)
{
    struct x86_insn i = DEC(X86_MODE_64, 0x4C, 0x8B, 0x44, 0x24, 0x08);         /* mov r8, [rsp+8] */
    cr_assert_eq(i.len, 5);
    cr_assert_eq(i.kind, X86_INSN_LOAD);
    cr_assert_eq(i.size, 8);
    cr_assert_eq(i.dest_size, 8);
    cr_assert_eq(i.reg, 8);
}

Test(x86_decode, byte_store_of_ah_without_rex_and_sil_with_rex)
{
    struct x86_insn i = DEC(X86_MODE_64, 0x88, 0x20);                            /* mov [rax], ah */
    cr_assert(i.reg_high8);
    cr_assert_eq(i.reg, 0);
    cr_assert_eq(x86_insn_store_value(&i, 0x1234), 0x12);
    i = DEC(X86_MODE_64, 0x40, 0x88, 0x30);                                      /* mov [rax], sil */
    cr_assert(!i.reg_high8);
    cr_assert_eq(i.reg, 6);
}

Test(x86_decode, operand_size_prefix_gives_16bit)
{
    struct x86_insn i = DEC(X86_MODE_32, 0x66, 0x8B, 0x03);                      /* mov ax, [ebx] */
    cr_assert_eq(i.len, 3);
    cr_assert_eq(i.size, 2);
    cr_assert_eq(x86_insn_load_result(&i, 0xAAAABBBBCCCCDDDDull, 0x1234), 0xAAAABBBBCCCC1234ull);
}

Test(x86_decode, load_32bit_zero_extends_in_64bit_mode)
{
    struct x86_insn i = DEC(X86_MODE_64, 0x8B, 0x07);                            /* mov eax, [rdi] */
    cr_assert_eq(x86_insn_load_result(&i, ~0ull, 0x80000000u), 0x80000000ull);
}

Test(x86_decode, movzx_and_movsx_byte_and_word)
{
    struct x86_insn z = DEC(X86_MODE_32, 0x0F, 0xB6, 0x01);                      /* movzx eax, byte [ecx] */
    cr_assert_eq(z.size, 1);
    cr_assert_eq(z.dest_size, 4);
    cr_assert_eq(x86_insn_load_result(&z, 0, 0xFF), 0xFF);
    struct x86_insn s = DEC(X86_MODE_64, 0x48, 0x0F, 0xBF, 0x01);                /* movsx rax, word [rcx] */
    cr_assert_eq(s.size, 2);
    cr_assert_eq(s.dest_size, 8);
    cr_assert_eq(x86_insn_load_result(&s, 0, 0x8000), 0xFFFFFFFFFFFF8000ull);
    struct x86_insn d = DEC(X86_MODE_64, 0x48, 0x63, 0x06);                      /* movsxd rax, dword [rsi] */
    cr_assert_eq(x86_insn_load_result(&d, 0, 0xFFFFFFFE), (uint64_t)-2);
}

Test(x86_decode, mov_imm32_sign_extended_for_64bit_store)
{
    struct x86_insn i = DEC(X86_MODE_64, 0x48, 0xC7, 0x00, 0xFE, 0xFF, 0xFF, 0xFF);   /* mov qword [rax], -2 */
    cr_assert_eq(i.len, 7);
    cr_assert_eq(i.kind, X86_INSN_STORE_IMM);
    cr_assert_eq(i.size, 8);
    cr_assert_eq(x86_insn_store_value(&i, 0), (uint64_t)-2);
    i = DEC(X86_MODE_32, 0x66, 0xC7, 0x40, 0x04, 0x34, 0x12);                    /* mov word [eax+4], 0x1234 */
    cr_assert_eq(i.len, 6);
    cr_assert_eq(i.imm, 0x1234);
}

Test(x86_decode, moffs_uses_address_size)
{
    struct x86_insn i = DEC(X86_MODE_64, 0xA1, 0, 0, 0, 0xE0, 0, 0, 0, 0);        /* mov eax, [moffs64] */
    cr_assert_eq(i.len, 9);
    cr_assert_eq(i.kind, X86_INSN_LOAD);
    i = DEC(X86_MODE_32, 0xA2, 0x00, 0x00, 0x00, 0xE0);                          /* mov [moffs32], al */
    cr_assert_eq(i.len, 5);
    cr_assert_eq(i.kind, X86_INSN_STORE);
    cr_assert_eq(i.size, 1);
}

Test(x86_decode, rep_stos_and_16bit_addressing)
{
    struct x86_insn i = DEC(X86_MODE_32, 0xF3, 0xAB);                            /* rep stosd */
    cr_assert_eq(i.kind, X86_INSN_STOS);
    cr_assert(i.rep);
    cr_assert_eq(i.size, 4);
    cr_assert_eq(i.addr_size, 4);
    i = DEC(X86_MODE_16, 0x8B, 0x86, 0x34, 0x12);                                /* mov ax, [bp+0x1234] */
    cr_assert_eq(i.len, 4);
    cr_assert_eq(i.size, 2);
}

Test(x86_decode, refuses_register_forms_others_and_truncation)
{
    struct x86_insn i;
    static const uint8_t reg_form[] = { 0x89, 0xC0 };        /* mov eax, eax */
    static const uint8_t add_load[] = { 0x03, 0x00 };        /* add eax, [eax]: register destination */
    static const uint8_t c6_reg7[] = { 0xC6, 0xF8, 0x00 };   /* xabort */
    static const uint8_t cut[] = { 0x89, 0x05, 0x00, 0x00 };
    static const uint8_t prefixes[16] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                          0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x89, 0x00 };
    cr_assert_eq(x86_insn_decode(reg_form, 2, X86_MODE_32, &i), X86_DECODE_NOT_MEMORY);
    cr_assert_eq(x86_insn_decode(add_load, 2, X86_MODE_32, &i), X86_DECODE_UNSUPPORTED);
    cr_assert_eq(x86_insn_decode(c6_reg7, 3, X86_MODE_64, &i), X86_DECODE_UNSUPPORTED);
    cr_assert_eq(x86_insn_decode(cut, 4, X86_MODE_32, &i), X86_DECODE_TRUNCATED);
    cr_assert_eq(x86_insn_decode(prefixes, 16, X86_MODE_32, &i), X86_DECODE_TRUNCATED, "over 15 bytes");
    cr_assert_eq(x86_insn_decode(prefixes, 0, X86_MODE_32, &i), X86_DECODE_TRUNCATED);
}

Test(x86_decode, mov_to_cr4_with_rex_b_and_prefixes)
{
    uint8_t cr, gpr;
    static const uint8_t mov_cr4_rax[] = { 0x0F, 0x22, 0xE0 };            /* mov %rax, %cr4 */
    cr_assert_eq(x86_decode_mov_to_cr(mov_cr4_rax, sizeof mov_cr4_rax, X86_MODE_64, &cr, &gpr), 3);
    cr_assert_eq(cr, 4);
    cr_assert_eq(gpr, 0);
    static const uint8_t mov_cr0_r9[] = { 0x41, 0x0F, 0x22, 0xC1 };       /* mov %r9, %cr0 */
    cr_assert_eq(x86_decode_mov_to_cr(mov_cr0_r9, sizeof mov_cr0_r9, X86_MODE_64, &cr, &gpr), 4);
    cr_assert_eq(cr, 0);
    cr_assert_eq(gpr, 9);
    /* In 32-bit mode 0x41 is INC ECX, not REX: no MOV to CR at the start. */
    cr_assert_eq(x86_decode_mov_to_cr(mov_cr0_r9, sizeof mov_cr0_r9, X86_MODE_32, &cr, &gpr), 0);
    static const uint8_t rex_r_cr8[] = { 0x44, 0x0F, 0x22, 0xC3 };        /* mov %rbx, %cr8 */
    cr_assert_eq(x86_decode_mov_to_cr(rex_r_cr8, sizeof rex_r_cr8, X86_MODE_64, &cr, &gpr), 4);
    cr_assert_eq(cr, 8);
    cr_assert_eq(gpr, 3);
    static const uint8_t mov_from_cr4[] = { 0x0F, 0x20, 0xE0 };           /* mov %cr4, %rax */
    cr_assert_eq(x86_decode_mov_to_cr(mov_from_cr4, sizeof mov_from_cr4, X86_MODE_64, &cr, &gpr), 0);
    cr_assert_eq(x86_decode_mov_to_cr(mov_cr4_rax, 2, X86_MODE_64, &cr, &gpr), 0, "truncated");
}

Test(x86_decode, movs_sizes_rep_address_size_and_source_segment)
{
    struct x86_insn i = DEC(X86_MODE_64, 0xF3, 0xA4);                            /* rep movsb */
    cr_assert_eq(i.kind, X86_INSN_MOVS);
    cr_assert_eq(i.len, 2);
    cr_assert_eq(i.size, 1);
    cr_assert(i.rep);
    cr_assert_eq(i.addr_size, 8);
    cr_assert_eq(i.seg, X86_SEG_DS);
    i = DEC(X86_MODE_64, 0xF3, 0x48, 0xA5);                                      /* rep movsq */
    cr_assert_eq(i.size, 8);
    i = DEC(X86_MODE_64, 0x67, 0x66, 0xA5);                                      /* movsw, addr32 */
    cr_assert_eq(i.size, 2);
    cr_assert(!i.rep);
    cr_assert_eq(i.addr_size, 4);
    i = DEC(X86_MODE_32, 0x64, 0xA5);                                            /* movsd fs:[esi] */
    cr_assert_eq(i.size, 4);
    cr_assert_eq(i.seg, X86_SEG_FS);
    i = DEC(X86_MODE_16, 0x26, 0xF3, 0xA5);                                      /* rep movsw es:[si] */
    cr_assert_eq(i.size, 2);
    cr_assert_eq(i.addr_size, 2);
    cr_assert_eq(i.seg, X86_SEG_ES);
    cr_assert_eq(i.len, 3);
}

Test(x86_decode, ins_outs_sizes_and_rep)
{
    struct x86_insn i = DEC(X86_MODE_64, 0xF3, 0x6C);                            /* rep insb */
    cr_assert_eq(i.kind, X86_INSN_INS);
    cr_assert_eq(i.size, 1);
    cr_assert(i.rep);
    i = DEC(X86_MODE_64, 0x66, 0x6D);                                            /* insw */
    cr_assert_eq(i.kind, X86_INSN_INS);
    cr_assert_eq(i.size, 2);
    i = DEC(X86_MODE_64, 0x48, 0x6F);                                            /* outsd (REX.W ignored) */
    cr_assert_eq(i.kind, X86_INSN_OUTS);
    cr_assert_eq(i.size, 4);
    i = DEC(X86_MODE_32, 0x65, 0xF3, 0x6E);                                      /* rep outsb gs:[esi] */
    cr_assert_eq(i.kind, X86_INSN_OUTS);
    cr_assert_eq(i.seg, X86_SEG_GS);
    cr_assert_eq(i.len, 3);
    i = DEC(X86_MODE_16, 0x6F);                                                  /* outsw in 16-bit code */
    cr_assert_eq(i.size, 2);
    cr_assert_eq(i.addr_size, 2);
}

Test(x86_decode, alu_memory_destination_with_register)
{
    static const struct { uint8_t opcode; uint8_t op; } rows[] = {
        { 0x01, X86_ALU_ADD }, { 0x09, X86_ALU_OR }, { 0x11, X86_ALU_ADC }, { 0x19, X86_ALU_SBB },
        { 0x21, X86_ALU_AND }, { 0x29, X86_ALU_SUB }, { 0x31, X86_ALU_XOR }, { 0x39, X86_ALU_CMP },
        { 0x85, X86_ALU_TEST },
    };
    for (unsigned k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        uint8_t b[] = { 0x4C, rows[k].opcode, 0x4F, 0x10 };                      /* op [rdi+0x10], r9 */
        struct x86_insn i = dec(X86_MODE_64, b, sizeof b);
        cr_assert_eq(i.kind, X86_INSN_RMW, "opcode %02x", rows[k].opcode);
        cr_assert_eq(i.op, rows[k].op, "opcode %02x", rows[k].opcode);
        cr_assert_eq(i.size, 8);
        cr_assert_eq(i.reg, 9);
        cr_assert(!i.has_imm);
        cr_assert_eq(i.len, 4);
    }
    struct x86_insn i = DEC(X86_MODE_32, 0x08, 0x27);                            /* or [edi], ah */
    cr_assert_eq(i.op, X86_ALU_OR);
    cr_assert_eq(i.size, 1);
    cr_assert(i.reg_high8);
    cr_assert_eq(x86_insn_store_value(&i, 0xAB00), 0xAB);
    i = DEC(X86_MODE_32, 0x84, 0x03);                                            /* test [ebx], al */
    cr_assert_eq(i.op, X86_ALU_TEST);
    cr_assert_eq(i.size, 1);
}

Test(x86_decode, alu_group1_immediates_sign_extended)
{
    struct x86_insn i = DEC(X86_MODE_64, 0x83, 0x0F, 0x01);                      /* orl $1, (%rdi) */
    cr_assert_eq(i.kind, X86_INSN_RMW);
    cr_assert_eq(i.op, X86_ALU_OR);
    cr_assert_eq(i.size, 4);
    cr_assert(i.has_imm);
    cr_assert_eq(i.imm, 1);
    cr_assert_eq(i.len, 3);
    i = DEC(X86_MODE_64, 0x48, 0x83, 0x67, 0x08, 0xF0);                          /* andq $-16, 8(%rdi) */
    cr_assert_eq(i.op, X86_ALU_AND);
    cr_assert_eq(i.size, 8);
    cr_assert_eq(i.imm, 0xFFFFFFFFFFFFFFF0ull);
    cr_assert_eq(x86_insn_store_value(&i, 0), 0xFFFFFFFFFFFFFFF0ull);
    i = DEC(X86_MODE_64, 0x81, 0x2F, 0x78, 0x56, 0x34, 0x92);                    /* subl $0x92345678, (%rdi) */
    cr_assert_eq(i.op, X86_ALU_SUB);
    cr_assert_eq(i.imm, 0x92345678);
    cr_assert_eq(i.len, 6);
    i = DEC(X86_MODE_64, 0x48, 0x81, 0x37, 0x00, 0x00, 0x00, 0x80);              /* xorq $imm32, (%rdi) */
    cr_assert_eq(i.op, X86_ALU_XOR);
    cr_assert_eq(i.imm, 0xFFFFFFFF80000000ull);
    i = DEC(X86_MODE_32, 0x66, 0x81, 0x07, 0x34, 0x12);                          /* addw $0x1234, (%edi) */
    cr_assert_eq(i.op, X86_ALU_ADD);
    cr_assert_eq(i.size, 2);
    cr_assert_eq(i.imm, 0x1234);
    cr_assert_eq(i.len, 5);
    i = DEC(X86_MODE_16, 0x80, 0x3E, 0x00, 0x10, 0x7F);                          /* cmpb $0x7f, [0x1000] */
    cr_assert_eq(i.op, X86_ALU_CMP);
    cr_assert_eq(i.size, 1);
    cr_assert_eq(i.imm, 0x7F);
    cr_assert_eq(i.len, 5);
}

Test(x86_decode, test_immediate_group3_only_slash0)
{
    struct x86_insn i = DEC(X86_MODE_64, 0xF7, 0x47, 0x04, 0x00, 0x00, 0x00, 0x80);  /* testl $0x80000000, 4(%rdi) */
    cr_assert_eq(i.kind, X86_INSN_RMW);
    cr_assert_eq(i.op, X86_ALU_TEST);
    cr_assert_eq(i.size, 4);
    cr_assert_eq(i.imm, 0x80000000u);
    cr_assert_eq(i.len, 7);
    i = DEC(X86_MODE_64, 0xF6, 0x07, 0x20);                                      /* testb $0x20, (%rdi) */
    cr_assert_eq(i.size, 1);
    cr_assert_eq(i.imm, 0x20);
    struct x86_insn j;
    static const uint8_t not_mem[] = { 0xF7, 0x17 };                             /* notl (%rdi) */
    static const uint8_t neg_mem[] = { 0xF6, 0x1F };                             /* negb (%rdi) */
    cr_assert_eq(x86_insn_decode(not_mem, 2, X86_MODE_64, &j), X86_DECODE_UNSUPPORTED);
    cr_assert_eq(x86_insn_decode(neg_mem, 2, X86_MODE_64, &j), X86_DECODE_UNSUPPORTED);
}

Test(x86_decode, xchg_memory_with_register)
{
    struct x86_insn i = DEC(X86_MODE_64, 0x87, 0x07);                            /* xchg %eax, (%rdi) */
    cr_assert_eq(i.kind, X86_INSN_XCHG);
    cr_assert_eq(i.size, 4);
    cr_assert_eq(i.reg, 0);
    cr_assert_eq(x86_insn_store_value(&i, 0xFFFFFFFF12345678ull), 0x12345678);
    cr_assert_eq(x86_insn_load_result(&i, ~0ull, 0xCAFE), 0xCAFE, "32-bit register write zero-extends");
    i = DEC(X86_MODE_64, 0xF0, 0x86, 0x3E);                                      /* lock xchg %bh, (%rsi) */
    cr_assert_eq(i.size, 1);
    cr_assert(i.reg_high8);
    cr_assert_eq(i.reg, 3);
    cr_assert_eq(x86_insn_load_result(&i, 0x1111, 0x22), 0x2211);
    struct x86_insn j;
    static const uint8_t reg_form[] = { 0x87, 0xC8 };                            /* xchg %ecx, %eax */
    cr_assert_eq(x86_insn_decode(reg_form, 2, X86_MODE_64, &j), X86_DECODE_NOT_MEMORY);
}

/* Flags against values worked out from the SDM's definitions. */
#define FL(cf, pf, af, zf, sf, of) \
    ((cf ? X86_RFLAGS_CF : 0) | (pf ? X86_RFLAGS_PF : 0) | (af ? X86_RFLAGS_AF : 0) | (zf ? X86_RFLAGS_ZF : 0) | \
     (sf ? X86_RFLAGS_SF : 0) | (of ? X86_RFLAGS_OF : 0))

static uint64_t alu(enum x86_alu_op op, uint32_t size, uint64_t a, uint64_t b, uint64_t flags_in, uint64_t *r)
{
    uint64_t f = flags_in;
    *r = x86_alu(op, size, a, b, &f);
    cr_assert_eq(f & ~X86_RFLAGS_ARITH, flags_in & ~X86_RFLAGS_ARITH, "only the arithmetic flags change");
    return f & X86_RFLAGS_ARITH;
}

Test(x86_alu, add_carry_overflow_aux_parity)
{
    uint64_t r;
    cr_assert_eq(alu(X86_ALU_ADD, 1, 0xFF, 0x01, 0x202, &r), FL(1, 1, 1, 1, 0, 0));
    cr_assert_eq(r, 0);
    cr_assert_eq(alu(X86_ALU_ADD, 1, 0x7F, 0x01, 0, &r), FL(0, 0, 1, 0, 1, 1));  /* 0x80: one bit, odd */
    cr_assert_eq(r, 0x80);
    cr_assert_eq(alu(X86_ALU_ADD, 4, 0x80000000u, 0x80000000u, 0, &r), FL(1, 1, 0, 1, 0, 1));
    cr_assert_eq(alu(X86_ALU_ADD, 2, 0x1234, 0x0003, X86_RFLAGS_ARITH, &r), FL(0, 0, 0, 0, 0, 0));
    cr_assert_eq(r, 0x1237);                                                      /* 0x37: five bits */
    cr_assert_eq(alu(X86_ALU_ADD, 8, ~0ull, 2, 0, &r), FL(1, 0, 1, 0, 0, 0));
    cr_assert_eq(r, 1);
}

Test(x86_alu, adc_and_sbb_use_carry_in)
{
    uint64_t r;
    cr_assert_eq(alu(X86_ALU_ADC, 1, 0xFE, 0x01, X86_RFLAGS_CF, &r), FL(1, 1, 1, 1, 0, 0));
    cr_assert_eq(r, 0);
    cr_assert_eq(alu(X86_ALU_ADC, 8, ~0ull, ~0ull, X86_RFLAGS_CF, &r), FL(1, 1, 1, 0, 1, 0));
    cr_assert_eq(r, ~0ull);
    cr_assert_eq(alu(X86_ALU_SBB, 1, 0x00, 0xFF, X86_RFLAGS_CF, &r), FL(1, 1, 1, 1, 0, 0));  /* 0 - 0x100 */
    cr_assert_eq(r, 0);
    cr_assert_eq(alu(X86_ALU_SBB, 2, 5, 5, 0, &r), FL(0, 1, 0, 1, 0, 0));
}

Test(x86_alu, sub_and_cmp_borrow_and_signed_overflow)
{
    uint64_t r;
    cr_assert_eq(alu(X86_ALU_SUB, 1, 0x00, 0x01, 0, &r), FL(1, 1, 1, 0, 1, 0));
    cr_assert_eq(r, 0xFF);
    cr_assert_eq(alu(X86_ALU_SUB, 1, 0x80, 0x01, 0, &r), FL(0, 0, 1, 0, 0, 1));  /* -128 - 1 overflows */
    cr_assert_eq(r, 0x7F);
    cr_assert_eq(alu(X86_ALU_CMP, 4, 7, 7, 0, &r), FL(0, 1, 0, 1, 0, 0));
    cr_assert(!x86_alu_writes(X86_ALU_CMP));
    cr_assert(x86_alu_writes(X86_ALU_SUB));
    cr_assert_eq(alu(X86_ALU_SUB, 8, 0x8000000000000000ull, 1, 0, &r), FL(0, 1, 1, 0, 0, 1));
    cr_assert_eq(r, 0x7FFFFFFFFFFFFFFFull);
}

Test(x86_alu, logical_ops_clear_cf_of_af)
{
    uint64_t r;
    uint64_t all = X86_RFLAGS_ARITH | 0x202;
    cr_assert_eq(alu(X86_ALU_OR, 4, 0x80000000u, 0x1, all, &r), FL(0, 0, 0, 0, 1, 0));
    cr_assert_eq(r, 0x80000001u);
    cr_assert_eq(alu(X86_ALU_AND, 2, 0xF0F0, 0x0F0F, all, &r), FL(0, 1, 0, 1, 0, 0));
    cr_assert_eq(r, 0);
    cr_assert_eq(alu(X86_ALU_XOR, 1, 0xFF, 0x0F, 0, &r), FL(0, 1, 0, 0, 1, 0));
    cr_assert_eq(r, 0xF0);
    cr_assert_eq(alu(X86_ALU_TEST, 4, 0x12345678, 0x8, all, &r), FL(0, 0, 0, 0, 0, 0));
    cr_assert_eq(r, 0x8);
    cr_assert(!x86_alu_writes(X86_ALU_TEST));
    cr_assert_eq(alu(X86_ALU_TEST, 8, 0x8000000000000000ull, ~0ull, 0, &r), FL(0, 1, 0, 0, 1, 0));
}

/* x86_insn_decode takes plain MOVs (88-8B /r, REX only) by a shortcut: it must give what the full
 * decoder gives, field by field, for every ModRM, the SIB forms, each REX and other prefixes (which
 * the shortcut leaves to the full decoder), neighbouring opcodes, and every length the bytes may
 * be cut to. */
static void expect_same(const uint8_t *b, size_t n, enum x86_cpu_mode mode)
{
    struct x86_insn f, g;
    memset(&f, 0xA5, sizeof(f));
    memset(&g, 0xA5, sizeof(g));
    int rf = x86_insn_decode(b, n, mode, &f), rg = x86_insn_decode_general(b, n, mode, &g);
    cr_assert_eq(rf, rg, "rc %d vs %d: mode %d %02x %02x %02x %02x n %zu", rf, rg, mode, b[0], b[1], b[2], b[3], n);
    if (rf != X86_DECODE_OK)
        return;
    cr_assert(f.len == g.len && f.kind == g.kind && f.size == g.size && f.reg == g.reg &&
              f.reg_high8 == g.reg_high8 && f.dest_size == g.dest_size && f.sign_extend == g.sign_extend &&
              f.rep == g.rep && f.addr_size == g.addr_size && f.op == g.op && f.seg == g.seg &&
              f.has_imm == g.has_imm && (!g.has_imm || f.imm == g.imm),
              "insn differs: mode %d %02x %02x %02x %02x n %zu (len %u/%u reg %u/%u size %u/%u)", mode, b[0],
              b[1], b[2], b[3], n, f.len, g.len, f.reg, g.reg, f.size, g.size);
}

Test(x86_decode, mov_shortcut_matches_full_decoder)
{
    static const enum x86_cpu_mode modes[] = { X86_MODE_16, X86_MODE_32, X86_MODE_64 };
    static const uint8_t sibs[] = { 0x00, 0x05, 0x24, 0x25, 0x45, 0xFD };
    static const uint8_t others[] = { 0x66, 0x67, 0xF3, 0x2E, 0x64, 0xF0 };
    unsigned checked = 0;
    for (size_t m = 0; m < 3; m++)
        for (int pre = -1; pre < 16 + (int)sizeof(others); pre++)
            for (uint32_t op = 0x86; op <= 0x8D; op++)
                for (uint32_t modrm = 0; modrm < 256; modrm++)
                    for (size_t s = 0; s < sizeof(sibs); s++) {
                        uint8_t b[16];
                        size_t k = 0;
                        if (pre >= 16)
                            b[k++] = others[pre - 16];
                        else if (pre >= 0)
                            b[k++] = (uint8_t)(0x40 + pre);
                        b[k++] = (uint8_t)op;
                        b[k++] = (uint8_t)modrm;
                        b[k++] = sibs[s];
                        for (; k < sizeof(b); k++)
                            b[k] = (uint8_t)(0x11 * k);
                        for (size_t n = 0; n <= 12; n++, checked++)
                            expect_same(b, n, modes[m]);
                    }
    /* every SIB byte under each mod with rm = 4 */
    for (size_t m = 1; m < 3; m++)
        for (uint32_t mod = 0; mod < 3; mod++)
            for (uint32_t sib = 0; sib < 256; sib++) {
                uint8_t b[16] = { 0x48, 0x8B, (uint8_t)(mod << 6 | 3 << 3 | 4), (uint8_t)sib, 1, 2, 3, 4, 5, 6 };
                for (size_t n = 0; n <= 12; n++, checked++)
                    expect_same(b, n, modes[m]);
            }
    cr_assert_gt(checked, 1000000u);
}
