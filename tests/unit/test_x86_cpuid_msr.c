/* test_x86_cpuid_msr.c: the CPUID policy (cpuid.c) and the MSR table (msr.c) over a fake host CPU:
 * only flags with a row are shown, the APIC flag follows IA32_APIC_BASE.EN, leaf 0xB describes the VM's
 * vCPUs, the vendor comes from hv.cfg, every MSR a shown flag brings is handled, and the MSRs KVM keeps
 * behave as in KVM (AMD legacy counters, MCG_CAP/MCG_STATUS, IA32_MISC_ENABLE). Also the two virtual
 * LAPIC details KVM guests rely on (vlapic.c): x2APIC ID writes #GP, TMICT survives a timer mode change. */
#include <criterion/criterion.h>
#include <string.h>
#include "fake_x86.h"
#include "x86_cpuid.h"
#include "x86_nested_caps.h"

static struct vm vm;
static struct config_vm cfg;

/* A host that has every flag: whatever the guest sees must come from a row, not from the host. */
static void host_all_flags(const char *vendor)
{
    uint32_t v[3];
    memcpy(v, vendor, 12);
    fake_cpuid_count = 0;
    fake_cpuid_set(0, 0, 0x16, v[0], v[2], v[1]);
    fake_cpuid_set(1, 0, 0x000806F8, 0xAB100800u, 0xFFFFFFFFu, 0xFFFFFFFFu);
    fake_cpuid_set(7, 0, 1, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu);
    fake_cpuid_set(0x80000000, 0, 0x80000021, 0, 0, 0);
    fake_cpuid_set(0x80000001, 0, 0x00A20F10, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu);
    fake_cpuid_set(0x80000007, 0, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu);
    fake_cpuid_set(0x80000008, 0, 0x00003030, 0xFFFFFFFFu, 0x0000700F, 0xFFFFFFFFu);
    fake_cpuid_set(4, 0, 0x1C004121, 0x01C0003F, 0x3F, 0);
    fake_cpuid_set(4, 3, 0x1C03C163, 0x03C0003F, 0x3FFF, 6);
    /* XSAVE with x87, SSE, AVX and AVX-512's three (0xE7): only the first three may reach a guest */
    fake_cpuid_set(0xD, 0, 0xE7, 0x340, 0xA88, 0);
    fake_cpuid_set(0xD, 1, 0xF, 0, 0, 0);
    fake_backend.cr4 = 1ull << 18;              /* the guest has set CR4.OSXSAVE */
}

static void amd_host(void) { host_all_flags("AuthenticAMD"); }
TestSuite(cpuid, .init = amd_host);
TestSuite(msr, .init = amd_host);
TestSuite(vlapic, .init = amd_host);

static struct cpuid_regs guest_cpuid(uint32_t vcpu, uint32_t leaf, uint32_t subleaf)
{
    uint32_t r[4];
    x86_cpuid_policy(&vm.vcpu[vcpu], leaf, subleaf, r);
    return (struct cpuid_regs){ r[0], r[1], r[2], r[3] };
}

static uint32_t reg_of(struct cpuid_regs r, uint8_t reg)
{
    return reg == CPUID_EAX ? r.eax : reg == CPUID_EBX ? r.ebx : reg == CPUID_ECX ? r.ecx : r.edx;
}

static bool has_row(enum x86_vendor vendor, uint32_t leaf, uint8_t reg, uint8_t bit)
{
    size_t n;
    const struct cpuid_flag *f = x86_cpuid_flags(&n);
    for (size_t i = 0; i < n; i++)
        if (f[i].leaf == leaf && f[i].reg == reg && f[i].bit == bit && (f[i].vendors & vendor))
            return true;
    return false;
}

Test(cpuid, only_flags_with_a_row_are_shown)
{
    static const struct { uint32_t leaf; uint8_t reg; } flag_regs[] = {
        { 1, CPUID_ECX }, { 1, CPUID_EDX }, { 7, CPUID_EBX }, { 7, CPUID_ECX }, { 7, CPUID_EDX },
        { 0x80000001, CPUID_ECX }, { 0x80000001, CPUID_EDX }, { 0x80000007, CPUID_EDX }, { 0xD, CPUID_EAX },
    };
    enum config_cpuid_vendor cv[2] = { CONFIG_CPUID_VENDOR_INTEL, CONFIG_CPUID_VENDOR_AMD };
    enum x86_vendor xv[2] = { X86_VENDOR_INTEL, X86_VENDOR_AMD };
    for (int k = 0; k < 2; k++) {
        fake_x86_vm(&vm, &cfg, 2, cv[k]);
        cfg.nested = CONFIG_NESTED_VMX;    /* the VMX row (Intel only) is then shown on this VMX-capable host */
        for (size_t i = 0; i < sizeof(flag_regs) / sizeof(flag_regs[0]); i++) {
            uint32_t sub = flag_regs[i].leaf == 0xD;      /* 0xD.1 EAX: the XSAVE instruction flags */
            uint32_t got = reg_of(guest_cpuid(0, flag_regs[i].leaf, sub), flag_regs[i].reg);
            for (uint8_t b = 0; b < 32; b++)
                cr_assert_eq((got >> b) & 1, has_row(xv[k], flag_regs[i].leaf, flag_regs[i].reg, b),
                             "vendor %d leaf 0x%x reg %u bit %u", k, flag_regs[i].leaf, flag_regs[i].reg, b);
        }
    }
    /* Some that would #GP or misbehave if shown. */
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_AMD);
    cr_assert_eq(guest_cpuid(0, 1, 0).ecx & (1u << 5), 0, "VMX hidden");
    cr_assert_eq(guest_cpuid(0, 1, 0).edx & (1u << 12 | 1u << 28), 0, "MTRR hidden, HTT off with one vCPU");
    cr_assert_eq(guest_cpuid(0, 0x80000001, 0).ecx & (1u << 2 | 1u << 23), 0, "SVM, PerfCtrExtCore hidden");
    cr_assert_eq(guest_cpuid(0, 0x80000001, 0).edx & (1u << 25), 0, "FFXSR hidden");
    cr_assert_eq(guest_cpuid(0, 0xD, 1).eax & 0xE, 0, "XSAVEC, XGETBV1, XSAVES hidden (no IA32_XSS)");
}

/* XSAVE (SDM Vol. 1, ch. 13): offered with the components the hypervisor switches, the sizes of the
 * standard form, OSXSAVE mirroring CR4, and the AVX family gone with the host's XSAVE. */
Test(cpuid, xsave_leaf_and_flags)
{
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_INTEL);
    struct cpuid_regs d0 = guest_cpuid(0, 0xD, 0), d2 = guest_cpuid(0, 0xD, 2), d5 = guest_cpuid(0, 0xD, 5);
    cr_assert_eq(d0.eax, 7, "x87 | SSE | AVX, never AVX-512's components");
    cr_assert_eq(d0.edx, 0);
    cr_assert_eq(d0.ebx, 576, "reset XCR0 = x87: legacy area and header");
    cr_assert_eq(d0.ecx, 832, "all offered: AVX's 256 bytes at 576");
    cr_assert(d2.eax == 256 && d2.ebx == 576, "AVX: size 256 at offset 576");
    cr_assert(d5.eax == 0 && d5.ebx == 0, "no opmask component");
    vm.vcpu[0].arch.fpu.xcr0 = 7;
    cr_assert_eq(guest_cpuid(0, 0xD, 0).ebx, 832, "EBX follows the guest's XCR0");
    cr_assert_geq(guest_cpuid(0, 0, 0).eax, 0xD, "max basic leaf covers 0xD");
    struct cpuid_regs l1 = guest_cpuid(0, 1, 0);
    cr_assert_eq(l1.ecx & (1u << 26 | 1u << 27 | 1u << 28), 1u << 26 | 1u << 27 | 1u << 28, "XSAVE OSXSAVE AVX");
    cr_assert(guest_cpuid(0, 7, 0).ebx & (1u << 5), "AVX2");
    fake_backend.cr4 = 0;
    cr_assert_eq(guest_cpuid(0, 1, 0).ecx & (1u << 27), 0, "OSXSAVE follows CR4");
    fake_cpuid_set(0xD, 0, 0x3, 0x240, 0x240, 0);          /* a host without AVX state */
    cr_assert_eq(guest_cpuid(0, 0xD, 0).eax, 3);
    cr_assert_eq(guest_cpuid(0, 1, 0).ecx & (1u << 12 | 1u << 28 | 1u << 29), 0, "FMA AVX F16C need YMM");
    cr_assert_eq(guest_cpuid(0, 7, 0).ebx & (1u << 5), 0, "AVX2 needs YMM");
    fake_cpuid_set(1, 0, 0x000806F8, 0xAB100800u, 0xFFFFFFFFu & ~(1u << 26), 0xFFFFFFFFu);   /* no XSAVE */
    cr_assert_eq(guest_cpuid(0, 1, 0).ecx & (1u << 26), 0, "no host XSAVE: none for the guest");
    cr_assert_eq(guest_cpuid(0, 0xD, 0).eax, 0);
    cr_assert_eq(x86_xcr0_supported(), 0);
}

/* XSETBV's #GP(0) cases (SDM Vol. 2C, XSETBV). */
Test(cpuid, xsetbv_checks)
{
    cr_assert(x86_xsetbv_valid(0, 1, 7), "x87 alone");
    cr_assert(x86_xsetbv_valid(0, 3, 7));
    cr_assert(x86_xsetbv_valid(0, 7, 7));
    cr_assert_not(x86_xsetbv_valid(1, 7, 7), "XCR1 is not writable");
    cr_assert_not(x86_xsetbv_valid(0, 0, 7), "x87 cleared");
    cr_assert_not(x86_xsetbv_valid(0, 6, 7), "x87 cleared");
    cr_assert_not(x86_xsetbv_valid(0, 5, 7), "AVX without SSE");
    cr_assert_not(x86_xsetbv_valid(0, 7, 3), "AVX not offered");
    cr_assert_not(x86_xsetbv_valid(0, 0x207, 7), "PKRU not offered");
    cr_assert_not(x86_xsetbv_valid(0, 1ull << 63 | 7, 7), "reserved bit 63");
}

Test(cpuid, apic_flag_follows_apic_base_enable)
{
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_AMD);
    struct vcpu *v = &vm.vcpu[0];
    uint64_t base;
    cr_assert(x86_msr_read(v, MSR_IA32_APIC_BASE, &base));
    cr_assert_eq(base, 0xFEE00900ull, "reset: default base, EN, BSP");
    cr_assert_eq(guest_cpuid(0, 1, 0).edx & (1u << 9), 1u << 9);
    cr_assert_eq(guest_cpuid(0, 0x80000001, 0).edx & (1u << 9), 1u << 9);
    cr_assert(x86_msr_write(v, MSR_IA32_APIC_BASE, base & ~(1ull << 11)));
    cr_assert_eq(guest_cpuid(0, 1, 0).edx & (1u << 9), 0, "xAPIC disabled: CPUID.1:EDX.APIC = 0");
    cr_assert_eq(guest_cpuid(0, 0x80000001, 0).edx & (1u << 9), 0);
    cr_assert(x86_msr_write(v, MSR_IA32_APIC_BASE, base));
    cr_assert_eq(guest_cpuid(0, 1, 0).edx & (1u << 9), 1u << 9, "re-enabled: 1 again");
}

Test(cpuid, leaf_0b_topology_matches_the_vcpus)
{
    fake_x86_vm(&vm, &cfg, 3, CONFIG_CPUID_VENDOR_INTEL);
    cr_assert_geq(guest_cpuid(0, 0, 0).eax, 0xB, "max basic leaf covers 0xB");
    for (uint32_t i = 0; i < 3; i++) {
        struct cpuid_regs smt = guest_cpuid(i, 0xB, 0), core = guest_cpuid(i, 0xB, 1), end = guest_cpuid(i, 0xB, 2);
        cr_assert_eq(smt.eax, 0, "one thread per core: no SMT bits");
        cr_assert_eq(smt.ebx, 1);
        cr_assert_eq(smt.ecx, 1u << 8 | 0, "level 0, type SMT");
        cr_assert_eq(core.eax, 2, "3 vCPUs: 2 bits of core ID");
        cr_assert_eq(core.ebx, 3, "every vCPU at the core level");
        cr_assert_eq(core.ecx, 2u << 8 | 1, "level 1, type core");
        cr_assert_eq(end.ebx, 0);
        cr_assert_eq(end.ecx, 2, "level 2: type 0, invalid");
        cr_assert(smt.edx == i && core.edx == i && end.edx == i, "x2APIC ID on every subleaf");
        struct cpuid_regs l1 = guest_cpuid(i, 1, 0);
        cr_assert_eq(l1.ebx >> 24, i, "initial APIC ID");
        cr_assert_eq((l1.ebx >> 16) & 0xFF, 4, "addressable IDs: 1 << core bits");
        cr_assert_eq((l1.ebx >> 8) & 0xFF, 8, "CLFLUSH size from the host");
        cr_assert(l1.edx & (1u << 28), "HTT with more than one vCPU");
    }
    struct cpuid_regs l4 = guest_cpuid(0, 4, 3);
    cr_assert_eq(l4.eax >> 26, 3, "leaf 4: 4 core IDs per package");
    cr_assert_eq((l4.eax >> 14) & 0xFFF, 2, "leaf 4: L3 shared by the 3 vCPUs");
    cr_assert_eq(l4.eax & 0x3FFF, 0x0163, "leaf 4: cache type and level from the host");
}

Test(cpuid, amd_topology_in_0x80000008)
{
    fake_x86_vm(&vm, &cfg, 2, CONFIG_CPUID_VENDOR_AMD);
    struct cpuid_regs e8 = guest_cpuid(1, 0x80000008, 0);
    cr_assert_eq(e8.ecx, 1u | 1u << 12, "NC = 1, ApicIdCoreIdSize = 1");
    cr_assert_eq(e8.eax, 0x3030, "address sizes from the host");
    cr_assert(guest_cpuid(1, 0x80000001, 0).ecx & 2, "CmpLegacy");
    cr_assert_eq(guest_cpuid(1, 4, 0).eax, 0, "no Intel leaf 4 on AMD");
}

Test(cpuid, vendor_from_config_or_host)
{
    char s[13] = { 0 };
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_HOST);
    struct cpuid_regs r = guest_cpuid(0, 0, 0);
    memcpy(s, &r.ebx, 4); memcpy(s + 4, &r.edx, 4); memcpy(s + 8, &r.ecx, 4);
    cr_assert_str_eq(s, "AuthenticAMD");
    cr_assert_eq(x86_guest_vendor(&vm), X86_VENDOR_AMD);
    r = guest_cpuid(0, 0x80000000, 0);
    cr_assert_eq(r.eax, 0x80000008);
    cr_assert_eq(r.ebx, 0x68747541u, "AMD repeats its vendor in 0x80000000");

    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_INTEL);
    r = guest_cpuid(0, 0, 0);
    memcpy(s, &r.ebx, 4); memcpy(s + 4, &r.edx, 4); memcpy(s + 8, &r.ecx, 4);
    cr_assert_str_eq(s, "GenuineIntel");
    cr_assert_eq(guest_cpuid(0, 0x80000000, 0).ebx, 0);
    cr_assert_eq(guest_cpuid(0, 0x80000001, 0).eax, 0, "no AMD extended signature");
    cr_assert_eq(guest_cpuid(0, 0x80000001, 0).edx & 1, 0, "Intel does not repeat FPU in 0x80000001");

    host_all_flags("GenuineIntel");
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_HOST);
    cr_assert_eq(x86_guest_vendor(&vm), X86_VENDOR_INTEL);
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_AMD);
    cr_assert_eq(x86_guest_vendor(&vm), X86_VENDOR_AMD, "an AMD guest on an Intel host");
}

Test(cpuid, ecx_ignored_where_there_are_no_subleaves)
{
    fake_x86_vm(&vm, &cfg, 2, CONFIG_CPUID_VENDOR_AMD);
    struct cpuid_regs a = guest_cpuid(1, 1, 0), b = guest_cpuid(1, 1, 0x1234);
    cr_assert(a.eax == b.eax && a.ebx == b.ebx && a.ecx == b.ecx && a.edx == b.edx);
    cr_assert_eq(guest_cpuid(1, 7, 1).ebx, 0, "leaf 7 subleaf 1: nothing");
    cr_assert_eq(guest_cpuid(1, 7, 0).eax, 0, "leaf 7: no further subleaves");
}

/* The link between the two tables: every MSR that a flag the guest can see brings is answered, by
 * msr.c or by the VMCB / VMCS, for each vendor. */
Test(cpuid, every_msr_a_shown_flag_brings_is_handled)
{
    size_t n;
    const struct cpuid_flag *f = x86_cpuid_flags(&n);
    unsigned checked = 0;
    enum x86_vendor xv[2] = { X86_VENDOR_INTEL, X86_VENDOR_AMD };
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < n; i++) {
            if (!(f[i].vendors & xv[k]) || !f[i].msr_first)
                continue;
            cr_assert_leq(f[i].msr_first, f[i].msr_last, "%s", f[i].name);
            for (uint32_t m = f[i].msr_first; m <= f[i].msr_last; m++, checked++)
                cr_assert_neq(x86_msr_owner(xv[k], m), X86_MSR_NONE, "%s (leaf 0x%x bit %u) brings MSR 0x%x, "
                              "which nobody handles for vendor %d", f[i].name, f[i].leaf, f[i].bit, m, xv[k]);
        }
    cr_assert_gt(checked, 256, "the x2APIC range alone is 256");
    /* And the vendor's own MSRs that need no flag. */
    cr_assert_eq(x86_msr_owner(X86_VENDOR_AMD, 0xC0010000), X86_MSR_EMULATED);
    cr_assert_eq(x86_msr_owner(X86_VENDOR_AMD, 0xC0010200), X86_MSR_NONE, "no PerfCtrExtCore, no extended counters");
    cr_assert_eq(x86_msr_owner(X86_VENDOR_INTEL, 0x1A0), X86_MSR_EMULATED);
    cr_assert_eq(x86_msr_owner(X86_VENDOR_INTEL, 0x174), X86_MSR_BACKEND);
    cr_assert_eq(x86_msr_owner(X86_VENDOR_INTEL, 0x12345678), X86_MSR_NONE);
}

/* Nested VMX (SDM Vol. 3C 23.6-23.7, Vol. 3D appendix A): without 'nested = vmx' VMX is hidden and its
 * MSRs #GP; with it CPUID.1:ECX.VMX is set on a VMX host, IA32_FEATURE_CONTROL is locked with VMX
 * outside SMX, and the capability MSRs are a consistent subset of the host's. */
static void intel_host(void) { host_all_flags("GenuineIntel"); }

Test(nested_vmx, hidden_without_the_key)
{
    intel_host();
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_INTEL);
    uint64_t x;
    cr_assert_eq(guest_cpuid(0, 1, 0).ecx & (1u << 5), 0);
    cr_assert(x86_msr_read(&vm.vcpu[0], 0x3A, &x));
    cr_assert_eq(x, 1, "locked, VMX off");
    for (uint32_t m = 0x480; m <= 0x491; m++)
        cr_assert_not(x86_msr_read(&vm.vcpu[0], m, &x), "MSR 0x%x must #GP", m);
}

Test(nested_vmx, offered_with_the_key)
{
    intel_host();
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_INTEL);
    cfg.nested = CONFIG_NESTED_VMX;
    struct vcpu *v = &vm.vcpu[0];
    uint64_t x;
    cr_assert_eq(guest_cpuid(0, 1, 0).ecx & (1u << 5), 1u << 5);
    cr_assert(x86_msr_read(v, 0x3A, &x));
    cr_assert_eq(x, 5, "locked, VMX outside SMX");
    cr_assert_not(x86_msr_write(v, 0x3A, 5), "locked: writes #GP");
    cr_assert(x86_msr_read(v, 0x480, &x));
    cr_assert_eq(x & 0x7FFFFFFF, NESTED_VMCS12_REVISION);
    cr_assert_eq((x >> 32) & 0x1FFF, 4096, "region size");
    cr_assert(x & (1ull << 55), "TRUE controls");
    cr_assert_not(x86_msr_write(v, 0x480, x), "read-only");
    /* Each TRUE control MSR: its must-be-1 bits are allowed, and it asks no more than the plain one. */
    static const uint32_t plain[] = { 0x481, 0x482, 0x483, 0x484 }, truem[] = { 0x48D, 0x48E, 0x48F, 0x490 };
    for (int i = 0; i < 4; i++) {
        uint64_t p, t;
        cr_assert(x86_msr_read(v, plain[i], &p));
        cr_assert(x86_msr_read(v, truem[i], &t));
        cr_assert_eq((uint32_t)p & ~(uint32_t)(p >> 32), 0, "MSR 0x%x: a required bit is not allowed", plain[i]);
        cr_assert_eq((uint32_t)t & ~(uint32_t)p, 0, "TRUE 0x%x requires more than 0x%x", truem[i], plain[i]);
        cr_assert_eq(p >> 32, t >> 32);
        cr_assert_eq((p >> 32) & ~(x86_vmx_host_msr(truem[i]) >> 32), 0, "0x%x offers what the host lacks", truem[i]);
    }
    cr_assert(x86_msr_read(v, 0x48D, &x));
    cr_assert(x & (1ull << (32 + 6)), "preemption timer offered (Bochs has it)");
    cr_assert(x86_msr_read(v, 0x48E, &x));
    cr_assert_eq((uint32_t)x & (3u << 15), 0, "TRUE: CR3-load/store exiting may be 0");
    cr_assert(x86_msr_read(v, 0x48A, &x));
    cr_assert_eq(x, 0x2E, "VMCS_ENUM: highest index 0x17 (0x482E)");
    cr_assert_not(x86_msr_read(v, 0x48C, &x), "no EPT / VPID offered: EPT_VPID_CAP #GPs");
    cr_assert_not(x86_msr_read(v, 0x491, &x), "no VM functions");
}

Test(nested_vmx, not_for_an_amd_guest)
{
    intel_host();
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_AMD);
    cfg.nested = CONFIG_NESTED_VMX;
    uint64_t x;
    cr_assert_eq(guest_cpuid(0, 1, 0).ecx & (1u << 5), 0);
    cr_assert_not(x86_msr_read(&vm.vcpu[0], 0x480, &x));
}

/* --- msr.c ------------------------------------------------------------------------------------- */

/* IA32_TSC_ADJUST (SDM Vol. 3B, 17.17.3): a write to IA32_TSC moves it by the same amount, a write to
 * it moves the TSC. */
Test(msr, tsc_adjust_follows_tsc_writes)
{
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_INTEL);
    struct vcpu *v = &vm.vcpu[0];
    uint64_t adj, tsc0, tsc1;
    cr_assert(x86_msr_read(v, 0x3B, &adj));
    cr_assert_eq(adj, 0, "0 at reset");
    cr_assert(x86_msr_read(v, 0x10, &tsc0));
    cr_assert(x86_msr_write(v, 0x10, tsc0 + (1ull << 40)));
    cr_assert(x86_msr_read(v, 0x3B, &adj));
    cr_assert(adj >= (1ull << 40) - (1ull << 30) && adj <= (1ull << 40), "moved with the TSC write: 0x%llx",
              (unsigned long long)adj);
    cr_assert(x86_msr_write(v, 0x3B, adj - (1ull << 40)));
    cr_assert(x86_msr_read(v, 0x10, &tsc1));
    cr_assert(tsc1 >= tsc0 && tsc1 < tsc0 + (1ull << 30), "TSC back near where it was: 0x%llx vs 0x%llx",
              (unsigned long long)tsc1, (unsigned long long)tsc0);
    cr_assert_eq(fake_backend.tsc_offset, v->arch.tsc_offset, "the backend has the offset");
    cr_assert(guest_cpuid(0, 7, 0).ebx & 2, "CPUID.7:EBX.TSC_ADJUST");
}

/* IA32_TSC_AUX: bits 63:32 #GP on Intel, dropped on AMD, as KVM. */
Test(msr, tsc_aux_by_vendor)
{
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_INTEL);
    uint64_t val;
    cr_assert(x86_msr_write(&vm.vcpu[0], 0xC0000103, 0x1234));
    cr_assert(x86_msr_read(&vm.vcpu[0], 0xC0000103, &val) && val == 0x1234);
    cr_assert_not(x86_msr_write(&vm.vcpu[0], 0xC0000103, 1ull << 32 | 5), "Intel: reserved bits #GP");
    cr_assert(x86_msr_read(&vm.vcpu[0], 0xC0000103, &val) && val == 0x1234, "unchanged");
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_AMD);
    cr_assert(x86_msr_write(&vm.vcpu[0], 0xC0000103, 1ull << 32 | 5), "AMD: ignored");
    cr_assert(x86_msr_read(&vm.vcpu[0], 0xC0000103, &val) && val == 5);
}

/* No virtual PMU on x86: the legacy counters answer as KVM with enable_pmu=0, on either vendor
 * (accepted, read 0), so a guest's probe finds no counter; the K8 interrupt-pending MSR reads 0. */
Test(msr, amd_legacy_counters_read_zero)
{
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_AMD);
    struct vcpu *v = &vm.vcpu[0];
    for (uint32_t i = 0; i < 4; i++) {
        cr_assert(x86_msr_write(v, 0xC0010000 + i, 0x430076ull + i), "PerfEvtSel%u write", i);
        cr_assert(x86_msr_write(v, 0xC0010004 + i, 0xABCDull), "PerfCtr%u write", i);
    }
    for (uint32_t i = 0; i < 4; i++) {
        uint64_t sel = 1, ctr = 1;
        cr_assert(x86_msr_read(v, 0xC0010000 + i, &sel) && x86_msr_read(v, 0xC0010004 + i, &ctr));
        cr_assert_eq(sel, 0);
        cr_assert_eq(ctr, 0, "Linux's check_hw_exists reads 0xABCD back only with a PMU");
    }
    uint64_t x = 1;
    cr_assert(x86_msr_read(v, 0xC0010055, &x));
    cr_assert_eq(x, 0, "MSR_K8_INT_PENDING_MSG");
    cr_assert_not(x86_msr_read(v, 0xC0010200, &x), "PerfCtrExtCore not shown: 0xC0010200 #GPs");
    cr_assert_not(x86_msr_write(v, 0xC0010201, 0));
}

Test(msr, amd_counters_on_an_intel_guest_read_zero)
{
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_INTEL);
    uint64_t x = 1;
    cr_assert(x86_msr_write(&vm.vcpu[0], 0xC0010000, 0x430076), "accepted, as KVM on Intel");
    cr_assert(x86_msr_read(&vm.vcpu[0], 0xC0010000, &x));
    cr_assert_eq(x, 0);
    cr_assert_not(x86_msr_read(&vm.vcpu[0], 0xC0010015, &x), "HWCR is AMD's");
    cr_assert(x86_msr_read(&vm.vcpu[0], 0x3A, &x));
    cr_assert_eq(x, 1, "IA32_FEATURE_CONTROL locked, VMX off");
    cr_assert_not(x86_msr_write(&vm.vcpu[0], 0x3A, 5));
}

Test(msr, mcg_cap_read_only_mcg_status_kept)
{
    for (int k = 0; k < 2; k++) {
        fake_x86_vm(&vm, &cfg, 1, k ? CONFIG_CPUID_VENDOR_AMD : CONFIG_CPUID_VENDOR_INTEL);
        struct vcpu *v = &vm.vcpu[0];
        uint64_t cap = ~0ull, st = ~0ull;
        cr_assert(x86_msr_read(v, 0x179, &cap));
        cr_assert_eq(cap & 0xFF, 0, "no banks");
        cr_assert_eq(cap & (1ull << 8), 0, "no MCG_CTL");
        cr_assert_not(x86_msr_write(v, 0x179, cap), "MCG_CAP is read-only");
        cr_assert(x86_msr_read(v, 0x17A, &st));
        cr_assert_eq(st, 0);
        cr_assert(x86_msr_write(v, 0x17A, 0x5));
        cr_assert(x86_msr_read(v, 0x17A, &st));
        cr_assert_eq(st, 0x5);
        cr_assert_not(x86_msr_read(v, 0x17B, &st), "MCG_CTL absent (MCG_CAP.MCG_CTL_P = 0)");
        cr_assert_not(x86_msr_read(v, 0x400, &st), "no bank 0");
    }
}

Test(msr, misc_enable_writable_bits_kept)
{
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_INTEL);
    struct vcpu *v = &vm.vcpu[0];
    uint64_t m;
    cr_assert(x86_msr_read(v, 0x1A0, &m));
    cr_assert_eq(m, 0x1801, "reset: fast strings, BTS and PEBS unavailable");
    cr_assert(x86_msr_write(v, 0x1A0, m & ~1ull));
    cr_assert(x86_msr_read(v, 0x1A0, &m));
    cr_assert_eq(m, 0x1800, "fast strings off kept");
    cr_assert(x86_msr_write(v, 0x1A0, m | (1ull << 18) | (1ull << 22)));
    cr_assert(x86_msr_read(v, 0x1A0, &m));
    cr_assert_eq(m, 0x441800, "MONITOR FSM and limit-CPUID bits kept");
    cr_assert_not(x86_msr_write(v, 0x1A0, m & ~(1ull << 11)), "BTS unavailable is read-only: #GP");
    cr_assert_not(x86_msr_write(v, 0x1A0, m & ~(1ull << 12)), "PEBS unavailable is read-only: #GP");
    cr_assert(x86_msr_write(v, 0x1A0, m | (1ull << 7)), "EMON: written without a fault...");
    cr_assert(x86_msr_read(v, 0x1A0, &m));
    cr_assert_eq(m, 0x441800, "...and ignored");
    x86_msr_reset(v);
    cr_assert(x86_msr_read(v, 0x1A0, &m));
    cr_assert_eq(m, 0x1801, "reset again");
}

Test(msr, amd_hwcr_as_kvm)
{
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_AMD);
    uint64_t x;
    cr_assert(x86_msr_write(&vm.vcpu[0], 0xC0010015, (1ull << 18) | (1ull << 6)), "McStatusWrEn, ignored bit 6");
    cr_assert(x86_msr_read(&vm.vcpu[0], 0xC0010015, &x));
    cr_assert_eq(x, 1ull << 18);
    cr_assert_not(x86_msr_write(&vm.vcpu[0], 0xC0010015, 1ull << 0));
}

Test(msr, amd_cfg_msrs_as_kvm)
{
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_AMD);
    struct vcpu *v = &vm.vcpu[0];
    uint64_t x = ~0ull;
    cr_assert(x86_msr_read(v, 0xC0011029, &x));
    cr_assert_eq(x, 0);
    cr_assert(x86_msr_write(v, 0xC0011029, 2), "DE_CFG: LFENCE serializing, as Linux's init_amd sets it");
    cr_assert(x86_msr_read(v, 0xC0011029, &x));
    cr_assert_eq(x, 2);
    cr_assert_not(x86_msr_write(v, 0xC0011029, 1), "other DE_CFG bits #GP");
    cr_assert(x86_msr_write(v, 0xC0011022, 0x10) && x86_msr_read(v, 0xC0011022, &x));
    cr_assert_eq(x, 0, "DC_CFG: writes ignored, reads 0");
    cr_assert(x86_msr_write(v, 0xC001102A, 0x10) && x86_msr_read(v, 0xC001102A, &x));
    cr_assert_eq(x, 0, "BU_CFG2: writes ignored, reads 0");
    cr_assert_not(x86_msr_read(v, 0xCE, &x), "PLATFORM_INFO is Intel's");
    x86_msr_reset(v);
    cr_assert(x86_msr_read(v, 0xC0011029, &x));
    cr_assert_eq(x, 0, "DE_CFG reset");
}

Test(msr, intel_platform_info_and_misc_features)
{
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_INTEL);
    struct vcpu *v = &vm.vcpu[0];
    uint64_t x = ~0ull;
    cr_assert(x86_msr_read(v, 0xCE, &x));
    cr_assert_eq(x, 0, "PLATFORM_INFO: no CPUID faulting");
    cr_assert_not(x86_msr_write(v, 0xCE, 0), "PLATFORM_INFO is read-only");
    cr_assert(x86_msr_read(v, 0x140, &x));
    cr_assert_eq(x, 0);
    cr_assert(x86_msr_write(v, 0x140, 0), "MISC_FEATURES_ENABLES: 0 accepted");
    cr_assert_not(x86_msr_write(v, 0x140, 1), "CPUID faulting not offered: #GP");
    cr_assert_not(x86_msr_read(v, 0xC0011029, &x), "DE_CFG is AMD's");
}

Test(msr, unknown_msrs_gp)
{
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_AMD);
    uint64_t x;
    cr_assert_not(x86_msr_read(&vm.vcpu[0], 0x12345678, &x));
    cr_assert_not(x86_msr_write(&vm.vcpu[0], 0x12345678, 0));
    cr_assert_not(x86_msr_read(&vm.vcpu[0], 0x174, &x), "backend-owned: never reaches msr.c, #GP if it did");
}

/* --- vlapic.c ------------------------------------------------------------------------------------ */

#define X2APIC_ID 0x802u
#define X2APIC_LVT_TIMER 0x832u
#define X2APIC_TMICT 0x838u
#define X2APIC_TMCCT 0x839u

static void x2apic_on(struct vcpu *v)
{
    uint64_t base;
    cr_assert(x86_msr_read(v, MSR_IA32_APIC_BASE, &base));
    cr_assert(x86_msr_write(v, MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD));
}

Test(vlapic, x2apic_id_write_gp)
{
    fake_x86_vm(&vm, &cfg, 2, CONFIG_CPUID_VENDOR_AMD);
    struct vcpu *v = &vm.vcpu[1];
    x2apic_on(v);
    uint64_t id;
    cr_assert(x86_msr_read(v, X2APIC_ID, &id));
    cr_assert_eq(id, 1);
    cr_assert_not(x86_msr_write(v, X2APIC_ID, 5), "x2APIC ID is read-only: #GP");
    cr_assert(x86_msr_read(v, X2APIC_ID, &id));
    cr_assert_eq(id, 1);
}

Test(vlapic, tmict_kept_across_oneshot_periodic_change)
{
    fake_x86_vm(&vm, &cfg, 1, CONFIG_CPUID_VENDOR_AMD);
    struct vcpu *v = &vm.vcpu[0];
    x2apic_on(v);
    uint64_t tmict, tmcct;
    cr_assert(x86_msr_write(v, 0x80F, 0x1FF), "SVR: software enable");
    cr_assert(x86_msr_write(v, X2APIC_LVT_TIMER, 0x10040), "one-shot, masked");
    cr_assert(x86_msr_write(v, X2APIC_TMICT, 4000000000u));
    cr_assert(x86_msr_write(v, X2APIC_LVT_TIMER, 0x30040), "periodic, masked");
    cr_assert(x86_msr_read(v, X2APIC_TMICT, &tmict) && x86_msr_read(v, X2APIC_TMCCT, &tmcct));
    cr_assert_eq(tmict, 4000000000u, "TMICT kept (KVM apic_update_lvtt)");
    cr_assert(tmcct > 0 && tmcct <= tmict, "still counting: TMCCT %lu", (unsigned long)tmcct);
    cr_assert(x86_msr_write(v, X2APIC_LVT_TIMER, 0x10040), "back to one-shot");
    cr_assert(x86_msr_read(v, X2APIC_TMICT, &tmict));
    cr_assert_eq(tmict, 4000000000u);
    cr_assert(x86_msr_write(v, X2APIC_LVT_TIMER, 0x50040), "TSC-deadline");
    cr_assert(x86_msr_read(v, X2APIC_TMICT, &tmict) && x86_msr_read(v, X2APIC_TMCCT, &tmcct));
    cr_assert(tmict == 0 && tmcct == 0, "into TSC-deadline mode the timer stops, TMICT 0");
}

/* An ICR with delivery mode SMI (SDM Vol. 3A 10.6.1) reaches the destination vCPU's SMM (smm.c's
 * x86_smm_raise; the fake marks it pending), no other one. */
Test(vlapic, icr_smi_raises_smi_on_the_destination)
{
    fake_x86_vm(&vm, &cfg, 2, CONFIG_CPUID_VENDOR_INTEL);
    struct vcpu *v = &vm.vcpu[0];
    x2apic_on(v);
    cr_assert(x86_msr_write(v, 0x80F, 0x1FF), "SVR: software enable");
    cr_assert(x86_msr_write(v, 0x830, (uint64_t)1 << 32 | 2u << 8 | 1u << 14), "ICR: SMI to APIC ID 1");
    cr_assert_eq(vm.vcpu[1].arch.smm.smi_pending, 1);
    cr_assert_eq(vm.vcpu[0].arch.smm.smi_pending, 0);
}

/* The MSRs both backends stop intercepting come from msr.c's table (x86_msr_passthrough): exactly the
 * ones VMRUN / VM entry switch or the hypervisor never uses, and never one msr.c virtualizes. */
static uint32_t passed[32];
static unsigned passed_count;
static void record_pass(void *ctx, uint32_t msr) { (void)ctx; if (passed_count < 32) passed[passed_count++] = msr; }

Test(msr, passthrough_is_the_backend_switched_set)
{
    static const uint32_t want[] = { 0x174, 0x175, 0x176, 0xC0000081, 0xC0000082, 0xC0000083, 0xC0000084,
                                     0xC0000100, 0xC0000101, 0xC0000102 };
    passed_count = 0;
    x86_msr_passthrough(record_pass, NULL);
    cr_assert_eq(passed_count, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < passed_count; i++)
        cr_assert_eq(passed[i], want[i], "MSR %u: 0x%x", i, passed[i]);
}
