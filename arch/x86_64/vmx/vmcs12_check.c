/* vmcs12_check.c: the VM-entry checks on a vmcs12 (Intel SDM Vol. 3C, 26.2.1 VM-execution, VM-exit and
 * VM-entry controls; 26.2.2-26.2.4 host state; 26.3.1 guest state), in the manual's order. Every
 * feature not offered to L1 (nested_caps.c: no EPT, VPID, unrestricted guest, TPR shadow, activity
 * states other than active, VMCS shadowing) is refused by the control checks, so the guest-state checks
 * here are those of an entry without them. */
#include <stddef.h>
#include "vmcs12_check.h"
#include "nested_ept.h"

#define FAIL(code, text) do { *why = (text); return (code); } while (0)

#define CR0_PE (1ull << 0)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_PCIDE (1ull << 17)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_RESERVED (~((1ull << 0) | EFER_LME | EFER_LMA | (1ull << 11)))   /* SCE, LME, LMA, NXE */
#define RFLAGS_FIXED1 (1ull << 1)
#define RFLAGS_RESERVED (~0x3F7FD7ull)     /* 63:22, 15, 5, 3 (SDM Vol. 1, 3.4.3) */
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_VM (1ull << 17)
#define DEBUGCTL_ALLOWED 0x3ull            /* LBR, BTF: what KVM lets a guest set without a vPMU */

#define AR_TYPE(ar) ((ar) & 0xF)
#define AR_S(ar) (((ar) >> 4) & 1)
#define AR_DPL(ar) (((ar) >> 5) & 3)
#define AR_P(ar) (((ar) >> 7) & 1)
#define AR_L(ar) (((ar) >> 13) & 1)
#define AR_DB(ar) (((ar) >> 14) & 1)
#define AR_G(ar) (((ar) >> 15) & 1)
#define AR_UNUSABLE(ar) (((ar) >> 16) & 1)
#define AR_RESERVED 0xFFFE0F00u            /* 11:8 and 31:17 */

#define INTR_VALID (1u << 31)
#define INTR_TYPE(i) (((i) >> 8) & 7)
#define INTR_DELIVER_ERROR (1u << 11)
#define INTR_RESERVED 0x7FFFF000u          /* 30:12 */
enum { INTR_EXT = 0, INTR_NMI = 2, INTR_HW_EXC = 3, INTR_SW_INT = 4, INTR_PRIV_SW_EXC = 5, INTR_SW_EXC = 6, INTR_OTHER = 7 };

#define INTERRUPTIBILITY_STI (1u << 0)
#define INTERRUPTIBILITY_MOVSS (1u << 1)
#define INTERRUPTIBILITY_SMI (1u << 2)
#define INTERRUPTIBILITY_NMI (1u << 3)

static bool canonical(uint64_t a) { return (uint64_t)((int64_t)(a << 16) >> 16) == a; }
static bool beyond_phys(uint64_t a, uint32_t bits) { return bits < 64 && (a >> bits) != 0; }

/* A control satisfies its capability MSR: allowed-0 bits (low word) set, only allowed-1 bits (high). */
static bool ctl_ok(uint64_t value, uint64_t cap)
{
    uint32_t must1 = (uint32_t)cap, may1 = (uint32_t)(cap >> 32);
    return (value >> 32) == 0 && ((uint32_t)value & must1) == must1 && ((uint32_t)value & ~may1) == 0;
}

static bool page_addr_ok(uint64_t a, uint32_t bits) { return !(a & 0xFFF) && !beyond_phys(a, bits); }

/* The PAT rule of 26.2.2 / 26.3.1.1: each byte 0, 1, 4, 5, 6 or 7. */
static bool pat_ok(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        uint8_t t = (uint8_t)(pat >> (8 * i));
        if (t > 7 || t == 2 || t == 3)
            return false;
    }
    return true;
}

/* 26.2.1.3: the VM-entry interruption-information field. */
static uint32_t check_entry_event(const struct vmcs12 *v, const struct vmcs12_check_env *e, const char **why)
{
    (void)e;
    uint32_t info = (uint32_t)v12(v, V12_VM_ENTRY_INTR_INFO_FIELD);
    if (!(info & INTR_VALID))
        return 0;
    uint32_t type = INTR_TYPE(info), vector = info & 0xFF;
    if (type == 1 || type == INTR_OTHER)
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "entry interruption type reserved (1) or other event without MTF (7)");
    if (type == INTR_NMI && vector != 2)
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "NMI injection with a vector other than 2");
    if (type == INTR_HW_EXC && vector > 31)
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "hardware exception vector above 31");
    /* Deliver error code: exactly for a hardware exception that has one, in protected mode (no
     * unrestricted guest is offered, so CR0.PE is 1). */
    bool has_error = type == INTR_HW_EXC && (vector == 8 || (vector >= 10 && vector <= 14) || vector == 17);
    if (!!(info & INTR_DELIVER_ERROR) != has_error)
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "deliver-error-code bit does not match the vector");
    if (info & INTR_RESERVED)
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "entry interruption information bits 30:12 set");
    if ((info & INTR_DELIVER_ERROR) && (v12(v, V12_VM_ENTRY_EXCEPTION_ERROR_CODE) >> 15))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "entry exception error code bits 31:15 set");
    uint64_t len = v12(v, V12_VM_ENTRY_INSTRUCTION_LEN);
    if ((type == INTR_SW_INT || type == INTR_PRIV_SW_EXC || type == INTR_SW_EXC) && (len == 0 || len > 15))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "entry instruction length not 1-15 for a software event");
    return 0;
}

uint32_t vmcs12_check_controls(const struct vmcs12 *v, const struct vmcs12_check_env *e, const char **why)
{
    const struct nested_vmx_ctls *c = &e->caps;
    uint64_t pin = v12(v, V12_PIN_BASED_VM_EXEC_CONTROL), cpu = v12(v, V12_CPU_BASED_VM_EXEC_CONTROL);
    uint64_t exit = v12(v, V12_VM_EXIT_CONTROLS), entry = v12(v, V12_VM_ENTRY_CONTROLS);
    /* 26.2.1.1 */
    if (!ctl_ok(pin, c->pin))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "pin-based controls outside IA32_VMX_TRUE_PINBASED_CTLS");
    if (!ctl_ok(cpu, c->proc))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "processor-based controls outside IA32_VMX_TRUE_PROCBASED_CTLS");
    if ((cpu & V12_CPU_SECONDARY) && !ctl_ok(v12(v, V12_SECONDARY_VM_EXEC_CONTROL), c->proc2))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "secondary controls outside IA32_VMX_PROCBASED_CTLS2");
    uint64_t sec = (cpu & V12_CPU_SECONDARY) ? v12(v, V12_SECONDARY_VM_EXEC_CONTROL) : 0;
    if ((sec & V12_SEC_VPID) && !(v12(v, V12_VIRTUAL_PROCESSOR_ID) & 0xFFFF))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "enable VPID with VPID 0");
    if (sec & V12_SEC_EPT) {
        const char *bad = nested_eptp_invalid(v12(v, V12_EPT_POINTER), c->ept_vpid_cap, e->phys_bits);
        if (bad)
            FAIL(VMXERR_ENTRY_INVALID_CONTROL, bad);
    }
    if (v12(v, V12_CR3_TARGET_COUNT) > 4)
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "CR3-target count above 4");
    if ((cpu & V12_CPU_IO_BITMAPS) &&
        (!page_addr_ok(v12(v, V12_IO_BITMAP_A), e->phys_bits) || !page_addr_ok(v12(v, V12_IO_BITMAP_B), e->phys_bits)))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "I/O bitmap address not 4 KiB aligned or beyond MAXPHYADDR");
    if ((cpu & V12_CPU_MSR_BITMAPS) && !page_addr_ok(v12(v, V12_MSR_BITMAP), e->phys_bits))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "MSR bitmap address not 4 KiB aligned or beyond MAXPHYADDR");
    if (!(pin & V12_PIN_NMI_EXITING) && (pin & V12_PIN_VIRTUAL_NMIS))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "virtual NMIs without NMI exiting");
    if (!(pin & V12_PIN_VIRTUAL_NMIS) && (cpu & V12_CPU_NMI_WINDOW))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "NMI-window exiting without virtual NMIs");
    /* 26.2.1.2 */
    if (!ctl_ok(exit, c->exit))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "VM-exit controls outside IA32_VMX_TRUE_EXIT_CTLS");
    if (!(pin & V12_PIN_PREEMPT_TIMER) && (exit & V12_EXIT_SAVE_PREEMPT))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "save preemption timer without the timer");
    if (v12(v, V12_VM_EXIT_MSR_STORE_COUNT) &&
        ((v12(v, V12_VM_EXIT_MSR_STORE_ADDR) & 0xF) || beyond_phys(v12(v, V12_VM_EXIT_MSR_STORE_ADDR), e->phys_bits)))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "VM-exit MSR-store address not 16-byte aligned or beyond MAXPHYADDR");
    if (v12(v, V12_VM_EXIT_MSR_LOAD_COUNT) &&
        ((v12(v, V12_VM_EXIT_MSR_LOAD_ADDR) & 0xF) || beyond_phys(v12(v, V12_VM_EXIT_MSR_LOAD_ADDR), e->phys_bits)))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "VM-exit MSR-load address not 16-byte aligned or beyond MAXPHYADDR");
    /* 26.2.1.3 */
    if (!ctl_ok(entry, c->entry))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "VM-entry controls outside IA32_VMX_TRUE_ENTRY_CTLS");
    uint32_t r = check_entry_event(v, e, why);
    if (r)
        return r;
    if (v12(v, V12_VM_ENTRY_MSR_LOAD_COUNT) &&
        ((v12(v, V12_VM_ENTRY_MSR_LOAD_ADDR) & 0xF) || beyond_phys(v12(v, V12_VM_ENTRY_MSR_LOAD_ADDR), e->phys_bits)))
        FAIL(VMXERR_ENTRY_INVALID_CONTROL, "VM-entry MSR-load address not 16-byte aligned or beyond MAXPHYADDR");
    return 0;
}

static bool fixed_ok(uint64_t value, uint64_t fixed0, uint64_t fixed1)
{
    return (value & fixed0) == fixed0 && (value & ~fixed1) == 0;
}

uint32_t vmcs12_check_host(const struct vmcs12 *v, const struct vmcs12_check_env *e, const char **why)
{
    const struct nested_vmx_ctls *c = &e->caps;
    uint64_t exit = v12(v, V12_VM_EXIT_CONTROLS), entry = v12(v, V12_VM_ENTRY_CONTROLS);
    bool host64 = exit & V12_EXIT_HOST_ADDR64;
    /* 26.2.2 */
    if (!fixed_ok(v12(v, V12_HOST_CR0), c->cr0_fixed0, c->cr0_fixed1))
        FAIL(VMXERR_ENTRY_INVALID_HOST, "HOST_CR0 violates IA32_VMX_CR0_FIXED0/1");
    if (!fixed_ok(v12(v, V12_HOST_CR4), c->cr4_fixed0, c->cr4_fixed1))
        FAIL(VMXERR_ENTRY_INVALID_HOST, "HOST_CR4 violates IA32_VMX_CR4_FIXED0/1");
    if (beyond_phys(v12(v, V12_HOST_CR3), e->phys_bits))
        FAIL(VMXERR_ENTRY_INVALID_HOST, "HOST_CR3 beyond MAXPHYADDR");
    if (!canonical(v12(v, V12_HOST_IA32_SYSENTER_ESP)) || !canonical(v12(v, V12_HOST_IA32_SYSENTER_EIP)))
        FAIL(VMXERR_ENTRY_INVALID_HOST, "HOST_IA32_SYSENTER_ESP/EIP not canonical");
    if ((exit & V12_EXIT_LOAD_PAT) && !pat_ok(v12(v, V12_HOST_IA32_PAT)))
        FAIL(VMXERR_ENTRY_INVALID_HOST, "HOST_IA32_PAT holds an invalid memory type");
    if (exit & V12_EXIT_LOAD_EFER) {
        uint64_t efer = v12(v, V12_HOST_IA32_EFER);
        if (efer & EFER_RESERVED)
            FAIL(VMXERR_ENTRY_INVALID_HOST, "HOST_IA32_EFER reserved bits set");
        if (!!(efer & EFER_LMA) != host64 || !!(efer & EFER_LME) != host64)
            FAIL(VMXERR_ENTRY_INVALID_HOST, "HOST_IA32_EFER.LMA/LME differ from host address-space size");
    }
    /* 26.2.3 */
    static const enum vmcs12_index sel[] = { V12_HOST_ES_SELECTOR, V12_HOST_CS_SELECTOR, V12_HOST_SS_SELECTOR,
                                             V12_HOST_DS_SELECTOR, V12_HOST_FS_SELECTOR, V12_HOST_GS_SELECTOR,
                                             V12_HOST_TR_SELECTOR };
    for (size_t i = 0; i < sizeof(sel) / sizeof(sel[0]); i++)
        if (v12(v, sel[i]) & 7)
            FAIL(VMXERR_ENTRY_INVALID_HOST, "a host selector has RPL or TI set");
    if (!v12(v, V12_HOST_CS_SELECTOR))
        FAIL(VMXERR_ENTRY_INVALID_HOST, "HOST_CS_SELECTOR is 0");
    if (!v12(v, V12_HOST_TR_SELECTOR))
        FAIL(VMXERR_ENTRY_INVALID_HOST, "HOST_TR_SELECTOR is 0");
    if (!host64 && !v12(v, V12_HOST_SS_SELECTOR))
        FAIL(VMXERR_ENTRY_INVALID_HOST, "HOST_SS_SELECTOR is 0 without a 64-bit host");
    if (!canonical(v12(v, V12_HOST_FS_BASE)) || !canonical(v12(v, V12_HOST_GS_BASE)) ||
        !canonical(v12(v, V12_HOST_GDTR_BASE)) || !canonical(v12(v, V12_HOST_IDTR_BASE)) ||
        !canonical(v12(v, V12_HOST_TR_BASE)))
        FAIL(VMXERR_ENTRY_INVALID_HOST, "a host base address is not canonical");
    /* 26.2.4 */
    if (e->l1_ia32e != host64)
        FAIL(VMXERR_ENTRY_INVALID_HOST, "host address-space size differs from L1's IA-32e mode");
    if (!e->l1_ia32e && (entry & V12_ENTRY_IA32E))
        FAIL(VMXERR_ENTRY_INVALID_HOST, "IA-32e mode guest from a host outside IA-32e mode");
    if (host64) {
        if (!(v12(v, V12_HOST_CR4) & CR4_PAE))
            FAIL(VMXERR_ENTRY_INVALID_HOST, "64-bit host without HOST_CR4.PAE");
        if (!canonical(v12(v, V12_HOST_RIP)))
            FAIL(VMXERR_ENTRY_INVALID_HOST, "HOST_RIP not canonical");
    } else {
        if (v12(v, V12_HOST_CR4) & CR4_PCIDE)
            FAIL(VMXERR_ENTRY_INVALID_HOST, "HOST_CR4.PCIDE without a 64-bit host");
        if (v12(v, V12_HOST_RIP) >> 32)
            FAIL(VMXERR_ENTRY_INVALID_HOST, "HOST_RIP above 4 GiB without a 64-bit host");
    }
    return 0;
}

/* A segment's limit against its granularity (26.3.1.2): limit[11:0] not all ones needs G = 0,
 * limit[31:20] not all zeros needs G = 1. */
static bool limit_g_ok(uint64_t limit, uint32_t ar)
{
    if ((limit & 0xFFF) != 0xFFF && AR_G(ar))
        return false;
    if ((limit >> 20) && !AR_G(ar))
        return false;
    return true;
}

#define GFAIL(text) do { *why = (text); return VMCS12_EXIT_INVALID_GUEST_STATE; } while (0)

static uint32_t check_guest_segments(const struct vmcs12 *v, bool ia32e, const char **why)
{
    uint32_t cs = (uint32_t)v12(v, V12_GUEST_CS_AR_BYTES), ss = (uint32_t)v12(v, V12_GUEST_SS_AR_BYTES);
    uint32_t tr = (uint32_t)v12(v, V12_GUEST_TR_AR_BYTES), ldtr = (uint32_t)v12(v, V12_GUEST_LDTR_AR_BYTES);
    /* Selectors */
    if (v12(v, V12_GUEST_TR_SELECTOR) & 4)
        GFAIL("GUEST_TR_SELECTOR.TI set");
    if (!AR_UNUSABLE(ldtr) && (v12(v, V12_GUEST_LDTR_SELECTOR) & 4))
        GFAIL("GUEST_LDTR_SELECTOR.TI set");
    if ((v12(v, V12_GUEST_SS_SELECTOR) & 3) != (v12(v, V12_GUEST_CS_SELECTOR) & 3))
        GFAIL("SS.RPL differs from CS.RPL");
    /* Bases */
    if (!canonical(v12(v, V12_GUEST_TR_BASE)) || !canonical(v12(v, V12_GUEST_FS_BASE)) ||
        !canonical(v12(v, V12_GUEST_GS_BASE)) || (!AR_UNUSABLE(ldtr) && !canonical(v12(v, V12_GUEST_LDTR_BASE))))
        GFAIL("TR, FS, GS or LDTR base not canonical");
    if ((v12(v, V12_GUEST_CS_BASE) >> 32) || (!AR_UNUSABLE(ss) && (v12(v, V12_GUEST_SS_BASE) >> 32)))
        GFAIL("CS or SS base above 4 GiB");
    static const struct { enum vmcs12_index ar, base, limit; } data[] = {
        { V12_GUEST_DS_AR_BYTES, V12_GUEST_DS_BASE, V12_GUEST_DS_LIMIT },
        { V12_GUEST_ES_AR_BYTES, V12_GUEST_ES_BASE, V12_GUEST_ES_LIMIT },
        { V12_GUEST_FS_AR_BYTES, V12_GUEST_FS_BASE, V12_GUEST_FS_LIMIT },
        { V12_GUEST_GS_AR_BYTES, V12_GUEST_GS_BASE, V12_GUEST_GS_LIMIT },
    };
    /* Access rights: CS */
    uint32_t cs_type = AR_TYPE(cs);
    if (cs_type != 9 && cs_type != 11 && cs_type != 13 && cs_type != 15)
        GFAIL("CS type is not an accessed code segment");
    if (!AR_S(cs) || !AR_P(cs) || (cs & AR_RESERVED) || AR_UNUSABLE(cs))
        GFAIL("CS S, P or reserved access-rights bits wrong");
    if ((cs_type == 9 || cs_type == 11) && AR_DPL(cs) != AR_DPL(ss))
        GFAIL("non-conforming CS.DPL differs from SS.DPL");
    if ((cs_type == 13 || cs_type == 15) && AR_DPL(cs) > AR_DPL(ss))
        GFAIL("conforming CS.DPL above SS.DPL");
    if (ia32e && AR_L(cs) && AR_DB(cs))
        GFAIL("64-bit CS with D/B set");
    if (!limit_g_ok(v12(v, V12_GUEST_CS_LIMIT), cs))
        GFAIL("CS limit and granularity disagree");
    /* SS */
    if (!AR_UNUSABLE(ss)) {
        if (AR_TYPE(ss) != 3 && AR_TYPE(ss) != 7)
            GFAIL("SS type is not a read/write data segment");
        if (!AR_S(ss) || !AR_P(ss) || (ss & AR_RESERVED) || !limit_g_ok(v12(v, V12_GUEST_SS_LIMIT), ss))
            GFAIL("SS S, P, reserved bits or limit wrong");
    }
    if (AR_DPL(ss) != (v12(v, V12_GUEST_SS_SELECTOR) & 3))
        GFAIL("SS.DPL differs from SS.RPL");
    /* DS, ES, FS, GS when usable */
    for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
        uint32_t ar = (uint32_t)v12(v, data[i].ar);
        if (AR_UNUSABLE(ar))
            continue;
        if (!(AR_TYPE(ar) & 1) || ((AR_TYPE(ar) & 8) && !(AR_TYPE(ar) & 2)))
            GFAIL("DS/ES/FS/GS type not accessed, or code without read");
        if (!AR_S(ar) || !AR_P(ar) || (ar & AR_RESERVED) || !limit_g_ok(v12(v, data[i].limit), ar))
            GFAIL("DS/ES/FS/GS S, P, reserved bits or limit wrong");
        if (i < 2 && (v12(v, data[i].base) >> 32))
            GFAIL("DS or ES base above 4 GiB");
    }
    /* TR */
    if (ia32e ? AR_TYPE(tr) != 11 : (AR_TYPE(tr) != 3 && AR_TYPE(tr) != 11))
        GFAIL("TR type is not a busy TSS of the right size");
    if (AR_S(tr) || !AR_P(tr) || (tr & AR_RESERVED) || AR_UNUSABLE(tr) || !limit_g_ok(v12(v, V12_GUEST_TR_LIMIT), tr))
        GFAIL("TR S, P, unusable, reserved bits or limit wrong");
    /* LDTR when usable */
    if (!AR_UNUSABLE(ldtr) && (AR_TYPE(ldtr) != 2 || AR_S(ldtr) || !AR_P(ldtr) || (ldtr & AR_RESERVED) ||
                               !limit_g_ok(v12(v, V12_GUEST_LDTR_LIMIT), ldtr)))
        GFAIL("LDTR type, S, P, reserved bits or limit wrong");
    /* 26.3.1.3: GDTR, IDTR */
    if (!canonical(v12(v, V12_GUEST_GDTR_BASE)) || !canonical(v12(v, V12_GUEST_IDTR_BASE)))
        GFAIL("GDTR or IDTR base not canonical");
    if ((v12(v, V12_GUEST_GDTR_LIMIT) >> 16) || (v12(v, V12_GUEST_IDTR_LIMIT) >> 16))
        GFAIL("GDTR or IDTR limit above 0xFFFF");
    return 0;
}

uint32_t vmcs12_check_guest(const struct vmcs12 *v, const struct vmcs12_check_env *e, uint64_t *qual,
                            const char **why)
{
    const struct nested_vmx_ctls *c = &e->caps;
    uint64_t entry = v12(v, V12_VM_ENTRY_CONTROLS);
    bool ia32e = entry & V12_ENTRY_IA32E;
    uint64_t cr0 = v12(v, V12_GUEST_CR0), cr4 = v12(v, V12_GUEST_CR4);
    *qual = 0;
    /* 26.3.1.1: control registers, debug registers, MSRs */
    if (!fixed_ok(cr0, c->cr0_fixed0, c->cr0_fixed1))
        GFAIL("GUEST_CR0 violates IA32_VMX_CR0_FIXED0/1");
    if (!fixed_ok(cr4, c->cr4_fixed0, c->cr4_fixed1))
        GFAIL("GUEST_CR4 violates IA32_VMX_CR4_FIXED0/1");
    if ((entry & V12_ENTRY_LOAD_DEBUG) &&
        ((v12(v, V12_GUEST_IA32_DEBUGCTL) & ~DEBUGCTL_ALLOWED) || (v12(v, V12_GUEST_DR7) >> 32)))
        GFAIL("GUEST_IA32_DEBUGCTL reserved bits or GUEST_DR7[63:32] set");
    if (ia32e && (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE)))
        GFAIL("IA-32e mode guest without CR0.PG and CR4.PAE");
    if (!ia32e && (cr4 & CR4_PCIDE))
        GFAIL("CR4.PCIDE outside IA-32e mode");
    if (beyond_phys(v12(v, V12_GUEST_CR3), e->phys_bits))
        GFAIL("GUEST_CR3 beyond MAXPHYADDR");
    if (!canonical(v12(v, V12_GUEST_SYSENTER_ESP)) || !canonical(v12(v, V12_GUEST_SYSENTER_EIP)))
        GFAIL("GUEST_SYSENTER_ESP/EIP not canonical");
    if ((entry & V12_ENTRY_LOAD_PAT) && !pat_ok(v12(v, V12_GUEST_IA32_PAT)))
        GFAIL("GUEST_IA32_PAT holds an invalid memory type");
    if (entry & V12_ENTRY_LOAD_EFER) {
        uint64_t efer = v12(v, V12_GUEST_IA32_EFER);
        if (efer & EFER_RESERVED)
            GFAIL("GUEST_IA32_EFER reserved bits set");
        if (!!(efer & EFER_LMA) != ia32e)
            GFAIL("GUEST_IA32_EFER.LMA differs from the IA-32e mode guest control");
        if ((cr0 & CR0_PG) && !!(efer & EFER_LME) != !!(efer & EFER_LMA))
            GFAIL("GUEST_IA32_EFER.LME differs from LMA with paging on");
    }
    /* 26.3.1.2-3: segments, descriptor tables (no virtual-8086 guest: RFLAGS.VM is refused below) */
    uint32_t r = check_guest_segments(v, ia32e, why);
    if (r)
        return r;
    /* 26.3.1.4: RIP and RFLAGS */
    uint64_t rip = v12(v, V12_GUEST_RIP), rflags = v12(v, V12_GUEST_RFLAGS);
    bool cs_l = AR_L((uint32_t)v12(v, V12_GUEST_CS_AR_BYTES));
    if (!(ia32e && cs_l) && (rip >> 32))
        GFAIL("GUEST_RIP above 4 GiB outside 64-bit mode");
    if (ia32e && cs_l && !canonical(rip))
        GFAIL("GUEST_RIP not canonical");
    if (rflags & RFLAGS_RESERVED)
        GFAIL("GUEST_RFLAGS reserved bits set");
    if (!(rflags & RFLAGS_FIXED1))
        GFAIL("GUEST_RFLAGS bit 1 clear");
    if ((ia32e || !(cr0 & CR0_PE)) && (rflags & RFLAGS_VM))
        GFAIL("GUEST_RFLAGS.VM in IA-32e mode or real mode");
    uint32_t event = (uint32_t)v12(v, V12_VM_ENTRY_INTR_INFO_FIELD);
    bool inject_ext = (event & INTR_VALID) && INTR_TYPE(event) == INTR_EXT;
    bool inject_nmi = (event & INTR_VALID) && INTR_TYPE(event) == INTR_NMI;
    if (inject_ext && !(rflags & RFLAGS_IF))
        GFAIL("external interrupt injected with GUEST_RFLAGS.IF clear");
    /* 26.3.1.5: non-register state. Only the active state is offered (IA32_VMX_MISC[8:6] = 0). */
    if (v12(v, V12_GUEST_ACTIVITY_STATE) != 0)
        GFAIL("GUEST_ACTIVITY_STATE other than active (none other is offered)");
    uint64_t intr = v12(v, V12_GUEST_INTERRUPTIBILITY_INFO);
    if (intr >> 5)
        GFAIL("GUEST_INTERRUPTIBILITY_INFO reserved bits set");
    if ((intr & INTERRUPTIBILITY_STI) && (intr & INTERRUPTIBILITY_MOVSS))
        GFAIL("blocking by STI and by MOV SS together");
    if ((intr & INTERRUPTIBILITY_STI) && !(rflags & RFLAGS_IF))
        GFAIL("blocking by STI with RFLAGS.IF clear");
    if (inject_ext && (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS)))
        GFAIL("external interrupt injected under STI or MOV-SS blocking");
    if (inject_nmi && (intr & INTERRUPTIBILITY_MOVSS))
        GFAIL("NMI injected under MOV-SS blocking");
    if (intr & INTERRUPTIBILITY_SMI)
        GFAIL("blocking by SMI outside SMM");
    if (inject_nmi && (v12(v, V12_PIN_BASED_VM_EXEC_CONTROL) & V12_PIN_VIRTUAL_NMIS) && (intr & INTERRUPTIBILITY_NMI))
        GFAIL("NMI injected with virtual-NMI blocking");
    uint64_t pdbg = v12(v, V12_GUEST_PENDING_DBG_EXCEPTIONS);
    if (pdbg & ~0x500Full)          /* B3-B0, enabled breakpoint (12), BS (14) */
        GFAIL("GUEST_PENDING_DBG_EXCEPTIONS reserved bits set");
    if ((intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS)) &&
        !!(pdbg & (1ull << 14)) != !!((rflags & RFLAGS_TF) && !(v12(v, V12_GUEST_IA32_DEBUGCTL) & 2)))
        GFAIL("pending BS disagrees with RFLAGS.TF under STI / MOV-SS blocking");
    /* 26.3.1.5: VMCS link pointer (no VMCS shadowing is offered: ~0, or a VMCS of ours) */
    uint64_t link = v12(v, V12_VMCS_LINK_POINTER);
    if (link != ~0ull && (!page_addr_ok(link, e->phys_bits) || (e->link_revision & 0x7FFFFFFFu) != NESTED_VMCS12_REVISION ||
                          (e->link_revision >> 31))) {
        *qual = 4;
        GFAIL("VMCS link pointer neither ~0 nor a valid VMCS");
    }
    return 0;
}
