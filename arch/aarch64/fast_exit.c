/* fast_exit.c: the exit path's fast tier. Right after the guest leaves, the hottest exits are
 * recognised from ESR_EL2 alone and answered without the rest of the entry/exit work (list
 * registers, timers, the run loop): an HVC of a read-only hypercall and an ISV=1 read of an
 * emulated device (PL011, GICD/GICR registers). They are counted and handled by the same code
 * as on the generic path (kernel/vcpu.c vcpu_fast_exit); the vCPU goes straight back in only
 * when nothing waits: no work for this pCPU, no interrupt for the vGIC to load, nothing in the
 * list registers. A physical interrupt (a kick, the host tick) that arrives meanwhile stays
 * pending at EL2 and ends the next entry at once, so it still comes first. */
#include "guest.h"
#include "kernel.h"
#include "vgic_internal.h"

/* Data abort ISS (Arm ARM D17.2.40, "ISS encoding for an exception from a Data Abort"). */
#define ISS_ISV      (1u << 24)
#define ISS_CM       (1u << 8)
#define ISS_S1PTW    (1u << 7)
#define ISS_WNR      (1u << 6)
#define ISS_FSC_TYPE 0x3cu
#define FSC_TRANSLATION 0x04u
#define CPTR_EL2_TFP    (1ull << 10)     /* Arm ARM D17.2.31 */

/* Lower EL using AArch64, synchronous (vectors.S index 8). */
#define KIND_SYNC_A64 8

/* Nothing the generic entry would have to do: no list register in use and nothing tracked by
 * the vGIC (so no interrupt to load, no timer line to resample), no LPI waiting in the table. */
static inline __attribute__((always_inline)) bool vgic_quiet(struct vcpu *v)
{
    const struct vgic_cpu *c = &v->arch.vgic;
    return !c->lr_used && !c->lpi_overflow && !c->tall1_skip && vgic_track_idle(v->vm, v);
}

/* HVC: PSCI and the writing hypercalls take the generic path. */
static bool fast_hvc(struct vcpu *v, struct vcpu_exit *exit)
{
    const uint64_t *x = v->arch.x;
    if (!hypercall_is_fast(x[0]))
        return false;
    exit->reason = EXIT_HYPERCALL;
    exit->hypercall.nr = x[0];
    for (int i = 0; i < 4; i++)
        exit->hypercall.arg[i] = x[1 + i];
    return true;
}

/* A load the syndrome describes (ISV = 1, so no writeback and Rt named) that took a stage-2
 * translation fault: an emulated device's register when the address is in no memslot and a
 * device claims it (vm_device_at), read through the VM's bus as handle_mmio would. Writes, and
 * anything else, go the generic way (abort.c). */
/* A load or a store the syndrome describes (ISV = 1, so no writeback and Rt named) that took a
 * stage-2 translation fault (the light path takes both). */
static bool dabt_is_fast_access(uint64_t esr)
{
    uint32_t iss = ESR_ISS(esr);
    return (iss & (ISS_ISV | ISS_CM | ISS_S1PTW)) == ISS_ISV && (iss & ISS_FSC_TYPE) == FSC_TRANSLATION &&
           (esr & ESR_IL);
}

/* The loads of those: an emulated device's register when the address is in no memslot and a
 * device claims it (vm_device_at), read through the VM's bus as handle_mmio would. Writes, and
 * anything else, go the generic way (abort.c). */
static bool dabt_is_fast_read(uint64_t esr)
{
    return dabt_is_fast_access(esr) && !(ESR_ISS(esr) & ISS_WNR);
}

static uint64_t dabt_ipa(uint64_t far)
{
    return (read_sysreg(hpfar_el2) & 0x0000fffffffffff0ull) << 8 | (far & 0xfff);
}

static bool fast_mmio_read(struct vcpu *v, struct vcpu_exit *exit, uint64_t esr)
{
    struct arch_vcpu *a = &v->arch;
    if (!dabt_is_fast_read(esr))
        return false;
    uint64_t far = read_sysreg(far_el2), ipa = dabt_ipa(far);
    a64_ldst_from_iss(ESR_ISS(esr), &a->mmio);
    if (!vm_device_at(v->vm, ipa, a->mmio.size_bytes))
        return false;             /* RAM, or nothing there: abort.c decides */
    a->far = far;
    a->insn_len = 4;
    exit->reason = EXIT_MMIO;
    exit->mmio.gpa = ipa;
    exit->mmio.size = a->mmio.size_bytes;
    exit->mmio.write = false;
    exit->mmio.data = 0;
    return true;
}

/* A data abort, straight from the vector (world_switch.S guest_dabt_light) with all the guest's
 * GPRs in its register file, its PC and PSTATE in a->pc / a->pstate and CPTR_EL2.TFP set (a
 * device handler that uses FP/SIMD saves the guest's registers first, fpsimd.c): a device read
 * (as fast_mmio_read) or write the syndrome describes is counted, done through the bus and
 * completed here when the guest's PMU and this pCPU's counters are off, the vGIC idle and the
 * run loop has nothing to do; the same device handlers as handle_mmio's. 1: back into the guest
 * (ELR_EL2 / SPSR_EL2 from a->pc / a->pstate); 0: not taken, the ordinary exit of vector 8 with
 * nothing changed; 2: done, but the access changed something (an interrupt line, console output
 * for this pCPU to drain, FP/SIMD used): the run loop takes over (FAST_KIND_HANDLED). */
int fast_dabt_light(struct arch_vcpu *a)
{
    struct vcpu *v = (struct vcpu *)((char *)a - offsetof(struct vcpu, arch));
    uint64_t esr = read_sysreg(esr_el2);
    if (!dabt_is_fast_access(esr) || !vgic_quiet(v) || pmu_guest_counting(v) || !vcpu_fast_ready(v))
        return 0;
    struct a64_ldst m;
    a64_ldst_from_iss(ESR_ISS(esr), &m);
    uint64_t ipa = dabt_ipa(read_sysreg(far_el2));
    const struct mmio_region *r = vm_device_at(v->vm, ipa, m.size_bytes);
    if (!r)
        return 0;
    vcpu_count_exit(v, EXIT_MMIO);
    if (m.store)
        mmio_region_write(r, v, ipa, m.size_bytes, guest_reg(v, m.rt));
    else
        guest_set_reg(v, m.rt, a64_load_value(&m, mmio_region_read(r, v, ipa, m.size_bytes)));
    a->insn_len = 4;
    guest_skip_insn(v);
    a->fault_loop = 0;            /* progress, as arch_vcpu_run notes for a fast re-entry */
    /* What a read may have changed (a device's interrupt line, console work for this pCPU,
     * FP/SIMD used: fpsimd_trap cleared TFP). The VM's stop and the vCPU's power come from
     * other pCPUs, with a kick. */
    if (!(read_sysreg(cptr_el2) & CPTR_EL2_TFP) || cpu_work[v->pcpu] || !vgic_quiet(v))
        return 2;
    return 1;
}

/* An HVC, straight from the vector (world_switch.S guest_hvc_light) with only x0-x18 and x30
 * in the register file: a fast hypercall is counted and answered here (hypercall_fast, the
 * generic path's own answer) when nothing else would happen at this exit: the guest's PMU and
 * this pCPU's counters off (their entry/exit accounting is skipped), the vGIC idle and the run
 * loop with nothing to do. Those are checked first: the answer changes none of them (it only
 * reads), and an interrupt raised meanwhile by another pCPU comes with a kick that ends the next
 * entry at once. 1: back into the guest; 0: not answered, the ordinary exit of vector 8. */
int fast_hvc_light(struct arch_vcpu *a)
{
    struct vcpu *v = (struct vcpu *)((char *)a - offsetof(struct vcpu, arch));
    uint64_t nr = a->x[0];
    if (!hypercall_is_fast(nr) || !vgic_quiet(v) || pmu_guest_counting(v) || !vcpu_fast_ready(v))
        return 0;
    vcpu_count_exit(v, EXIT_HYPERCALL);
    hypercall_fast(v, nr, a->x[1], a->x);     /* x0-x3; the PC is already past the HVC */
    a->fault_loop = 0;            /* progress, as arch_vcpu_run notes for a fast re-entry */
    return 1;
}

enum fast_result fast_exit(struct vcpu *v, uint64_t kind)
{
    if (kind == FAST_KIND_HANDLED)
        return FAST_HANDLED;      /* guest_hvc_light answered it */
    if (kind != KIND_SYNC_A64)
        return FAST_NONE;
    uint64_t esr = read_sysreg(esr_el2);
    if (ESR_EC(esr) == EC_SYS64)
        return vgic_sgi_fast(v, esr);       /* SGI writes; other registers: FAST_NONE */
    if (!vgic_quiet(v))
        return FAST_NONE;
    struct vcpu_exit exit;
    bool hot;
    switch (ESR_EC(esr)) {
    case EC_HVC64:
        hot = fast_hvc(v, &exit);
        break;
    case EC_DABT_LOW:
        hot = fast_mmio_read(v, &exit, esr);
        break;
    default:
        hot = false;
    }
    if (!hot)
        return FAST_NONE;
    if (!vcpu_fast_exit(v, &exit) || !vgic_quiet(v) || v->arch.injected)
        return FAST_HANDLED;                /* handled; the generic entry does the rest */
    return FAST_REENTER;
}
