/* test_x86_smm.c: guest SMM's state-save map (arch/x86_64/smm_state.c: AMD64 and 32-bit layouts at
 * SMBASE + 0xFE00, the SMM entry state) and every RSM check (arch/x86_64/rsm_check.c). */
#include <criterion/criterion.h>
#include <string.h>
#include "x86_smm.h"
#include "x86_regs.h"

#define AR_CODE64 0xA09Bu            /* G, L, P, S, type B */
#define AR_CODE32 0xC09Bu
#define AR_DATA   0xC093u
#define AR_TSS    0x008Bu

static const struct rsm_limits lim = { .cr4_supported = 0x3006FFull /* no PCIDE... set per test */,
                                       .efer_supported = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE,
                                       .maxphyaddr = 40 };

/* A 64-bit kernel's state: the one every RSM check test corrupts in one place. */
static struct x86_cpu_state long_mode_state(void)
{
    struct x86_cpu_state s;
    memset(&s, 0, sizeof(s));
    for (unsigned i = 0; i < 16; i++)
        s.gpr[i] = 0x1111111111111111ull * (i + 1);
    s.rip = 0xFFFFFFFF80001234ull;
    s.rflags = 0x246;
    s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG;
    s.cr3 = 0x123000;
    s.cr4 = CR4_PAE;
    s.efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
    s.dr6 = 0xFFFF0FF0;
    s.dr7 = 0x400;
    for (unsigned i = 0; i < SREG_COUNT; i++)
        s.seg[i] = (struct x86_segment){ 0x10, AR_DATA, 0xFFFFFFFFu, 0 };
    s.seg[SREG_CS] = (struct x86_segment){ 0x08, AR_CODE64, 0xFFFFFFFFu, 0 };
    s.seg[SREG_GS].base = 0xFFFF888000000000ull;
    s.tr = (struct x86_segment){ 0x18, AR_TSS, 0x67, 0xFFFFFE0000001000ull };
    s.ldtr = (struct x86_segment){ 0, 0, 0, 0 };
    s.gdtr = (struct x86_dtable){ 0xFFFFFE0000000000ull, 0x7F };
    s.idtr = (struct x86_dtable){ 0xFFFFFE0000002000ull, 0xFFF };
    return s;
}

/* A 32-bit protected-mode kernel without paging (what a vCPU without long mode runs). */
static struct x86_cpu_state protected32_state(void)
{
    struct x86_cpu_state s = long_mode_state();
    for (unsigned i = 0; i < 16; i++)
        s.gpr[i] = i < 8 ? 0x01010101u * (i + 1) : 0xAAAAAAAAAAAAAAAAull;
    s.rip = 0x00101234;
    s.cr0 = CR0_PE | CR0_ET;
    s.cr3 = 0x5000;
    s.cr4 = 0;
    s.efer = EFER_NXE;
    s.seg[SREG_CS] = (struct x86_segment){ 0x08, AR_CODE32, 0xFFFFFFFFu, 0 };
    s.seg[SREG_GS].base = 0x7000;
    s.tr = (struct x86_segment){ 0x18, AR_TSS, 0x67, 0x9000 };
    s.gdtr = (struct x86_dtable){ 0x8000, 0x1F };
    s.idtr = (struct x86_dtable){ 0xA000, 0x7FF };
    return s;
}

static uint64_t at(const uint8_t *area, uint32_t smbase_off, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)area[smbase_off - SMM_SAVE_OFFSET + i] << (8 * i);
    return v;
}

static void set_at(uint8_t *area, uint32_t smbase_off, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        area[smbase_off - SMM_SAVE_OFFSET + i] = (uint8_t)(v >> (8 * i));
}

static bool same_seg(const struct x86_segment *a, const struct x86_segment *b)
{
    return a->sel == b->sel && a->ar == b->ar && a->limit == b->limit && a->base == b->base;
}

/* Field by field (struct x86_dtable has padding). */
static bool same_state(const struct x86_cpu_state *a, const struct x86_cpu_state *b)
{
    bool same = !memcmp(a->gpr, b->gpr, sizeof(a->gpr)) && a->rip == b->rip && a->rflags == b->rflags &&
                a->cr0 == b->cr0 && a->cr3 == b->cr3 && a->cr4 == b->cr4 && a->efer == b->efer &&
                a->dr6 == b->dr6 && a->dr7 == b->dr7 && same_seg(&a->ldtr, &b->ldtr) && same_seg(&a->tr, &b->tr) &&
                a->gdtr.base == b->gdtr.base && a->gdtr.limit == b->gdtr.limit && a->idtr.base == b->idtr.base &&
                a->idtr.limit == b->idtr.limit;
    for (unsigned i = 0; i < SREG_COUNT; i++)
        same = same && same_seg(&a->seg[i], &b->seg[i]);
    return same;
}

/* --- the state-save map --------------------------------------------------------------------- */

Test(smm_state, amd64_map_fields_at_kvm_offsets)
{
    struct x86_cpu_state s = long_mode_state();
    uint8_t a[SMM_SAVE_BYTES];
    smm_save_build(&s, 0x7F000000u, true, a);
    cr_expect_eq(at(a, 0xFFF8, 8), s.gpr[0], "RAX at 0xFFF8");
    cr_expect_eq(at(a, 0xFF80, 8), s.gpr[15], "R15 at 0xFF80");
    cr_expect_eq(at(a, 0xFF78, 8), s.rip);
    cr_expect_eq(at(a, 0xFF70, 8), s.rflags);
    cr_expect_eq(at(a, 0xFF58, 8), s.cr0);
    cr_expect_eq(at(a, 0xFF50, 8), s.cr3);
    cr_expect_eq(at(a, 0xFF48, 8), s.cr4);
    cr_expect_eq(at(a, 0xFF00, 4), 0x7F000000u, "SMBASE at 0xFF00");
    cr_expect_eq(at(a, 0xFEFC, 4), 0x00020064u, "revision with SMBASE relocation");
    cr_expect_eq(at(a, 0xFED0, 8), s.efer);
    cr_expect_eq(at(a, 0xFE10, 2), 0x08, "CS selector");
    cr_expect_eq(at(a, 0xFE12, 2), AR_CODE64, "CS attributes");
    cr_expect_eq(at(a, 0xFE58, 8), s.seg[SREG_GS].base, "GS base");
    cr_expect_eq(at(a, 0xFE88, 8), s.idtr.base, "IDTR base");
    cr_expect_eq(at(a, 0xFE84, 4), s.idtr.limit, "IDTR limit");
    cr_expect_eq(at(a, 0xFE98, 8), s.tr.base, "TR base");
}

Test(smm_state, amd64_map_round_trip)
{
    struct x86_cpu_state s = long_mode_state(), cur, out;
    memset(&cur, 0xEE, sizeof(cur));
    uint8_t a[SMM_SAVE_BYTES];
    uint32_t smbase = 0;
    smm_save_build(&s, 0x30000, true, a);
    smm_save_parse(a, true, &cur, &out, &smbase);
    cr_expect_eq(smbase, 0x30000u);
    cr_expect(same_state(&s, &out), "every saved field comes back");
}

Test(smm_state, p6_map_fields_at_kvm_offsets)
{
    struct x86_cpu_state s = protected32_state();
    uint8_t a[SMM_SAVE_BYTES];
    smm_save_build(&s, 0xA0000, false, a);
    cr_expect_eq(at(a, 0xFFD0, 4), (uint32_t)s.gpr[0], "EAX at 0xFFD0");
    cr_expect_eq(at(a, 0xFFEC, 4), (uint32_t)s.gpr[7], "EDI at 0xFFEC");
    cr_expect_eq(at(a, 0xFFF0, 4), s.rip);
    cr_expect_eq(at(a, 0xFFFC, 4), s.cr0);
    cr_expect_eq(at(a, 0xFFF8, 4), s.cr3);
    cr_expect_eq(at(a, 0xFEF8, 4), 0xA0000u, "SMBASE at 0xFEF8");
    cr_expect_eq(at(a, 0xFEFC, 4), 0x00020000u, "revision with SMBASE relocation");
    cr_expect_eq(at(a, 0xFFAC, 4), 0x08, "CS selector");
    cr_expect_eq(at(a, 0xFF90, 4), (uint32_t)AR_CODE32 << 8, "CS flags: descriptor bits 23:8");
    cr_expect_eq(at(a, 0xFF4C, 4), 0x7000u, "GS base");
    cr_expect_eq(at(a, 0xFFC4, 4), 0x18u, "TR selector");
}

Test(smm_state, p6_map_round_trip_keeps_efer_and_upper_registers)
{
    struct x86_cpu_state s = protected32_state(), out;
    uint8_t a[SMM_SAVE_BYTES];
    uint32_t smbase = 0;
    smm_save_build(&s, 0x30000, false, a);
    struct x86_cpu_state cur = s;
    cur.efer = EFER_NXE;
    smm_save_parse(a, false, &cur, &out, &smbase);
    cr_expect_eq(smbase, 0x30000u);
    cr_expect(same_state(&s, &out), "every saved field comes back, EFER and R8-R15 kept");
}

Test(smm_state, smbase_relocation_is_read_back)
{
    struct x86_cpu_state s = long_mode_state(), out;
    uint8_t a[SMM_SAVE_BYTES];
    uint32_t smbase = 0;
    smm_save_build(&s, 0x30000, true, a);
    set_at(a, 0xFF00, 0x07F00000, 4);
    smm_save_parse(a, true, &s, &out, &smbase);
    cr_expect_eq(smbase, 0x07F00000u);
}

Test(smm_state, entry_state_as_table_34_4)
{
    struct x86_cpu_state s = long_mode_state(), e;
    s.cr0 |= CR0_TS | CR0_EM;
    smm_entry_state(&s, 0x7F00000, true, &e);
    cr_expect_eq(e.seg[SREG_CS].sel, 0x7F0000 & 0xFFFF);
    cr_expect_eq(e.seg[SREG_CS].base, 0x7F00000u);
    cr_expect_eq(e.seg[SREG_CS].limit, 0xFFFFFFFFu);
    cr_expect_eq(e.rip, 0x8000u);
    cr_expect_eq(e.rflags, 0x2u);
    cr_expect_eq(e.cr0, CR0_MP | CR0_ET | CR0_NE, "PE, EM, TS, PG cleared, the rest kept");
    cr_expect_eq(e.cr4, 0u);
    cr_expect_eq(e.efer, 0u);
    cr_expect_eq(e.dr7, 0x400u);
    cr_expect_eq(e.idtr.limit, 0u);
    cr_expect_eq(e.cr3, s.cr3, "CR3 unchanged");
    for (unsigned i = 0; i < SREG_COUNT; i++)
        if (i != SREG_CS)
            cr_expect(e.seg[i].base == 0 && e.seg[i].limit == 0xFFFFFFFFu && e.seg[i].sel == 0);
    cr_expect(memcmp(e.gpr, s.gpr, sizeof(s.gpr)) == 0, "GPRs untouched");
    struct rsm_limits l = lim;
    cr_expect_null(rsm_check(&e, &l), "the entry state is itself a valid RSM target");
}

Test(smm_state, entry_state_without_long_mode_keeps_efer)
{
    struct x86_cpu_state s = protected32_state(), e;
    smm_entry_state(&s, 0x30000, false, &e);
    cr_expect_eq(e.efer, EFER_NXE);
}

/* --- RSM checks ------------------------------------------------------------------------------ */

static const char *check(struct x86_cpu_state s)
{
    struct rsm_limits l = lim;
    l.cr4_supported |= CR4_PCIDE;
    return rsm_check(&s, &l);
}

Test(rsm_check, valid_long_mode_state_passes)
{
    cr_expect_null(check(long_mode_state()));
    cr_expect_null(check(protected32_state()));
}

Test(rsm_check, fixups_lma_rflags_accessed)
{
    struct x86_cpu_state s = long_mode_state();
    struct rsm_limits l = lim;
    s.efer &= ~EFER_LMA;                          /* LMA follows LME and PG */
    s.rflags = 0xFFFFFFFFFFC08028ull;             /* reserved bits only, bit 1 clear */
    s.seg[SREG_DS].ar &= ~1u;
    cr_expect_null(rsm_check(&s, &l));
    cr_expect(s.efer & EFER_LMA);
    cr_expect_eq(s.rflags, 0x2u);
    cr_expect(s.seg[SREG_DS].ar & 1u);
}

#define EXPECT_CHECK(name, mutate, msg)                    \
    Test(rsm_check, name)                                  \
    {                                                      \
        struct x86_cpu_state s = long_mode_state();        \
        mutate;                                            \
        const char *why = check(s);                        \
        cr_assert_not_null(why);                           \
        cr_expect_str_eq(why, msg);                        \
    }

EXPECT_CHECK(cr0_reserved_high, s.cr0 |= 1ull << 32, "CR0 reserved bits 63:32 set")
EXPECT_CHECK(cr0_pg_without_pe, (s.cr0 &= ~CR0_PE, s.efer = 0, s.seg[SREG_CS].ar = AR_CODE32), "CR0.PG without CR0.PE")
EXPECT_CHECK(cr0_nw_without_cd, s.cr0 |= CR0_NW, "CR0.NW without CR0.CD")
EXPECT_CHECK(cr4_reserved, s.cr4 |= 1ull << 15, "CR4 reserved bit set (or a feature CPUID does not offer)")
EXPECT_CHECK(cr4_vmxe_not_offered, s.cr4 |= 1ull << 13, "CR4 reserved bit set (or a feature CPUID does not offer)")
EXPECT_CHECK(efer_reserved, s.efer |= 1ull << 2, "EFER reserved bit set")
EXPECT_CHECK(lma_without_lme_pg, (s.efer &= ~EFER_LME), "EFER.LMA without EFER.LME and CR0.PG")
EXPECT_CHECK(lma_without_pae, s.cr4 &= ~CR4_PAE, "EFER.LMA with CR4.PAE clear")
EXPECT_CHECK(pcide_outside_long_mode, (s.efer = 0, s.cr4 |= CR4_PCIDE, s.seg[SREG_CS].ar = AR_CODE32, s.rip = 0x1000,
                                       s.tr.base = 0x1000, s.gdtr.base = 0, s.idtr.base = 0), "CR4.PCIDE outside IA-32e mode")
EXPECT_CHECK(cr3_above_maxphyaddr, s.cr3 |= 1ull << 45, "CR3 bits above MAXPHYADDR set")
EXPECT_CHECK(dr7_high, s.dr7 |= 1ull << 40, "DR6 / DR7 reserved bits 63:32 set")
EXPECT_CHECK(rflags_vm, s.rflags |= 1ull << 17, "RFLAGS.VM set (RSM to virtual-8086 mode is not supported)")
EXPECT_CHECK(null_cs_long_mode, s.seg[SREG_CS].sel = 0, "CS null selector in IA-32e mode")
EXPECT_CHECK(cs_not_present, s.seg[SREG_CS].ar &= ~0x80u, "CS not a present code segment")
EXPECT_CHECK(cs_system_segment, s.seg[SREG_CS].ar &= ~0x10u, "CS not a present code segment")
EXPECT_CHECK(cs_data_segment, s.seg[SREG_CS].ar = 0xA093u, "CS not a code segment")
EXPECT_CHECK(cs_l_and_d, s.seg[SREG_CS].ar |= 0x4000u, "CS.L with CS.D set")
EXPECT_CHECK(ss_code, s.seg[SREG_SS].ar = 0xC09Bu, "SS not a writable data segment")
EXPECT_CHECK(ss_read_only, s.seg[SREG_SS].ar = 0xC091u, "SS not a writable data segment")
EXPECT_CHECK(cs_dpl_ne_ss_dpl, (s.seg[SREG_SS].ar |= 3u << 5, s.seg[SREG_SS].sel |= 3), "CS.DPL differs from SS.DPL")
EXPECT_CHECK(ss_rpl_ne_dpl, s.seg[SREG_SS].sel |= 3, "SS.RPL differs from SS.DPL")
EXPECT_CHECK(ds_system_segment, s.seg[SREG_DS].ar = 0x8082u, "data segment register holds a system segment")
EXPECT_CHECK(ds_execute_only, s.seg[SREG_DS].ar = 0xC099u, "data segment register holds an execute-only code segment")
EXPECT_CHECK(es_limit_g, s.seg[SREG_ES].limit = 0xFFFFF000u, "ES limit inconsistent with G")
EXPECT_CHECK(fs_limit_no_g, (s.seg[SREG_FS].ar &= ~0x8000u), "FS limit inconsistent with G")
EXPECT_CHECK(ds_base_high, s.seg[SREG_DS].base = 1ull << 32, "CS / SS / DS / ES base above 4 GiB")
EXPECT_CHECK(gs_base_noncanonical, s.seg[SREG_GS].base = 0x0000800000000000ull, "FS / GS base not canonical")
EXPECT_CHECK(ldtr_wrong_type, s.ldtr = ((struct x86_segment){ 0x20, 0x0089, 0x67, 0 }), "LDTR not an LDT descriptor from the GDT")
EXPECT_CHECK(ldtr_noncanonical, s.ldtr = ((struct x86_segment){ 0x20, 0x0082, 0xFFF, 1ull << 60 }), "LDTR limit or base invalid")
EXPECT_CHECK(tr_unusable, s.tr.ar = 0, "TR not a busy TSS from the GDT")
EXPECT_CHECK(tr_available_tss, s.tr.ar = 0x0089, "TR not a busy TSS from the GDT")
EXPECT_CHECK(tr_16bit_in_long_mode, s.tr.ar = 0x0083, "TR not a busy TSS from the GDT")
EXPECT_CHECK(tr_in_ldt, s.tr.sel |= 4, "TR not a busy TSS from the GDT")
EXPECT_CHECK(tr_noncanonical, s.tr.base = 0x00F0000000000000ull, "TR limit or base invalid")
EXPECT_CHECK(gdtr_limit, s.gdtr.limit = 0x10000, "GDTR / IDTR limit above 0xFFFF")
EXPECT_CHECK(idtr_noncanonical, s.idtr.base = 0x1234000000000000ull, "GDTR / IDTR base not canonical")
EXPECT_CHECK(rip_noncanonical, s.rip = 0x0000900000000000ull, "RIP not canonical")
EXPECT_CHECK(rip_high_in_32bit_code, (s.seg[SREG_CS].ar = AR_CODE32, s.rip = 1ull << 32),
             "RIP above 4 GiB outside 64-bit code")

Test(rsm_check, ss_null_outside_long_mode)
{
    struct x86_cpu_state s = protected32_state();
    s.seg[SREG_SS].ar = 0;
    struct rsm_limits l = lim;
    cr_expect_str_eq(rsm_check(&s, &l), "SS null outside IA-32e mode");
}

Test(rsm_check, ss_dpl_in_real_mode)
{
    struct x86_cpu_state s = protected32_state(), e;
    smm_entry_state(&s, 0x30000, false, &e);
    e.seg[SREG_SS].ar |= 3u << 5;
    struct rsm_limits l = lim;
    cr_expect_str_eq(rsm_check(&e, &l), "SS.DPL not 0 in real mode");
}

Test(rsm_check, tss16_allowed_outside_long_mode)
{
    struct x86_cpu_state s = protected32_state();
    s.tr.ar = 0x0083;
    struct rsm_limits l = lim;
    cr_expect_null(rsm_check(&s, &l));
}
