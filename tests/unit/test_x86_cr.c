/* test_x86_cr.c: the x86 vCPU core's control registers (arch/x86_64/cr.c) over a fake backend: MOV to
 * CR0 / CR4 checks (SDM Vol. 2B, MOV to control registers; Vol. 3A 2.5), CR4 limited to what CPUID
 * offers, EFER.LMA following CR0.PG, and what the backend is told. */
#include <criterion/criterion.h>
#include <string.h>
#include "x86_vcpu.h"
#include "x86_regs.h"


static struct x86_guest_mode mode;             /* what the fake backend reports */
static uint64_t cr0_set, cr4_set, efer_set, trapped;
static int cr0_calls, cr4_calls, efer_calls;
static uint32_t cpuid1_ecx, cpuid1_edx, cpuid7_ebx;

static void get_mode(struct vcpu *v, struct x86_guest_mode *m) { (void)v; *m = mode; }
static void set_cr0(struct vcpu *v, uint64_t x) { (void)v; cr0_set = x; cr0_calls++; }
static void set_cr4(struct vcpu *v, uint64_t x) { (void)v; cr4_set = x; cr4_calls++; }
static void set_efer(struct vcpu *v, uint64_t x) { (void)v; efer_set = x; efer_calls++; }
static void trap_cr4(struct vcpu *v, uint64_t t) { (void)v; trapped = t; }

static const struct x86_vcpu_ops fake_ops = {
    .name = "fake", .get_mode = get_mode, .set_cr0 = set_cr0, .set_cr4 = set_cr4, .set_efer = set_efer,
    .trap_cr4_writes = trap_cr4,
};
const struct x86_vcpu_ops *x86_vcpu_backend(void) { return &fake_ops; }

void x86_cpuid_policy(struct vcpu *v, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    (void)v, (void)subleaf;
    memset(out, 0, 16);
    if (leaf == 0)
        out[0] = 7;
    else if (leaf == 1)
        out[2] = cpuid1_ecx, out[3] = cpuid1_edx;
    else if (leaf == 7)
        out[1] = cpuid7_ebx;
}

static struct vcpu vcpu;

static void setup(void)
{
    memset(&vcpu, 0, sizeof(vcpu));
    mode = (struct x86_guest_mode){ .cr0 = CR0_PE | (1ull << 4) };
    cr0_set = cr4_set = efer_set = trapped = 0;
    cr0_calls = cr4_calls = efer_calls = 0;
    cpuid1_edx = (1u << 6) | (1u << 13) | (1u << 24) | (1u << 25);   /* PAE, PGE, FXSR, SSE */
    cpuid1_ecx = 0;                                                  /* no XSAVE, no PCID, no VMX */
    cpuid7_ebx = 0;
}
TestSuite(x86_cr, .init = setup);

Test(x86_cr, cr4_supported_follows_cpuid)
{
    uint64_t s = x86_cr4_supported(&vcpu);
    cr_assert(s & CR4_PAE);
    cr_assert(s & CR4_PGE);
    cr_assert(s & CR4_PCE, "PCE is harmless: RDPMC is intercepted");
    cr_assert_not(s & CR4_OSXSAVE, "no XSAVE offered");
    cr_assert_not(s & CR4_VMXE, "no nested VMX");
    cpuid1_ecx = 1u << 26;
    cr_assert(x86_cr4_supported(&vcpu) & CR4_OSXSAVE, "offered once CPUID has XSAVE");
    x86_cr_reset(&vcpu);
    cr_assert_eq(trapped, ~x86_cr4_supported(&vcpu), "the backend traps exactly the unsupported bits");
}

Test(x86_cr, cr4_unsupported_bits_gp_and_reach_nothing)
{
    cr_assert_not(x86_cr_write(&vcpu, 4, CR4_PAE | CR4_VMXE));
    cr_assert_not(x86_cr_write(&vcpu, 4, CR4_OSXSAVE));
    cr_assert_not(x86_cr_write(&vcpu, 4, 1ull << 40), "reserved");
    cr_assert_eq(cr4_calls, 0);
    cr_assert(x86_cr_write(&vcpu, 4, CR4_PAE | CR4_PGE));
    cr_assert_eq(cr4_set, CR4_PAE | CR4_PGE);
    cr_assert(vcpu.arch.flush_on_entry, "an emulated CR4 write flushes the guest TLB");
}

/* Nested VMX: CR4.VMXE is settable once CPUID shows VMX, and cannot be cleared in VMX operation
 * (SDM Vol. 3C, 23.8). */
Test(x86_cr, cr4_vmxe_with_vmx_and_kept_in_vmx_operation)
{
    cpuid1_ecx = 1u << 5;
    cr_assert(x86_cr4_supported(&vcpu) & CR4_VMXE);
    mode.cr4 = CR4_PAE;
    cr_assert(x86_cr_write(&vcpu, 4, CR4_PAE | CR4_VMXE));
    cr_assert_eq(cr4_set, CR4_PAE | CR4_VMXE);
    mode.cr4 = CR4_PAE | CR4_VMXE;
    vcpu.arch.nvmx.vmxon = true;
    cr4_calls = 0;
    cr_assert_not(x86_cr_write(&vcpu, 4, CR4_PAE), "VMXE cleared in VMX operation: #GP");
    cr_assert_eq(cr4_calls, 0);
    cr_assert(x86_cr_write(&vcpu, 4, CR4_PAE | CR4_VMXE | CR4_PGE), "other bits still change");
    vcpu.arch.nvmx.vmxon = false;
    cr_assert(x86_cr_write(&vcpu, 4, CR4_PAE), "after VMXOFF it clears");
}

Test(x86_cr, cr4_pae_stays_in_long_mode_and_pcide_needs_it)
{
    mode.efer = EFER_LME | EFER_LMA;
    mode.cr4 = CR4_PAE;
    mode.cr0 |= CR0_PG;
    cr_assert_not(x86_cr_write(&vcpu, 4, 0), "PAE cannot be cleared in IA-32e mode");
    cpuid1_ecx = 1u << 17;                      /* PCID */
    mode.cr3 = 0x1000;
    cr_assert(x86_cr_write(&vcpu, 4, CR4_PAE | CR4_PCIDE));
    mode.cr3 = 0x1005;
    cr_assert_not(x86_cr_write(&vcpu, 4, CR4_PAE | CR4_PCIDE), "PCIDE with CR3[11:0] != 0");
    mode.efer = 0;
    mode.cr3 = 0x1000;
    cr_assert_not(x86_cr_write(&vcpu, 4, CR4_PAE | CR4_PCIDE), "PCIDE outside IA-32e mode");
}

Test(x86_cr, cr0_checks)
{
    cr_assert_not(x86_cr_write(&vcpu, 0, CR0_PG), "PG without PE");
    cr_assert_not(x86_cr_write(&vcpu, 0, CR0_PE | CR0_NW), "NW without CD");
    cr_assert_not(x86_cr_write(&vcpu, 0, CR0_PE | (1ull << 32)), "bits 63:32");
    cr_assert_eq(cr0_calls, 0);
    cr_assert(x86_cr_write(&vcpu, 0, CR0_PE | CR0_NE | CR0_CD | CR0_NW));
    cr_assert_eq(cr0_set, CR0_PE | CR0_NE | CR0_CD | CR0_NW, "the guest's value, as written");
}

Test(x86_cr, paging_on_with_lme_needs_pae_and_sets_lma)
{
    mode.efer = EFER_LME;
    cr_assert_not(x86_cr_write(&vcpu, 0, CR0_PE | CR0_PG), "long mode without PAE");
    cr_assert_eq(efer_calls, 0);
    mode.cr4 = CR4_PAE;
    cr_assert(x86_cr_write(&vcpu, 0, CR0_PE | CR0_PG | CR0_NE));
    cr_assert_eq(efer_set, EFER_LME | EFER_LMA);
    mode.efer = EFER_LME | EFER_LMA;
    mode.cr0 = CR0_PE | CR0_PG;
    mode.cs_l = false;                          /* compatibility mode may leave long mode */
    cr_assert(x86_cr_write(&vcpu, 0, CR0_PE));
    cr_assert_eq(efer_set, EFER_LME, "LMA follows PG off");
    mode.cs_l = true;
    cr_assert_not(x86_cr_write(&vcpu, 0, CR0_PE), "paging off from 64-bit code");
}

Test(x86_cr, no_lma_change_without_lme)
{
    mode.cr4 = CR4_PAE;
    cr_assert(x86_cr_write(&vcpu, 0, CR0_PE | CR0_PG));
    cr_assert_eq(efer_calls, 0, "32-bit paging: EFER untouched");
}

Test(x86_cr, other_crs_are_not_this_layers)
{
    cr_assert_not(x86_cr_write(&vcpu, 3, 0));
    cr_assert_not(x86_cr_write(&vcpu, 8, 0));
}

/* MOV to / from CR8 (VMX with CR8 exiting): the virtual LAPIC's TPR[7:4]; reserved bits 63:4 #GP. */
Test(x86_cr, cr8_is_the_tpr_and_reserved_bits_gp)
{
    vcpu.arch.gpr[GPR_RDX] = 0x9;
    cr_assert(x86_cr8_access(&vcpu, false, GPR_RDX));
    cr_assert_eq(vcpu.arch.lapic.tpr, 0x90);
    vcpu.arch.gpr[GPR_RBX] = 0xDEAD;
    cr_assert(x86_cr8_access(&vcpu, true, GPR_RBX));
    cr_assert_eq(vcpu.arch.gpr[GPR_RBX], 0x9);
    vcpu.arch.gpr[GPR_RDX] = 0x10;
    cr_assert_not(x86_cr8_access(&vcpu, false, GPR_RDX), "bit 4 is reserved");
    cr_assert_eq(vcpu.arch.lapic.tpr, 0x90, "a refused write changes nothing");
}
