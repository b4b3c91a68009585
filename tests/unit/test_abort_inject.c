/* test_abort_inject.c: stage-2 abort decoding (arch/aarch64/abort.c: ESR_EL2 ISS with ISV=1 and
 * ISV=0, the fault IPA, MMIO or external abort) and exception injection into EL1
 * (arch/aarch64/inject.c: ESR_EL1, FAR_EL1, ELR_EL1, SPSR_EL1, PSTATE, the vector, the fault-loop
 * guard), over a fake vCPU and fake system registers (Arm ARM D1.10, D17.2.40). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dirty_log.h"
#include "fake_pt_env.h"
#include "guest.h"
#include "stage2.h"

/* ESR_ELx ISS for a Data Abort (Arm ARM D17.2.40). */
#define ISS_ISV         (1u << 24)
#define ISS_SAS(n)      ((uint32_t)(n) << 22)
#define ISS_SSE         (1u << 21)
#define ISS_SRT(n)      ((uint32_t)(n) << 16)
#define ISS_SF          (1u << 15)
#define ISS_CM          (1u << 8)
#define ISS_S1PTW       (1u << 7)
#define ISS_WNR         (1u << 6)
#define DFSC_TRANS_L3   0x07u
#define DFSC_ACCESS_L3  0x0bu
#define DFSC_PERM_L3    0x0fu

#define RAM_GPA   0x40000000ull
#define RAM_BYTES 0x10000ull
#define ROM_GPA   0x50000000ull
#define ROM_BYTES 0x1000ull
#define MMIO_GPA  0x09000000ull
#define VBAR      0x40080000ull
#define GUEST_PC  0x40001000ull

/* What abort.c and inject.c use from the rest of the hypervisor. */
static uint32_t shutdown_calls;
static enum vm_shutdown shutdown_how;
void vm_request_shutdown(struct vm *vm, enum vm_shutdown how)
{
    (void)vm;
    shutdown_calls++;
    shutdown_how = how;
}

static struct vm vm;
static struct fake_env s2_fake;
static struct pt_env s2_env = FAKE_ENV_INIT(&s2_fake);
static struct vcpu *v;
static struct vcpu_exit ex;
static uint8_t *ram, *rom;

/* The guest's stage 1 for AT S1E*R: VA 0xffff8000_0000_0000 + x maps to RAM_GPA + x. */
#define GUEST_VA_BASE 0xffff800000000000ull
static uint32_t at_calls;
static bool at_el0;
static uint64_t at_va;
static uint64_t guest_stage1(bool el0, uint64_t va)
{
    at_calls++;
    at_el0 = el0;
    at_va = va;
    if (va - GUEST_VA_BASE >= RAM_BYTES + 0x10000000ull)
        return 1;                                           /* PAR_EL1.F */
    return (RAM_GPA + (va - GUEST_VA_BASE)) & ~0xfffull;    /* PAR_EL1.PA [47:12] */
}

static void setup(void)
{
    memset(&vm, 0, sizeof(vm));
    memset(&ex, 0, sizeof(ex));
    fake_sysreg_reset();
    fake_sysreg_at_hook = guest_stage1;
    shutdown_calls = 0;
    at_calls = 0;
    vm.name = "t";
    memslots_init(&vm.slots);
    /* A stage 2 that maps nothing until a test maps something. */
    memset(&s2_fake, 0, sizeof(s2_fake));
    s2_fake.fail_after = -1;
    cr_assert_eq(pt_init(&vm.stage2, &aarch64_stage2_format, &s2_env), 0);
    ram = aligned_alloc(4096, RAM_BYTES);
    rom = aligned_alloc(4096, ROM_BYTES);
    memset(ram, 0, RAM_BYTES);
    memset(rom, 0, ROM_BYTES);
    cr_assert_eq(memslot_set(&vm.slots, 0, RAM_GPA, RAM_BYTES, (uint64_t)(uintptr_t)ram, MEMSLOT_RAM), 0);
    cr_assert_eq(memslot_set(&vm.slots, 1, ROM_GPA, ROM_BYTES, (uint64_t)(uintptr_t)rom, MEMSLOT_READONLY), 0);
    vm.vcpu_count = 1;
    v = &vm.vcpu[0];
    v->vm = &vm;
    v->arch.pc = GUEST_PC;
    v->arch.pstate = PSR_MODE_EL1h;
    v->arch.insn_len = 4;
    for (uint32_t i = 0; i < 31; i++)
        v->arch.x[i] = 0x1111111111111111ull * (i % 15 + 1);
    fake_sysreg_set("vbar_el1", VBAR);
    fake_sysreg_set("sctlr_el1", SCTLR_EL1_RESET);   /* MMU off; SPAN (RES1 bit 23) set */
}

static void teardown(void)
{
    free(ram);
    free(rom);
}

TestSuite(abort, .init = setup, .fini = teardown);
TestSuite(inject, .init = setup, .fini = teardown);

/* A stage-2 data abort at IPA ipa (HPFAR_EL2.FIPA = IPA[55:12]) from VA far. */
static void data_abort(uint64_t ipa, uint64_t far, uint32_t iss)
{
    fake_sysreg_set("hpfar_el2", (ipa >> 12) << 4);
    fake_sysreg_set("far_el2", far);
    abort_data(v, &ex, (uint64_t)EC_DABT_LOW << 26 | ESR_IL | iss);
}

static void put_insn(uint64_t gpa, uint32_t insn) { memcpy(ram + (gpa - RAM_GPA), &insn, sizeof(insn)); }

/* The external abort inject_data_abort gives an EL1 guest. */
static void assert_external_abort(uint64_t far)
{
    cr_assert_eq(ex.reason, EXIT_ABORT);
    uint64_t esr = fake_sysreg_get("esr_el1");
    cr_assert_eq(ESR_EC(esr), EC_DABT_CUR, "EC %#x", ESR_EC(esr));
    cr_assert_eq(esr & 0x3f, FSC_SEA);
    cr_assert_eq(fake_sysreg_get("far_el1"), far);
    cr_assert_eq(v->arch.pc, VBAR + 0x200);
}

/* --- abort.c ----------------------------------------------------------------------------- */

Test(abort, isv_load_decodes_sas_sse_srt_and_sf)
{
    /* LDRSH W5, [...]: halfword (SAS 1), sign-extended, into a W register. */
    data_abort(MMIO_GPA + 0xabc, 0xffff000012345abcull, ISS_ISV | ISS_SAS(1) | ISS_SSE | ISS_SRT(5) | DFSC_TRANS_L3);
    cr_assert_eq(ex.reason, EXIT_MMIO);
    cr_assert_eq(ex.mmio.gpa, MMIO_GPA + 0xabc);
    cr_assert_eq(ex.mmio.size, 2);
    cr_assert_not(ex.mmio.write);
    cr_assert_eq(v->arch.mmio.rt, 5);
    cr_assert(v->arch.mmio.sign_extend);
    cr_assert_not(v->arch.mmio.dest_64);
    cr_assert_eq(v->arch.far, 0xffff000012345abcull, "FAR_EL2 kept for a later external abort");
    cr_assert_eq(v->arch.pc, GUEST_PC, "the PC moves only when the access completes");
    cr_assert_eq(fake_sysreg_write_count("esr_el1"), 0, "nothing injected");
}

Test(abort, isv_store_takes_the_value_from_srt)
{
    data_abort(MMIO_GPA + 8, MMIO_GPA + 8, ISS_ISV | ISS_SAS(3) | ISS_SF | ISS_SRT(3) | ISS_WNR | DFSC_TRANS_L3);
    cr_assert_eq(ex.reason, EXIT_MMIO);
    cr_assert(ex.mmio.write);
    cr_assert_eq(ex.mmio.size, 8);
    cr_assert_eq(ex.mmio.data, v->arch.x[3]);
    cr_assert(v->arch.mmio.dest_64);
}

Test(abort, isv_store_of_register_31_writes_zero)
{
    data_abort(MMIO_GPA, MMIO_GPA, ISS_ISV | ISS_SAS(2) | ISS_SRT(31) | ISS_WNR | DFSC_TRANS_L3);
    cr_assert_eq(ex.reason, EXIT_MMIO);
    cr_assert_eq(ex.mmio.size, 4);
    cr_assert_eq(ex.mmio.data, 0, "XZR");
}

Test(abort, fault_ipa_is_hpfar_fipa_with_the_page_offset_of_far)
{
    /* FIPA [47:4] = IPA [55:12]; HPFAR_EL2 bit 63 (NS) is not part of the address. */
    uint64_t ipa = 0x00f0123456789000ull;
    fake_sysreg_set("hpfar_el2", 1ull << 63 | (ipa >> 12) << 4 | 0xf);
    fake_sysreg_set("far_el2", 0xffff000000000123ull);
    abort_data(v, &ex, (uint64_t)EC_DABT_LOW << 26 | ESR_IL | ISS_ISV | ISS_SAS(2) | DFSC_TRANS_L3);
    cr_assert_eq(ex.reason, EXIT_MMIO);
    cr_assert_eq(ex.mmio.gpa, ipa | 0x123, "gpa %#llx", (unsigned long long)ex.mmio.gpa);
}

Test(abort, isv0_decodes_the_instruction_at_the_pc)
{
    put_insn(GUEST_PC, 0xf8010441);           /* STR X1, [X2], #16 */
    data_abort(MMIO_GPA + 0x10, MMIO_GPA + 0x10, ISS_WNR | DFSC_TRANS_L3);
    cr_assert_eq(ex.reason, EXIT_MMIO);
    cr_assert(ex.mmio.write);
    cr_assert_eq(ex.mmio.size, 8);
    cr_assert_eq(ex.mmio.gpa, MMIO_GPA + 0x10);
    cr_assert_eq(ex.mmio.data, v->arch.x[1]);
    cr_assert(v->arch.mmio.writeback);
    cr_assert_eq(v->arch.mmio.rn, 2);
    cr_assert_eq(v->arch.mmio.imm, 16);
    cr_assert_eq(at_calls, 0, "MMU off: the PC is the IPA");
}

Test(abort, isv0_translates_the_pc_through_the_guest_stage_1_and_keeps_par_el1)
{
    fake_sysreg_set("sctlr_el1", SCTLR_EL1_RESET | SCTLR_EL1_M);
    fake_sysreg_set("par_el1", 0x5a5a000);    /* the guest's own PAR_EL1 */
    v->arch.pc = GUEST_VA_BASE + 0x2004;
    put_insn(RAM_GPA + 0x2004, 0xb9400020);   /* LDR W0, [X1] */
    data_abort(MMIO_GPA, MMIO_GPA, DFSC_TRANS_L3);
    cr_assert_eq(ex.reason, EXIT_MMIO);
    cr_assert_not(ex.mmio.write);
    cr_assert_eq(ex.mmio.size, 4);
    cr_assert_eq(v->arch.mmio.rt, 0);
    cr_assert_eq(at_calls, 1);
    cr_assert_not(at_el0, "EL1: AT S1E1R");
    cr_assert_eq(at_va, GUEST_VA_BASE + 0x2004);
    cr_assert_eq(fake_sysreg_get("par_el1"), 0x5a5a000, "PAR_EL1 is the guest's: restored");
}

Test(abort, isv0_from_el0_translates_with_at_s1e0r)
{
    fake_sysreg_set("sctlr_el1", SCTLR_EL1_RESET | SCTLR_EL1_M);
    v->arch.pstate = PSR_MODE_EL0t;
    v->arch.pc = GUEST_VA_BASE + 0x3000;
    put_insn(RAM_GPA + 0x3000, 0xb9400020);   /* LDR W0, [X1] */
    data_abort(MMIO_GPA, MMIO_GPA, DFSC_TRANS_L3);
    cr_assert_eq(ex.reason, EXIT_MMIO);
    cr_assert(at_el0);
}

/* PAR_EL1.F = 1 with other bits that would look like RAM holding a decodable load. */
static uint64_t stage1_fault(bool el0, uint64_t va)
{
    (void)el0, (void)va;
    return RAM_GPA | 0x1;
}

Test(abort, isv0_with_an_untranslatable_pc_is_an_external_abort)
{
    fake_sysreg_set("sctlr_el1", SCTLR_EL1_RESET | SCTLR_EL1_M);
    fake_sysreg_at_hook = stage1_fault;
    v->arch.pc = 0x1004;
    put_insn(RAM_GPA + 0x4, 0xb9400020);      /* LDR W0, [X1]: must not be used */
    data_abort(MMIO_GPA, MMIO_GPA + 4, DFSC_TRANS_L3);
    cr_assert_eq(ex.reason, EXIT_ABORT);
    cr_assert_eq(fake_sysreg_get("far_el1"), MMIO_GPA + 4);
}

/* The AT walk itself aborts (guest tables on an address with nothing behind it): a failed
 * translation, the guest gets the external abort, PAR_EL1 keeps the guest's value. */
static uint64_t walk_aborts(bool el0, uint64_t va)
{
    (void)el0, (void)va;
    at_calls++;
    return FAKE_AT_EXTERNAL_ABORT;
}

Test(abort, isv0_whose_pc_walk_takes_an_external_abort_is_an_external_abort)
{
    fake_sysreg_set("sctlr_el1", SCTLR_EL1_RESET | SCTLR_EL1_M);
    fake_sysreg_set("par_el1", 0x1234000ull);
    fake_sysreg_at_hook = walk_aborts;
    v->arch.pc = GUEST_VA_BASE + 0x1000;
    put_insn(RAM_GPA + 0x1000, 0xb9400020);   /* LDR W0, [X1]: must not be used */
    data_abort(MMIO_GPA, MMIO_GPA + 8, DFSC_TRANS_L3);
    cr_assert_eq(at_calls, 1);
    assert_external_abort(MMIO_GPA + 8);
    cr_assert_eq(fake_sysreg_get("par_el1"), 0x1234000ull);
    cr_assert(vm.arch.at_abort_reported);
}

Test(abort, permission_fault_whose_far_walk_takes_an_external_abort_is_an_external_abort)
{
    fake_sysreg_set("sctlr_el1", SCTLR_EL1_RESET | SCTLR_EL1_M);
    fake_sysreg_at_hook = walk_aborts;
    data_abort(ROM_GPA, GUEST_VA_BASE + 0x20000, ISS_WNR | ISS_ISV | ISS_SAS(2) | DFSC_PERM_L3);
    assert_external_abort(GUEST_VA_BASE + 0x20000);
}

Test(abort, isv0_whose_instruction_disagrees_with_wnr_is_an_external_abort)
{
    put_insn(GUEST_PC, 0xb9400020);           /* LDR W0, [X1], but the ISS says write */
    data_abort(MMIO_GPA, MMIO_GPA, ISS_WNR | DFSC_TRANS_L3);
    assert_external_abort(MMIO_GPA);
}

Test(abort, isv0_with_an_undecodable_instruction_is_an_external_abort)
{
    put_insn(GUEST_PC, 0xa9bf7bfd);           /* STP X29, X30, [SP, #-16]! : a pair */
    data_abort(MMIO_GPA, MMIO_GPA, ISS_WNR | DFSC_TRANS_L3);
    assert_external_abort(MMIO_GPA);
}

Test(abort, isv0_from_aarch32_is_not_decoded)
{
    v->arch.pstate = PSR_AARCH32 | 0x10;      /* EL0 AArch32 User */
    put_insn(GUEST_PC, 0xb9400020);
    data_abort(MMIO_GPA, MMIO_GPA, DFSC_TRANS_L3);
    cr_assert_eq(ex.reason, EXIT_ABORT);
    cr_assert_eq(ESR_EC(fake_sysreg_get("esr_el1")), EC_DABT_LOW);
}

Test(abort, translation_fault_inside_a_memslot_is_an_external_abort)
{
    data_abort(RAM_GPA + 0x100, RAM_GPA + 0x100, ISS_ISV | ISS_SAS(2) | DFSC_TRANS_L3);
    assert_external_abort(RAM_GPA + 0x100);
}

Test(abort, write_to_a_read_only_memslot_is_mmio_at_the_far_translation)
{
    /* Permission fault: HPFAR_EL2 is not used (it may be invalid); MMU off, IPA = FAR. */
    fake_sysreg_set("hpfar_el2", 0xdead0);
    fake_sysreg_set("far_el2", ROM_GPA + 0x44);
    abort_data(v, &ex, (uint64_t)EC_DABT_LOW << 26 | ESR_IL | ISS_ISV | ISS_SAS(2) | ISS_WNR | DFSC_PERM_L3);
    cr_assert_eq(ex.reason, EXIT_MMIO);
    cr_assert_eq(ex.mmio.gpa, ROM_GPA + 0x44);
    cr_assert(ex.mmio.write);
}

Test(abort, read_permission_fault_on_a_read_only_memslot_is_an_external_abort)
{
    data_abort(ROM_GPA, ROM_GPA, ISS_ISV | ISS_SAS(2) | DFSC_PERM_L3);
    assert_external_abort(ROM_GPA);
}

Test(abort, write_permission_fault_on_ram_is_an_external_abort)
{
    data_abort(RAM_GPA, RAM_GPA, ISS_ISV | ISS_SAS(2) | ISS_WNR | DFSC_PERM_L3);
    assert_external_abort(RAM_GPA);
}

Test(abort, stage_1_table_walk_fault_is_never_mmio)
{
    data_abort(MMIO_GPA, 0xffff000000001000ull, ISS_ISV | ISS_SAS(3) | ISS_S1PTW | DFSC_TRANS_L3);
    assert_external_abort(0xffff000000001000ull);
}

Test(abort, access_flag_fault_is_an_external_abort)
{
    data_abort(MMIO_GPA, MMIO_GPA, ISS_ISV | ISS_SAS(2) | DFSC_ACCESS_L3);
    assert_external_abort(MMIO_GPA);
}

Test(abort, cache_maintenance_on_a_device_is_skipped)
{
    data_abort(MMIO_GPA, MMIO_GPA, ISS_CM | ISS_WNR | DFSC_TRANS_L3);
    cr_assert_eq(ex.reason, EXIT_OTHER);
    cr_assert_eq(v->arch.pc, GUEST_PC + 4);
    cr_assert_eq(fake_sysreg_write_count("esr_el1"), 0);
}

Test(abort, instruction_abort_is_a_prefetch_abort_with_far)
{
    fake_sysreg_set("far_el2", 0x12340000);
    abort_insn(v, &ex, (uint64_t)EC_IABT_LOW << 26 | ESR_IL | DFSC_TRANS_L3);
    cr_assert_eq(ex.reason, EXIT_ABORT);
    cr_assert_eq(ESR_EC(fake_sysreg_get("esr_el1")), EC_IABT_CUR);
    cr_assert_eq(fake_sysreg_get("far_el1"), 0x12340000);
    cr_assert_eq(fake_sysreg_get("elr_el1"), GUEST_PC);
}

/* --- inject.c ---------------------------------------------------------------------------- */

Test(inject, undef_from_el1h_takes_the_current_el_spx_vector)
{
    v->arch.pstate = PSR_MODE_EL1h | 0x60000000ull;        /* Z and C set */
    inject_undef(v);
    uint64_t esr = fake_sysreg_get("esr_el1");
    cr_assert_eq(ESR_EC(esr), EC_UNKNOWN);
    cr_assert(esr & ESR_IL);
    cr_assert_eq(ESR_ISS(esr), 0);
    cr_assert_eq(fake_sysreg_write_count("far_el1"), 0, "FAR_EL1 is UNKNOWN for EC 0: left alone");
    cr_assert_eq(fake_sysreg_get("elr_el1"), GUEST_PC, "ELR_EL1: the faulting instruction");
    cr_assert_eq(fake_sysreg_get("spsr_el1"), PSR_MODE_EL1h | 0x60000000ull, "SPSR_EL1: PSTATE before");
    cr_assert_eq(v->arch.pc, VBAR + 0x200);
}

Test(inject, vector_offset_follows_the_mode_the_exception_came_from)
{
    const struct { uint64_t pstate; uint64_t offset; } rows[] = {
        { PSR_MODE_EL1t, 0x000 },             /* current EL with SP_EL0 */
        { PSR_MODE_EL1h, 0x200 },             /* current EL with SP_ELx */
        { PSR_MODE_EL0t, 0x400 },             /* lower EL, AArch64 */
        { PSR_AARCH32 | 0x10, 0x600 },        /* lower EL, AArch32 (User) */
    };
    for (uint32_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        v->arch.pc = GUEST_PC;
        v->arch.pstate = rows[i].pstate;
        inject_undef(v);
        cr_assert_eq(v->arch.pc, VBAR + rows[i].offset, "PSTATE %#llx", (unsigned long long)rows[i].pstate);
        cr_assert_eq(fake_sysreg_get("spsr_el1"), rows[i].pstate);
    }
}

Test(inject, new_pstate_is_el1h_with_daif_masked)
{
    v->arch.pstate = PSR_MODE_EL0t;
    inject_undef(v);
    cr_assert_eq(v->arch.pstate & PSR_MODE_MASK, PSR_MODE_EL1h);
    cr_assert_eq(v->arch.pstate & PSR_DAIF, PSR_DAIF);
    cr_assert_eq(v->arch.pstate & PSR_AARCH32, 0);
}

Test(inject, pan_is_set_when_sctlr_el1_span_is_0)
{
    fake_sysreg_set("sctlr_el1", SCTLR_EL1_RESET & ~SCTLR_EL1_SPAN);
    inject_undef(v);
    cr_assert(v->arch.pstate & PSR_PAN);
}

/* AArch64.TakeException: with SCTLR_EL1.SPAN = 1, PSTATE.PAN is left as it was. */
Test(inject, pan_is_unchanged_when_sctlr_el1_span_is_1)
{
    v->arch.pstate = PSR_MODE_EL1h | PSR_PAN;
    inject_undef(v);
    cr_assert(v->arch.pstate & PSR_PAN, "PAN was 1: stays 1");
    v->arch.pstate = PSR_MODE_EL1h;
    inject_undef(v);
    cr_assert_not(v->arch.pstate & PSR_PAN, "PAN was 0: stays 0");
}

/* AArch64.TakeException changes neither the condition flags nor PSTATE.DIT. */
Test(inject, condition_flags_and_dit_are_unchanged)
{
    v->arch.pstate = PSR_MODE_EL1h | 0xf0000000ull | 1ull << 24;
    inject_undef(v);
    cr_assert_eq(v->arch.pstate & 0xf0000000ull, 0xf0000000ull, "NZCV");
    cr_assert(v->arch.pstate & 1ull << 24, "DIT");
    v->arch.pstate = PSR_AARCH32 | 0x10 | 0x90000000ull | 1ull << 21;    /* AArch32 SPSR: DIT is bit 21 */
    inject_undef(v);
    cr_assert_eq(v->arch.pstate & 0xf0000000ull, 0x90000000ull, "NZCV from AArch32");
    cr_assert(v->arch.pstate & 1ull << 24, "DIT from AArch32 in its AArch64 place");
    cr_assert_eq(v->arch.pstate & 1ull << 21, 0, "bit 21 of the AArch64 PSTATE is SS: cleared");
}

Test(inject, ssbs_follows_sctlr_el1_dssbs)
{
    inject_undef(v);
    cr_assert_not(v->arch.pstate & PSR_SSBS);
    fake_sysreg_set("sctlr_el1", SCTLR_EL1_RESET | SCTLR_EL1_DSSBS);
    v->arch.pstate = PSR_MODE_EL1h;
    inject_undef(v);
    cr_assert(v->arch.pstate & PSR_SSBS);
}

Test(inject, data_abort_from_el1_is_ec_0x25_with_far)
{
    inject_data_abort(v, 0xffff000000abc008ull);
    uint64_t esr = fake_sysreg_get("esr_el1");
    cr_assert_eq(ESR_EC(esr), EC_DABT_CUR);
    cr_assert(esr & ESR_IL);
    cr_assert_eq(ESR_ISS(esr), FSC_SEA, "DFSC 0x10, ISV 0, WnR 0");
    cr_assert_eq(fake_sysreg_get("far_el1"), 0xffff000000abc008ull);
    cr_assert_eq(fake_sysreg_get("elr_el1"), GUEST_PC);
    cr_assert_eq(v->arch.pc, VBAR + 0x200);
}

Test(inject, data_abort_from_el0_is_ec_0x24_to_the_lower_el_vector)
{
    v->arch.pstate = PSR_MODE_EL0t;
    inject_data_abort(v, 0x400000);
    cr_assert_eq(ESR_EC(fake_sysreg_get("esr_el1")), EC_DABT_LOW);
    cr_assert_eq(v->arch.pc, VBAR + 0x400);
    cr_assert_eq(fake_sysreg_get("spsr_el1"), PSR_MODE_EL0t);
}

Test(inject, prefetch_abort_is_ec_0x21_from_el1_and_0x20_from_el0)
{
    inject_prefetch_abort(v, 0x1000);
    cr_assert_eq(fake_sysreg_get("esr_el1"), (uint64_t)EC_IABT_CUR << 26 | ESR_IL | FSC_SEA);
    cr_assert_eq(fake_sysreg_get("far_el1"), 0x1000);
    v->arch.pc = GUEST_PC;
    v->arch.pstate = PSR_MODE_EL0t;
    inject_prefetch_abort(v, 0x2000);
    cr_assert_eq(fake_sysreg_get("esr_el1"), (uint64_t)EC_IABT_LOW << 26 | ESR_IL | FSC_SEA);
    cr_assert_eq(fake_sysreg_get("far_el1"), 0x2000);
    cr_assert_eq(fake_sysreg_get("elr_el1"), GUEST_PC);
}

Test(inject, sysreg_trap_carries_the_iss)
{
    inject_sysreg_trap(v, 0x32c803);
    cr_assert_eq(fake_sysreg_get("esr_el1"), (uint64_t)EC_SYS64 << 26 | ESR_IL | 0x32c803);
}

Test(inject, fault_loop_guard_stops_the_vm_once_at_the_limit)
{
    for (uint32_t i = 1; i < FAULT_LOOP_LIMIT; i++) {
        v->arch.pc = GUEST_PC;
        inject_undef(v);
    }
    cr_assert(v->arch.injected);
    cr_assert_eq(v->arch.fault_loop, FAULT_LOOP_LIMIT - 1);
    cr_assert_eq(shutdown_calls, 0, "one short of the limit: still running");
    v->arch.pc = GUEST_PC;
    inject_undef(v);
    cr_assert_eq(shutdown_calls, 1);
    cr_assert_eq(shutdown_how, VM_SHUTDOWN_CRASH);
    inject_undef(v);
    cr_assert_eq(shutdown_calls, 1, "asked once");
}

/* A user process that loops on a trapped register under its own SIGILL handler: every UNDEF
 * is taken from EL0 (the kernel's handler returns to it each time): never a fault loop. */
Test(inject, fault_loop_guard_ignores_exceptions_taken_from_el0)
{
    for (uint32_t i = 0; i < 2 * FAULT_LOOP_LIMIT; i++) {
        v->arch.pc = GUEST_PC;
        v->arch.pstate = PSR_MODE_EL0t;
        inject_undef(v);
    }
    cr_assert_eq(shutdown_calls, 0);
    cr_assert_eq(v->arch.fault_loop, 0);
}

/* EL1 code faulting at one PC after another (a probe loop) makes progress. */
Test(inject, fault_loop_guard_counts_only_the_same_pc_and_syndrome)
{
    for (uint32_t i = 0; i < 2 * FAULT_LOOP_LIMIT; i++) {
        v->arch.pc = GUEST_PC + 4 * (i % 2);
        v->arch.pstate = PSR_MODE_EL1h;
        inject_undef(v);
    }
    cr_assert_eq(shutdown_calls, 0, "alternating PCs");
    for (uint32_t i = 0; i < 2 * FAULT_LOOP_LIMIT; i++) {
        v->arch.pc = GUEST_PC;
        v->arch.pstate = PSR_MODE_EL1h;
        if (i % 2)
            inject_undef(v);
        else
            inject_data_abort(v, 0);
    }
    cr_assert_eq(shutdown_calls, 0, "alternating syndromes");
    /* An EL0 exception in between starts the count again. */
    v->arch.fault_loop = 0;          /* as after an exit that injected nothing */
    for (uint32_t i = 1; i < FAULT_LOOP_LIMIT; i++) {
        v->arch.pc = GUEST_PC;
        v->arch.pstate = PSR_MODE_EL1h;
        inject_undef(v);
    }
    v->arch.pstate = PSR_MODE_EL0t;
    inject_undef(v);
    v->arch.pc = GUEST_PC;
    v->arch.pstate = PSR_MODE_EL1h;
    inject_undef(v);
    cr_assert_eq(shutdown_calls, 0);
    cr_assert_eq(v->arch.fault_loop, 1);
}

/* A physical SError taken from the guest becomes a virtual one: HCR_EL2.VSE, the other HCR_EL2
 * bits kept, and VSESR_EL2 (IDS) only where FEAT_RAS has it. */
Test(inject, serror_sets_hcr_el2_vse_and_vsesr_with_ras)
{
    fake_sysreg_set("hcr_el2", 0x80000039ull);
    fake_sysreg_set("id_aa64pfr0_el1", 1ull << 28);
    inject_serror(v);
    cr_assert_eq(fake_sysreg_get("hcr_el2"), 0x80000039ull | 1ull << 8);
    cr_assert_eq(fake_sysreg_get("S3_4_C5_C2_3"), 1ull << 24);
    cr_assert_eq(fake_sysreg_write_count("S3_4_C5_C2_3"), 1);
}

Test(inject, serror_without_ras_leaves_vsesr_alone)
{
    fake_sysreg_set("hcr_el2", 0x80000039ull);
    inject_serror(v);
    cr_assert_eq(fake_sysreg_get("hcr_el2"), 0x80000039ull | 1ull << 8);
    cr_assert_eq(fake_sysreg_write_count("S3_4_C5_C2_3"), 0, "VSESR_EL2 UNDEFs without FEAT_RAS");
}

/* --- dirty logging and stage-2 changes on other CPUs (kernel/dirty_log.c, memslot_run.c) --- */
Test(abort, write_to_a_write_protected_page_of_a_logged_slot_marks_it_and_retries)
{
    static uint64_t bitmap[64];
    cr_assert_eq(pt_map(&vm.stage2, RAM_GPA, (uint64_t)(uintptr_t)ram, RAM_BYTES, PT_RWX, 0), 0);
    cr_assert_eq(dirty_log_start(&vm.slots, &vm.stage2, 0, bitmap), 0);
    uint64_t pc = v->arch.pc;
    data_abort(RAM_GPA + 0x3008, RAM_GPA + 0x3008, ISS_ISV | ISS_SAS(3) | ISS_WNR | DFSC_PERM_L3);
    cr_assert_eq(ex.reason, EXIT_OTHER, "no abort for the guest: the access runs again");
    cr_assert_eq(v->arch.pc, pc, "the instruction is not skipped");
    cr_assert_eq(fake_sysreg_get("esr_el1"), 0, "nothing injected");
    cr_assert_eq(bitmap[0], 1ull << 3, "page 3 marked dirty");
    uint32_t perms, level;
    cr_assert(pt_lookup(&vm.stage2, RAM_GPA + 0x3000, NULL, &perms, &level));
    cr_assert((perms & PT_W) && level == PT_LAST_LEVEL, "the page is writable, as a page");
    uint64_t *bm;
    cr_assert_eq(dirty_log_stop(&vm.slots, &vm.stage2, 0, &bm), 0);
    pt_destroy(&vm.stage2);
}

Test(abort, translation_fault_in_a_slot_mapped_meanwhile_retries)
{
    /* Another CPU's split or collapse was between break and make when this vCPU faulted. */
    cr_assert_eq(pt_map(&vm.stage2, RAM_GPA, (uint64_t)(uintptr_t)ram, RAM_BYTES, PT_RWX, 0), 0);
    data_abort(RAM_GPA + 0x100, RAM_GPA + 0x100, ISS_ISV | ISS_SAS(2) | DFSC_TRANS_L3);
    cr_assert_eq(ex.reason, EXIT_OTHER);
    cr_assert_eq(fake_sysreg_get("esr_el1"), 0, "nothing injected");
    pt_destroy(&vm.stage2);
}

Test(abort, permission_fault_whose_va_no_longer_translates_retries)
{
    fake_sysreg_set("sctlr_el1", SCTLR_EL1_RESET | SCTLR_EL1_M);
    uint64_t va = GUEST_VA_BASE + RAM_BYTES + 0x20000000ull;      /* the fake stage 1 says PAR_EL1.F */
    data_abort(RAM_GPA, va, ISS_ISV | ISS_SAS(2) | ISS_WNR | DFSC_PERM_L3);
    cr_assert_eq(ex.reason, EXIT_OTHER);
    cr_assert_eq(at_calls, 1);
    cr_assert_eq(fake_sysreg_get("esr_el1"), 0, "nothing injected");
}

Test(abort, write_translation_fault_into_a_split_logged_block_retries)
{
    /* Another vCPU's write split the block while this one's store was in the break window:
     * the page is mapped again, read-only (logged). The store runs again and then takes the
     * permission fault dirty logging handles; it must not get an abort. */
    static uint64_t bitmap[64];
    cr_assert_eq(pt_map(&vm.stage2, RAM_GPA, (uint64_t)(uintptr_t)ram, RAM_BYTES, PT_RWX, 0), 0);
    cr_assert_eq(dirty_log_start(&vm.slots, &vm.stage2, 0, bitmap), 0);
    cr_assert_eq(dirty_log_write_fault(&vm.slots, &vm.stage2, RAM_GPA), DIRTY_FAULT_HANDLED);
    data_abort(RAM_GPA + 0x5000, RAM_GPA + 0x5000, ISS_ISV | ISS_SAS(3) | ISS_WNR | DFSC_TRANS_L3);
    cr_assert_eq(ex.reason, EXIT_OTHER);
    cr_assert_eq(fake_sysreg_get("esr_el1"), 0, "nothing injected");
    uint64_t *bm;
    cr_assert_eq(dirty_log_stop(&vm.slots, &vm.stage2, 0, &bm), 0);
    pt_destroy(&vm.stage2);
}

Test(abort, fetch_walk_updating_a_descriptor_in_a_logged_page_marks_it_and_retries)
{
    /* FEAT_HAFDBS: an instruction fetch's stage-1 walk sets the Access flag in a table page that
     * dirty logging write-protects: an instruction abort, permission fault, S1PTW, HPFAR = the
     * table page. Seen from Linux: without this the guest's process died of SIGBUS. */
    static uint64_t bitmap[64];
    cr_assert_eq(pt_map(&vm.stage2, RAM_GPA, (uint64_t)(uintptr_t)ram, RAM_BYTES, PT_RWX, 0), 0);
    cr_assert_eq(dirty_log_start(&vm.slots, &vm.stage2, 0, bitmap), 0);
    fake_sysreg_set("hpfar_el2", ((RAM_GPA + 0x7000) >> 12) << 4);
    fake_sysreg_set("far_el2", 0x4241d0);
    abort_insn(v, &ex, (uint64_t)0x20 << 26 | ESR_IL | ISS_S1PTW | DFSC_PERM_L3);
    cr_assert_eq(ex.reason, EXIT_OTHER, "the fetch runs again");
    cr_assert_eq(fake_sysreg_get("esr_el1"), 0, "nothing injected");
    cr_assert_eq(bitmap[0], 1ull << 7, "the table page is marked dirty");
    uint32_t perms;
    cr_assert(pt_lookup(&vm.stage2, RAM_GPA + 0x7000, NULL, &perms, NULL) && (perms & PT_W));
    uint64_t *bm;
    cr_assert_eq(dirty_log_stop(&vm.slots, &vm.stage2, 0, &bm), 0);
    pt_destroy(&vm.stage2);
}
