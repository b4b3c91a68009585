/* test_x86_cpu_reset.c: the state a vCPU starts in (arch/x86_64/cpu_reset.c), which SVM and VMX both load
 * through set_state: Multiboot's flat 32-bit protected mode and real mode after INIT / start-up IPI. */
#include <criterion/criterion.h>
#include <string.h>
#include "x86_boot.h"
#include "x86_regs.h"
#include "x86_smm.h"

Test(x86_cpu_reset, protected32_is_flat_with_pe_and_the_protocol_registers)
{
    struct x86_boot_state b = { .mode = X86_BOOT_PROTECTED32, .rip = 0x100000 };
    b.gpr[0] = 0x2BADB002;         /* Multiboot's EAX magic */
    b.gpr[3] = 0x9000;             /* EBX: the information structure */
    struct x86_cpu_state s;
    memset(&s, 0xA5, sizeof(s));
    x86_reset_state(&b, &s);
    cr_assert_eq(s.rip, 0x100000);
    cr_assert_eq(s.gpr[0], 0x2BADB002);
    cr_assert_eq(s.gpr[3], 0x9000);
    cr_assert_eq(s.cr0, CR0_PE | CR0_ET);
    cr_assert_eq(s.cr3, 0);
    cr_assert_eq(s.cr4, 0);
    cr_assert_eq(s.efer, 0);
    cr_assert_eq(s.rflags, RFLAGS_FIXED1);
    for (unsigned i = 0; i < SREG_COUNT; i++) {
        cr_assert_eq(s.seg[i].base, 0, "segment %u", i);
        cr_assert_eq(s.seg[i].limit, 0xFFFFFFFFu, "segment %u", i);
        cr_assert(s.seg[i].ar & X86_AR_P, "segment %u present", i);
        cr_assert(s.seg[i].ar & X86_AR_DB, "segment %u 32-bit", i);
        cr_assert(s.seg[i].ar & X86_AR_G, "segment %u 4 KiB granular", i);
        cr_assert_eq(X86_AR_DPL(s.seg[i].ar), 0, "segment %u DPL", i);
    }
    cr_assert_eq(X86_AR_TYPE(s.seg[SREG_CS].ar), 0xB, "CS execute/read, accessed");
    cr_assert_eq(X86_AR_TYPE(s.seg[SREG_SS].ar), 0x3, "SS read/write, accessed");
    cr_assert_eq(s.dr7, DR7_RESET);
    cr_assert_eq(s.dr6, DR6_RESET);
    cr_assert_eq(X86_AR_TYPE(s.tr.ar), 0xB, "TR a busy 32-bit TSS (VM entry checks, 26.3.1.2)");
    cr_assert(s.tr.ar & X86_AR_P);
}

Test(x86_cpu_reset, sipi_starts_in_real_mode_at_the_vector_page)
{
    struct x86_boot_state b = { .mode = X86_BOOT_REAL_SIPI, .rip = 0x9A000 };
    b.gpr[3] = 0x1234;             /* not the protocol's: an AP starts with its INIT values */
    struct x86_cpu_state s;
    memset(&s, 0xA5, sizeof(s));
    x86_reset_state(&b, &s);
    cr_assert_eq(s.seg[SREG_CS].sel, 0x9A00);
    cr_assert_eq(s.seg[SREG_CS].base, 0x9A000);
    cr_assert_eq(s.seg[SREG_CS].limit, 0xFFFF);
    cr_assert_eq(s.rip, 0);
    cr_assert_eq(s.cr0, CR0_RESET);
    cr_assert_eq(s.gpr[3], 0);
    for (unsigned i = 0; i < SREG_COUNT; i++) {
        cr_assert_eq(s.seg[i].limit, 0xFFFF, "segment %u", i);
        cr_assert(!(s.seg[i].ar & (X86_AR_DB | X86_AR_G)), "segment %u 16-bit", i);
        if (i != SREG_CS)
            cr_assert_eq(s.seg[i].base, 0, "segment %u", i);
    }
    cr_assert_eq(s.idtr.limit, 0xFFFF);
    cr_assert_eq(s.gdtr.limit, 0xFFFF);
    cr_assert_eq(s.rflags, RFLAGS_FIXED1);
}
