/* test_x86_acpi.c: the guest's ACPI platform: the AML builder (PkgLength forms, names, integers, EISA IDs,
 * resource templates), the tables acpi_guest.c writes as drivers/acpi.c (the host's own parser) reads
 * them, the DSDT's namespace walked object by object, the e820 reservation of the ECAM window, and the
 * PM1 registers (vpm1.c) with the S5 power-off. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "acpi.h"
#include "aml.h"
#include "kernel.h"
#include "x86_boot.h"
#include "x86_vcpu.h"

/* ---- what vpm1.c uses from kernel/ ---- */
static enum vm_shutdown shutdown_requested;
static unsigned shutdown_count;
void vm_request_shutdown(struct vm *vm, enum vm_shutdown how)
{
    (void)vm;
    shutdown_requested = how;
    shutdown_count++;
}
int hv_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stderr, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- PkgLength (ACPI 6.5, 20.2.4) ---- */
static uint32_t decode_pkglength(const uint8_t *p, uint32_t *bytes)
{
    uint32_t n = 1 + (p[0] >> 6);
    uint32_t v = n == 1 ? p[0] & 0x3F : p[0] & 0x0F;
    for (uint32_t i = 1; i < n; i++)
        v |= (uint32_t)p[i] << (4 + 8 * (i - 1));
    *bytes = n;
    return v;
}

Test(aml, pkglength_uses_1_to_4_bytes_at_the_boundaries)
{
    static const struct { uint32_t body, bytes; uint8_t enc[4]; } cases[] = {
        { 0, 1, { 0x01 } },
        { 62, 1, { 0x3F } },                           /* 63 with itself: the largest 1-byte form */
        { 63, 2, { 0x41, 0x04 } },                     /* 65 = 0x041 */
        { 0xFFD, 2, { 0x4F, 0xFF } },                  /* 0xFFF: the largest 2-byte form */
        { 0xFFE, 3, { 0x81, 0x00, 0x01 } },            /* 0x1001 */
        { 0xFFFFC, 3, { 0x8F, 0xFF, 0xFF } },          /* 0xFFFFF */
        { 0xFFFFD, 4, { 0xC1, 0x00, 0x00, 0x01 } },    /* 0x100001 */
        { 0xFFFFFFB, 4, { 0xCF, 0xFF, 0xFF, 0xFF } },  /* 0xFFFFFFF: 28 bits */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t out[4] = { 0 };
        uint32_t n = aml_pkglength(cases[i].body, out), dn;
        cr_assert_eq(n, cases[i].bytes, "body %u: %u bytes", cases[i].body, n);
        cr_assert_arr_eq(out, cases[i].enc, n, "body %u encoded wrong", cases[i].body);
        cr_assert_eq(decode_pkglength(out, &dn), cases[i].body + n);
        cr_assert_eq(dn, n);
    }
    uint8_t out[4];
    cr_assert_eq(aml_pkglength(0xFFFFFFC, out), 0, "more than 28 bits does not fit");
}

Test(aml, close_inserts_a_multi_byte_pkglength_before_a_long_body)
{
    static uint8_t buf[600];
    struct aml a;
    aml_init(&a, buf, sizeof(buf));
    uint32_t m = aml_open(&a, AML_PACKAGE_OP);
    aml_byte(&a, 100);
    for (int i = 0; i < 100; i++)
        aml_int(&a, 0x1234);                           /* 3 bytes each */
    aml_close(&a, m);
    cr_assert_not(a.overflow);
    uint32_t n, len = decode_pkglength(buf + 1, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(len, 2 + 1 + 300);
    cr_assert_eq(a.len, 1 + len);
    cr_assert_eq(buf[3], 100, "NumElements follows the PkgLength");
    cr_assert_eq(buf[4], 0x0B);
}

Test(aml, names_integers_and_eisa_ids)
{
    uint8_t buf[64];
    struct aml a;
    aml_init(&a, buf, sizeof(buf));
    aml_name(&a, "\\_SB.PCI0");
    cr_assert_arr_eq(buf, "\\\x2E_SB_PCI0", 10);
    aml_init(&a, buf, sizeof(buf));
    aml_name(&a, "_S5");
    cr_assert_eq(a.len, 4);
    cr_assert_arr_eq(buf, "_S5_", 4);
    aml_init(&a, buf, sizeof(buf));
    aml_name(&a, "\\_SB.PCI0.DRAC");
    cr_assert_arr_eq(buf, "\\\x2F\x03_SB_PCI0DRAC", 15);
    aml_init(&a, buf, sizeof(buf));
    aml_name(&a, "pci0");
    cr_assert(a.overflow, "lower case is not a NameSeg");
    aml_init(&a, buf, sizeof(buf));
    aml_name(&a, "1ABC");
    cr_assert(a.overflow, "a digit cannot lead");

    aml_init(&a, buf, sizeof(buf));
    aml_int(&a, 0);
    aml_int(&a, 1);
    aml_int(&a, 5);
    aml_int(&a, 0x100);
    aml_int(&a, 0x10000);
    aml_int(&a, 0x100000000ull);
    static const uint8_t ints[] = { 0x00, 0x01, 0x0A, 0x05, 0x0B, 0x00, 0x01, 0x0C, 0x00, 0x00, 0x01, 0x00,
                                    0x0E, 0, 0, 0, 0, 1, 0, 0, 0 };
    cr_assert_eq(a.len, sizeof(ints));
    cr_assert_arr_eq(buf, ints, sizeof(ints));

    aml_init(&a, buf, sizeof(buf));
    aml_eisaid(&a, "PNP0501");
    aml_eisaid(&a, "PNP0A08");
    static const uint8_t ids[] = { 0x0C, 0x41, 0xD0, 0x05, 0x01, 0x0C, 0x41, 0xD0, 0x0A, 0x08 };
    cr_assert_arr_eq(buf, ids, sizeof(ids));
    aml_eisaid(&a, "pnp0501");
    cr_assert(a.overflow);
}

Test(aml, resource_template_of_com1_with_its_end_tag_checksum)
{
    uint8_t buf[64];
    struct aml a;
    struct aml_restemplate t;
    aml_init(&a, buf, sizeof(buf));
    aml_restemplate_open(&a, &t);
    aml_res_io(&a, 0x3F8, 0x3F8, 0, 8);
    aml_res_irq_noflags(&a, 4);
    aml_restemplate_close(&a, &t);
    static const uint8_t want[] = { 0x11, 0x10, 0x0A, 0x0D, 0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x00, 0x08,
                                    0x22, 0x10, 0x00, 0x79 };
    cr_assert_eq(a.len, sizeof(want) + 1);
    cr_assert_arr_eq(buf, want, sizeof(want));
    uint8_t s = 0;
    for (uint32_t i = 4; i < a.len; i++)
        s = (uint8_t)(s + buf[i]);
    cr_assert_eq(s, 0, "the End Tag's checksum makes the descriptors sum to 0");
}

Test(aml, overflow_is_reported_not_written_past)
{
    uint8_t buf[8];
    memset(buf, 0xEE, sizeof(buf));
    struct aml a;
    aml_init(&a, buf, 6);
    uint32_t m = aml_open(&a, AML_PACKAGE_OP);
    aml_int(&a, 0x12345678);
    aml_close(&a, m);
    cr_assert(a.overflow);
    cr_assert_eq(buf[6], 0xEE);
    cr_assert_eq(buf[7], 0xEE);
}

/* ---- the tables, read back by drivers/acpi.c over a fake guest memory ---- */
static uint8_t area[X86_ACPI_AREA_BYTES];

static const void *map_area(void *ctx, uint64_t pa, uint64_t size)
{
    (void)ctx;
    if (pa < X86_ACPI_AREA_GPA || pa + size > X86_ACPI_AREA_GPA + X86_ACPI_AREA_BYTES)
        return NULL;
    return area + (pa - X86_ACPI_AREA_GPA);
}

static uint32_t rd(const uint8_t *p, uint32_t bytes)
{
    uint32_t v = 0;
    for (uint32_t i = 0; i < bytes; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static const uint8_t *table(const char *sig)
{
    const uint8_t *x = area + (rd(area + 24, 4) - X86_ACPI_AREA_GPA);
    for (uint32_t off = 36; off < rd(x + 4, 4); off += 8) {
        const uint8_t *t = area + (rd(x + off, 4) - X86_ACPI_AREA_GPA);
        if (!memcmp(t, sig, 4))
            return t;
    }
    return NULL;
}

Test(acpi_tables, the_hosts_parser_finds_pm1_pm_timer_dsdt_s5_and_mcfg)
{
    cr_assert(x86_acpi_tables(3, area));
    struct acpi_info info;
    const char *err = acpi_parse(X86_ACPI_AREA_GPA, map_area, NULL, &info);
    cr_assert_null(err, "%s", err);
    for (uint32_t i = 0; i < info.problem_count; i++)
        cr_log_error("problem: %s", info.problems[i]);
    cr_assert_eq(info.problem_count, 0);
    cr_assert(info.xsdt);
    cr_assert_eq(info.table_count, 3);
    cr_assert_eq(info.cpu_count, 3);
    cr_assert_eq(info.ioapic_pa, 0xFEC00000ull);
    cr_assert_eq(info.pm1a_cnt_port, 0x604);
    cr_assert_eq(info.pm1b_cnt_port, 0);
    cr_assert_eq(info.pm_tmr_port, 0x608);
    cr_assert_not(info.pm_tmr_32bit);
    cr_assert(info.has_s5, "\\_S5 found in the DSDT");
    cr_assert_eq(info.slp_typ_a, X86_ACPI_SLP_TYP_S5);
    cr_assert_eq(info.slp_typ_b, X86_ACPI_SLP_TYP_S5);
    cr_assert_eq(info.pci_ecam_base, 0xF0000000ull);
    cr_assert_eq(info.pci_bus_start, 0);
    cr_assert_eq(info.pci_bus_end, 0);
    /* What the S5 write would be: SLP_TYP 5 in bits 12:10 with SLP_EN, SCI_EN kept. */
    cr_assert_eq(acpi_pm1_cnt_sleep(1, info.slp_typ_a), 0x3401);
}

Test(acpi_tables, fadt_has_pm1_blocks_sci_reset_register_and_matching_x_fields)
{
    cr_assert(x86_acpi_tables(1, area));
    const uint8_t *f = table("FACP");
    cr_assert_not_null(f);
    cr_assert_eq(rd(f + 4, 4), 276);
    cr_assert_eq(f[8], 6, "FADT revision 6");
    cr_assert_eq(rd(f + 46, 2), 9, "SCI_INT");
    cr_assert_eq(rd(f + 48, 4), 0, "SMI_CMD 0: already in ACPI mode");
    cr_assert_eq(rd(f + 56, 4), 0x600, "PM1a_EVT_BLK");
    cr_assert_eq(rd(f + 64, 4), 0x604, "PM1a_CNT_BLK");
    cr_assert_eq(rd(f + 80, 4), 0, "no GPE0 block");
    cr_assert_eq(f[88], 4, "PM1_EVT_LEN");
    cr_assert_eq(f[89], 2, "PM1_CNT_LEN");
    cr_assert_eq(f[91], 4, "PM_TMR_LEN");
    cr_assert_eq(f[108], 0x32, "CENTURY: the RTC's century byte");
    uint32_t flags = rd(f + 112, 4);
    cr_assert(flags & (1u << 10), "RESET_REG_SUP");
    cr_assert(flags & (1u << 0), "WBINVD");
    cr_assert_not(flags & (1u << 20), "not hardware-reduced");
    cr_assert_not(flags & (1u << 8), "24-bit PM timer");
    static const uint8_t reset_gas[12] = { 1, 8, 0, 1, 0xF9, 0x0C, 0, 0, 0, 0, 0, 0 };
    cr_assert_arr_eq(f + 116, reset_gas, 12, "RESET_REG: system I/O 0xCF9, 8 bits, byte access");
    cr_assert_eq(f[128], 0x06, "RESET_VALUE");
    /* X_PM1a_EVT_BLK, X_PM1a_CNT_BLK, X_PM_TMR_BLK: system I/O, bit widths = the lengths, same ports. */
    static const struct { uint32_t off, width, port; } x[] = { { 148, 32, 0x600 }, { 172, 16, 0x604 },
                                                              { 208, 32, 0x608 } };
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(f[x[i].off], 1);
        cr_assert_eq(f[x[i].off + 1], x[i].width);
        cr_assert_eq(rd(f + x[i].off + 4, 4), x[i].port);
        cr_assert_eq(rd(f + x[i].off + 8, 4), 0);
    }
    cr_assert_eq(rd(f + 160, 4), 0, "no PM1b");
    cr_assert_eq(rd(f + 140, 4), rd(f + 40, 4), "X_DSDT = DSDT");
}

Test(acpi_tables, madt_routes_the_sci_level_triggered_active_high)
{
    cr_assert(x86_acpi_tables(2, area));
    const uint8_t *m = table("APIC");
    cr_assert_not_null(m);
    bool sci = false, pit = false;
    for (uint32_t off = 44; off < rd(m + 4, 4); off += m[off + 1]) {
        const uint8_t *e = m + off;
        if (e[0] == 2 && e[3] == 9)
            sci = rd(e + 4, 4) == 9 && rd(e + 8, 2) == 0x000D;
        if (e[0] == 2 && e[3] == 0)
            pit = rd(e + 4, 4) == 2;
    }
    cr_assert(sci, "IRQ 9 -> GSI 9, level, active high");
    cr_assert(pit, "IRQ 0 -> GSI 2");
}

/* A walker for the AML subset the DSDT uses: records every name defined, with its scope, and checks each
 * object's length lands on the next object. */
static char names[64][32];
static unsigned name_count;

static uint32_t walk_name(const uint8_t *p, char *out)
{
    uint32_t i = 0, n = 0;
    *out = 0;
    while (p[i] == '\\' || p[i] == '^')
        strncat(out, (const char *)&p[i++], 1);
    uint32_t segs = 1;
    if (p[i] == 0x2E) {
        segs = 2;
        i++;
    } else if (p[i] == 0x2F) {
        segs = p[i + 1];
        i += 2;
    }
    for (uint32_t s = 0; s < segs; s++, n++) {
        if (s)
            strcat(out, ".");
        strncat(out, (const char *)p + i, 4);
        i += 4;
    }
    return i;
}

static uint32_t walk_object(const uint8_t *p, const uint8_t *end)
{
    uint32_t n;
    switch (p[0]) {
    case 0x00: case 0x01: return 1;
    case 0x0A: return 2;
    case 0x0B: return 3;
    case 0x0C: return 5;
    case 0x11: case 0x12: return 1 + decode_pkglength(p + 1, &n);
    default: cr_assert_fail("unexpected data object 0x%02x", p[0]); return (uint32_t)(end - p);
    }
}

static void walk_terms(const uint8_t *p, const uint8_t *end, const char *scope)
{
    while (p < end) {
        char name[24], path[32];
        uint32_t n, len;
        if (p[0] == 0x08) {                                         /* Name */
            p += 1 + walk_name(p + 1, name);
            snprintf(path, sizeof path, "%s.%s", scope, name);
            strcpy(names[name_count++], path);
            p += walk_object(p, end);
        } else if (p[0] == 0x10 || (p[0] == 0x5B && p[1] == 0x82) || p[0] == 0x14) {   /* Scope, Device, Method */
            bool ext = p[0] == 0x5B, method = p[0] == 0x14;
            const uint8_t *pl = p + 1 + ext;
            len = decode_pkglength(pl, &n);
            const uint8_t *obj_end = pl + len;
            cr_assert(obj_end <= end, "object runs past its scope");
            const uint8_t *q = pl + n;
            q += walk_name(q, name);
            if (name[0] == '\\')
                snprintf(path, sizeof path, "%s", name);
            else
                snprintf(path, sizeof path, "%s.%s", scope, name);
            strcpy(names[name_count++], path);
            if (!method)
                walk_terms(q, obj_end, path);
            p = obj_end;
        } else {
            cr_assert_fail("unexpected opcode 0x%02x", p[0]);
        }
    }
    cr_assert(p == end, "objects end exactly at their scope's end");
}

static bool defined(const char *path)
{
    for (unsigned i = 0; i < name_count; i++)
        if (!strcmp(names[i], path))
            return true;
    return false;
}

Test(acpi_tables, dsdt_namespace_has_com1_rtc_pci_root_motherboard_resources_and_s5)
{
    cr_assert(x86_acpi_tables(1, area));
    const uint8_t *d = table("FACP");
    d = area + (rd(d + 40, 4) - X86_ACPI_AREA_GPA);
    cr_assert_arr_eq(d, "DSDT", 4);
    cr_assert_eq(d[8], 2, "revision 2: 64-bit integers");
    name_count = 0;
    walk_terms(d + 36, d + rd(d + 4, 4), "\\");
    static const char *const want[] = {
        "\\_SB_", "\\_SB_.PCI0", "\\_SB_.PCI0._HID", "\\_SB_.PCI0._CID", "\\_SB_.PCI0._SEG", "\\_SB_.PCI0._BBN",
        "\\_SB_.PCI0._UID", "\\_SB_.PCI0._CRS", "\\_SB_.PCI0._OSC", "\\_SB_.PCI0.DRAC", "\\_SB_.PCI0.DRAC._HID",
        "\\_SB_.PCI0.DRAC._CRS", "\\_SB_.COM1", "\\_SB_.COM1._HID", "\\_SB_.COM1._UID", "\\_SB_.COM1._CRS",
        "\\_SB_.RTC_", "\\_SB_.RTC_._HID", "\\_SB_.RTC_._CRS",
        "\\._S5_",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_assert(defined(want[i]), "%s is defined", want[i]);
    cr_assert_eq(name_count, sizeof(want) / sizeof(want[0]), "nothing else");
    /* The ECAM window is a motherboard resource: Memory32Fixed (RW, 0xF0000000, 1 MiB). */
    static const uint8_t mem32[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xF0, 0x00, 0x00, 0x10, 0x00 };
    cr_assert_not_null(memmem(d, rd(d + 4, 4), mem32, sizeof(mem32)));
    /* PCI0's bus range: WordBusNumber 0-0, length 1. */
    static const uint8_t bus[] = { 0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
    cr_assert_not_null(memmem(d, rd(d + 4, 4), bus, sizeof(bus)));
}

Test(acpi_tables, too_many_vcpus_is_refused)
{
    cr_assert_not(x86_acpi_tables(VM_MAX_VCPUS + 1, area));
    cr_assert(x86_acpi_tables(VM_MAX_VCPUS, area));
}

/* ---- e820: the ECAM window is reserved, in the hole, never RAM ---- */
Test(e820, ecam_window_reserved_and_outside_ram_for_every_size)
{
    const uint64_t sizes[] = { 64ull << 20, 3ull << 30, (3ull << 30) + (1ull << 20), 5ull << 30 };
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        struct x86_e820_entry e[X86_E820_MAX];
        uint32_t n = x86_e820_build(sizes[s], e);
        bool reserved = false;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t end = e[i].base + e[i].size_bytes;
            if (i)
                cr_assert_geq(e[i].base, e[i - 1].base + e[i - 1].size_bytes, "sorted, no overlap");
            if (e[i].type == E820_RAM)
                cr_assert(end <= X86_PCI_ECAM_BASE || e[i].base >= X86_PCI_ECAM_BASE + X86_PCI_ECAM_BYTES);
            reserved |= e[i].type == E820_RESERVED && e[i].base <= X86_PCI_ECAM_BASE &&
                        end >= X86_PCI_ECAM_BASE + X86_PCI_ECAM_BYTES;
        }
        cr_assert(reserved, "RAM 0x%lx: ECAM reserved", sizes[s]);
        struct guest_ram_range r[2];
        uint32_t k = x86_ram_ranges(sizes[s], r);
        for (uint32_t i = 0; i < k; i++)
            cr_assert(r[i].gpa + r[i].size_bytes <= X86_PCI_MEM_BASE || r[i].gpa >= 0x100000000ull,
                      "the PCI memory window and ECAM hold no RAM");
    }
}

/* ---- PM1 registers ---- */
static struct vm pm_vm;

static void pm_setup(void)
{
    memset(&pm_vm, 0, sizeof(pm_vm));
    pm_vm.name = "pm";
    shutdown_count = 0;
    cr_assert(vpm1_register(&pm_vm));
}
TestSuite(vpm1, .init = pm_setup);

static uint64_t in(uint16_t port, uint32_t size)
{
    uint64_t v = 0;
    cr_assert(mmio_bus_read(&pm_vm.pio, NULL, port, size, &v));
    return v;
}
static void out(uint16_t port, uint32_t size, uint64_t v) { cr_assert(mmio_bus_write(&pm_vm.pio, NULL, port, size, v)); }

Test(vpm1, sci_en_reads_set_and_stays_set)
{
    cr_assert_eq(in(0x604, 2), 1);
    out(0x604, 2, 0);
    cr_assert_eq(in(0x604, 2) & 1, 1);
    out(0x604, 2, 0x0002 | (3u << 10));                 /* BM_RLD and SLP_TYP are stored (no SLP_EN) */
    cr_assert_eq(in(0x604, 2), 0x0C03);
    cr_assert_eq(shutdown_count, 0);
}

Test(vpm1, status_is_write_one_to_clear_and_enable_is_stored)
{
    pm_vm.arch.pm1.sts = 0x0101;                         /* PWRBTN_STS, TMR_STS */
    cr_assert_eq(in(0x600, 2), 0x0101);
    out(0x600, 2, 0x0100);
    cr_assert_eq(in(0x600, 2), 0x0001, "only the bit written as 1 clears");
    out(0x602, 2, 0x0120);                               /* PWRBTN_EN | GBL_EN */
    cr_assert_eq(in(0x602, 2), 0x0120);
    cr_assert_eq(in(0x600, 4), 0x01200001, "a dword read covers STS and EN");
    out(0x600, 4, 0x00000001);                           /* clears TMR_STS, writes EN = 0 */
    cr_assert_eq(in(0x600, 4), 0);
    out(0x603, 1, 0x01);                                 /* the high byte of PM1_EN alone */
    cr_assert_eq(in(0x602, 2), 0x0100);
}

Test(vpm1, slp_en_with_the_s5_type_powers_off)
{
    out(0x604, 2, acpi_pm1_cnt_sleep((uint16_t)in(0x604, 2), 5));
    cr_assert_eq(shutdown_count, 1);
    cr_assert_eq(shutdown_requested, VM_SHUTDOWN_OFF);
    cr_assert_eq(in(0x604, 2) & (1u << 13), 0, "SLP_EN reads 0");
}

Test(vpm1, slp_en_in_a_byte_write_and_other_sleep_types)
{
    out(0x604, 2, acpi_pm1_cnt_sleep(1, 1));             /* S1: not offered, ignored */
    cr_assert_eq(shutdown_count, 0);
    out(0x604, 1, 0x01);
    out(0x605, 1, (5u << 2) | (1u << 5));                /* SLP_TYP 5 and SLP_EN in PM1_CNT's high byte */
    cr_assert_eq(shutdown_count, 1);
}
