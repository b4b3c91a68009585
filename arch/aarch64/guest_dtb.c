/* guest_dtb.c: the guest's device tree: generated with libfdt's sequential-write API for
 * the virtual platform (memory, CPUs, PSCI, GICv3 + ITS, timer, PMU, PL011, virtio-mmio
 * transports, /chosen), or the configured one with /chosen set as the boot protocol asks
 * (Linux Documentation/arch/arm64/booting.rst). */
#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>
#include "arch.h"
#include "boot_info.h"
#include "guest_dtb.h"
#include "kernel.h"
#include "vgic.h"
#include "vm.h"
#include "vpci.h"
#include "vvirtio_mmio.h"

#define PHANDLE_APB_PCLK 1
#define PHANDLE_GIC 2
#define PHANDLE_ITS 3
#define APB_PCLK_HZ 24000000u        /* QEMU virt's fixed 24 MHz clock for the PL011 */

/* An empty (boolean) property; libfdt copies from the pointer even for zero bytes. */
#define PROP_EMPTY(fdt, name) fdt_property(fdt, name, "", 0)

/* A string list property: the literal's embedded NULs separate the strings. */
#define PROP_STRINGS(fdt, name, lit) fdt_property(fdt, name, lit, sizeof(lit))

static int prop_reg(void *fdt, uint64_t base, uint64_t size)
{
    fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };
    return fdt_property(fdt, "reg", reg, sizeof(reg));
}

/* /chosen (sequential write): bootargs, stdout-path, initrd. */
static int node_chosen(void *fdt, const struct vm *vm, uint64_t initrd_ipa, uint64_t initrd_size)
{
    int err = fdt_begin_node(fdt, "chosen");
    if (vm->cfg->cmdline[0])
        err |= fdt_property_string(fdt, "bootargs", vm->cfg->cmdline);
    err |= fdt_property_string(fdt, "stdout-path", "/pl011@9000000");
    if (vm->cfg->pci_count)     /* assigned BARs stay where the host put them (vpci.h) */
        err |= fdt_property_u32(fdt, "linux,pci-probe-only", 1);
    if (initrd_size) {
        err |= fdt_property_u64(fdt, "linux,initrd-start", initrd_ipa);
        err |= fdt_property_u64(fdt, "linux,initrd-end", initrd_ipa + initrd_size);
    }
    return err | fdt_end_node(fdt);
}

/* One cpu node per vCPU: reg = MPIDR Aff0 = vCPU id, started with PSCI CPU_ON. */
static int node_cpus(void *fdt, const struct vm *vm)
{
    int err = fdt_begin_node(fdt, "cpus");
    err |= fdt_property_u32(fdt, "#address-cells", 1);
    err |= fdt_property_u32(fdt, "#size-cells", 0);
    for (uint32_t i = 0; i < vm->vcpu_count; i++) {
        char name[16];
        snprintf(name, sizeof(name), "cpu@%" PRIx32, i);
        err |= fdt_begin_node(fdt, name);
        err |= fdt_property_string(fdt, "device_type", "cpu");
        err |= fdt_property_string(fdt, "compatible", "arm,armv8");
        err |= fdt_property_u32(fdt, "reg", i);
        err |= fdt_property_string(fdt, "enable-method", "psci");
        err |= fdt_end_node(fdt);
    }
    return err | fdt_end_node(fdt);
}

/* The Linux arm,gic-v3 binding: #interrupt-cells 3 = type (0 SPI, 1 PPI), number within the
 * type, flags (4: level, active high). */
#define IRQ_SPI 0
#define IRQ_PPI 1
#define IRQ_LEVEL_HIGH 4
#define IRQ_EDGE_RISING 1

static int prop_irqs(void *fdt, const uint32_t *cells, size_t count)
{
    fdt32_t v[12];
    for (size_t i = 0; i < count; i++)
        v[i] = cpu_to_fdt32(cells[i]);
    return fdt_property(fdt, "interrupts", v, (int)(count * sizeof(v[0])));
}

/* The vGIC (QEMU virt's layout): GICD, one redistributor region of 0x20000 per vCPU, and the
 * ITS as a child (bindings arm,gic-v3 and arm,gic-v3-its). */
static int node_gic(void *fdt, const struct vm *vm)
{
    fdt64_t reg[4] = { cpu_to_fdt64(VGIC_GICD_BASE), cpu_to_fdt64(VGIC_GICD_SIZE), cpu_to_fdt64(VGIC_GICR_BASE),
                       cpu_to_fdt64(VGIC_GICR_STRIDE * vm->vcpu_count) };
    char name[32];
    snprintf(name, sizeof(name), "intc@%" PRIx64, (uint64_t)VGIC_GICD_BASE);   /* nano: no %ll */
    int err = fdt_begin_node(fdt, name);
    err |= fdt_property_string(fdt, "compatible", "arm,gic-v3");
    err |= fdt_property_u32(fdt, "#interrupt-cells", 3);
    err |= fdt_property_u32(fdt, "#address-cells", 2);
    err |= fdt_property_u32(fdt, "#size-cells", 2);
    err |= PROP_EMPTY(fdt, "ranges");
    err |= PROP_EMPTY(fdt, "interrupt-controller");
    err |= fdt_property_u32(fdt, "#redistributor-regions", 1);
    err |= fdt_property(fdt, "reg", reg, sizeof(reg));
    err |= fdt_property_u32(fdt, "phandle", PHANDLE_GIC);
    snprintf(name, sizeof(name), "its@%" PRIx64, (uint64_t)VGIC_GITS_BASE);
    err |= fdt_begin_node(fdt, name);
    err |= fdt_property_string(fdt, "compatible", "arm,gic-v3-its");
    err |= PROP_EMPTY(fdt, "msi-controller");
    err |= fdt_property_u32(fdt, "#msi-cells", 1);
    err |= prop_reg(fdt, VGIC_GITS_BASE, VGIC_GITS_SIZE);
    err |= fdt_property_u32(fdt, "phandle", PHANDLE_ITS);
    err |= fdt_end_node(fdt);
    return err | fdt_end_node(fdt);
}

/* arm,armv8-timer: secure physical, non-secure physical, virtual and hypervisor timer PPIs
 * (INTIDs 29, 30, 27, 26). */
static int node_timer(void *fdt)
{
    static const uint32_t irqs[] = { IRQ_PPI, 13, IRQ_LEVEL_HIGH, IRQ_PPI, 14, IRQ_LEVEL_HIGH,
                                     IRQ_PPI, 11, IRQ_LEVEL_HIGH, IRQ_PPI, 10, IRQ_LEVEL_HIGH };
    int err = fdt_begin_node(fdt, "timer");
    err |= fdt_property_string(fdt, "compatible", "arm,armv8-timer");
    err |= prop_irqs(fdt, irqs, sizeof(irqs) / sizeof(irqs[0]));
    return err | fdt_end_node(fdt);
}

/* The PL011 (SPI 1, level) and the fixed clock Linux's AMBA driver wants (clocks
 * "uartclk", "apb_pclk"). */
static int node_uart(void *fdt)
{
    fdt32_t clocks[2] = { cpu_to_fdt32(PHANDLE_APB_PCLK), cpu_to_fdt32(PHANDLE_APB_PCLK) };
    int err = fdt_begin_node(fdt, "apb-pclk");
    err |= fdt_property_string(fdt, "compatible", "fixed-clock");
    err |= fdt_property_u32(fdt, "#clock-cells", 0);
    err |= fdt_property_u32(fdt, "clock-frequency", APB_PCLK_HZ);
    err |= fdt_property_string(fdt, "clock-output-names", "clk24mhz");
    err |= fdt_property_u32(fdt, "phandle", PHANDLE_APB_PCLK);
    err |= fdt_end_node(fdt);
    err |= fdt_begin_node(fdt, "pl011@9000000");
    err |= PROP_STRINGS(fdt, "compatible", "arm,pl011\0arm,primecell");
    err |= prop_reg(fdt, VIRT_PL011_BASE, 0x1000);
    static const uint32_t irqs[] = { IRQ_SPI, VGIC_INTID_UART - 32, IRQ_LEVEL_HIGH };
    err |= prop_irqs(fdt, irqs, sizeof(irqs) / sizeof(irqs[0]));
    err |= PROP_STRINGS(fdt, "clock-names", "uartclk\0apb_pclk");
    err |= fdt_property(fdt, "clocks", clocks, sizeof(clocks));
    return err | fdt_end_node(fdt);
}

/* QEMU virt's virtio-mmio transports (vvirtio_mmio.c), described as hw/arm/virt.c does:
 * "virtio,mmio", 0x200 bytes each, SPI 16 + n rising-edge, dma-coherent; the lowest address
 * first, as in QEMU's tree. */
static int node_virtio_mmio(void *fdt)
{
    int err = 0;
    for (uint32_t i = 0; i < VIRT_VIRTIO_MMIO_COUNT; i++) {
        uint64_t base = VIRT_VIRTIO_MMIO_BASE + (uint64_t)i * VIRTIO_MMIO_TRANSPORT_BYTES;
        const uint32_t irqs[] = { IRQ_SPI, VIRT_VIRTIO_MMIO_INTID - 32 + i, IRQ_EDGE_RISING };
        char name[32];
        snprintf(name, sizeof(name), "virtio_mmio@%" PRIx64, base);
        err |= fdt_begin_node(fdt, name);
        err |= fdt_property_string(fdt, "compatible", "virtio,mmio");
        err |= prop_reg(fdt, base, VIRTIO_MMIO_TRANSPORT_BYTES);
        err |= prop_irqs(fdt, irqs, 3);
        err |= PROP_EMPTY(fdt, "dma-coherent");
        err |= fdt_end_node(fdt);
    }
    return err;
}

/* The emulated PMUv3 (pmu_sysreg.c): its overflow interrupt is PPI 7 = INTID 23, level-high,
 * as on QEMU virt (cells: GIC_PPI 1, number, IRQ_TYPE_LEVEL_HIGH 4; the GIC is the parent). */
static int node_pmu(void *fdt)
{
    fdt32_t irq[3] = { cpu_to_fdt32(1), cpu_to_fdt32(7), cpu_to_fdt32(4) };
    int err = fdt_begin_node(fdt, "pmu");
    err |= fdt_property_string(fdt, "compatible", "arm,armv8-pmuv3");
    err |= fdt_property(fdt, "interrupts", irq, sizeof(irq));
    return err | fdt_end_node(fdt);
}

/* Passed-through devices the generated tree can describe: QEMU virt's PL031 RTC at
 * 0x09010000 with its SPI 2 (INTID 34), as QEMU describes it. Any other device is not in
 * the tree: the guest must know it (docs/config.md, 'device'). */
#define VIRT_PL031_BASE 0x09010000ull
#define VIRT_PL031_INTID 34u
static int node_passthrough(void *fdt, const struct vm *vm)
{
    int err = 0;
    for (uint32_t i = 0; i < vm->cfg->device_count; i++) {
        const struct config_device *d = &vm->cfg->devices[i];
        if (d->base != VIRT_PL031_BASE || d->spi != VIRT_PL031_INTID)
            continue;
        fdt32_t clock = cpu_to_fdt32(PHANDLE_APB_PCLK);
        static const uint32_t irqs[] = { IRQ_SPI, VIRT_PL031_INTID - 32, IRQ_LEVEL_HIGH };
        err |= fdt_begin_node(fdt, "pl031@9010000");
        err |= PROP_STRINGS(fdt, "compatible", "arm,pl031\0arm,primecell");
        err |= prop_reg(fdt, d->base, d->size_bytes);
        err |= prop_irqs(fdt, irqs, 3);
        err |= fdt_property_string(fdt, "clock-names", "apb_pclk");
        err |= fdt_property(fdt, "clocks", &clock, sizeof(clock));
        err |= fdt_end_node(fdt);
    }
    return err;
}

/* Assigned PCI functions: a pci-host-ecam-generic bridge at QEMU virt's high ECAM with one
 * bus (the functions at 00:DD.F), QEMU virt's 32- and 64-bit memory windows (the BARs keep
 * their host addresses, GPA = HPA), MSIs through the ITS with DeviceID = requester ID. */
static int node_pci(void *fdt, const struct vm *vm)
{
    if (!vm->cfg->pci_count)
        return 0;
    char name[32];
    snprintf(name, sizeof(name), "pcie@%" PRIx64, (uint64_t)VIRT_PCI_ECAM_BASE);
    static const uint32_t ranges[] = {
        0x02000000, 0, VIRT_PCI_MMIO_BASE, 0, VIRT_PCI_MMIO_BASE, 0, VIRT_PCI_MMIO_BYTES,
        0x03000000, (uint32_t)(VIRT_PCI_MMIO64_BASE >> 32), 0, (uint32_t)(VIRT_PCI_MMIO64_BASE >> 32), 0,
        (uint32_t)(VIRT_PCI_MMIO64_BYTES >> 32), 0,
    };
    fdt32_t r[sizeof(ranges) / 4], busr[2] = { 0, 0 };
    fdt32_t msi_map[4] = { 0, cpu_to_fdt32(PHANDLE_ITS), 0, cpu_to_fdt32(0x10000) };
    for (size_t i = 0; i < sizeof(ranges) / 4; i++)
        r[i] = cpu_to_fdt32(ranges[i]);
    int err = fdt_begin_node(fdt, name);
    err |= fdt_property_string(fdt, "compatible", "pci-host-ecam-generic");
    err |= fdt_property_string(fdt, "device_type", "pci");
    err |= prop_reg(fdt, VIRT_PCI_ECAM_BASE, VPCI_ECAM_BUS_BYTES);
    err |= fdt_property(fdt, "bus-range", busr, sizeof(busr));
    err |= fdt_property_u32(fdt, "#address-cells", 3);
    err |= fdt_property_u32(fdt, "#size-cells", 2);
    err |= fdt_property_u32(fdt, "linux,pci-domain", 0);
    err |= fdt_property(fdt, "ranges", r, sizeof(r));
    err |= fdt_property(fdt, "msi-map", msi_map, sizeof(msi_map));
    err |= PROP_EMPTY(fdt, "dma-coherent");
    return err | fdt_end_node(fdt);
}

static int generate(void *fdt, size_t cap, const struct vm *vm, uint64_t initrd_ipa, uint64_t initrd_size)
{
    char name[32];
    int err = fdt_create(fdt, (int)cap);
    err |= fdt_finish_reservemap(fdt);
    err |= fdt_begin_node(fdt, "");
    err |= fdt_property_u32(fdt, "#address-cells", 2);
    err |= fdt_property_u32(fdt, "#size-cells", 2);
    err |= fdt_property_string(fdt, "compatible", "linux,dummy-virt");
    err |= fdt_property_u32(fdt, "interrupt-parent", PHANDLE_GIC);
    err |= node_chosen(fdt, vm, initrd_ipa, initrd_size);

    snprintf(name, sizeof(name), "memory@%" PRIx64, arch_guest_ram_base());
    err |= fdt_begin_node(fdt, name);
    err |= fdt_property_string(fdt, "device_type", "memory");
    err |= prop_reg(fdt, arch_guest_ram_base(), vm->boot->ram.size_bytes);
    err |= fdt_end_node(fdt);

    err |= node_cpus(fdt, vm);

    err |= fdt_begin_node(fdt, "psci");
    err |= PROP_STRINGS(fdt, "compatible", "arm,psci-1.0\0arm,psci-0.2");
    err |= fdt_property_string(fdt, "method", "hvc");
    err |= fdt_end_node(fdt);

    err |= node_gic(fdt, vm);
    err |= node_timer(fdt);
    err |= node_pmu(fdt);

    err |= node_uart(fdt);
    err |= node_virtio_mmio(fdt);
    err |= node_passthrough(fdt, vm);
    err |= node_pci(fdt, vm);
    err |= fdt_end_node(fdt);
    return err | fdt_finish(fdt);
}

/* The configured DTB, with /chosen's bootargs and initrd replaced (as QEMU's -dtb does). */
static int patch(void *fdt, size_t cap, const struct vm *vm, uint64_t initrd_ipa, uint64_t initrd_size)
{
    const void *src = (const void *)(uintptr_t)vm->boot->dtb.base;
    int err = fdt_check_header(src);
    if (err)
        return err;
    if (fdt_totalsize(src) > vm->boot->dtb.size_bytes)
        return -FDT_ERR_TRUNCATED;
    if ((err = fdt_open_into(src, fdt, (int)cap)))
        return err;
    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen < 0)
        chosen = fdt_add_subnode(fdt, 0, "chosen");
    if (chosen < 0)
        return chosen;
    if (vm->cfg->cmdline[0])
        err |= fdt_setprop_string(fdt, chosen, "bootargs", vm->cfg->cmdline);
    if (initrd_size) {
        err |= fdt_setprop_u64(fdt, chosen, "linux,initrd-start", initrd_ipa);
        err |= fdt_setprop_u64(fdt, chosen, "linux,initrd-end", initrd_ipa + initrd_size);
    }
    return err | fdt_pack(fdt);
}

size_t guest_dtb_build(const struct vm *vm, void *buf, size_t cap, uint64_t initrd_ipa, uint64_t initrd_size)
{
    bool configured = vm->boot->dtb.base != 0;
    int err = configured ? patch(buf, cap, vm, initrd_ipa, initrd_size)
                         : generate(buf, cap, vm, initrd_ipa, initrd_size);
    if (err) {
        hv_printf("vm %s: %s device tree: %s\n", vm->name, configured ? "configured" : "generated",
                  fdt_strerror(err < 0 ? err : -FDT_ERR_INTERNAL));
        return 0;
    }
    return fdt_totalsize(buf);
}
