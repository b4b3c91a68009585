/* msr.c: the guest's MSR allow list, one row per MSR with its read and write handler (Intel SDM Vol. 4;
 * AMD APM Vol. 2, appendix A). Anything without a row raises #GP(0) in the guest. */
#include "x86.h"
#include "x86_vcpu.h"

#define MSR_IA32_TSC            0x010u
#define MSR_IA32_PLATFORM_ID    0x017u
#define MSR_IA32_MISC_ENABLE    0x1A0u
#define MSR_IA32_PAT            0x277u
#define MSR_IA32_BIOS_SIGN_ID   0x08Bu

/* IA32_APIC_BASE (SDM Vol. 3A, 10.4.4): BSP flag, x2APIC enable, global enable, base in 51:12. */
#define APIC_BASE_BSP     (1ull << 8)
#define APIC_BASE_EN      (1ull << 11)
#define APIC_BASE_DEFAULT 0xFEE00000ull
#define APIC_BASE_ADDR    0x000FFFFFFFFFF000ull

/* IA32_EFER (SDM Vol. 3A, 2.2.1; APM Vol. 2, 3.1.7): SCE, LME, LMA, NXE; SVME is the host's. */
#define EFER_SCE          (1ull << 0)
#define EFER_NXE          (1ull << 11)
#define EFER_GUEST_BITS   (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

#define PAT_RESET         0x0007040600070406ull   /* SDM Vol. 3A, 11.12.4 */
#define MISC_ENABLE_FAST_STRINGS 1ull

typedef bool (*msr_read_fn)(struct vcpu *vcpu, uint64_t *value);
typedef bool (*msr_write_fn)(struct vcpu *vcpu, uint64_t value);

static bool efer_read(struct vcpu *v, uint64_t *value)
{
    *value = x86_vcpu_backend()->get_efer(v) & EFER_GUEST_BITS;
    return true;
}

/* LMA is read-only (the CPU sets it when paging turns on with LME). */
static bool efer_write(struct vcpu *v, uint64_t value)
{
    if (value & ~EFER_GUEST_BITS)
        return false;
    uint64_t old = x86_vcpu_backend()->get_efer(v);
    x86_vcpu_backend()->set_efer(v, (value & ~EFER_LMA) | (old & EFER_LMA));
    return true;
}

/* Each of the eight PAT entries must be a valid memory type: 0, 1, 4, 5, 6 or 7 (SDM 11.12.2). */
static bool pat_valid(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        uint8_t t = (uint8_t)(pat >> (8 * i));
        if (t > 7 || t == 2 || t == 3)
            return false;
    }
    return true;
}

static bool pat_read(struct vcpu *v, uint64_t *value) { *value = v->arch.pat; return true; }

static bool pat_write(struct vcpu *v, uint64_t value)
{
    if (!pat_valid(value))
        return false;
    v->arch.pat = value;
    x86_vcpu_backend()->set_pat(v, value);
    return true;
}

static bool tsc_read(struct vcpu *v, uint64_t *value)
{
    *value = rdtsc() + (uint64_t)v->arch.tsc_offset;
    return true;
}

static bool tsc_write(struct vcpu *v, uint64_t value)
{
    v->arch.tsc_offset = (int64_t)(value - rdtsc());
    x86_vcpu_backend()->set_tsc_offset(v, v->arch.tsc_offset);
    return true;
}

/* Virtual only: a guest write never reaches the real IA32_APIC_BASE (FACTS: QEMU and Bochs cannot
 * re-enable an xAPIC whose enable bit was cleared); vlapic.c checks the mode transitions. */
static bool apic_base_read(struct vcpu *v, uint64_t *value) { *value = v->arch.apic_base; return true; }
static bool apic_base_write(struct vcpu *v, uint64_t value) { return vlapic_apic_base_write(v, value); }

static bool misc_enable_read(struct vcpu *v, uint64_t *value) { (void)v; *value = MISC_ENABLE_FAST_STRINGS; return true; }
static bool zero_read(struct vcpu *v, uint64_t *value) { (void)v; *value = 0; return true; }
static bool ignore_write(struct vcpu *v, uint64_t value) { (void)v; (void)value; return true; }

static const struct {
    uint32_t msr;
    msr_read_fn read;          /* NULL: reads raise #GP */
    msr_write_fn write;        /* NULL: writes raise #GP */
} msr_table[] = {
    { MSR_IA32_TSC, tsc_read, tsc_write },
    { MSR_IA32_PLATFORM_ID, zero_read, NULL },
    { MSR_IA32_APIC_BASE, apic_base_read, apic_base_write },
    { MSR_IA32_BIOS_SIGN_ID, zero_read, ignore_write },     /* microcode revision: none */
    { MSR_IA32_MISC_ENABLE, misc_enable_read, ignore_write },
    { MSR_IA32_PAT, pat_read, pat_write },
    { MSR_IA32_EFER, efer_read, efer_write },
};

#define MSR_TABLE_COUNT (sizeof(msr_table) / sizeof(msr_table[0]))

void x86_msr_reset(struct vcpu *vcpu)
{
    vcpu->arch.apic_base = APIC_BASE_DEFAULT | APIC_BASE_EN | (vcpu->id == 0 ? APIC_BASE_BSP : 0);
    vcpu->arch.pat = PAT_RESET;
    vcpu->arch.tsc_offset = 0;
}

/* The x2APIC registers (SDM Vol. 3A, 10.12.1.2) and IA32_TSC_DEADLINE belong to the virtual LAPIC. */
static bool lapic_msr(uint32_t msr) { return (msr >= 0x800 && msr <= 0x8FF) || msr == 0x6E0; }

bool x86_msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value)
{
    if (lapic_msr(msr))
        return vlapic_msr_read(vcpu, msr, value);
    for (size_t i = 0; i < MSR_TABLE_COUNT; i++)
        if (msr_table[i].msr == msr)
            return msr_table[i].read && msr_table[i].read(vcpu, value);
    return false;
}

bool x86_msr_write(struct vcpu *vcpu, uint32_t msr, uint64_t value)
{
    if (lapic_msr(msr))
        return vlapic_msr_write(vcpu, msr, value);
    for (size_t i = 0; i < MSR_TABLE_COUNT; i++)
        if (msr_table[i].msr == msr)
            return msr_table[i].write && msr_table[i].write(vcpu, value);
    return false;
}
