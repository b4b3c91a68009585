/* test_x86_decode.c: the x86 MMIO instruction decoder: lengths, directions, sizes, registers, extension. */
#include <criterion/criterion.h>
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
    static const uint8_t add[] = { 0x01, 0x00 };             /* add [eax], eax */
    static const uint8_t c6_reg7[] = { 0xC6, 0xF8, 0x00 };   /* xabort */
    static const uint8_t cut[] = { 0x89, 0x05, 0x00, 0x00 };
    static const uint8_t prefixes[16] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                          0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x89, 0x00 };
    cr_assert_eq(x86_insn_decode(reg_form, 2, X86_MODE_32, &i), X86_DECODE_NOT_MEMORY);
    cr_assert_eq(x86_insn_decode(add, 2, X86_MODE_32, &i), X86_DECODE_UNSUPPORTED);
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
