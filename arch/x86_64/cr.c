/* cr.c: the x86 vCPU core's control registers, the same rules on both backends (the KVM split:
 * this file decides, vmx.c / svm.c carry out through x86_vcpu_ops).
 *
 * CR0 and CR4 as the guest sees them are owned here. A backend traps the writes it cannot let
 * through (VMX: bits its fixed-bit MSRs force, e.g. CR0.NE and CR4.VMXE, and every CR4 bit this
 * file does not allow; SVM: every CR4 write) and reports them as X86_EXIT_CR_ACCESS; x86_cr_write
 * applies the checks of MOV to CR0/CR4 (Intel SDM Vol. 2B "MOV—Move to/from Control Registers",
 * Vol. 3A 2.5 and 4.1.1; AMD APM Vol. 2, 3.1) and hands the new guest value to the backend.
 * CR4 may hold only the bits whose feature CPUID offers the guest (x86_cr4_supported). */
#include <stddef.h>
#include "x86.h"
#include "x86_vcpu.h"
#include "x86_regs.h"


enum { R_EAX, R_EBX, R_ECX, R_EDX, R_ALWAYS };

/* Each CR4 bit with the CPUID feature that lets a guest set it (SDM Vol. 3A, 2.5, table 2-x and the
 * CPUID feature flags of Vol. 2A). SMXE has no row: no SMX. */
static const struct { uint8_t cr4_bit, leaf, reg, bit; } cr4_features[] = {
    { 0, 1, R_EDX, 1 },      /* VME: VME */
    { 1, 1, R_EDX, 1 },      /* PVI: VME */
    { 2, 1, R_EDX, 4 },      /* TSD: TSC */
    { 3, 1, R_EDX, 2 },      /* DE: DE */
    { 4, 1, R_EDX, 3 },      /* PSE: PSE */
    { 5, 1, R_EDX, 6 },      /* PAE: PAE */
    { 6, 1, R_EDX, 7 },      /* MCE: MCE */
    { 7, 1, R_EDX, 13 },     /* PGE: PGE */
    { 8, 0, R_ALWAYS, 0 },   /* PCE: RDPMC is intercepted (#GP) whatever PCE says */
    { 9, 1, R_EDX, 24 },     /* OSFXSR: FXSR */
    { 10, 1, R_EDX, 25 },    /* OSXMMEXCPT: SSE */
    { 11, 7, R_ECX, 2 },     /* UMIP: UMIP */
    { 12, 7, R_ECX, 16 },    /* LA57: LA57 */
    { 13, 1, R_ECX, 5 },     /* VMXE: VMX (nested VMX, 'nested = vmx') */
    { 16, 7, R_EBX, 0 },     /* FSGSBASE: FSGSBASE */
    { 17, 1, R_ECX, 17 },    /* PCIDE: PCID */
    { 18, 1, R_ECX, 26 },    /* OSXSAVE: XSAVE */
    { 20, 7, R_EBX, 7 },     /* SMEP: SMEP */
    { 21, 7, R_EBX, 20 },    /* SMAP: SMAP */
    { 22, 7, R_ECX, 3 },     /* PKE: PKU */
};

uint64_t x86_cr4_supported(struct vcpu *vcpu)
{
    uint32_t l1[4], l7[4] = { 0 }, l0[4];
    x86_cpuid_policy(vcpu, 0, 0, l0);
    x86_cpuid_policy(vcpu, 1, 0, l1);
    if (l0[R_EAX] >= 7)
        x86_cpuid_policy(vcpu, 7, 0, l7);
    uint64_t ok = 0;
    for (size_t i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++) {
        const uint32_t *r = cr4_features[i].leaf == 7 ? l7 : l1;
        if (cr4_features[i].reg == R_ALWAYS || (r[cr4_features[i].reg] >> cr4_features[i].bit & 1))
            ok |= 1ull << cr4_features[i].cr4_bit;
    }
    return ok;
}

void x86_cr_reset(struct vcpu *vcpu)
{
    x86_vcpu_backend()->trap_cr4_writes(vcpu, ~x86_cr4_supported(vcpu));
}

static bool cr0_write(struct vcpu *v, const struct x86_guest_mode *m, uint64_t value)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    if ((value >> 32) || ((value & CR0_PG) && !(value & CR0_PE)) || ((value & CR0_NW) && !(value & CR0_CD)))
        return false;
    bool pg_on = (value & CR0_PG) && !(m->cr0 & CR0_PG), pg_off = !(value & CR0_PG) && (m->cr0 & CR0_PG);
    if (pg_on && (m->efer & EFER_LME) && !(m->cr4 & CR4_PAE))
        return false;                      /* long mode needs PAE paging */
    if (pg_off && ((m->cs_l) || (m->cr4 & CR4_PCIDE)))
        return false;                      /* paging off from 64-bit code, or with PCIDE */
    if ((pg_on || pg_off) && (m->efer & EFER_LME))    /* LMA follows PG while LME is set */
        ops->set_efer(v, pg_on ? m->efer | EFER_LMA : m->efer & ~EFER_LMA);
    ops->set_cr0(v, value);
    return true;
}

static bool cr4_write(struct vcpu *v, const struct x86_guest_mode *m, uint64_t value)
{
    if (value & ~x86_cr4_supported(v))
        return false;                      /* reserved, or a feature CPUID does not offer */
    bool lma = m->efer & EFER_LMA;
    if (lma && !(value & CR4_PAE))
        return false;                      /* PAE cannot be cleared in IA-32e mode */
    if (lma && ((value ^ m->cr4) & CR4_LA57))
        return false;                      /* LA57 changes only outside IA-32e mode */
    if ((value & CR4_PCIDE) && !(m->cr4 & CR4_PCIDE) && (!lma || (m->cr3 & 0xFFF)))
        return false;                      /* PCIDE needs IA-32e mode and CR3[11:0] = 0 */
    if (!(value & CR4_VMXE) && v->arch.nvmx.vmxon && !v->arch.nvmx.guest_mode)
        return false;                      /* VMXE stays set in VMX operation (SDM Vol. 3C, 23.8) */
    x86_vcpu_backend()->set_cr4(v, value);
    return true;
}

/* CR8 is the virtual LAPIC's TPR; bits 63:4 are reserved (SDM Vol. 2B, MOV to CR8: #GP(0)). */
bool x86_cr8_access(struct vcpu *vcpu, bool read, uint8_t gpr)
{
    uint64_t *g = &vcpu->arch.gpr[gpr & 15];
    if (read) {
        *g = vcpu->arch.lapic.tpr >> 4;
        return true;
    }
    if (*g >> 4)
        return false;
    vcpu->arch.lapic.tpr = (uint32_t)*g << 4;
    return true;
}

bool x86_cr_write(struct vcpu *vcpu, uint32_t cr, uint64_t value)
{
    struct x86_guest_mode m;
    x86_vcpu_backend()->get_mode(vcpu, &m);
    bool ok = cr == 0 ? cr0_write(vcpu, &m, value) : cr == 4 ? cr4_write(vcpu, &m, value) : false;
    /* The CPU would have flushed this guest's TLB for paging-mode or PGE changes: the emulated write
     * flushes its ASID / VPID on the next entry instead. */
    if (ok)
        vcpu->arch.flush_on_entry = true;
    return ok;
}
