/* test_x86_exit_table.c: the lookup SVM and VMX share for their exit codes (arch/x86_64/exit_table.c):
 * a code's row gives the kind, a fixed length only where the backend reported none, and its decoder;
 * port I/O and nested page faults decoded from either backend's qualification layout. */
#include <criterion/criterion.h>
#include "x86_vcpu.h"

static int decoded;
static void decode_io(struct vcpu *v, struct x86_exit *x) { (void)v; decoded++; x->insn_len = (uint32_t)x->info2; }

/* The two layouts as the manuals give them (the backends' svm_quals / vmx_quals): APM Vol. 2 15.10.2
 * (IOIO: TYPE 0, STR 2, REP 3, SZ8/16/32 one-hot 6:4, port 31:16) and 15.25.6 (NPF: RW 1, ID 4, bit 33
 * a guest page-table access); SDM Vol. 3C table 28-5 (I/O: size - 1 in 2:0, IN 3, string 4, REP 5,
 * port 31:16) and 28-7 (EPT violation: write 1, fetch 2, linear address valid 7, the access itself 8). */
static const struct x86_exit_quals svm = {
    .io_in = 1u << 0, .io_string = 1u << 2, .io_rep = 1u << 3, .io_size_shift = 4,
    .npf_write = 1u << 1, .npf_fetch = 1u << 4, .npf_walk = 1ull << 33,
};
static const struct x86_exit_quals vmx = {
    .io_in = 1u << 3, .io_string = 1u << 4, .io_rep = 1u << 5, .io_size_add = 1,
    .npf_write = 1u << 1, .npf_fetch = 1u << 2, .npf_walk = 1u << 7, .npf_walk_not = 1u << 8,
};

static const struct x86_exit_row rows[] = {
    { 0x72, X86_EXIT_CPUID, NULL, 2 },
    { 0x7B, X86_EXIT_IO, decode_io, 0 },
    { 0x400, X86_EXIT_NPF, NULL, 0 },
    { 5000, X86_EXIT_HLT, NULL, 1 },          /* beyond the index: never found */
};
static uint8_t index_bytes[0x401];
static const struct x86_exit_table table = { rows, 4, index_bytes, sizeof(index_bytes), &svm };
static const struct x86_exit_table vmx_table = { rows, 4, index_bytes, sizeof(index_bytes), &vmx };

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
    x = (struct x86_exit){ .info1 = 0x3F8u << 16, .info2 = 2 };
    x86_exit_table_decode(&table, NULL, &x, 0x7B);
    cr_assert_eq(x.kind, X86_EXIT_IO);
    cr_assert_eq(decoded, 1);
    cr_assert_eq(x.io.port, 0x3F8);
    cr_assert_eq(x.insn_len, 2, "the row's decoder runs after the common decode");
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

Test(x86_exit_table, port_io_from_either_layout)
{
    x86_exit_table_build(&table);
    /* SVM: IN AL, DX from 0x3F8 (SZ8, TYPE=IN); REP OUTSW to 0x3F8 (SZ16, STR, REP). */
    struct x86_exit x = { .info1 = 0x3F8u << 16 | 1u << 4 | 1u };
    x86_exit_table_decode(&table, NULL, &x, 0x7B);
    cr_assert(x.io.port == 0x3F8 && x.io.size == 1 && x.io.in && !x.io.string && !x.io.rep);
    x = (struct x86_exit){ .info1 = 0x3F8u << 16 | 1u << 5 | 1u << 3 | 1u << 2 };
    x86_exit_table_decode(&table, NULL, &x, 0x7B);
    cr_assert(x.io.size == 2 && !x.io.in && x.io.string && x.io.rep);
    x = (struct x86_exit){ .info1 = 0xCFCu << 16 | 1u << 6 };
    x86_exit_table_decode(&table, NULL, &x, 0x7B);
    cr_assert(x.io.port == 0xCFC && x.io.size == 4 && !x.io.in);
    /* VMX: OUT DX, EAX to 0xCF8 (size - 1 = 3); REP INSB from 0x60 (IN, string, REP). */
    x = (struct x86_exit){ .info1 = 0xCF8u << 16 | 3 };
    x86_exit_table_decode(&vmx_table, NULL, &x, 0x7B);
    cr_assert(x.io.port == 0xCF8 && x.io.size == 4 && !x.io.in && !x.io.string && !x.io.rep);
    x = (struct x86_exit){ .info1 = 0x60u << 16 | 1u << 5 | 1u << 4 | 1u << 3 };
    x86_exit_table_decode(&vmx_table, NULL, &x, 0x7B);
    cr_assert(x.io.port == 0x60 && x.io.size == 1 && x.io.in && x.io.string && x.io.rep);
    x = (struct x86_exit){ .info1 = 0x71u << 16 | 1u << 3 | 1 };
    x86_exit_table_decode(&vmx_table, NULL, &x, 0x7B);
    cr_assert(x.io.port == 0x71 && x.io.size == 2 && x.io.in);
}

Test(x86_exit_table, nested_page_faults_from_either_layout)
{
    x86_exit_table_build(&table);
    /* SVM: a write during the guest's own page walk; a fetch of the final access. GPA in EXITINFO2. */
    struct x86_exit x = { .info1 = 1ull << 33 | 1u << 1, .info2 = 0xFEE00000 };
    x86_exit_table_decode(&table, NULL, &x, 0x400);
    cr_assert(x.npf.gpa == 0xFEE00000 && x.npf.write && !x.npf.fetch && x.npf.walk);
    x = (struct x86_exit){ .info1 = 1ull << 32 | 1u << 4, .info2 = 0x1000 };
    x86_exit_table_decode(&table, NULL, &x, 0x400);
    cr_assert(x.npf.fetch && !x.npf.write && !x.npf.walk, "bit 32: the final access, no walk");
    /* VMX: linear address valid and the access itself (7 and 8): not a walk; 7 alone: a walk. */
    x = (struct x86_exit){ .info1 = 1u << 8 | 1u << 7 | 1u << 2 };
    x86_exit_table_decode(&vmx_table, NULL, &x, 0x400);
    cr_assert(x.npf.fetch && !x.npf.write && !x.npf.walk);
    x = (struct x86_exit){ .info1 = 1u << 7 | 1u << 1 };
    x86_exit_table_decode(&vmx_table, NULL, &x, 0x400);
    cr_assert(x.npf.write && !x.npf.fetch && x.npf.walk);
    x = (struct x86_exit){ .info1 = 1u << 1 };
    x86_exit_table_decode(&vmx_table, NULL, &x, 0x400);
    cr_assert(!x.npf.walk, "no linear address: no walk");
}
