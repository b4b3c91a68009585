/* fake_x86.c: what the x86 vCPU policy code (cpuid.c, msr.c, vlapic.c) needs around it on the host: a
 * settable host CPUID (cpuid.c built with -DHV_FAKE_CPUID), a backend that keeps EFER/PAT/TSC offset in
 * cells, the platform calls vlapic.c makes, counted, and the host TSC rate and wall clock kvmclock.c reads. */
#include <string.h>
#include "fake_x86.h"

struct fake_cpuid_leaf fake_cpuid[FAKE_CPUID_MAX];
unsigned fake_cpuid_count;
struct fake_backend fake_backend;
unsigned fake_kicks, fake_ioapic_eois;

void fake_cpuid_set(uint32_t leaf, uint32_t subleaf, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx)
{
    for (unsigned i = 0; i < fake_cpuid_count; i++)
        if (fake_cpuid[i].leaf == leaf && fake_cpuid[i].subleaf == subleaf) {
            fake_cpuid[i].r = (struct cpuid_regs){ eax, ebx, ecx, edx };
            return;
        }
    if (fake_cpuid_count < FAKE_CPUID_MAX)
        fake_cpuid[fake_cpuid_count++] = (struct fake_cpuid_leaf){ leaf, subleaf, { eax, ebx, ecx, edx } };
}

struct cpuid_regs fake_host_cpuid(uint32_t leaf, uint32_t subleaf)
{
    for (unsigned i = 0; i < fake_cpuid_count; i++)
        if (fake_cpuid[i].leaf == leaf && fake_cpuid[i].subleaf == subleaf)
            return fake_cpuid[i].r;
    return (struct cpuid_regs){ 0, 0, 0, 0 };
}

static uint64_t get_efer(struct vcpu *v) { (void)v; return fake_backend.efer; }
static void set_efer(struct vcpu *v, uint64_t efer) { (void)v; fake_backend.efer = efer; }
static void set_pat(struct vcpu *v, uint64_t pat) { (void)v; fake_backend.pat = pat; }
static void set_tsc_offset(struct vcpu *v, int64_t off) { (void)v; fake_backend.tsc_offset = off; }
static void get_mode(struct vcpu *v, struct x86_guest_mode *m) { (void)v; *m = (struct x86_guest_mode){ .cr4 = fake_backend.cr4 }; }

static const struct x86_vcpu_ops fake_ops = {
    .name = "fake", .get_efer = get_efer, .set_efer = set_efer, .set_pat = set_pat,
    .set_tsc_offset = set_tsc_offset, .get_mode = get_mode,
};

const struct x86_vcpu_ops *x86_vcpu_backend(void) { return &fake_ops; }
uint64_t fake_tsc_hz = 1000000000ull;
uint64_t fake_wallclock_boot_seconds = 1767225600ull;   /* 2026-01-01 00:00:00 UTC */
uint64_t x86_tsc_hz(void) { return fake_tsc_hz; }
uint64_t vrtc_host_now_ns(void) { return fake_wallclock_boot_seconds * 1000000000ull + 1000; }
/* Bochs 2.7's corei7_skylake_x VMX MSRs (FACTS.md; the low words as Bochs reports them). */
uint64_t x86_vmx_host_msr(uint32_t msr)
{
    switch (msr) {
    case 0x480: return 0x00d810000000002bull;
    case 0x481: case 0x48D: return 0x0000007f00000016ull;
    case 0x482: return 0xf7f9fffe0401e172ull;
    case 0x48E: return 0xf7f9fffe04006172ull;
    case 0x483: return 0x007fffff00036dffull;
    case 0x48F: return 0x007fffff00036dfbull;
    case 0x484: return 0x0000ffff000011ffull;
    case 0x490: return 0x0000ffff000011fbull;
    case 0x485: return 0x0000000000000005ull;
    case 0x486: return 0x80000021ull;
    case 0x487: return 0xFFFFFFFFull;
    case 0x488: return 0x2000ull;
    case 0x489: return 0x3727FFull;
    case 0x48B: return 0x02177fff00000000ull;
    default: return 0;
    }
}
void arch_vcpu_kick(struct vcpu *vcpu) { (void)vcpu; fake_kicks++; }
void x86_vcpu_init_signal(struct vcpu *vcpu) { (void)vcpu; }
void x86_vcpu_startup_ipi(struct vcpu *vcpu, uint8_t vector) { (void)vcpu; (void)vector; }
/* smm.c's entry points vlapic.c and msr.c use: an SMI counts as pending; the MSRs read the vCPU's state. */
void x86_smm_raise(struct vcpu *vcpu) { vcpu->arch.smm.smi_pending = 1; }
bool x86_smm_msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value)
{
    if (msr == 0x34)
        *value = vcpu->arch.smm.smi_count;
    else if (msr == 0x9E && vcpu->arch.smm.in_smm)
        *value = vcpu->arch.smm.smbase;
    else
        return false;
    return true;
}
void vioapic_eoi(struct vm *vm, uint8_t vector) { (void)vm; (void)vector; fake_ioapic_eois++; }

/* A VM of n vCPUs with the given hv.cfg vendor, every vCPU at its reset state. */
void fake_x86_vm(struct vm *vm, struct config_vm *cfg, uint32_t n, enum config_cpuid_vendor vendor)
{
    memset(vm, 0, sizeof(*vm));
    memset(cfg, 0, sizeof(*cfg));
    cfg->cpuid_vendor = vendor;
    cfg->cpu_count = n;
    vm->cfg = cfg;
    vm->name = "fake";
    vm->vcpu_count = n;
    for (uint32_t i = 0; i < n; i++) {
        vm->vcpu[i].vm = vm;
        vm->vcpu[i].id = i;
        x86_msr_reset(&vm->vcpu[i]);
        vlapic_reset(&vm->vcpu[i]);
    }
}
