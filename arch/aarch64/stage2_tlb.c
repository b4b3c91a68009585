/* stage2_tlb.c: a VM's stage-2 format and its TLB maintenance (Arm ARM D8.13, "TLB
 * maintenance"; the sequence of KVM's __kvm_tlb_flush_vmid_ipa). */
#include "arch_guest.h"
#include "guest.h"
#include "smmu_s2.h"
#include "stage2.h"

/* Above this, one TLBI VMALLS12E1IS is cheaper than a TLBI per page. */
#define TLBI_PAGES_MAX 64u

const struct pt_format *arch_stage2_format(void)
{
    return &aarch64_stage2_format;
}

/* TLBI by IPA acts on the VMID in VTTBR_EL2: this VM's is loaded for the duration (the
 * caller's interrupts are masked at EL2, so nothing runs in between). By IPA removes only
 * stage-2 entries; stage-1 entries combined with them go with TLBI VMALLE1IS. */
void arch_stage2_tlb_invalidate(struct vm *vm, uint64_t ipa, uint64_t size_bytes)
{
    uint64_t saved = read_sysreg(vttbr_el2), want = guest_vttbr(vm);
    if (saved != want) {
        write_sysreg(vttbr_el2, want);
        isb();
    }
    dsb(ishst);                                 /* the table update is visible to walkers */
    uint64_t pages = (size_bytes + 0xfff) >> 12;
    if (pages > TLBI_PAGES_MAX) {
        __asm__ volatile("tlbi vmalls12e1is" ::: "memory");
    } else {
        for (uint64_t i = 0; i < pages; i++)
            __asm__ volatile("tlbi ipas2e1is, %0" : : "r"(((ipa >> 12) + i) & 0xfffffffffull) : "memory");
        dsb(ish);
        __asm__ volatile("tlbi vmalle1is" ::: "memory");
    }
    dsb(ish);
    isb();
    if (saved != want) {
        write_sysreg(vttbr_el2, saved);
        isb();
    }
    /* The SMMU's stage-2 copy for the VM's assigned functions follows (smmu_s2.c). */
    smmu_s2_stage2_changed(vm, ipa, size_bytes);
}

/* Run-time stage-2 changes (memslots, dirty logging): TLBI ...IS with DSB ISH above completes
 * on every PE of the Inner Shareable domain (Arm ARM D8.13.4), so a vCPU on another CPU never
 * uses a removed translation after the call returns; abort.c sends write faults on protected
 * pages to dirty logging. */
bool arch_stage2_runtime(void)
{
    return true;
}
