/* debug_exit.c: how a guest ends or restarts its VM by a port: the exit port at 0xF4 with QEMU's
 * isa-debug-exit meaning (a write of v ends the VM with status (v << 1) | 1), and the reset lines of the
 * PC (0xCF9, the 8042's) through x86_vm_reset. */
#include <inttypes.h>
#include "kernel.h"
#include "x86_vcpu.h"

static uint64_t debug_exit_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)dev; (void)vcpu; (void)off; (void)size;
    return 0;
}

static void debug_exit_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)off; (void)size;
    struct vm *vm = dev;
    hv_printf("vm %s: exit status %" PRIu64 "\n", vm->name, (value << 1) | 1);
    (void)vcpu;
    vm_request_shutdown(vm, VM_SHUTDOWN_OFF);
}

static const struct mmio_ops debug_exit_ops = { debug_exit_read, debug_exit_write };

bool x86_debug_exit_register(struct vm *vm)
{
    return mmio_bus_register(&vm->pio, X86_DEBUG_EXIT_PORT, X86_DEBUG_EXIT_PORT_COUNT, &debug_exit_ops, vm,
                             "isa-debug-exit") == 0;
}

/* The VM resets as a whole (kernel/vm.c reloads it from its images, as PSCI SYSTEM_RESET on aarch64);
 * its CMOS RAM and clock offset survive, as battery-backed CMOS does. */
void x86_vm_reset(struct vm *vm, const char *source)
{
    hv_printf("vm %s: reset (%s)\n", vm->name, source);
    vm_request_shutdown(vm, VM_SHUTDOWN_RESET);
}
