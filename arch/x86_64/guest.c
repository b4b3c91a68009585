/* guest.c: x86_64 guest support entry points. VMX and SVM backends are not written yet
 * (issue "x86_64: run guests under VMX and SVM"), so VM creation says so and fails cleanly. */
#include "arch_guest.h"
#include "kernel.h"
#include "stage2.h"
#include "vm.h"

const struct pt_format *arch_stage2_format(void) { return &x86_npt_format; }
void arch_stage2_tlb_invalidate(struct vm *vm, uint64_t ipa, uint64_t size_bytes)
{
    (void)vm; (void)ipa; (void)size_bytes;
}

bool arch_vm_init(struct vm *vm)
{
    hv_printf("vm %s: x86_64 guests are not supported yet (no VMX/SVM backend)\n", vm->name);
    return false;
}

bool arch_vm_load_images(struct vm *vm, uint64_t *entry, uint64_t *arg0)
{
    (void)vm; (void)entry; (void)arg0;
    return false;
}

void arch_vcpu_reset(struct vcpu *vcpu, uint64_t entry, uint64_t context)
{
    (void)vcpu; (void)entry; (void)context;
}

void arch_vcpu_run(struct vcpu *vcpu, struct vcpu_exit *exit)
{
    (void)vcpu;
    exit->reason = EXIT_SHUTDOWN;
}

void arch_vcpu_complete(struct vcpu *vcpu, const struct vcpu_exit *exit, bool handled)
{
    (void)vcpu; (void)exit; (void)handled;
}

void arch_vcpu_block(struct vcpu *vcpu) { (void)vcpu; }
void arch_vcpu_kick(struct vcpu *vcpu) { (void)vcpu; }
