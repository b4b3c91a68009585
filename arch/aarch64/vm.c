/* vm.c: a VM's aarch64 state: VMID, virtual counter offset, and the devices of the
 * virtual platform (QEMU virt layout, ARCHITECTURE.md). */
#include "arch_guest.h"
#include "guest.h"
#include "guest_dtb.h"
#include "kernel.h"
#include "vgic.h"
#include "vgic_its.h"

/* The PL011's UARTINTR is SPI 1 (INTID 33), level-sensitive. */
static void uart_irq(struct vpl011 *u, bool level)
{
    vgic_set_spi_level(u->vm, VGIC_INTID_UART, level);
}

static bool uart_rx(struct vm *vm, uint8_t byte)
{
    return vpl011_rx_push(&vm->arch.uart, byte);
}

bool arch_vm_init(struct vm *vm)
{
    static bool id_regs_ready;     /* boot CPU, before any guest runs */
    if (!id_regs_ready) {
        sysreg_init();
        id_regs_ready = true;
    }
    vm->arch.vmid = (uint16_t)(vm->id + 1);
    /* CNTVCT = CNTPCT - CNTVOFF_EL2: each VM's virtual counter starts near 0 at creation. */
    isb();
    vm->arch.cntvoff = read_sysreg(cntpct_el0);
    vpl011_init(&vm->arch.uart, vm);
    vm->arch.uart.set_irq = uart_irq;
    vm->console.rx = uart_rx;
    if (mmio_bus_register(&vm->mmio, VIRT_PL011_BASE, VPL011_SIZE_BYTES, &vpl011_ops, &vm->arch.uart, "pl011")) {
        hv_printf("vm %s: cannot register the PL011\n", vm->name);
        return false;
    }
    /* QEMU virt's virtio-mmio transports, empty: guests probe them and find no device. */
    vvirtio_mmio_init(&vm->arch.virtio, VIRT_VIRTIO_MMIO_COUNT);
    if (mmio_bus_register(&vm->mmio, VIRT_VIRTIO_MMIO_BASE, vvirtio_mmio_size_bytes(&vm->arch.virtio),
                          &vvirtio_mmio_ops, &vm->arch.virtio, "virtio-mmio")) {
        hv_printf("vm %s: cannot register the virtio-mmio transports\n", vm->name);
        return false;
    }
    if (!vgic_vm_init(vm) || !vgic_its_init(vm))
        return false;
    arch_stage2_tlb_invalidate(vm, 0, 1ull << 48);   /* nothing cached for this VMID survives */
    return true;
}
