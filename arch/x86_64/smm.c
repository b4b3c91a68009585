/* smm.c: System Management Mode for guests, the same on both backends (docs/smm.md): SMIs (LAPIC SMI IPIs,
 * the APM control port 0xB2 with its status byte 0xB3), SMM entry (state saved at SMBASE + 0xFE00,
 * smm_state.c), RSM as its own path (checked by rsm_check.c; an invalid map shuts the vCPU down, which
 * stops the VM as crashed), SMBASE relocation, NMI blocking and the SMI latched while in SMM. The vCPU
 * runs on the SMM view of memory while in SMM (smram.c). */
#include <inttypes.h>
#include "arch.h"
#include "arch_guest.h"
#include "kernel.h"
#include "x86.h"
#include "x86_vcpu.h"
#include "x86_regs.h"

#define APM_CNT_PORT 0xB2u            /* ICH9 APM_CNT: a write raises an SMI; APM_STS at 0xB3 */
#define MSR_SMI_COUNT  0x34u          /* SDM Vol. 4, table 2-x: SMIs taken since reset (read-only) */
#define MSR_IA32_SMBASE 0x9Eu         /* SDM Vol. 4: readable in SMM only */
#define CPUID_80000001_EDX_LM (1u << 29)
#define EFER_RSM_BITS 0xD01ull        /* SCE, LME, LMA, NXE: what msr.c lets the guest hold */

struct memslots *x86_vcpu_slots(struct vcpu *v)
{
    return v->arch.smm.in_smm ? &v->vm->arch.smram.slots : &v->vm->slots;
}

/* The AMD64 map for a vCPU whose CPUID offers long mode (as KVM decides), the 32-bit one otherwise. */
static bool long_mode_map(struct vcpu *v)
{
    uint32_t r[4];
    x86_cpuid_policy(v, 0x80000000u, 0, r);
    if (r[0] < 0x80000001u)
        return false;
    x86_cpuid_policy(v, 0x80000001u, 0, r);
    return r[3] & CPUID_80000001_EDX_LM;
}

void x86_smm_raise(struct vcpu *t)
{
    if (!t->vm->arch.smram.enabled)
        return;
    __atomic_store_n(&t->arch.smm.smi_pending, 1, __ATOMIC_RELEASE);
    arch_vcpu_kick(t);
}

bool x86_smm_pending(struct vcpu *v)
{
    return !v->arch.smm.in_smm && __atomic_load_n(&v->arch.smm.smi_pending, __ATOMIC_ACQUIRE);
}

void x86_smm_vcpu_reset(struct vcpu *v)
{
    v->arch.smm = (struct x86_smm_vcpu){ .smbase = SMM_DEFAULT_SMBASE };
}

static void stop(struct vcpu *v, struct vcpu_exit *exit, const char *what, const char *why, uint64_t code)
{
    hv_printf("vm %s: vcpu %" PRIu32 ": %s: %s\n", v->vm->name, v->id, what, why);
    x86_vcpu_crash(v, exit, what, code);
}

/* SDM Vol. 3C 34.2, 34.4; APM Vol. 2 10.3: at an instruction boundary, with no event being delivered
 * (KVM: no injection pending re-injection), outside SMM. */
bool x86_smm_deliver(struct vcpu *v, struct vcpu_exit *exit)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    struct x86_smm_vcpu *smm = &v->arch.smm;
    if (!x86_smm_pending(v) || x86_event_queued(v))
        return true;
    __atomic_store_n(&smm->smi_pending, 0, __ATOMIC_RELAXED);
    struct x86_cpu_state cur, entry;
    x86_vcpu_get_state(v, &cur);
    bool lm = long_mode_map(v);
    uint8_t area[SMM_SAVE_BYTES];
    smm_save_build(&cur, smm->smbase, lm, area);
    if (guest_write(&v->vm->arch.smram.slots, (uint64_t)smm->smbase + SMM_SAVE_OFFSET, area, sizeof(area))) {
        hv_printf("vm %s: vcpu %" PRIu32 ": SMI: SMBASE 0x%" PRIx32 " + 0xFE00 is not in RAM\n", v->vm->name, v->id,
                  smm->smbase);
        x86_vcpu_crash(v, exit, "SMI with the state-save map outside RAM", smm->smbase);
        return false;
    }
    smm_entry_state(&cur, smm->smbase, lm, &entry);
    x86_vcpu_set_state(v, &entry);
    smm->in_smm = true;                   /* blocks NMIs until RSM (34.8) and SMIs (latched) */
    smm->smi_count++;
    ops->set_stage2(v, &v->vm->arch.smram.stage2);
    v->arch.flush_on_entry = true;
    return true;
}

/* RSM (SDM Vol. 3C 34.11, Vol. 2B RSM; APM Vol. 2 10.3.4): #UD outside SMM; else the state from the map,
 * checked as a whole before any of it is loaded, SMBASE from the map (relocation), NMIs unblocked, and a
 * latched SMI taken before the next instruction. */
void x86_smm_rsm(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    struct x86_smm_vcpu *smm = &v->arch.smm;
    exit->reason = EXIT_OTHER;
    if (!smm->in_smm) {
        x86_vcpu_inject_exception(v, X86_EXC_UD, false, 0);
        return;
    }
    uint8_t area[SMM_SAVE_BYTES];
    if (guest_read(&v->vm->arch.smram.slots, (uint64_t)smm->smbase + SMM_SAVE_OFFSET, area, sizeof(area))) {
        stop(v, exit, "RSM from an invalid state-save map (shutdown)", "SMBASE + 0xFE00 is not in RAM", x->code);
        return;
    }
    struct x86_cpu_state cur, s;
    x86_vcpu_get_state(v, &cur);
    uint32_t smbase;
    smm_save_parse(area, long_mode_map(v), &cur, &s, &smbase);
    uint32_t r[4];
    x86_cpuid_policy(v, 0x80000008u, 0, r);
    struct rsm_limits lim = { x86_cr4_supported(v), EFER_RSM_BITS, (r[0] & 0xFF) ? r[0] & 0xFF : 36 };
    const char *why = rsm_check(&s, &lim);
    if (why) {
        stop(v, exit, "RSM from an invalid state-save map (shutdown)", why, x->code);
        return;
    }
    x86_vcpu_set_state(v, &s);
    smm->smbase = smbase;
    smm->in_smm = false;
    ops->set_stage2(v, &v->vm->stage2);
    v->arch.flush_on_entry = true;
}

/* VMX: RSM in VMX non-root operation raises #UD (SDM Vol. 3C 26.1.2 lists it among the instructions that
 * do), which the backend intercepts for VMs with SMM. Legacy prefixes do not change RSM. */
bool x86_smm_ud(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    if (!v->arch.smm.in_smm)
        return false;
    uint8_t b[X86_INSN_MAX_BYTES];
    enum x86_cpu_mode mode;
    struct x86_guest_mode m;
    size_t n = x86_fetch_insn(v, b, &mode, &m), i = 0;
    while (i < n && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xF2 || b[i] == 0xF3 || b[i] == 0x26 || b[i] == 0x2E ||
                     b[i] == 0x36 || b[i] == 0x3E || b[i] == 0x64 || b[i] == 0x65))
        i++;
    if (i + 1 >= n || b[i] != 0x0F || b[i + 1] != 0xAA)
        return false;
    x86_smm_rsm(v, x, exit);
    return true;
}

bool x86_smm_msr_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    if (msr == MSR_SMI_COUNT) {
        *value = v->arch.smm.smi_count;
        return true;
    }
    if (msr == MSR_IA32_SMBASE && v->arch.smm.in_smm) {
        *value = v->arch.smm.smbase;
        return true;
    }
    return false;
}

/* --- the APM control and status ports (ICH9 datasheet 13.8.2: APM_CNT 0xB2, APM_STS 0xB3) ------------ */

static uint64_t apm_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu;
    struct x86_smram *s = dev;
    uint64_t v = 0;
    for (uint32_t i = 0; i < size && off + i < 2; i++)
        v |= (uint64_t)__atomic_load_n(&s->apm[off + i], __ATOMIC_RELAXED) << (8 * i);
    return v;
}

/* A write to APM_CNT raises an SMI on the writing vCPU (QEMU ich9 apm: without its SMI_EN gating). */
static void apm_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    struct x86_smram *s = dev;
    for (uint32_t i = 0; i < size && off + i < 2; i++)
        __atomic_store_n(&s->apm[off + i], (uint8_t)(value >> (8 * i)), __ATOMIC_RELAXED);
    if (off == 0)
        x86_smm_raise(vcpu);
}

static const struct mmio_ops apm_ops = { apm_read, apm_write };

bool x86_smm_vm_init(struct vm *vm)
{
    if (!x86_smram_vm_init(vm))
        return false;
    if (!vm->arch.smram.enabled)
        return true;
    return mmio_bus_register(&vm->pio, APM_CNT_PORT, 2, &apm_ops, &vm->arch.smram, "apm") == 0;
}
