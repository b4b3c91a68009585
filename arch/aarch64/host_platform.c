/* host_platform.c: chooses where the host description comes from: device tree, then ACPI, then virt defaults. */
#include "boot_info.h"
#include "host_platform.h"

struct host_platform host_platform;

/* QEMU virt's fixed layout (hw/arm/virt.c memmap), used when no table describes the host. */
static const struct host_platform virt_defaults = {
    .source = "QEMU virt defaults",
    .uart = { 0x09000000, 0x1000 },
    .gicd = { 0x08000000, 0x10000 },
    .gicr = { { 0x080a0000, 0xf60000 } },
    .gicr_count = 1,
    .its = { 0x08080000, 0x20000 },
};

/* AAVMF hands over a DTB only when QEMU provides no ACPI tables (-M virt,acpi=off). */
void host_platform_init(const struct boot_info *bi)
{
    struct host_platform *p = &host_platform;
    *p = virt_defaults;
    if (bi->dtb_pa && fdt_platform_parse((const void *)(uintptr_t)bi->dtb_pa, p)) {
        p->source = "device tree";
        return;
    }
    *p = virt_defaults;   /* a reader that gave up may have filled some fields */
    if (bi->acpi_rsdp_pa && acpi_platform_parse(bi->acpi_rsdp_pa, p)) {
        p->source = "ACPI";
        return;
    }
    *p = virt_defaults;
}
