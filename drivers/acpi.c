/* acpi.c: ACPI table parsing: RSDP -> XSDT/RSDT -> MADT, FADT -> DSDT \_S5, MCFG; every table validated. */
#include <string.h>
#include "acpi.h"

#define SDT_HEADER_BYTES 36u
#define SDT_MAX_BYTES (16u << 20)   /* sanity bound on a table's length field */

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

static bool checksum_ok(const uint8_t *p, uint64_t len)
{
    uint8_t sum = 0;
    for (uint64_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum == 0;
}

static void problem(struct acpi_info *info, const char *what)
{
    if (info->problem_count < ACPI_MAX_PROBLEMS)
        info->problems[info->problem_count++] = what;
}

/* ACPI 6.5, 5.2.6: a system description table header with its length and checksum
 * checked; returns the whole table, *len set, or NULL. */
static const uint8_t *map_sdt(uint64_t pa, acpi_map_fn map, void *ctx, uint32_t *len)
{
    if (!pa)
        return NULL;
    const uint8_t *h = map(ctx, pa, SDT_HEADER_BYTES);
    if (!h)
        return NULL;
    uint32_t n = le32(h + 4);
    if (n < SDT_HEADER_BYTES || n > SDT_MAX_BYTES)
        return NULL;
    const uint8_t *t = map(ctx, pa, n);
    if (!t || !checksum_ok(t, n))
        return NULL;
    *len = n;
    return t;
}

/* ACPI 6.5, 5.2.12: MADT; Processor Local APIC (type 0), I/O APIC (1), Local APIC
 * Address Override (5), Processor Local x2APIC (9). */
static void parse_madt(const uint8_t *t, uint32_t len, struct acpi_info *info)
{
    if (len < SDT_HEADER_BYTES + 8) {
        problem(info, "MADT too short");
        return;
    }
    info->has_madt = true;
    info->lapic_pa = le32(t + 36);
    for (uint32_t off = SDT_HEADER_BYTES + 8; off + 2 <= len;) {
        const uint8_t *e = t + off;
        uint8_t type = e[0], elen = e[1];
        if (elen < 2 || off + elen > len) {
            problem(info, "MADT entry runs past the table");
            return;
        }
        bool cpu = false, enabled = false;
        uint32_t apic_id = 0;
        if (type == 0 && elen >= 8) {
            cpu = true;
            apic_id = e[3];
            enabled = le32(e + 4) & 1;
        } else if (type == 9 && elen >= 16) {
            cpu = true;
            apic_id = le32(e + 4);
            enabled = le32(e + 8) & 1;
        } else if (type == 1 && elen >= 12) {
            if (info->ioapic_count++ == 0)
                info->ioapic_pa = le32(e + 4);
        } else if (type == 5 && elen >= 12) {
            info->lapic_pa = le64(e + 4);
        }
        if (cpu && enabled) {
            bool seen = false;   /* firmware may list a CPU both as LAPIC and x2APIC */
            for (uint32_t i = 0; i < info->cpu_count && i < ACPI_MAX_CPUS; i++)
                seen |= info->cpu_apic_id[i] == apic_id;
            if (!seen) {
                if (info->cpu_count < ACPI_MAX_CPUS)
                    info->cpu_apic_id[info->cpu_count] = apic_id;
                info->cpu_count++;
            }
        }
        off += elen;
    }
}

/* An I/O port from a 32-bit FADT block field, or from its X_ Generic Address
 * Structure (ACPI 6.5, 5.2.3.2; address space 1 = system I/O) when that is zero. */
static uint16_t fadt_port(const uint8_t *t, uint32_t len, uint32_t legacy_off, uint32_t gas_off)
{
    uint32_t port = le32(t + legacy_off);
    if (!port && len >= gas_off + 12 && t[gas_off] == 1)
        port = (uint32_t)le64(t + gas_off + 4);
    return port <= 0xFFFF ? (uint16_t)port : 0;
}

/* ACPI 6.5, 5.2.9, table 5.9: FADT field offsets. */
static void parse_fadt(const uint8_t *t, uint32_t len, struct acpi_info *info)
{
    if (len < 116) {   /* the ACPI 1.0 FADT */
        problem(info, "FADT too short");
        return;
    }
    info->has_fadt = true;
    info->pm1a_cnt_port = fadt_port(t, len, 64, 172);
    info->pm1b_cnt_port = fadt_port(t, len, 68, 184);
    info->pm_tmr_port = fadt_port(t, len, 76, 208);
    info->pm_tmr_32bit = le32(t + 112) & (1u << 8);   /* TMR_VAL_EXT */
    info->dsdt_pa = len >= 148 && le64(t + 140) ? le64(t + 140) : le32(t + 40);
}

/* PCI Firmware 3.2, 4.1.2, table 4-2/4-3: MCFG = header, 8 reserved bytes, then 16-byte
 * allocations (base address of bus 0, segment, start bus, end bus); the first of segment 0. */
static void parse_mcfg(const uint8_t *t, uint32_t len, struct acpi_info *info)
{
    for (uint32_t off = SDT_HEADER_BYTES + 8; off + 16 <= len; off += 16) {
        const uint8_t *e = t + off;
        uint64_t base = le64(e);
        if (le16(e + 8) != 0 || e[11] < e[10] || !base)
            continue;
        info->pci_ecam_base = base + ((uint64_t)e[10] << 20);
        info->pci_bus_start = e[10];
        info->pci_bus_end = e[11];
        return;
    }
    problem(info, "MCFG has no allocation for segment 0");
}

/* One element of the \_S5 package: ByteConst (0x0A), ZeroOp, OneOp, OnesOp,
 * WordConst, DWordConst (ACPI 6.5, 20.2.3), or a bare byte as some firmware
 * writes. Returns bytes consumed, 0 when it runs past end. */
static uint32_t aml_integer(const uint8_t *p, const uint8_t *end, uint8_t *value)
{
    uint32_t n;
    switch (p < end ? p[0] : 0x100) {
    case 0x0A: n = 2; break;
    case 0x0B: n = 3; break;
    case 0x0C: n = 5; break;
    case 0x100: return 0;
    default: n = 1; break;
    }
    if ((uint64_t)(end - p) < n)
        return 0;
    *value = n == 1 ? p[0] : p[1];
    return n;
}

bool acpi_find_s5(const uint8_t *aml, uint64_t len, uint8_t *slp_typ_a, uint8_t *slp_typ_b)
{
    const uint8_t *end = aml + len;
    for (uint64_t i = 1; i + 4 < len; i++) {
        if (memcmp(aml + i, "_S5_", 4) != 0)
            continue;
        /* A definition, not a reference: NameOp (0x08) before the name, maybe with a root prefix. */
        bool defined = aml[i - 1] == 0x08 || (i >= 2 && aml[i - 1] == '\\' && aml[i - 2] == 0x08);
        const uint8_t *p = aml + i + 4;
        if (!defined || p >= end || *p != 0x12)   /* PackageOp */
            continue;
        p++;
        if (p >= end)
            return false;
        uint32_t pkglen_bytes = 1u + (*p >> 6);   /* PkgLength: lead byte bits 7:6 = extra bytes */
        if ((uint64_t)(end - p) < pkglen_bytes + 1)
            return false;
        p += pkglen_bytes;
        uint8_t elements = *p++;
        uint8_t a = 0, b = 0;
        uint32_t n = aml_integer(p, end, &a);
        if (!elements || !n)
            return false;
        if (elements >= 2 && !aml_integer(p + n, end, &b))
            return false;
        *slp_typ_a = a & 7;
        *slp_typ_b = b & 7;
        return true;
    }
    return false;
}

uint16_t acpi_pm1_cnt_sleep(uint16_t current, uint8_t slp_typ)
{
    return (uint16_t)((current & ~0x3C00u) | (uint32_t)(slp_typ & 7) << 10 | 1u << 13);
}

/* ACPI 6.5, 5.2.5.3: the RSDP; returns the root table's address, *xsdt set. */
static uint64_t parse_rsdp(uint64_t pa, acpi_map_fn map, void *ctx, struct acpi_info *info,
                           const char **error)
{
    const uint8_t *r = map(ctx, pa, 20);
    if (!r || memcmp(r, "RSD PTR ", 8) != 0) {
        *error = "no RSDP signature";
        return 0;
    }
    if (!checksum_ok(r, 20)) {
        *error = "RSDP checksum mismatch";
        return 0;
    }
    info->rsdp_revision = r[15];
    memcpy(info->oem_id, r + 9, 6);
    info->oem_id[6] = 0;
    if (r[15] >= 2) {
        r = map(ctx, pa, 36);
        uint32_t len = r ? le32(r + 20) : 0;
        if (len < 36 || !(r = map(ctx, pa, len)) || !checksum_ok(r, len)) {
            *error = "RSDP extended checksum mismatch";
            return 0;
        }
        if (le64(r + 24)) {
            info->xsdt = true;
            return le64(r + 24);
        }
    }
    return le32(r + 16);
}

const char *acpi_parse(uint64_t rsdp_pa, acpi_map_fn map, void *ctx, struct acpi_info *info)
{
    const char *error = NULL;
    memset(info, 0, sizeof(*info));
    uint64_t root_pa = parse_rsdp(rsdp_pa, map, ctx, info, &error);
    if (error)
        return error;
    uint32_t root_len;
    const uint8_t *root = map_sdt(root_pa, map, ctx, &root_len);
    if (!root || memcmp(root, info->xsdt ? "XSDT" : "RSDT", 4) != 0)
        return info->xsdt ? "XSDT missing or invalid" : "RSDT missing or invalid";
    uint32_t entry_bytes = info->xsdt ? 8 : 4;
    info->table_count = (root_len - SDT_HEADER_BYTES) / entry_bytes;
    for (uint32_t i = 0; i < info->table_count; i++) {
        const uint8_t *e = root + SDT_HEADER_BYTES + i * entry_bytes;
        uint64_t pa = info->xsdt ? le64(e) : le32(e);
        const uint8_t *h = pa ? map(ctx, pa, SDT_HEADER_BYTES) : NULL;
        bool madt = h && memcmp(h, "APIC", 4) == 0, fadt = h && memcmp(h, "FACP", 4) == 0;
        bool mcfg = h && memcmp(h, "MCFG", 4) == 0;
        if (!madt && !fadt && !mcfg)
            continue;
        uint32_t len;
        const uint8_t *t = map_sdt(pa, map, ctx, &len);
        if (!t)
            problem(info, madt ? "MADT length or checksum invalid" : fadt ? "FADT length or checksum invalid"
                                                                   : "MCFG length or checksum invalid");
        else if (madt && !info->has_madt)
            parse_madt(t, len, info);
        else if (fadt && !info->has_fadt)
            parse_fadt(t, len, info);
        else if (mcfg && !info->pci_ecam_base)
            parse_mcfg(t, len, info);
    }
    if (!info->has_madt)
        problem(info, "no valid MADT");
    if (!info->has_fadt) {
        problem(info, "no valid FADT");
        return NULL;
    }
    uint32_t dsdt_len;
    const uint8_t *dsdt = map_sdt(info->dsdt_pa, map, ctx, &dsdt_len);
    if (!dsdt || memcmp(dsdt, "DSDT", 4) != 0)
        problem(info, "DSDT missing or invalid");
    else if (!(info->has_s5 = acpi_find_s5(dsdt + SDT_HEADER_BYTES, dsdt_len - SDT_HEADER_BYTES,
                                           &info->slp_typ_a, &info->slp_typ_b)))
        problem(info, "DSDT has no decodable \\_S5 package");
    return NULL;
}
