/* abort.c: stage-2 aborts from the guest (ESR_EL2.EC 0x24 / 0x20): emulated MMIO, writes to
 * read-only memslots, and an external abort for everything else (Arm ARM D17.2.40, ISS
 * encoding for a Data Abort). */
#include <inttypes.h>
#include "dirty_log.h"
#include "guest.h"
#include "kernel.h"
#include "memslot_run.h"

/* Data abort ISS fields. */
#define ISS_ISV      (1u << 24)
#define ISS_CM       (1u << 8)
#define ISS_S1PTW    (1u << 7)
#define ISS_WNR      (1u << 6)
#define FSC_TYPE(iss) ((iss) & 0x3c)
#define FSC_TRANSLATION 0x04
#define FSC_PERMISSION  0x0c

#define PAR_F          (1ull << 0)
#define PAR_PA_MASK    0x0000fffffffff000ull

/* Per VM: its RAM aborted once and the console was told (atomic; diagnostics only). */
static uint32_t ram_abort_reported[VM_MAX_VMS];

/* HPFAR_EL2.FIPA (bits 47:4) holds IPA bits 55:12 of a stage-2 fault (Arm ARM D17.2.67). */
static uint64_t fault_ipa(uint64_t far)
{
    return (read_sysreg(hpfar_el2) & 0x0000fffffffffff0ull) << 8 | (far & 0xfff);
}

/* A guest VA to its IPA through the guest's stage 1 when its MMU is on: AT S1E1R or
 * S1E0R (Arm ARM C5.5) leave the IPA in PAR_EL1, which is the guest's: saved and restored.
 * A synchronous External abort on the guest's table walk is a failed translation (the AT
 * returns false, sysreg.h); said once per VM, since the guest can repeat it at will. walk_aborted (may
 * be NULL) tells that case from a translation the guest simply does not have (PAR_EL1.F). */
static bool va_to_ipa(struct vcpu *v, uint64_t va, uint64_t *ipa, bool *walk_aborted)
{
    if (!(read_sysreg(sctlr_el1) & SCTLR_EL1_M)) {
        *ipa = va;
        return true;
    }
    uint64_t saved = read_sysreg(par_el1), par;
    bool walked = guest_at_el0(v) ? at_s1e0r(va) : at_s1e1r(va);
    isb();
    par = read_sysreg(par_el1);
    write_sysreg(par_el1, saved);
    if (!walked) {
        if (!__atomic_exchange_n(&v->vm->arch.at_abort_reported, true, __ATOMIC_RELAXED))
            hv_printf("vm %s: AT S1E%cR of VA 0x%" PRIx64 " took an external abort on the guest's table walk: "
                      "a failed translation\n", v->vm->name, guest_at_el0(v) ? '0' : '1', va);
        if (walk_aborted)
            *walk_aborted = true;
        return false;
    }
    *ipa = (par & PAR_PA_MASK) | (va & 0xfff);
    return !(par & PAR_F);
}

static bool guest_va_to_ipa(struct vcpu *v, uint64_t va, uint64_t *ipa) { return va_to_ipa(v, va, ipa, NULL); }

/* The guest's instruction at its PC, read through the audited accessor. */
bool guest_fetch_insn(struct vcpu *v, uint32_t *insn)
{
    uint64_t ipa;
    return guest_va_to_ipa(v, v->arch.pc, &ipa) && guest_read(&v->vm->slots, ipa, insn, sizeof(*insn)) == 0;
}

/* The faulting IPA. HPFAR_EL2 holds it for stage-2 translation faults and for faults on the
 * guest's stage-1 walk; for other permission faults it may not be valid (KVM:
 * __translate_far_to_hpfar), so translate FAR_EL2 then. */
static bool fault_ipa_of(struct vcpu *v, uint32_t iss, uint64_t far, uint64_t *ipa, bool *walk_aborted)
{
    if (FSC_TYPE(iss) == FSC_PERMISSION && !(iss & ISS_S1PTW))
        return va_to_ipa(v, far, ipa, walk_aborted);
    *ipa = fault_ipa(far);
    return true;
}

/* A write (or a stage-1 walk's descriptor update) to a write-protected page of a dirty-logged slot:
 * kernel/dirty_log.c makes it writable and marks it; true when the access just runs again. */
static bool dirty_write_fault(struct vcpu *v, uint64_t ipa)
{
    enum dirty_fault r = dirty_log_write_fault(&v->vm->slots, &v->vm->stage2, ipa);
    if (r == DIRTY_FAULT_NOMEM) {
        hv_printf("vm %s: no memory to split a stage-2 block for dirty logging at 0x%" PRIx64 "\n",
                  v->vm->name, ipa);
        vm_request_shutdown(v->vm, VM_SHUTDOWN_CRASH);
    }
    return r != DIRTY_FAULT_NOT_LOGGED;
}

void abort_data(struct vcpu *v, struct vcpu_exit *exit, uint64_t esr)
{
    struct arch_vcpu *a = &v->arch;
    uint32_t iss = ESR_ISS(esr), type = FSC_TYPE(iss);
    uint64_t far = read_sysreg(far_el2), ipa = 0, hpa;
    uint32_t flags = 0;
    bool write = iss & ISS_WNR;
    bool walk_aborted = false;
    bool ipa_known = fault_ipa_of(v, iss, far, &ipa, &walk_aborted);
    bool in_slot = ipa_known && memslot_translate(&v->vm->slots, ipa, &hpa, &flags);
    a->far = far;
    exit->reason = EXIT_ABORT;

    /* A permission fault whose VA no longer translates: the guest changed its stage 1 on
     * another CPU since. Run the access again; it takes the guest's own fault if there is one
     * (KVM: __translate_far_to_hpfar failing re-enters the guest). One whose walk took an external
     * abort gets the external abort below instead: the walk would abort again. */
    if (!ipa_known && !walk_aborted) {
        exit->reason = EXIT_OTHER;
        return;
    }

    /* Dirty logging (kernel/dirty_log.c): a write to a write-protected page of a logged slot,
     * by the guest or by its stage-1 walk updating a descriptor (stage 2 keeps reads allowed,
     * so a walk's permission fault is a write). The page is made writable and marked; the
     * instruction runs again. */
    if (type == FSC_PERMISSION && in_slot && (write || (iss & ISS_S1PTW)) && !(flags & MEMSLOT_READONLY)) {
        if (dirty_write_fault(v, ipa)) {
            exit->reason = EXIT_OTHER;
            return;
        }
    }

    /* A translation fault inside a slot: a split or collapse on another CPU was between its
     * break and its make (Arm ARM D8.14.1); once it is done the access runs again, mapped at
     * all being enough: a write to a page that is read-only now (dirty logging split the
     * block) then takes the permission fault handled above. */
    if (type == FSC_TRANSLATION && in_slot && memslot_fault_resolved(&v->vm->slots, &v->vm->stage2, ipa, false)) {
        exit->reason = EXIT_OTHER;
        return;
    }

    /* Emulated: a translation fault outside every memslot, or a write to a read-only one.
     * A fault on the guest's own table walk (S1PTW) is never a device access. */
    bool mmio = !(iss & ISS_S1PTW) &&
                ((type == FSC_TRANSLATION && !in_slot) ||
                 (type == FSC_PERMISSION && in_slot && write && (flags & MEMSLOT_READONLY)));
    if (!mmio) {
        /* Never for a healthy guest: its own RAM aborting. Said once per VM, for the record. */
        if (in_slot && !(flags & MEMSLOT_READONLY) &&
            v->vm->id < VM_MAX_VMS && !__atomic_exchange_n(&ram_abort_reported[v->vm->id], 1, __ATOMIC_RELAXED))
            hv_printf("vm %s: stage-2 fault in RAM at IPA 0x%" PRIx64 " (ESR_EL2 0x%" PRIx64 ", FAR 0x%" PRIx64
                      "): external abort to the guest\n", v->vm->name, ipa, esr, far);
        inject_data_abort(v, far);
        return;
    }
    if (iss & ISS_CM) {
        /* Cache maintenance by VA on a device: nothing to maintain; skip it (as KVM does). */
        guest_skip_insn(v);
        exit->reason = EXIT_OTHER;
        return;
    }
    /* ISV=0 (writeback forms, or a core that gives no syndrome): decode the A64 instruction
     * itself. AArch32 EL0 accesses are not decoded. */
    uint32_t insn;
    bool decoded = true;
    if (iss & ISS_ISV)
        a64_ldst_from_iss(iss, &a->mmio);
    else
        decoded = !(a->pstate & PSR_AARCH32) && guest_fetch_insn(v, &insn) && a64_decode_ldst(insn, &a->mmio) &&
                  a->mmio.store == write;
    if (!decoded) {
        inject_data_abort(v, far);
        return;
    }
    exit->reason = EXIT_MMIO;
    exit->mmio.gpa = ipa;
    exit->mmio.size = a->mmio.size_bytes;
    exit->mmio.write = a->mmio.store;
    exit->mmio.data = a->mmio.store ? guest_reg(v, a->mmio.rt) : 0;
}

/* An instruction fetch from an IPA with no memory behind it. */
void abort_insn(struct vcpu *v, struct vcpu_exit *exit, uint64_t esr)
{
    /* As for data: a fetch that met a split or collapse half-way runs again. */
    uint32_t iss = ESR_ISS(esr);
    uint64_t ipa = fault_ipa(read_sysreg(far_el2));
    if (FSC_TYPE(iss) == FSC_TRANSLATION && memslot_fault_resolved(&v->vm->slots, &v->vm->stage2, ipa, false)) {
        exit->reason = EXIT_OTHER;
        return;
    }
    /* The fetch's stage-1 walk updating a descriptor (hardware Access flag / dirty state,
     * FEAT_HAFDBS, which QEMU's -cpu max has) in a table page that dirty logging write-protects:
     * a write to that page (HPFAR_EL2 holds its IPA on a walk fault). Seen with Linux. */
    if (FSC_TYPE(iss) == FSC_PERMISSION && (iss & ISS_S1PTW)) {
        if (dirty_write_fault(v, ipa)) {
            exit->reason = EXIT_OTHER;
            return;
        }
    }
    exit->reason = EXIT_ABORT;
    inject_prefetch_abort(v, read_sysreg(far_el2));
}
