/* arch_guest.h: what each architecture provides to run guests (kernel/vm.c, kernel/vcpu.c). */
#ifndef ARCH_GUEST_H
#define ARCH_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include "pgtable.h"

struct vm;
struct vcpu;
struct vcpu_exit;

/* The stage-2 / EPT / NPT entry format and its TLB maintenance for one VM. */
const struct pt_format *arch_stage2_format(void);
void arch_stage2_tlb_invalidate(struct vm *vm, uint64_t ipa, uint64_t size_bytes);
/* True when stage 2 may change while the VM runs: arch_stage2_tlb_invalidate reaches the
 * vCPUs on every CPU before it returns, and a write to a write-protected page of a dirty-logged
 * memslot reaches dirty_log_write_fault. Without it (kernel/mgmt.c's weak default: x86_64 for
 * now) the management interface refuses memslot changes and dirty logging. */
bool arch_stage2_runtime(void);

/* Per-VM arch state (VMID / ASID, platform devices such as the virtual UART). */
bool arch_vm_init(struct vm *vm);
/* Places the configured images in guest memory per the arch's boot protocol and
 * returns the entry point and first argument for vCPU 0. */
bool arch_vm_load_images(struct vm *vm, uint64_t *entry, uint64_t *arg0);
/* Once per VM, after its memory and devices are mapped, its images loaded and its vCPUs
 * placed (none running yet): routes the physical interrupts of the devices it was given
 * ('device' in hv.cfg) to it. False when the arch cannot (then the VM does not start). */
bool arch_vm_assign_devices(struct vm *vm);

/* Arch statistics of a VM for the management interface (aarch64: its emulated PMU): up to
 * max name/value pairs into out; how many. */
struct arch_stat {
    const char *name;
    uint64_t value;
};
uint32_t arch_vm_stats(const struct vm *vm, struct arch_stat *out, uint32_t max);

/* Architectural reset state with the PC at entry and context in x0 / the
 * first argument register. */
void arch_vcpu_reset(struct vcpu *vcpu, uint64_t entry, uint64_t context);
/* Runs the guest until an exit; exits the arch handles itself are still reported
 * (for the statistics) with their reason. */
void arch_vcpu_run(struct vcpu *vcpu, struct vcpu_exit *exit);
/* Finishes the instruction behind exit: writes a read's data or a hypercall's
 * results and steps past it; !handled gives the guest the architectural answer
 * for an access to nothing (aarch64: synchronous external abort). */
void arch_vcpu_complete(struct vcpu *vcpu, const struct vcpu_exit *exit, bool handled);
/* Waits on the calling pCPU until the vCPU has work again (WFI/HLT). */
void arch_vcpu_block(struct vcpu *vcpu);
/* Makes vcpu (running on another pCPU, or blocked) leave the guest / wake soon. */
void arch_vcpu_kick(struct vcpu *vcpu);

#endif
