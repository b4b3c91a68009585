/* guest_dtb.c: the guest's device tree: generated with libfdt's sequential-write API for
 * the virtual platform (memory, CPUs, PSCI, timer, PL011, /chosen), or the configured one
 * with /chosen set as the boot protocol asks (Linux Documentation/arch/arm64/booting.rst). */
#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>
#include "arch.h"
#include "boot_info.h"
#include "guest_dtb.h"
#include "kernel.h"
#include "vm.h"

#define PHANDLE_APB_PCLK 1
#define APB_PCLK_HZ 24000000u        /* QEMU virt's fixed 24 MHz clock for the PL011 */

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

/* The PL011 and the fixed clock Linux's AMBA driver wants (clocks "uartclk", "apb_pclk").
 * No interrupts yet: the GIC node arrives with the vGIC. */
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
    err |= PROP_STRINGS(fdt, "clock-names", "uartclk\0apb_pclk");
    err |= fdt_property(fdt, "clocks", clocks, sizeof(clocks));
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

    err |= fdt_begin_node(fdt, "timer");
    err |= fdt_property_string(fdt, "compatible", "arm,armv8-timer");
    err |= fdt_end_node(fdt);

    err |= node_uart(fdt);
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
