/* id_regs.c: the allow-list of ID register fields a guest sees (Arm ARM D17.2, the ID_* and
 * ID_AA64* register descriptions): one row per field, kept or hidden, with the reason; a
 * field without a row reads 0 too (tests/unit/test_id_regs.c wants a row for every field). A new CPU feature stays hidden until a row says why it is safe
 * (its EL2 controls handled, its traps emulated), as KVM's sanitised feature tables do. */
#include "id_regs.h"

#define KEEP(reg, lo, name, why)       { IDR_##reg, lo, 4, ID_KEEP, 0, name, why }
#define KEEPW(reg, lo, w, name, why)   { IDR_##reg, lo, w, ID_KEEP, 0, name, why }
#define CAP(reg, lo, v, name, why)     { IDR_##reg, lo, 4, ID_CAP, v, name, why }
#define SET(reg, lo, v, name, why)     { IDR_##reg, lo, 4, ID_SET, v, name, why }
#define HIDE(reg, lo, name, why)       { IDR_##reg, lo, 4, ID_HIDE, 0, name, why }

#define INSN   "EL0/EL1 instructions: no EL2 control, nothing traps"
#define A32    "AArch32 EL0 feature (EL1 is AArch64 only): no EL2 control"
#define MMU1   "stage-1 translation feature of EL1&0: the guest's own tables"
#define DEBUG  "self-hosted debug registers: live in hardware for the guest"
#define PAC    "pointer authentication: HCR_EL2.API/APK set, the keys stay live (one vCPU per pCPU)"
#define EL2    "an EL2 feature: the guest runs at EL1 (no nested virtualization)"
#define RES0   "unallocated (RES0)"
#define UNEMU  "not emulated: its state is not switched or its EL2 controls are not handled"

const struct id_field id_fields[] = {
    /* AArch32 registers: EL0 AArch32 state only; the fields the list hides are the GIC
     * (ID_PFR1 bits 31:28) and PerfMon (ID_DFR0 bits 27:24), which go through AArch64 here. */
    KEEPW(ID_PFR0_EL1, 0, 32, "all", A32),
    KEEPW(ID_PFR1_EL1, 0, 28, "ProgMod..GenTimer..Virt_frac", A32),
    HIDE(ID_PFR1_EL1, 28, "GIC", "the AArch32 GIC system registers: AArch64 EL1 only"),
    KEEPW(ID_DFR0_EL1, 0, 24, "CopDbg..MMapTrc", A32),
    HIDE(ID_DFR0_EL1, 24, "PerfMon", "the PMU is offered through AArch64 (ID_AA64DFR0_EL1.PMUVer)"),
    KEEP(ID_DFR0_EL1, 28, "TraceFilt", A32),
    KEEPW(ID_MMFR0_EL1, 0, 32, "all", A32), KEEPW(ID_MMFR1_EL1, 0, 32, "all", A32),
    KEEPW(ID_MMFR2_EL1, 0, 32, "all", A32), KEEPW(ID_MMFR3_EL1, 0, 32, "all", A32),
    KEEPW(ID_ISAR0_EL1, 0, 32, "all", A32), KEEPW(ID_ISAR1_EL1, 0, 32, "all", A32),
    KEEPW(ID_ISAR2_EL1, 0, 32, "all", A32), KEEPW(ID_ISAR3_EL1, 0, 32, "all", A32),
    KEEPW(ID_ISAR4_EL1, 0, 32, "all", A32), KEEPW(ID_ISAR5_EL1, 0, 32, "all", A32),
    KEEPW(ID_MMFR4_EL1, 0, 32, "all", A32), KEEPW(ID_ISAR6_EL1, 0, 32, "all", A32),
    KEEPW(MVFR0_EL1, 0, 32, "all", A32), KEEPW(MVFR1_EL1, 0, 32, "all", A32),
    KEEPW(MVFR2_EL1, 0, 32, "all", A32),

    /* ID_AA64PFR0_EL1. Hidden: EL2 (no nesting), RAS (HCR_EL2.TERR: records UNDEF), SVE (CPTR
     * traps, no SVE state switching), SEL2, MPAM, AMU, RME. */
    KEEP(ID_AA64PFR0_EL1, 0, "EL0", "EL0 AArch64 (and AArch32 where the host has it)"),
    KEEP(ID_AA64PFR0_EL1, 4, "EL1", "the guest's own EL"),
    KEEP(ID_AA64PFR0_EL1, 12, "EL3", "informational: SMC traps to EL2 (PSCI), never reaches EL3"),
    KEEP(ID_AA64PFR0_EL1, 16, "FP", "FP state switched lazily (fpsimd.c); signed, 0 = implemented"),
    KEEP(ID_AA64PFR0_EL1, 20, "AdvSIMD", "as FP"),
    SET(ID_AA64PFR0_EL1, 24, 1, "GIC", "the vGIC's GICv3 system-register interface (3 would claim GICv4.1)"),
    KEEP(ID_AA64PFR0_EL1, 48, "DIT", "PSTATE.DIT kept across injected exceptions (inject.c)"),
    KEEP(ID_AA64PFR0_EL1, 56, "CSV2", "speculation property of the CPU the guest runs on"),
    KEEP(ID_AA64PFR0_EL1, 60, "CSV3", "speculation property of the CPU the guest runs on"),
    HIDE(ID_AA64PFR0_EL1, 8, "EL2", EL2),
    HIDE(ID_AA64PFR0_EL1, 28, "RAS", "HCR_EL2.TERR: error records UNDEF; guest SErrors are virtual (inject.c)"),
    HIDE(ID_AA64PFR0_EL1, 32, "SVE", UNEMU " (CPTR_EL2 traps SVE)"),
    HIDE(ID_AA64PFR0_EL1, 36, "SEL2", EL2),
    HIDE(ID_AA64PFR0_EL1, 40, "MPAM", UNEMU),
    HIDE(ID_AA64PFR0_EL1, 44, "AMU", UNEMU),
    HIDE(ID_AA64PFR0_EL1, 52, "RME", EL2),

    /* ID_AA64PFR1_EL1. Hidden: MTE (tags not switched), RAS_frac, MPAM_frac, SME, RNDR_trap,
     * NMI, GCS, THE, DF2, PFAR and the rest. */
    KEEP(ID_AA64PFR1_EL1, 0, "BT", "BTI: PSTATE.BTYPE and SCTLR_EL1.BT* are EL1 state"),
    KEEP(ID_AA64PFR1_EL1, 4, "SSBS", "PSTATE.SSBS set from SCTLR_EL1.DSSBS on injection (inject.c)"),
    KEEP(ID_AA64PFR1_EL1, 32, "CSV2_frac", "speculation property of the CPU"),
    HIDE(ID_AA64PFR1_EL1, 8, "MTE", UNEMU " (allocation tags)"),
    HIDE(ID_AA64PFR1_EL1, 12, "RAS_frac", "RAS is hidden"),
    HIDE(ID_AA64PFR1_EL1, 16, "MPAM_frac", "MPAM is hidden"),
    HIDE(ID_AA64PFR1_EL1, 20, "bits 23:20", RES0),
    HIDE(ID_AA64PFR1_EL1, 24, "SME", UNEMU),
    HIDE(ID_AA64PFR1_EL1, 28, "RNDR_trap", EL2),
    HIDE(ID_AA64PFR1_EL1, 36, "NMI", UNEMU " (the vGIC has no NMIs)"),
    HIDE(ID_AA64PFR1_EL1, 40, "MTE_frac", "MTE is hidden"),
    HIDE(ID_AA64PFR1_EL1, 44, "GCS", UNEMU),
    HIDE(ID_AA64PFR1_EL1, 48, "THE", UNEMU),
    HIDE(ID_AA64PFR1_EL1, 52, "MTEX", "MTE is hidden"),
    HIDE(ID_AA64PFR1_EL1, 56, "DF2", UNEMU),
    HIDE(ID_AA64PFR1_EL1, 60, "PFAR", UNEMU),

    /* ID_AA64DFR0_EL1. Hidden: TraceVer, PMSS, SEBEP, PMSVer (SPE: MDCR_EL2.TPMS traps),
     * TraceFilt (MDCR_EL2.TTRF), TraceBuffer, MTPMU, BRBE, ExtTrcBuff, HPMN0. */
    KEEP(ID_AA64DFR0_EL1, 0, "DebugVer", DEBUG),
    { IDR_ID_AA64DFR0_EL1, 8, 4, ID_PMU, 0, "PMUVer",
      "the emulated PMUv3p5 (pmu_sysreg.c: PMU_PMUVER), where the host has a PMUv3" },
    KEEP(ID_AA64DFR0_EL1, 12, "BRPs", DEBUG),
    KEEP(ID_AA64DFR0_EL1, 20, "WRPs", DEBUG),
    KEEP(ID_AA64DFR0_EL1, 28, "CTX_CMPs", DEBUG),
    KEEP(ID_AA64DFR0_EL1, 36, "DoubleLock", "OSDLR_EL1 is EL1 state; signed, 0 = implemented"),
    HIDE(ID_AA64DFR0_EL1, 4, "TraceVer", UNEMU " (trace)"),
    HIDE(ID_AA64DFR0_EL1, 16, "PMSS", UNEMU),
    HIDE(ID_AA64DFR0_EL1, 24, "SEBEP", UNEMU),
    HIDE(ID_AA64DFR0_EL1, 32, "PMSVer", "SPE: MDCR_EL2.TPMS traps, UNDEF"),
    HIDE(ID_AA64DFR0_EL1, 40, "TraceFilt", "MDCR_EL2.TTRF traps, UNDEF"),
    HIDE(ID_AA64DFR0_EL1, 44, "TraceBuffer", UNEMU),
    HIDE(ID_AA64DFR0_EL1, 48, "MTPMU", "the emulated PMU has no PMCR_EL0.MT"),
    HIDE(ID_AA64DFR0_EL1, 52, "BRBE", UNEMU),
    HIDE(ID_AA64DFR0_EL1, 56, "ExtTrcBuff", UNEMU),
    HIDE(ID_AA64DFR0_EL1, 60, "HPMN0", EL2),

    /* ID_AA64ISAR0_EL1. Hidden: TME (transactional memory). */
    KEEP(ID_AA64ISAR0_EL1, 4, "AES", INSN), KEEP(ID_AA64ISAR0_EL1, 8, "SHA1", INSN),
    KEEP(ID_AA64ISAR0_EL1, 12, "SHA2", INSN), KEEP(ID_AA64ISAR0_EL1, 16, "CRC32", INSN),
    KEEP(ID_AA64ISAR0_EL1, 20, "Atomic", INSN), KEEP(ID_AA64ISAR0_EL1, 28, "RDM", INSN),
    KEEP(ID_AA64ISAR0_EL1, 32, "SHA3", INSN), KEEP(ID_AA64ISAR0_EL1, 36, "SM3", INSN),
    KEEP(ID_AA64ISAR0_EL1, 40, "SM4", INSN), KEEP(ID_AA64ISAR0_EL1, 44, "DP", INSN),
    KEEP(ID_AA64ISAR0_EL1, 48, "FHM", INSN), KEEP(ID_AA64ISAR0_EL1, 52, "TS", INSN),
    KEEP(ID_AA64ISAR0_EL1, 56, "TLB", "TLBI range/outer-shareable forms: VMID-tagged, stage 2 unaffected"),
    KEEP(ID_AA64ISAR0_EL1, 60, "RNDR", INSN),
    HIDE(ID_AA64ISAR0_EL1, 0, "bits 3:0", RES0),
    HIDE(ID_AA64ISAR0_EL1, 24, "TME", UNEMU),

    /* ID_AA64ISAR1_EL1. Hidden: LS64 (needs HCRX_EL2 enables; UNDEF otherwise). */
    KEEP(ID_AA64ISAR1_EL1, 0, "DPB", INSN), KEEP(ID_AA64ISAR1_EL1, 4, "APA", PAC),
    KEEP(ID_AA64ISAR1_EL1, 8, "API", PAC), KEEP(ID_AA64ISAR1_EL1, 12, "JSCVT", INSN),
    KEEP(ID_AA64ISAR1_EL1, 16, "FCMA", INSN), KEEP(ID_AA64ISAR1_EL1, 20, "LRCPC", INSN),
    KEEP(ID_AA64ISAR1_EL1, 24, "GPA", PAC), KEEP(ID_AA64ISAR1_EL1, 28, "GPI", PAC),
    KEEP(ID_AA64ISAR1_EL1, 32, "FRINTTS", INSN), KEEP(ID_AA64ISAR1_EL1, 36, "SB", INSN),
    KEEP(ID_AA64ISAR1_EL1, 40, "SPECRES", INSN), KEEP(ID_AA64ISAR1_EL1, 44, "BF16", INSN),
    KEEP(ID_AA64ISAR1_EL1, 48, "DGH", INSN), KEEP(ID_AA64ISAR1_EL1, 52, "I8MM", INSN),
    KEEP(ID_AA64ISAR1_EL1, 56, "XS", "TLBI/DSB nXS forms: no EL2 control"),
    HIDE(ID_AA64ISAR1_EL1, 60, "LS64", "needs HCRX_EL2 enables: UNDEF here"),

    /* ID_AA64ISAR2_EL1. Hidden: SYSREG_128, SYSINSTR_128, ATS1A, LUT and the rest. */
    KEEP(ID_AA64ISAR2_EL1, 0, "WFxT", "WFIT traps (HCR_EL2.TWI) and blocks until its Rt deadline (trap.c, "
                                      "vcpu.c); WFET returns at once, as WFE does"),
    KEEP(ID_AA64ISAR2_EL1, 4, "RPRES", INSN),
    KEEP(ID_AA64ISAR2_EL1, 8, "GPA3", PAC),
    KEEP(ID_AA64ISAR2_EL1, 12, "APA3", PAC),
    { IDR_ID_AA64ISAR2_EL1, 16, 4, ID_KEEP_IF_HCX, 0, "MOPS",
      "SETP/SETM/SETE, CPY*: enabled by HCRX_EL2.MSCEn (vcpu.c), which exists only with HCX; UNDEF without it" },
    KEEP(ID_AA64ISAR2_EL1, 20, "BC", INSN),
    KEEP(ID_AA64ISAR2_EL1, 24, "PAC_frac", PAC),
    KEEP(ID_AA64ISAR2_EL1, 28, "CLRBHB", INSN),
    KEEP(ID_AA64ISAR2_EL1, 48, "RPRFM", INSN),
    KEEP(ID_AA64ISAR2_EL1, 52, "CSSC", INSN),
    HIDE(ID_AA64ISAR2_EL1, 32, "SYSREG_128", UNEMU),
    HIDE(ID_AA64ISAR2_EL1, 36, "SYSINSTR_128", UNEMU),
    HIDE(ID_AA64ISAR2_EL1, 40, "PRFMSLC", "not reviewed"),
    HIDE(ID_AA64ISAR2_EL1, 44, "bits 47:44", RES0),
    HIDE(ID_AA64ISAR2_EL1, 56, "LUT", "not reviewed"),
    HIDE(ID_AA64ISAR2_EL1, 60, "ATS1A", UNEMU),

    /* ID_AA64MMFR0_EL1. Hidden: TGran*_2 (stage 2 is ours), FGT, ECV (EL2 controls). */
    CAP(ID_AA64MMFR0_EL1, 0, 5, "PARange", "the guest's IPA space: 48 bits (VTCR_EL2.T0SZ = 16, vcpu.c)"),
    KEEP(ID_AA64MMFR0_EL1, 4, "ASIDBits", MMU1),
    KEEP(ID_AA64MMFR0_EL1, 8, "BigEnd", MMU1),
    KEEP(ID_AA64MMFR0_EL1, 12, "SNSMem", MMU1),
    KEEP(ID_AA64MMFR0_EL1, 16, "BigEndEL0", MMU1),
    KEEP(ID_AA64MMFR0_EL1, 20, "TGran16", MMU1),
    KEEP(ID_AA64MMFR0_EL1, 24, "TGran64", MMU1 " (signed, 0 = supported)"),
    KEEP(ID_AA64MMFR0_EL1, 28, "TGran4", MMU1 " (signed, 0 = supported)"),
    KEEP(ID_AA64MMFR0_EL1, 44, "ExS", "SCTLR_EL1.EIS/EOS: EL1 state"),
    HIDE(ID_AA64MMFR0_EL1, 32, "TGran16_2", EL2 " (stage 2 is the hypervisor's)"),
    HIDE(ID_AA64MMFR0_EL1, 36, "TGran64_2", EL2 " (stage 2 is the hypervisor's)"),
    HIDE(ID_AA64MMFR0_EL1, 40, "TGran4_2", EL2 " (stage 2 is the hypervisor's)"),
    HIDE(ID_AA64MMFR0_EL1, 48, "bits 51:48", RES0),
    HIDE(ID_AA64MMFR0_EL1, 52, "bits 55:52", RES0),
    HIDE(ID_AA64MMFR0_EL1, 56, "FGT", EL2),
    HIDE(ID_AA64MMFR0_EL1, 60, "ECV", EL2 " (CNTPOFF, the SS counter views unreviewed)"),

    /* ID_AA64MMFR1_EL1. Hidden: VMIDBits, VH, LO (HCR_EL2.TLOR), XNX, TWED, HCX, TIDCP1 (EL2
     * or EL2-controlled features). */
    KEEP(ID_AA64MMFR1_EL1, 0, "HAFDBS", MMU1),
    KEEP(ID_AA64MMFR1_EL1, 12, "HPDS", MMU1),
    KEEP(ID_AA64MMFR1_EL1, 20, "PAN", "PSTATE.PAN kept per SCTLR_EL1.SPAN on injection (inject.c)"),
    KEEP(ID_AA64MMFR1_EL1, 24, "SpecSEI", "informational"),
    KEEP(ID_AA64MMFR1_EL1, 36, "ETS", MMU1),
    KEEP(ID_AA64MMFR1_EL1, 44, "AFP", "FPCR bits: FP state switched whole"),
    KEEP(ID_AA64MMFR1_EL1, 48, "nTLBPA", MMU1),
    KEEP(ID_AA64MMFR1_EL1, 56, "CMOW", "SCTLR_EL1.CMOW: EL1 state"),
    KEEP(ID_AA64MMFR1_EL1, 60, "ECBHB", "speculation property of the CPU"),
    HIDE(ID_AA64MMFR1_EL1, 4, "VMIDBits", EL2),
    HIDE(ID_AA64MMFR1_EL1, 8, "VH", EL2),
    HIDE(ID_AA64MMFR1_EL1, 16, "LO", "HCR_EL2.TLOR traps the LORegion registers: UNDEF"),
    HIDE(ID_AA64MMFR1_EL1, 28, "XNX", EL2 " (stage 2)"),
    HIDE(ID_AA64MMFR1_EL1, 32, "TWED", EL2),
    HIDE(ID_AA64MMFR1_EL1, 40, "HCX", EL2),
    HIDE(ID_AA64MMFR1_EL1, 52, "TIDCP1", "not reviewed"),

    /* ID_AA64MMFR2_EL1. Hidden: NV (no nesting), IDS, FWB (stage 2), EVT (EL2 traps). */
    KEEP(ID_AA64MMFR2_EL1, 0, "CnP", MMU1),
    KEEP(ID_AA64MMFR2_EL1, 4, "UAO", MMU1),
    KEEP(ID_AA64MMFR2_EL1, 8, "LSM", MMU1),
    KEEP(ID_AA64MMFR2_EL1, 12, "IESB", "SCTLR_EL1.IESB: EL1 state"),
    KEEP(ID_AA64MMFR2_EL1, 16, "VARange", MMU1),
    KEEP(ID_AA64MMFR2_EL1, 20, "CCIDX", "CCSIDR_EL1 format of the host's caches"),
    KEEP(ID_AA64MMFR2_EL1, 28, "ST", MMU1),
    KEEP(ID_AA64MMFR2_EL1, 32, "AT", "unaligned single-copy atomicity: CPU property"),
    KEEP(ID_AA64MMFR2_EL1, 48, "TTL", "TLBI level hints: VMID-tagged"),
    KEEP(ID_AA64MMFR2_EL1, 52, "BBM", MMU1),
    KEEP(ID_AA64MMFR2_EL1, 60, "E0PD", MMU1),
    HIDE(ID_AA64MMFR2_EL1, 24, "NV", EL2),
    HIDE(ID_AA64MMFR2_EL1, 36, "IDS", "not reviewed"),
    HIDE(ID_AA64MMFR2_EL1, 40, "FWB", EL2 " (stage 2)"),
    HIDE(ID_AA64MMFR2_EL1, 44, "bits 47:44", RES0),
    HIDE(ID_AA64MMFR2_EL1, 56, "EVT", EL2),
};

const uint32_t id_field_count = sizeof(id_fields) / sizeof(id_fields[0]);

static uint64_t field_mask(const struct id_field *f)
{
    return (f->width >= 64 ? ~0ull : (1ull << f->width) - 1) << f->lo;
}

void id_regs_sanitise(const uint64_t host[ID_REG_COUNT], const struct id_caps *caps, uint64_t guest[ID_REG_COUNT])
{
    for (uint32_t r = 0; r < ID_REG_COUNT; r++)
        guest[r] = 0;
    for (uint32_t i = 0; i < id_field_count; i++) {
        const struct id_field *f = &id_fields[i];
        uint64_t mask = field_mask(f), h = (host[f->reg] & mask) >> f->lo, v = 0;
        switch (f->policy) {
        case ID_KEEP:
            v = h;
            break;
        case ID_CAP:
            v = h < f->value ? h : f->value;
            break;
        case ID_SET:
            v = f->value;
            break;
        case ID_KEEP_IF_HCX:
            v = caps->hcx ? h : 0;
            break;
        case ID_HIDE:
            v = 0;
            break;
        case ID_PMU:
            v = caps->pmuver;
            break;
        }
        guest[f->reg] = (guest[f->reg] & ~mask) | ((v << f->lo) & mask);
    }
}
