/* acpi_platform.c: reads the host description from ACPI when there is no DTB: MADT GIC entries, FADT PSCI flags, SPCR. */
#include <string.h>
#include "host_platform.h"

#define SDT_HEADER_BYTES 36u
#define SDT_MAX_BYTES (1u << 20)

/* ACPI 6.5, 5.2.12.14-5.2.12.18: MADT interrupt controller structure types for the GIC. */
#define MADT_GICC 0x0b
#define MADT_GICD 0x0c
#define MADT_GICR 0x0e
#define MADT_GIC_ITS 0x0f
#define MADT_GICC_ENABLED (1u << 0)

/* ACPI 6.5, 5.2.9: FADT ARM_BOOT_ARCH flags (offset 129). */
#define FADT_ARM_BOOT_ARCH 129
#define ARM_BOOT_PSCI_USE_HVC (1u << 1)

/* Microsoft SPCR spec: interface types of PL011-compatible UARTs. */
#define SPCR_PL011 0x03
#define SPCR_SBSA_32BIT 0x0d
#define SPCR_SBSA 0x0e

/* Frame sizes as on QEMU virt (GICD 64 KiB, ITS 2 x 64 KiB): ACPI gives only bases for these. */
#define GICD_FRAME_BYTES 0x10000
#define GITS_FRAMES_BYTES 0x20000
#define UART_FRAME_BYTES 0x1000

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* ACPI 6.5, 5.2.6: a table whose length is sane and whose bytes sum to 0, or NULL. */
static const uint8_t *sdt(uint64_t pa, const char *signature)
{
    const uint8_t *t = (const uint8_t *)(uintptr_t)pa;
    if (!pa || (signature && memcmp(t, signature, 4)))
        return NULL;
    uint32_t len = le32(t + 4);
    if (len < SDT_HEADER_BYTES || len > SDT_MAX_BYTES)
        return NULL;
    uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + t[i]);
    return sum ? NULL : t;
}

/* The XSDT entry (ACPI 6.5, 5.2.8) with this signature, checked, or NULL. */
static const uint8_t *find_table(const uint8_t *xsdt, const char *signature)
{
    uint32_t count = (le32(xsdt + 4) - SDT_HEADER_BYTES) / 8;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *t = sdt(le64(xsdt + SDT_HEADER_BYTES + 8 * i), signature);
        if (t)
            return t;
    }
    return NULL;
}

static void parse_madt(const uint8_t *madt, struct host_platform *p)
{
    uint32_t len = le32(madt + 4);
    p->gicd.size_bytes = 0;
    p->gicr_count = 0;
    p->its.size_bytes = 0;
    p->cpu_count = 0;
    for (uint32_t off = SDT_HEADER_BYTES + 8; off + 2 <= len;) {
        const uint8_t *e = madt + off;
        uint8_t type = e[0], elen = e[1];
        if (elen < 2 || off + elen > len)
            return;
        if (type == MADT_GICC && elen >= 76 && (le32(e + 12) & MADT_GICC_ENABLED)) {
            if (p->cpu_count < HOST_MAX_CPUS)
                p->cpu_mpidr[p->cpu_count] = le64(e + 68);
            p->cpu_count++;
        } else if (type == MADT_GICD && elen >= 24 && (e[20] == 0 || e[20] >= 3)) {   /* GIC version, 0: unknown */
            p->gicd = (struct host_range){ le64(e + 8), GICD_FRAME_BYTES };
        } else if (type == MADT_GICR && elen >= 16 && p->gicr_count < HOST_MAX_GICR_REGIONS) {
            p->gicr[p->gicr_count++] = (struct host_range){ le64(e + 4), le32(e + 12) };
        } else if (type == MADT_GIC_ITS && elen >= 16 && !p->its.size_bytes) {
            p->its = (struct host_range){ le64(e + 8), GITS_FRAMES_BYTES };
        }
        off += elen;
    }
}

/* PCI Firmware 3.2, 4.1.2: MCFG = header, 8 reserved bytes, then 16-byte allocations (base
 * address, segment, start bus, end bus). The first one of segment 0. */
static void parse_mcfg(const uint8_t *mcfg, struct host_platform *p)
{
    uint32_t len = le32(mcfg + 4);
    for (uint32_t off = SDT_HEADER_BYTES + 8; off + 16 <= len; off += 16) {
        const uint8_t *e = mcfg + off;
        if ((e[8] | e[9] << 8) != 0 || e[11] < e[10])
            continue;
        p->pci_bus_start = e[10];
        p->pci_bus_end = e[11];
        /* The base address is that of bus 0, whichever bus the allocation starts at. */
        p->pci_ecam = (struct host_range){ le64(e) + ((uint64_t)e[10] << 20), (uint64_t)(e[11] - e[10] + 1) << 20 };
        return;
    }
}

/* Arm DEN 0049 (IORT) 3.1: header, node count at 36, first node's offset at 40; each node has
 * its type at 0 and length at 1; an SMMUv3 node (type 4) has its base address at 16. Its ID
 * mapping from the root complex is taken to be the identity, as on QEMU virt. */
#define IORT_NODE_SMMUV3 4
#define SMMUV3_FRAMES_BYTES 0x20000
static void parse_iort(const uint8_t *iort, struct host_platform *p)
{
    uint32_t len = le32(iort + 4);
    if (len < 48)
        return;
    uint32_t count = le32(iort + 36), off = le32(iort + 40);
    for (uint32_t i = 0; i < count && off + 24 <= len; i++) {
        const uint8_t *n = iort + off;
        uint16_t nlen = (uint16_t)(n[1] | n[2] << 8);
        if (nlen < 4 || off + nlen > len)
            return;
        if (n[0] == IORT_NODE_SMMUV3 && nlen >= 24 && !p->smmu.size_bytes)
            p->smmu = (struct host_range){ le64(n + 16), SMMUV3_FRAMES_BYTES };
        off += nlen;
    }
}

bool acpi_platform_parse(uint64_t rsdp_pa, struct host_platform *p)
{
    /* ACPI 6.5, 5.2.5.3: RSDP revision 2+ carries the XSDT address at offset 24. */
    const uint8_t *rsdp = (const uint8_t *)(uintptr_t)rsdp_pa;
    if (memcmp(rsdp, "RSD PTR ", 8) || rsdp[15] < 2)
        return false;
    const uint8_t *xsdt = sdt(le64(rsdp + 24), "XSDT");
    const uint8_t *madt = xsdt ? find_table(xsdt, "APIC") : NULL;
    if (!madt)
        return false;
    parse_madt(madt, p);
    const uint8_t *fadt = find_table(xsdt, "FACP");
    if (fadt && le32(fadt + 4) > FADT_ARM_BOOT_ARCH + 1)
        p->psci_hvc = (fadt[FADT_ARM_BOOT_ARCH] | fadt[FADT_ARM_BOOT_ARCH + 1] << 8) & ARM_BOOT_PSCI_USE_HVC;
    /* SPCR: interface type at 36, base address as a Generic Address Structure at 40 (address at 44). */
    const uint8_t *mcfg = find_table(xsdt, "MCFG");
    if (mcfg)
        parse_mcfg(mcfg, p);
    const uint8_t *iort = find_table(xsdt, "IORT");
    p->smmu.size_bytes = 0;
    if (iort)
        parse_iort(iort, p);
    const uint8_t *spcr = find_table(xsdt, "SPCR");
    if (spcr && le32(spcr + 4) >= 52 && (spcr[36] == SPCR_PL011 || spcr[36] == SPCR_SBSA_32BIT || spcr[36] == SPCR_SBSA))
        p->uart = (struct host_range){ le64(spcr + 44), UART_FRAME_BYTES };
    return true;
}
