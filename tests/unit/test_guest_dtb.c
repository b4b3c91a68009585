/* test_guest_dtb.c: the device tree aarch64 guests boot with (arch/aarch64/guest_dtb.c),
 * read back with libfdt: memory, one cpu per vCPU, PSCI over HVC, PL011, /chosen. */
#include <criterion/criterion.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "boot_info.h"
#include "guest_dtb.h"
#include "vm.h"

/* What guest_dtb.c uses from the rest of the hypervisor. */
uint64_t arch_guest_ram_base(void) { return 0x40000000ull; }

static struct vm vm;
static struct config_vm cfg;
static struct boot_vm boot;
static uint8_t buf[64 << 10];

static void setup(void)
{
    memset(&vm, 0, sizeof(vm));
    memset(&cfg, 0, sizeof(cfg));
    memset(&boot, 0, sizeof(boot));
    strcpy(cfg.name, "t");
    boot.ram.size_bytes = 256ull << 20;
    vm.name = cfg.name;
    vm.cfg = &cfg;
    vm.boot = &boot;
    vm.vcpu_count = 3;
}

TestSuite(guest_dtb, .init = setup);

static uint64_t be64_at(const void *p)   /* properties are only 4-byte aligned */
{
    fdt64_t v;
    memcpy(&v, p, sizeof(v));
    return fdt64_to_cpu(v);
}

static const char *str_prop(const void *fdt, const char *path, const char *name)
{
    int node = fdt_path_offset(fdt, path);
    cr_assert_geq(node, 0, "%s missing", path);
    const char *v = fdt_getprop(fdt, node, name, NULL);
    cr_assert_not_null(v, "%s:%s missing", path, name);
    return v;
}

Test(guest_dtb, generated_platform)
{
    strcpy(cfg.cmdline, "console=ttyAMA0 quiet");
    size_t size = guest_dtb_build(&vm, buf, sizeof(buf), 0x40400000, 0x1234);
    cr_assert(size > 0 && size == fdt_totalsize(buf));
    cr_assert_eq(fdt_check_header(buf), 0);

    int mem = fdt_path_offset(buf, "/memory@40000000"), len;
    const void *reg = fdt_getprop(buf, mem, "reg", &len);
    cr_assert(reg && len == 16);
    cr_assert_eq(be64_at(reg), 0x40000000ull);
    cr_assert_eq(be64_at((const uint8_t *)reg + 8), 256ull << 20);

    for (uint32_t i = 0; i < 3; i++) {
        char path[32];
        snprintf(path, sizeof(path), "/cpus/cpu@%u", i);
        int cpu = fdt_path_offset(buf, path);
        cr_assert_geq(cpu, 0, "%s", path);
        const fdt32_t *r = fdt_getprop(buf, cpu, "reg", &len);
        cr_assert(r && len == 4 && fdt32_to_cpu(*r) == i, "cpu reg = MPIDR Aff0 = vCPU id");
        cr_assert_str_eq(fdt_getprop(buf, cpu, "enable-method", NULL), "psci");
    }
    cr_assert_lt(fdt_path_offset(buf, "/cpus/cpu@3"), 0, "one node per vCPU only");

    int psci = fdt_path_offset(buf, "/psci");
    cr_assert_eq(fdt_node_check_compatible(buf, psci, "arm,psci-1.0"), 0);
    cr_assert_eq(fdt_node_check_compatible(buf, psci, "arm,psci-0.2"), 0);
    cr_assert_str_eq(str_prop(buf, "/psci", "method"), "hvc");
    cr_assert_str_eq(str_prop(buf, "/timer", "compatible"), "arm,armv8-timer");

    int uart = fdt_path_offset(buf, "/pl011@9000000");
    cr_assert_eq(fdt_node_check_compatible(buf, uart, "arm,primecell"), 0);
    reg = fdt_getprop(buf, uart, "reg", &len);
    cr_assert(reg && len == 16 && be64_at(reg) == 0x09000000ull);
    const fdt32_t *clocks = fdt_getprop(buf, uart, "clocks", &len);
    cr_assert(clocks && len == 8);
    int clk = fdt_node_offset_by_phandle(buf, fdt32_to_cpu(clocks[0]));
    cr_assert_eq(fdt_node_check_compatible(buf, clk, "fixed-clock"), 0, "clocks point at the fixed clock");

    cr_assert_str_eq(str_prop(buf, "/chosen", "bootargs"), "console=ttyAMA0 quiet");
    cr_assert_str_eq(str_prop(buf, "/chosen", "stdout-path"), "/pl011@9000000");
    cr_assert_eq(be64_at(str_prop(buf, "/chosen", "linux,initrd-start")), 0x40400000ull);
    cr_assert_eq(be64_at(str_prop(buf, "/chosen", "linux,initrd-end")), 0x40401234ull);
}

Test(guest_dtb, no_initrd_no_cmdline_no_props)
{
    cr_assert(guest_dtb_build(&vm, buf, sizeof(buf), 0, 0) > 0);
    int chosen = fdt_path_offset(buf, "/chosen");
    cr_assert_null(fdt_getprop(buf, chosen, "linux,initrd-start", NULL));
    cr_assert_null(fdt_getprop(buf, chosen, "bootargs", NULL));
}

Test(guest_dtb, configured_tree_gets_chosen)
{
    static uint8_t src[4096];
    cr_assert_eq(fdt_create_empty_tree(src, sizeof(src)), 0);
    cr_assert_geq(fdt_add_subnode(src, 0, "marker"), 0);
    boot.dtb.base = (uint64_t)(uintptr_t)src;
    boot.dtb.size_bytes = fdt_totalsize(src);
    strcpy(cfg.cmdline, "root=/dev/vda");
    cr_assert(guest_dtb_build(&vm, buf, sizeof(buf), 0x48000000, 0x100) > 0);
    cr_assert_geq(fdt_path_offset(buf, "/marker"), 0, "the configured tree is kept");
    cr_assert_lt(fdt_path_offset(buf, "/psci"), 0, "nothing generated is added");
    cr_assert_str_eq(str_prop(buf, "/chosen", "bootargs"), "root=/dev/vda");
    cr_assert_eq(be64_at(str_prop(buf, "/chosen", "linux,initrd-end")), 0x48000100ull);
}

Test(guest_dtb, refuses_a_bad_configured_tree_and_a_small_buffer)
{
    static uint8_t junk[64] = "not a device tree";
    boot.dtb.base = (uint64_t)(uintptr_t)junk;
    boot.dtb.size_bytes = sizeof(junk);
    cr_assert_eq(guest_dtb_build(&vm, buf, sizeof(buf), 0, 0), 0);
    boot.dtb.base = 0;
    cr_assert_eq(guest_dtb_build(&vm, buf, 128, 0, 0), 0, "a tree that does not fit is refused");
}

Test(guest_dtb, generated_pmu_node_on_ppi23)
{
    cr_assert(guest_dtb_build(&vm, buf, sizeof(buf), 0, 0) > 0);
    int pmu = fdt_path_offset(buf, "/pmu");
    cr_assert_eq(fdt_node_check_compatible(buf, pmu, "arm,armv8-pmuv3"), 0);
    int len;
    const fdt32_t *irq = fdt_getprop(buf, pmu, "interrupts", &len);
    cr_assert(irq && len == 12);
    cr_assert_eq(fdt32_to_cpu(irq[0]), 1, "GIC_PPI");
    cr_assert_eq(fdt32_to_cpu(irq[1]) + 16, 23, "PPI 7 is INTID 23");
    cr_assert_eq(fdt32_to_cpu(irq[2]), 4, "level-high");
}

static uint32_t cell(const fdt32_t *p, int i) { return fdt32_to_cpu(p[i]); }

Test(guest_dtb, generated_gicv3_with_its_is_the_interrupt_parent)
{
    cr_assert(guest_dtb_build(&vm, buf, sizeof(buf), 0, 0) > 0);
    int gic = fdt_path_offset(buf, "/intc@8000000"), len;
    cr_assert_geq(gic, 0, "the GIC node exists at the QEMU virt address");
    cr_assert_eq(fdt_node_check_compatible(buf, gic, "arm,gic-v3"), 0);
    cr_assert_not_null(fdt_getprop(buf, gic, "interrupt-controller", NULL));
    cr_assert_not_null(fdt_getprop(buf, gic, "ranges", NULL));
    const fdt32_t *c = fdt_getprop(buf, gic, "#interrupt-cells", &len);
    cr_assert(c && len == 4 && cell(c, 0) == 3);
    const void *reg = fdt_getprop(buf, gic, "reg", &len);
    cr_assert(reg && len == 32, "GICD and one GICR region");
    cr_assert_eq(be64_at(reg), 0x08000000ull);
    cr_assert_eq(be64_at((const uint8_t *)reg + 8), 0x10000ull);
    cr_assert_eq(be64_at((const uint8_t *)reg + 16), 0x080a0000ull);
    cr_assert_eq(be64_at((const uint8_t *)reg + 24), 3 * 0x20000ull, "0x20000 per vCPU");

    const fdt32_t *parent = fdt_getprop(buf, 0, "interrupt-parent", &len);
    cr_assert(parent && len == 4);
    cr_assert_eq(fdt_node_offset_by_phandle(buf, cell(parent, 0)), gic, "the root's interrupt-parent is the GIC");

    int its = fdt_path_offset(buf, "/intc@8000000/its@8080000");
    cr_assert_geq(its, 0, "the ITS is a child of the GIC");
    cr_assert_eq(fdt_node_check_compatible(buf, its, "arm,gic-v3-its"), 0);
    cr_assert_not_null(fdt_getprop(buf, its, "msi-controller", NULL));
    c = fdt_getprop(buf, its, "#msi-cells", &len);
    cr_assert(c && len == 4 && cell(c, 0) == 1);
    reg = fdt_getprop(buf, its, "reg", &len);
    cr_assert(reg && len == 16 && be64_at(reg) == 0x08080000ull && be64_at((const uint8_t *)reg + 8) == 0x20000ull);
}

Test(guest_dtb, generated_timer_and_uart_interrupts)
{
    cr_assert(guest_dtb_build(&vm, buf, sizeof(buf), 0, 0) > 0);
    int len;
    const fdt32_t *t = fdt_getprop(buf, fdt_path_offset(buf, "/timer"), "interrupts", &len);
    cr_assert(t && len == 48, "four timer interrupts");
    static const uint32_t want[] = { 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4 };   /* INTIDs 29, 30, 27, 26 */
    for (int i = 0; i < 12; i++)
        cr_assert_eq(cell(t, i), want[i], "timer cell %d", i);
    const fdt32_t *u = fdt_getprop(buf, fdt_path_offset(buf, "/pl011@9000000"), "interrupts", &len);
    cr_assert(u && len == 12);
    cr_assert(cell(u, 0) == 0 && cell(u, 1) == 1 && cell(u, 2) == 4, "SPI 1 (INTID 33), level-high");
}

/* A passed-through PL031 (QEMU virt's RTC at 0x09010000, INTID 34) gets its node; any other
 * device does not. */
Test(guest_dtb, passthrough_pl031_node)
{
    size_t size = guest_dtb_build(&vm, buf, sizeof(buf), 0, 0);
    cr_assert(size > 0);
    cr_assert_lt(fdt_path_offset(buf, "/pl031@9010000"), 0, "no device: no node");

    cfg.devices[0] = (struct config_device){ 0x09030000, 0x1000, 39, 4 };
    cfg.device_count = 1;
    cr_assert(guest_dtb_build(&vm, buf, sizeof(buf), 0, 0) > 0);
    cr_assert_lt(fdt_node_offset_by_compatible(buf, -1, "arm,pl031"), 0, "other devices are not described");

    cfg.devices[1] = (struct config_device){ 0x09010000, 0x1000, 34, 5 };
    cfg.device_count = 2;
    cr_assert(guest_dtb_build(&vm, buf, sizeof(buf), 0, 0) > 0);
    cr_assert_str_eq(str_prop(buf, "/pl031@9010000", "compatible"), "arm,pl031");
    int node = fdt_path_offset(buf, "/pl031@9010000"), len;
    const void *reg = fdt_getprop(buf, node, "reg", &len);
    cr_assert(reg && len == 16);
    cr_assert_eq(be64_at(reg), 0x09010000ull);
    cr_assert_eq(be64_at((const uint8_t *)reg + 8), 0x1000ull);
    const fdt32_t *irq = fdt_getprop(buf, node, "interrupts", &len);
    cr_assert(irq && len == 12);
    cr_assert_eq(fdt32_to_cpu(irq[0]), 0);            /* GIC_SPI */
    cr_assert_eq(fdt32_to_cpu(irq[1]), 2);            /* SPI 2 = INTID 34 */
    cr_assert_eq(fdt32_to_cpu(irq[2]), 4);            /* level, active high */
}

/* QEMU virt's 32 virtio-mmio transports, as hw/arm/virt.c describes them: virtio_mmio@ADDR,
 * compatible "virtio,mmio", reg of 0x200 bytes from 0x0a000000, interrupts <GIC_SPI 16+n
 * rising-edge> (INTID 48 + n), dma-coherent; lowest address first, none beyond the 32nd. */
Test(guest_dtb, generated_virtio_mmio_transports)
{
    cr_assert(guest_dtb_build(&vm, buf, sizeof(buf), 0, 0) > 0);
    int prev = -1;
    for (uint32_t n = 0; n < 32; n++) {
        char path[40];
        uint64_t base = 0x0a000000ull + n * 0x200ull;
        snprintf(path, sizeof(path), "/virtio_mmio@%llx", (unsigned long long)base);
        int node = fdt_path_offset(buf, path), len;
        cr_assert_geq(node, 0, "%s missing", path);
        cr_assert_gt(node, prev, "%s after the transport below it", path);
        prev = node;
        const char *compat = fdt_getprop(buf, node, "compatible", &len);
        cr_assert(compat && len == sizeof("virtio,mmio") && !strcmp(compat, "virtio,mmio"), "%s compatible", path);
        const void *reg = fdt_getprop(buf, node, "reg", &len);
        cr_assert(reg && len == 16, "%s reg", path);
        cr_assert_eq(be64_at(reg), base);
        cr_assert_eq(be64_at((const uint8_t *)reg + 8), 0x200ull);
        const fdt32_t *irq = fdt_getprop(buf, node, "interrupts", &len);
        cr_assert(irq && len == 12, "%s interrupts", path);
        cr_assert_eq(cell(irq, 0), 0, "GIC_SPI");
        cr_assert_eq(cell(irq, 1), 16 + n, "SPI 16 + n: INTID %u", 48 + n);
        cr_assert_eq(cell(irq, 2), 1, "rising edge");
        cr_assert_not_null(fdt_getprop(buf, node, "dma-coherent", &len));
        cr_assert_eq(len, 0, "dma-coherent is empty");
        cr_assert_null(fdt_getprop(buf, node, "interrupt-parent", NULL), "the root's interrupt-parent (the GIC)");
    }
    cr_assert_lt(fdt_path_offset(buf, "/virtio_mmio@a004000"), 0, "32 transports only");
    int count = 0;
    for (int node = fdt_node_offset_by_compatible(buf, -1, "virtio,mmio"); node >= 0;
         node = fdt_node_offset_by_compatible(buf, node, "virtio,mmio"))
        count++;
    cr_assert_eq(count, 32);
}
