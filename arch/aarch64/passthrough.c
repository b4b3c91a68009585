/* passthrough.c: physical devices given to one VM ('device = BASE SIZE [spi INTID]' in
 * hv.cfg). kernel/vm.c maps the device's pages into the VM's stage-2 at GPA = HPA as
 * Device-nGnRE; here its SPI is routed at the host distributor to the pCPU of the VM's
 * vCPU 0 and forwarded when it fires, as a HW-mapped virtual SPI with the same INTID
 * (ICH_LR<n>_EL2.HW = 1, pINTID = INTID): the host only drops the priority (EOImode 1),
 * and the guest's deactivation of the virtual SPI deactivates the physical one — the same
 * scheme as the EL1 timers' PPIs (vtimer.c). A level-sensitive device line cannot storm
 * the host meanwhile: the physical SPI stays active until the guest has handled it. */
#include <inttypes.h>
#include "arch_guest.h"
#include "assign.h"
#include "cpu_data.h"
#include "el2_mmu.h"
#include "gicv3.h"
#include "host_irq.h"
#include "host_platform.h"
#include "kernel.h"
#include "vgic.h"
#include "vgic_state.h"
#include "vm.h"

#define SPI_FIRST 32u
#define SPI_LIMIT (SPI_FIRST + VGIC_NR_SPIS)   /* the vGIC's SPIs: what a VM can receive */

/* spi_owner[intid - 32]: the VM a physical SPI belongs to. Written by the boot CPU in
 * vm_start_all before any vCPU runs (and before the SPI is enabled), read-only after. */
static struct vm *spi_owner[VGIC_NR_SPIS];
static bool handler_registered;

static enum host_irq_result passthrough_irq(struct vcpu *v, uint32_t intid)
{
    (void)v;
    struct vm *vm = intid - SPI_FIRST < VGIC_NR_SPIS ? spi_owner[intid - SPI_FIRST] : NULL;
    if (!vm || __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_STOPPED) {
        gicv3_spi_disable(intid);          /* nobody left to handle it: silence the device */
        return HOST_IRQ_DONE;
    }
    vgic_hw_spi_fired(vm, intid);
    return HOST_IRQ_FORWARDED;
}

static bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    return a_size && b_size && a <= b + (b_size - 1) && b <= a + (a_size - 1);
}

/* The hypervisor's own devices and the VM's emulated ones cannot be given away, and memory is
 * no device: a range over host RAM (the hypervisor, other VMs' RAM, firmware) or the
 * hypervisor's image would hand it to the guest read-write. */
bool passthrough_range_allowed(struct vm *vm, uint64_t base, uint64_t size, uint32_t line)
{
    const struct host_platform *p = &host_platform;
    uint64_t ram_base, ram_end;
    const char *ram_what = el2_host_ram_overlap(base, size, &ram_base, &ram_end);
    if (ram_what) {
        hv_printf("hv.cfg:%" PRIu32 ": error: vm '%s': device 0x%" PRIx64 "+0x%" PRIx64 " overlaps %s 0x%" PRIx64
                  "-0x%" PRIx64 "\n", line, vm->name, base, size, ram_what, ram_base, ram_end);
        return false;
    }
    bool clash = overlaps(base, size, p->uart.base, p->uart.size_bytes) ||
                 overlaps(base, size, p->gicd.base, p->gicd.size_bytes) ||
                 overlaps(base, size, p->its.base, p->its.size_bytes) ||
                 overlaps(base, size, p->pci_ecam.base, p->pci_ecam.size_bytes);
    for (uint32_t i = 0; i < p->gicr_count; i++)
        clash |= overlaps(base, size, p->gicr[i].base, p->gicr[i].size_bytes);
    if (clash) {
        hv_printf("vm %s: device 0x%" PRIx64 " (line %" PRIu32 ") overlaps a device the hypervisor uses\n",
                  vm->name, base, line);
        return false;
    }
    for (uint32_t i = 0; i < vm->mmio.region_count; i++) {
        const struct mmio_region *r = &vm->mmio.region[i];
        if (overlaps(base, size, r->base, r->size_bytes)) {
            hv_printf("vm %s: device 0x%" PRIx64 " (line %" PRIu32 ") overlaps the emulated %s at 0x%" PRIx64 "\n",
                      vm->name, base, line, r->name, r->base);
            return false;
        }
    }
    return true;
}

/* Undoes the routing of cfg->devices[0..n) (a later one failed): the VM will not start. */
static void unroute(const struct config_vm *cfg, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t spi = cfg->devices[i].spi;
        if (spi) {
            gicv3_spi_disable(spi);
            spi_owner[spi - SPI_FIRST] = NULL;
        }
    }
}

bool arch_vm_assign_devices(struct vm *vm)
{
    const struct config_vm *cfg = vm->cfg;
    for (uint32_t i = 0; i < cfg->device_count; i++) {
        const struct config_device *d = &cfg->devices[i];
        if (!passthrough_range_allowed(vm, d->base, d->size_bytes, d->line))
            return false;
        if (!d->spi)
            continue;
        if (!host_irq_ready() || d->spi < SPI_FIRST || d->spi >= SPI_LIMIT) {
            hv_printf("vm %s: spi %" PRIu32 " (line %" PRIu32 ") cannot be forwarded (%s)\n", vm->name, d->spi,
                      d->line, host_irq_ready() ? "the vGIC has SPIs 32-127" : "no host GIC");
            return false;
        }
        if (spi_owner[d->spi - SPI_FIRST]) {
            hv_printf("vm %s: spi %" PRIu32 " already belongs to vm %s\n", vm->name, d->spi,
                      spi_owner[d->spi - SPI_FIRST]->name);
            return false;
        }
    }
    uint32_t pcpu = vm->vcpu[0].pcpu;
    for (uint32_t i = 0; i < cfg->device_count; i++) {
        const struct config_device *d = &cfg->devices[i];
        if (!d->spi) {
            hv_printf("vm %s: device 0x%" PRIx64 "+0x%" PRIx64 " passed through, no interrupt\n", vm->name,
                      d->base, d->size_bytes);
            continue;
        }
        if (!handler_registered && !host_irq_register(SPI_FIRST, VGIC_NR_SPIS, passthrough_irq)) {
            hv_printf("vm %s: no room for the pass-through interrupt handler\n", vm->name);
            unroute(cfg, i);
            return false;
        }
        handler_registered = true;
        spi_owner[d->spi - SPI_FIRST] = vm;
        if (pcpu >= HV_MAX_CPUS || !gicv3_spi_route(d->spi, cpu_data[pcpu].mpidr, GICV3_PRIO_DEFAULT)) {
            hv_printf("vm %s: the host GIC has no spi %" PRIu32 "\n", vm->name, d->spi);
            unroute(cfg, i + 1);
            return false;
        }
        hv_printf("vm %s: device 0x%" PRIx64 "+0x%" PRIx64 " passed through, spi %" PRIu32 " to pCPU %" PRIu32 "\n",
                  vm->name, d->base, d->size_bytes, d->spi, pcpu);
    }
    if (!pci_assign(vm)) {
        unroute(cfg, cfg->device_count);
        return false;
    }
    return true;
}
