/* test_x86_exit_table.c: the lookup SVM and VMX share for their exit codes (arch/x86_64/exit_table.c):
 * a code's row gives the kind, a fixed length only where the backend reported none, and its decoder. */
#include <criterion/criterion.h>
#include "x86_vcpu.h"

static int decoded;
static void decode_io(struct vcpu *v, struct x86_exit *x) { (void)v; decoded++; x->io.port = (uint16_t)x->info1; }

static const struct x86_exit_row rows[] = {
    { 0x72, X86_EXIT_CPUID, NULL, 2 },
    { 0x7B, X86_EXIT_IO, decode_io, 0 },
    { 0x400, X86_EXIT_NPF, NULL, 0 },
    { 5000, X86_EXIT_HLT, NULL, 1 },          /* beyond the index: never found */
};
static uint8_t index_bytes[0x401];
static const struct x86_exit_table table = { rows, 4, index_bytes, sizeof(index_bytes) };

Test(x86_exit_table, rows_found_by_code_with_their_kind_length_and_decoder)
{
    x86_exit_table_build(&table);
    struct x86_exit x = { 0 };
    x86_exit_table_decode(&table, NULL, &x, 0x72);
    cr_assert_eq(x.kind, X86_EXIT_CPUID);
    cr_assert_eq(x.insn_len, 2, "the row's length when the backend had none");
    x = (struct x86_exit){ .insn_len = 3 };
    x86_exit_table_decode(&table, NULL, &x, 0x72);
    cr_assert_eq(x.insn_len, 3, "the backend's length (NRIPS, VM-exit instruction length) wins");
    x = (struct x86_exit){ .info1 = 0x3F8 };
    x86_exit_table_decode(&table, NULL, &x, 0x7B);
    cr_assert_eq(x.kind, X86_EXIT_IO);
    cr_assert_eq(decoded, 1);
    cr_assert_eq(x.io.port, 0x3F8);
    x = (struct x86_exit){ 0 };
    x86_exit_table_decode(&table, NULL, &x, 0x400);
    cr_assert_eq(x.kind, X86_EXIT_NPF, "the last code the index holds");
}

Test(x86_exit_table, codes_without_a_row_are_unknown)
{
    x86_exit_table_build(&table);
    const uint64_t codes[] = { 0, 0x71, 0x401, 5000, ~0ull };
    for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        struct x86_exit x = { .kind = X86_EXIT_CPUID };
        x86_exit_table_decode(&table, NULL, &x, codes[i]);
        cr_assert_eq(x.kind, X86_EXIT_UNKNOWN, "code 0x%llx", (unsigned long long)codes[i]);
    }
}
