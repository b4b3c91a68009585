/* caps.c: the capability report ("cap: ..." lines), from ID registers and the GIC's own registers. */
#include <inttypes.h>
#include "arch.h"
#include "host_platform.h"
#include "kernel.h"
#include "image_check.h"
#include "mmio.h"
#include "smmu_s2.h"
#include "sysreg.h"

/* Arm IHI 0069 (GICv3/v4), register descriptions: offsets and fields used here. */
#define GICD_PIDR2 0xffe8
#define GICR_TYPER 0x0008
#define GICR_TYPER_VLPIS (1ull << 1)
#define GITS_TYPER 0x0008
#define GITS_TYPER_VIRTUAL (1ull << 1)
#define GITS_PIDR2 0xffe8
#define PIDR2_ARCHREV(v) BITS(v, 7, 4)

static void report_gic(void)
{
    const struct host_platform *p = &host_platform;
    if (!p->gicd.size_bytes || !p->gicr_count) {
        hv_printf("cap: gic=none (no GICv3/v4 described by %s)\n", p->source);
        return;
    }
    uint32_t arch_rev = PIDR2_ARCHREV(mmio_read32(p->gicd.base + GICD_PIDR2));
    /* The first redistributor frame stands for all: GICv4 support is a property of the whole GIC. */
    uint64_t vlpis = (mmio_read64(p->gicr[0].base + GICR_TYPER) & GICR_TYPER_VLPIS) ? 1 : 0;
    const char *version = arch_rev == 4 || vlpis ? "v4" : arch_rev == 3 ? "v3" : "unknown";
    hv_printf("cap: gic=%s (GICD_PIDR2.ArchRev=%" PRIu32 ", GICR_TYPER.VLPIS=%" PRIu64 ") GICD 0x%" PRIx64
              " GICR 0x%" PRIx64 "\n", version, arch_rev, vlpis, p->gicd.base, p->gicr[0].base);

    if (!p->its.size_bytes) {
        hv_printf("cap: its=no\n");
        return;
    }
    /* Probed: QEMU 7.2's ACPI MADT lists an ITS even with its=off, and nothing answers there. */
    uint32_t pidr2, typer;
    if (!mmio_probe_read32(p->its.base + GITS_PIDR2, &pidr2) ||
        !mmio_probe_read32(p->its.base + GITS_TYPER, &typer)) {
        hv_printf("cap: its=no (listed at 0x%" PRIx64 " but not answering)\n", p->its.base);
        return;
    }
    uint32_t its_rev = PIDR2_ARCHREV(pidr2);
    uint64_t its_virtual = (typer & GITS_TYPER_VIRTUAL) ? 1 : 0;
    if (its_rev != 3 && its_rev != 4) {
        hv_printf("cap: its=no (listed at 0x%" PRIx64 " but GITS_PIDR2.ArchRev=%" PRIu32 ")\n", p->its.base, its_rev);
        return;
    }
    hv_printf("cap: its=yes base=0x%" PRIx64 " (GITS_PIDR2.ArchRev=%" PRIu32 ", GITS_TYPER.Virtual=%" PRIu64 ")\n",
              p->its.base, its_rev, its_virtual);
}

/* ID_AA64DFR0_EL1.PMUVer (Arm DDI 0487, ID_AA64DFR0_EL1). */
static void report_pmu(void)
{
    static const char *const names[16] = {
        [0] = "none", [1] = "PMUv3", [4] = "PMUv3p1", [5] = "PMUv3p4", [6] = "PMUv3p5",
        [7] = "PMUv3p7", [8] = "PMUv3p8", [0xf] = "impdef",
    };
    uint64_t ver = BITS(read_sysreg(id_aa64dfr0_el1), 11, 8);
    const char *name = names[ver] ? names[ver] : "unknown";
    if (ver == 0 || ver == 0xf) {
        hv_printf("cap: pmu=%s\n", name);
        return;
    }
    uint64_t counters = BITS(read_sysreg(pmcr_el0), 15, 11);   /* PMCR_EL0.N */
    hv_printf("cap: pmu=%s counters=%" PRIu64 " (ID_AA64DFR0_EL1.PMUVer=%" PRIu64 ")\n", name, counters, ver);
}

void arch_report_caps(void)
{
    static const uint32_t pa_bits[16] = { 32, 36, 40, 42, 44, 48, 52 };
    uint64_t parange = BITS(read_sysreg(id_aa64mmfr0_el1), 3, 0);
    hv_printf("cap: el=%" PRIu64 "\n", BITS(read_sysreg(CurrentEL), 3, 2));
    report_gic();
    report_pmu();
    hv_printf("cap: pa_bits=%" PRIu32 " (ID_AA64MMFR0_EL1.PARange=%" PRIu64 ")\n", pa_bits[parange], parange);
    hv_printf("cap: vhe=%s\n", BITS(read_sysreg(id_aa64mmfr1_el1), 11, 8) ? "yes" : "no");
    smmu_s2_init();        /* the SMMU, before any VM is assigned a PCI function */
    image_check_start();
}
