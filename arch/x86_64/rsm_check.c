/* rsm_check.c: every check on the state RSM loads from the (guest-writable) state-save map. An invalid
 * map puts the processor in shutdown (SDM Vol. 3C 34.11; APM Vol. 2 10.3.4: "invalid state ... causes
 * a shutdown"); here the check's name goes into the VM's crash message. The rules are those of MOV to
 * CR0/CR3/CR4, WRMSR EFER, MOV to DR6/DR7 (SDM Vol. 2B) and of the guest-state checks VM entry makes
 * (SDM Vol. 3C 26.3.1.1-26.3.1.3), so that nothing RSM accepts can fail VM entry later. */
#include "x86_smm.h"
#include "x86_regs.h"

/* RFLAGS bits that exist (SDM Vol. 1 3.4.3): CF 1 PF AF ZF SF TF IF DF OF IOPL NT RF VM AC VIF VIP ID. */
#define RFLAGS_DEFINED 0x3F7FD5ull

#define TYPE_ACCESSED  1u
#define TYPE_WRITABLE  2u           /* data */
#define TYPE_READABLE  2u           /* code */
#define TYPE_CONFORMING 4u          /* code */
#define TYPE_CODE      8u
#define TYPE_LDT       2u
#define TYPE_TSS16_BUSY 3u
#define TYPE_TSS_BUSY  11u

static bool canonical(uint64_t a, bool la57)
{
    unsigned bits = la57 ? 57 : 48;
    return (uint64_t)((int64_t)(a << (64 - bits)) >> (64 - bits)) == a;
}

static bool usable(const struct x86_segment *s) { return s->ar & X86_AR_P; }

/* SDM 26.3.1.2: limit bits 11:0 not all ones needs G = 0; limit bits 31:20 not all zero needs G = 1. */
static bool limit_fits_g(const struct x86_segment *s)
{
    if ((s->limit & 0xFFF) != 0xFFF && (s->ar & X86_AR_G))
        return false;
    if ((s->limit >> 20) && !(s->ar & X86_AR_G))
        return false;
    return true;
}

static const char *const limit_msg[SREG_COUNT] = {
    "ES limit inconsistent with G", "CS limit inconsistent with G", "SS limit inconsistent with G",
    "DS limit inconsistent with G", "FS limit inconsistent with G", "GS limit inconsistent with G",
};

static const char *check_cr(struct x86_cpu_state *s, const struct rsm_limits *lim, bool *lma)
{
    if (s->cr0 >> 32)
        return "CR0 reserved bits 63:32 set";
    if ((s->cr0 & CR0_PG) && !(s->cr0 & CR0_PE))
        return "CR0.PG without CR0.PE";
    if ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD))
        return "CR0.NW without CR0.CD";
    if (s->cr4 & ~lim->cr4_supported)
        return "CR4 reserved bit set (or a feature CPUID does not offer)";
    if (s->efer & ~lim->efer_supported)
        return "EFER reserved bit set";
    bool long_mode = (s->efer & EFER_LME) && (s->cr0 & CR0_PG);
    if ((s->efer & EFER_LMA) && !long_mode)
        return "EFER.LMA without EFER.LME and CR0.PG";
    if (long_mode && !(s->cr4 & CR4_PAE))
        return "EFER.LMA with CR4.PAE clear";
    if ((s->cr4 & CR4_PCIDE) && !long_mode)
        return "CR4.PCIDE outside IA-32e mode";
    uint64_t cr3_addr = (s->cr4 & CR4_PCIDE) ? s->cr3 & ~(1ull << 63) : s->cr3;
    if (lim->maxphyaddr < 64 && (cr3_addr >> lim->maxphyaddr))
        return "CR3 bits above MAXPHYADDR set";
    if ((s->dr6 >> 32) || (s->dr7 >> 32))
        return "DR6 / DR7 reserved bits 63:32 set";
    /* Hardware loads LMA from LME and PG, as the MOV to CR0 that re-enables paging would. */
    s->efer = long_mode ? s->efer | EFER_LMA : s->efer & ~EFER_LMA;
    *lma = long_mode;
    return NULL;
}

static const char *check_segments(struct x86_cpu_state *s, bool lma)
{
    bool pe = s->cr0 & CR0_PE, la57 = s->cr4 & CR4_LA57;
    struct x86_segment *cs = &s->seg[SREG_CS], *ss = &s->seg[SREG_SS];
    if (s->rflags & RFLAGS_VM)
        return "RFLAGS.VM set (RSM to virtual-8086 mode is not supported)";
    /* Loaded descriptors always have their accessed bit set; KVM sets it likewise for old maps. */
    for (unsigned i = 0; i < SREG_COUNT; i++)
        if (usable(&s->seg[i]))
            s->seg[i].ar |= TYPE_ACCESSED;
    if (lma && !(cs->sel & ~3u))
        return "CS null selector in IA-32e mode";
    if (!usable(cs) || !(cs->ar & X86_AR_S))
        return "CS not a present code segment";
    if (!(X86_AR_TYPE(cs->ar) & TYPE_CODE) && (pe || X86_AR_TYPE(cs->ar) != 3))
        return "CS not a code segment";
    if (lma && (cs->ar & X86_AR_L) && (cs->ar & X86_AR_DB))
        return "CS.L with CS.D set";
    if (pe && usable(ss)) {
        if (!(ss->ar & X86_AR_S) || (X86_AR_TYPE(ss->ar) & (TYPE_CODE | TYPE_WRITABLE)) != TYPE_WRITABLE)
            return "SS not a writable data segment";
        if (!(X86_AR_TYPE(cs->ar) & TYPE_CONFORMING) && X86_AR_DPL(cs->ar) != X86_AR_DPL(ss->ar))
            return "CS.DPL differs from SS.DPL";
        if ((ss->sel & 3u) != X86_AR_DPL(ss->ar))
            return "SS.RPL differs from SS.DPL";
    }
    if (!pe && usable(ss) && X86_AR_DPL(ss->ar) != 0)
        return "SS.DPL not 0 in real mode";
    if (!lma && pe && !usable(ss))
        return "SS null outside IA-32e mode";
    for (unsigned i = 0; i < SREG_COUNT; i++) {
        const struct x86_segment *g = &s->seg[i];
        if (!usable(g))
            continue;
        if (!(g->ar & X86_AR_S))
            return i == SREG_CS ? "CS a system segment" : "data segment register holds a system segment";
        if (i != SREG_CS && i != SREG_SS && (X86_AR_TYPE(g->ar) & TYPE_CODE) && !(X86_AR_TYPE(g->ar) & TYPE_READABLE))
            return "data segment register holds an execute-only code segment";
        if (!limit_fits_g(g))
            return limit_msg[i];
        if ((i == SREG_CS || i == SREG_SS || i == SREG_DS || i == SREG_ES) && (g->base >> 32))
            return "CS / SS / DS / ES base above 4 GiB";
        if ((i == SREG_FS || i == SREG_GS) && !canonical(g->base, la57))
            return "FS / GS base not canonical";
    }
    if (usable(&s->ldtr)) {
        if ((s->ldtr.ar & X86_AR_S) || X86_AR_TYPE(s->ldtr.ar) != TYPE_LDT || (s->ldtr.sel & 4u))
            return "LDTR not an LDT descriptor from the GDT";
        if (!limit_fits_g(&s->ldtr) || !canonical(s->ldtr.base, la57))
            return "LDTR limit or base invalid";
    }
    if (!usable(&s->tr) || (s->tr.ar & X86_AR_S) || (s->tr.sel & 4u) ||
        !(X86_AR_TYPE(s->tr.ar) == TYPE_TSS_BUSY || (!lma && X86_AR_TYPE(s->tr.ar) == TYPE_TSS16_BUSY)))
        return "TR not a busy TSS from the GDT";
    if (!limit_fits_g(&s->tr) || !canonical(s->tr.base, la57))
        return "TR limit or base invalid";
    if (s->gdtr.limit >> 16 || s->idtr.limit >> 16)
        return "GDTR / IDTR limit above 0xFFFF";
    if (!canonical(s->gdtr.base, la57) || !canonical(s->idtr.base, la57))
        return "GDTR / IDTR base not canonical";
    bool code64 = lma && (cs->ar & X86_AR_L);
    if (code64 ? !canonical(s->rip, la57) : (s->rip >> 32) != 0)
        return code64 ? "RIP not canonical" : "RIP above 4 GiB outside 64-bit code";
    return NULL;
}

const char *rsm_check(struct x86_cpu_state *s, const struct rsm_limits *lim)
{
    bool lma = false;
    const char *why = check_cr(s, lim, &lma);
    if (why)
        return why;
    s->rflags = (s->rflags & RFLAGS_DEFINED) | RFLAGS_FIXED1;
    return check_segments(s, lma);
}
