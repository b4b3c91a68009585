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

/* A load the syndrome describes (ISV = 1), outside every memslot: an emulated device's register,
 * read through the VM's bus as abort_data would (writes, and anything else, go the generic way). */
static bool fast_mmio_read(struct vcpu *v, struct vcpu_exit *exit, uint64_t esr)
{
    struct arch_vcpu *a = &v->arch;
    uint32_t iss = ESR_ISS(esr);
    if ((iss & (ISS_ISV | ISS_CM | ISS_S1PTW | ISS_WNR)) != ISS_ISV || (iss & ISS_FSC_TYPE) != FSC_TRANSLATION)
        return false;
    uint64_t far = read_sysreg(far_el2);
    uint64_t ipa = (read_sysreg(hpfar_el2) & 0x0000fffffffffff0ull) << 8 | (far & 0xfff);
    uint64_t hpa;
    if (memslot_translate(&v->vm->slots, ipa, &hpa, NULL))
        return false;                       /* RAM: not a device access (abort.c decides) */
    a64_ldst_from_iss(iss, &a->mmio);
    a->far = far;
    a->insn_len = (esr & ESR_IL) ? 4 : 2;
    exit->reason = EXIT_MMIO;
    exit->mmio.gpa = ipa;
    exit->mmio.size = a->mmio.size_bytes;
    exit->mmio.write = false;
    exit->mmio.data = 0;
    return true;
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
    if (kind != KIND_SYNC_A64 || !vgic_quiet(v))
        return FAST_NONE;
    uint64_t esr = read_sysreg(esr_el2);
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
