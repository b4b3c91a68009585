/* hypercall.c: the arch-neutral hypercall ABI (include/hypercall.h, docs/hypercalls.md). */
#include <stdint.h>
#include "hypercall.h"
#include "kernel.h"
#include "vm.h"

#define CONSOLE_WRITE_MAX 4096u

/* All or nothing: a buffer that leaves the guest's memory anywhere prints nothing (the whole
 * range is checked first, so a guest cannot print its RAM's last bytes by running off its end). */
static int64_t hc_console_write(struct vcpu *vcpu, uint64_t gpa, uint64_t len)
{
    char buf[256];
    if (len > CONSOLE_WRITE_MAX || gpa + len < gpa)
        return HV_HC_INVALID;
    for (uint64_t done = 0; done < len; done += sizeof(buf))
        if (guest_read(&vcpu->vm->slots, gpa + done, buf, len - done < sizeof(buf) ? len - done : sizeof(buf)))
            return HV_HC_INVALID;
    for (uint64_t done = 0; done < len;) {
        uint64_t chunk = len - done < sizeof(buf) ? len - done : sizeof(buf);
        if (guest_read(&vcpu->vm->slots, gpa + done, buf, chunk))
            return HV_HC_INVALID;   /* a memslot went away since the check */
        vm_console_write(vcpu->vm, buf, (uint32_t)chunk);
        done += chunk;
    }
    return (int64_t)len;
}

static int64_t hc_vm_stat(struct vcpu *vcpu, uint64_t id)
{
    struct vm *vm = vcpu->vm;
    static const uint8_t stat_to_reason[] = {
        [HV_STAT_EXITS_HVC] = EXIT_HYPERCALL, [HV_STAT_EXITS_MMIO] = EXIT_MMIO,
        [HV_STAT_EXITS_SYSREG] = EXIT_SYSREG, [HV_STAT_EXITS_WFX] = EXIT_WFX,
        [HV_STAT_EXITS_IRQ] = EXIT_IRQ, [HV_STAT_EXITS_ABORT] = EXIT_ABORT,
    };
    switch (id) {
    case HV_STAT_EXITS_TOTAL:
        return (int64_t)vm_exit_total(vm);
    case HV_STAT_EXITS_HVC ... HV_STAT_EXITS_ABORT:
        return (int64_t)vm_exit_count(vm, stat_to_reason[id]);
    case HV_STAT_MEMSLOT_MAX:
        return VM_MAX_MEMSLOTS;
    case HV_STAT_VCPU_COUNT:
        return vm->vcpu_count;
    case HV_STAT_LPI_INJECTED:
        return (int64_t)__atomic_load_n(&vm->lpi_injected, __ATOMIC_RELAXED);
    case HV_STAT_LPI_DIRECT:
        return (int64_t)__atomic_load_n(&vm->lpi_direct, __ATOMIC_RELAXED);
    case HV_STAT_FPU_LAZY_SAVES:
        return (int64_t)__atomic_load_n(&vm->fpu_lazy_saves, __ATOMIC_RELAXED);
    case HV_STAT_CONSOLE_DROPPED:
        return (int64_t)vm_console_dropped(vm);
    case HV_STAT_IDLE_WAKEUPS:
        return (int64_t)__atomic_load_n(&vm->idle_wakeups, __ATOMIC_RELAXED);
    default:
        return HV_HC_NOT_SUPPORTED;
    }
}

static void hc_memslot_info(struct vcpu *vcpu, uint64_t id, uint64_t ret[4])
{
    struct memslot s;
    if (id >= VM_MAX_MEMSLOTS || !memslot_get(&vcpu->vm->slots, (uint32_t)id, &s)) {
        ret[0] = (uint64_t)(int64_t)HV_HC_NOT_FOUND;
        return;
    }
    ret[0] = HV_HC_SUCCESS;
    ret[1] = s.gpa;
    ret[2] = s.size_bytes;
    ret[3] = ((s.flags & MEMSLOT_READONLY) ? HV_MEMSLOT_READONLY : 0) |
             ((s.flags & MEMSLOT_RAM) ? HV_MEMSLOT_RAM : 0);
}

void hypercall_fast(struct vcpu *vcpu, uint64_t nr, uint64_t arg0, uint64_t ret[4])
{
    ret[0] = ret[1] = ret[2] = ret[3] = 0;
    switch (nr) {
    case HV_HC_VERSION:
        ret[0] = HV_ABI_VERSION;
        break;
    case HV_HC_VM_STAT:
        ret[0] = (uint64_t)hc_vm_stat(vcpu, arg0);
        break;
    case HV_HC_MEMSLOT_INFO:
        hc_memslot_info(vcpu, arg0, ret);
        break;
    default:
        ret[0] = (uint64_t)(int64_t)HV_HC_NOT_SUPPORTED;
        break;
    }
}

void hypercall_handle(struct vcpu *vcpu, struct vcpu_exit *exit)
{
    uint64_t *ret = exit->hypercall.ret;
    if (hypercall_is_fast(exit->hypercall.nr)) {
        hypercall_fast(vcpu, exit->hypercall.nr, exit->hypercall.arg[0], ret);
        return;
    }
    ret[0] = ret[1] = ret[2] = ret[3] = 0;
    switch (exit->hypercall.nr) {
    case HV_HC_CONSOLE_WRITE:
        ret[0] = (uint64_t)hc_console_write(vcpu, exit->hypercall.arg[0], exit->hypercall.arg[1]);
        break;
    default:
        /* SMCCC: unknown function IDs return NOT_SUPPORTED; the guest keeps running. */
        ret[0] = (uint64_t)(int64_t)HV_HC_NOT_SUPPORTED;
        break;
    }
}
