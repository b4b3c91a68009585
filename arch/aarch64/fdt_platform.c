/* fdt_platform.c: reads the firmware's device tree for the console UART, GIC, ITS, PSCI conduit and CPUs. */
#include <libfdt.h>
#include <string.h>
#include "host_platform.h"

static uint64_t read_cells(const fdt32_t *p, int cells)
{
    uint64_t v = 0;
    for (int i = 0; i < cells; i++)
        v = v << 32 | fdt32_to_cpu(p[i]);
    return v;
}

/* Entry `index` of a node's reg, sized by its parent's #address-cells / #size-cells (DT spec 2.3.6). */
static bool dt_reg(const void *fdt, int node, int index, struct host_range *out)
{
    int parent = fdt_parent_offset(fdt, node);
    if (parent < 0)
        return false;
    int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent), len;
    if (ac < 1 || ac > 2 || sc < 0 || sc > 2)
        return false;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    if (!reg || len < (index + 1) * (ac + sc) * 4)
        return false;
    reg += index * (ac + sc);
    out->base = read_cells(reg, ac);
    out->size_bytes = read_cells(reg + ac, sc);
    return true;
}

static bool dt_enabled(const void *fdt, int node)
{
    const char *s = fdt_getprop(fdt, node, "status", NULL);
    return !s || !strcmp(s, "okay") || !strcmp(s, "ok");
}

/* First enabled node compatible with `compat`, or a negative libfdt error. */
static int dt_find_compatible(const void *fdt, const char *compat)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, compat);
    while (node >= 0 && !dt_enabled(fdt, node))
        node = fdt_node_offset_by_compatible(fdt, node, compat);
    return node;
}

/* /chosen stdout-path (DT spec 3.6) names the console, possibly with ":options"; else the first PL011. */
static void parse_uart(const void *fdt, struct host_platform *p)
{
    int node = -1, chosen = fdt_path_offset(fdt, "/chosen");
    const char *path = chosen >= 0 ? fdt_getprop(fdt, chosen, "stdout-path", NULL) : NULL;
    if (path) {
        const char *colon = strchr(path, ':');
        node = fdt_path_offset_namelen(fdt, path, colon ? (int)(colon - path) : (int)strlen(path));
        if (node >= 0 && fdt_node_check_compatible(fdt, node, "arm,pl011"))
            node = -1;
    }
    if (node < 0)
        node = dt_find_compatible(fdt, "arm,pl011");
    if (node >= 0)
        dt_reg(fdt, node, 0, &p->uart);
}

/* Linux binding arm,gic-v3: reg = GICD, then #redistributor-regions GICR regions; ITS as a child. */
static void parse_gic(const void *fdt, struct host_platform *p)
{
    p->gicd.size_bytes = 0;
    p->gicr_count = 0;
    p->its.size_bytes = 0;
    int node = dt_find_compatible(fdt, "arm,gic-v3");
    if (node < 0 || !dt_reg(fdt, node, 0, &p->gicd))
        return;
    const fdt32_t *nr = fdt_getprop(fdt, node, "#redistributor-regions", NULL);
    uint32_t regions = nr ? fdt32_to_cpu(*nr) : 1;
    for (uint32_t i = 0; i < regions && p->gicr_count < HOST_MAX_GICR_REGIONS; i++)
        if (dt_reg(fdt, node, (int)(1 + i), &p->gicr[p->gicr_count]))
            p->gicr_count++;
    int its = dt_find_compatible(fdt, "arm,gic-v3-its");
    if (its >= 0)
        dt_reg(fdt, its, 0, &p->its);
}

/* Arm DEN 0022 and the Linux binding arm,psci: `method` is "smc" or "hvc". */
static void parse_psci(const void *fdt, struct host_platform *p)
{
    int node = fdt_path_offset(fdt, "/psci");
    if (node < 0)
        node = dt_find_compatible(fdt, "arm,psci-0.2");
    const char *method = node >= 0 ? fdt_getprop(fdt, node, "method", NULL) : NULL;
    p->psci_hvc = method && !strcmp(method, "hvc");
}

/* /cpus/cpu@N with device_type "cpu": reg holds the MPIDR affinity fields (DT spec 3.8). */
static void parse_cpus(const void *fdt, struct host_platform *p)
{
    int cpus = fdt_path_offset(fdt, "/cpus"), node;
    p->cpu_count = 0;
    if (cpus < 0)
        return;
    fdt_for_each_subnode(node, fdt, cpus) {
        const char *type = fdt_getprop(fdt, node, "device_type", NULL);
        struct host_range reg;
        if (!type || strcmp(type, "cpu") || !dt_reg(fdt, node, 0, &reg))
            continue;
        if (p->cpu_count < HOST_MAX_CPUS)
            p->cpu_mpidr[p->cpu_count] = reg.base;
        p->cpu_count++;
    }
}

/* Linux binding pci-host-ecam-generic: reg = the ECAM, bus-range = <first last> (default 0-255,
 * the ECAM then covering 1 MiB per bus from the first). */
static void parse_pci(const void *fdt, struct host_platform *p)
{
    p->pci_ecam.size_bytes = 0;
    int node = dt_find_compatible(fdt, "pci-host-ecam-generic");
    if (node < 0 || !dt_reg(fdt, node, 0, &p->pci_ecam))
        return;
    int len;
    const fdt32_t *range = fdt_getprop(fdt, node, "bus-range", &len);
    p->pci_bus_start = range && len >= 8 ? fdt32_to_cpu(range[0]) : 0;
    p->pci_bus_end = range && len >= 8 ? fdt32_to_cpu(range[1]) : 255;
}

/* Linux binding arm,smmu-v3: reg = its two 64 KiB register pages. The PCI host's iommu-map is
 * taken to be the identity (StreamID = requester ID), as on QEMU virt. */
static void parse_smmu(const void *fdt, struct host_platform *p)
{
    p->smmu.size_bytes = 0;
    int node = dt_find_compatible(fdt, "arm,smmu-v3");
    if (node >= 0)
        dt_reg(fdt, node, 0, &p->smmu);
}

bool fdt_platform_parse(const void *fdt, struct host_platform *p)
{
    if (fdt_check_header(fdt))
        return false;
    parse_uart(fdt, p);
    parse_gic(fdt, p);
    parse_psci(fdt, p);
    parse_cpus(fdt, p);
    parse_pci(fdt, p);
    parse_smmu(fdt, p);
    return true;
}
