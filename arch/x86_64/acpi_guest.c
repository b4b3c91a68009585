/* acpi_guest.c: the ACPI tables a VM finds (ACPI 6.5), in the BIOS area at 0xE0000 (the RSDP is found by
 * the 0xE0000-0xFFFFF scan, 5.2.5.1): an XSDT naming a MADT (one Processor Local APIC per vCPU, the IOAPIC
 * at 0xFEC00000, ISA IRQ 0 -> GSI 2, the SCI level-triggered; 5.2.12), a FADT (5.2.9) with the PM1 blocks
 * (vpm1.c), the PM timer (vpmtimer.c) and the reset register, a FACS (5.2.10), an MCFG (PCI Firmware 3.2,
 * 4.1.2) for the ECAM window, and a DSDT (aml.c) with COM1, the RTC, the PCI root and \_S5. Built into a host
 * buffer, then written through guest_write into the reserved 0x9FC00-0x100000 range of the e820 map. */
#include <string.h>
#include "aml.h"
#include "x86_vcpu.h"

/* Offsets in the area at X86_ACPI_AREA_GPA. */
#define OFF_RSDP   0x000u
#define OFF_XSDT   0x040u
#define OFF_MADT   0x100u
#define OFF_FADT   0x200u
#define OFF_FACS   0x340u            /* 64-byte aligned (5.2.10) */
#define OFF_MCFG   0x380u
#define OFF_DSDT   0x400u            /* to the end of the area */
#define FACS_LENGTH 64u
#define FADT_LENGTH 276u             /* ACPI 6.x FADT */
#define MCFG_LENGTH 60u              /* header, 8 reserved bytes, one allocation */
#define XSDT_ENTRIES 3u
#define MADT_PCAT_COMPAT 1u

/* FADT (table 5.9) fields, by offset. */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT          40
#define FADT_SCI_INT       46
#define FADT_PM1A_EVT_BLK  56
#define FADT_PM1A_CNT_BLK  64
#define FADT_PM_TMR_BLK    76
#define FADT_PM1_EVT_LEN   88
#define FADT_PM1_CNT_LEN   89
#define FADT_PM_TMR_LEN    91
#define FADT_P_LVL2_LAT    96
#define FADT_P_LVL3_LAT    98
#define FADT_CENTURY       108
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS         112
#define FADT_RESET_REG     116
#define FADT_RESET_VALUE   128
#define FADT_MINOR_VERSION 131
#define FADT_X_DSDT        140
#define FADT_X_PM1A_EVT_BLK 148
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM_TMR_BLK  208
/* Table 5.10 flags: as QEMU's q35 FADT (WBINVD, C1, no fixed sleep button, RTC wakes from S4, the
 * platform clock) plus the reset register. PWR_BUTTON clear: a fixed power button that never fires. */
#define FADT_F_WBINVD        (1u << 0)
#define FADT_F_PROC_C1       (1u << 2)
#define FADT_F_SLP_BUTTON    (1u << 5)
#define FADT_F_RTC_S4        (1u << 7)
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_USE_PLATFORM_CLOCK (1u << 15)
#define IAPC_LEGACY_DEVICES  1u      /* 5.2.9.3; no 8042 flag: Linux then leaves the i8042 unprobed */
#define P_LVL2_NONE          101u    /* > 100: C2 not supported (table 5.9) */
#define P_LVL3_NONE          1001u   /* > 1000: C3 not supported */
#define RTC_CENTURY_INDEX    0x32u   /* the CMOS byte holding the century, as QEMU's and the PC RTC's */
#define GAS_SYSTEM_IO        1u      /* 5.2.3.2 Generic Address Structure, address space 1 */
#define GAS_ACCESS_BYTE      1u
#define GAS_ACCESS_DWORD     3u

struct __attribute__((packed)) sdt_header {
    char signature[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem_id[6], oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
};

struct __attribute__((packed)) rsdp {
    char signature[8];
    uint8_t checksum;
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt_address, length;
    uint64_t xsdt_address;
    uint8_t extended_checksum, reserved[3];
};

static uint8_t sum(const void *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + ((const uint8_t *)p)[i]);
    return s;
}

static void put(uint8_t *t, uint32_t off, uint64_t v, uint32_t bytes)
{
    for (uint32_t i = 0; i < bytes; i++)
        t[off + i] = (uint8_t)(v >> (8 * i));
}

/* 5.2.3.2: a Generic Address Structure in system I/O space. */
static void gas_io(uint8_t *t, uint32_t off, uint16_t port, uint8_t bit_width, uint8_t access)
{
    t[off] = GAS_SYSTEM_IO;
    t[off + 1] = bit_width;
    t[off + 2] = 0;
    t[off + 3] = access;
    put(t, off + 4, port, 8);
}

static void header(void *table, const char sig[4], uint32_t length, uint8_t revision)
{
    struct sdt_header *h = table;
    memset(h, 0, sizeof(*h));
    memcpy(h->signature, sig, 4);
    h->length = length;
    h->revision = revision;
    memcpy(h->oem_id, "HVHV  ", 6);
    memcpy(h->oem_table_id, "HVPC    ", 8);
    h->oem_revision = 1;
    memcpy(h->creator_id, "HVHV", 4);
    h->creator_revision = 1;
}

static void finish(void *table)
{
    struct sdt_header *h = table;
    h->checksum = 0;
    h->checksum = (uint8_t)-sum(table, h->length);
}

/* MADT (5.2.12): local APIC address, flags, then the interrupt controller structures. */
static uint32_t build_madt(uint8_t *t, uint32_t vcpu_count)
{
    uint32_t n = 44;
    put(t, 36, VLAPIC_BASE_DEFAULT, 4);
    put(t, 40, MADT_PCAT_COMPAT, 4);
    for (uint32_t i = 0; i < vcpu_count; i++) {       /* Processor Local APIC, enabled (5.2.12.2) */
        uint8_t e[8] = { 0, 8, (uint8_t)i, (uint8_t)i, 1, 0, 0, 0 };
        memcpy(t + n, e, 8);
        n += 8;
    }
    uint8_t io[12] = { 1, 12, (uint8_t)vcpu_count, 0 };      /* I/O APIC (5.2.12.3), ID as vioapic.c */
    put(io, 4, VIOAPIC_BASE, 4);
    memcpy(t + n, io, 12);
    n += 12;
    /* Interrupt Source Overrides (5.2.12.5): ISA IRQ 0 -> GSI 2 with the bus's defaults; the SCI on its
     * own GSI, level-triggered and active high (flags: polarity 01, trigger mode 11 << 2) as QEMU's:
     * nothing drives the line, and an active-low pin at rest would read asserted. */
    uint8_t iso[10] = { 2, 10, 0, 0 };
    put(iso, 4, VPIT_GSI, 4);
    memcpy(t + n, iso, 10);
    n += 10;
    uint8_t sci[10] = { 2, 10, 0, X86_ACPI_SCI_IRQ };
    put(sci, 4, X86_ACPI_SCI_IRQ, 4);
    put(sci, 8, 0x000D, 2);
    memcpy(t + n, sci, 10);
    n += 10;
    header(t, "APIC", n, 5);
    finish(t);
    return n;
}

static void build_fadt(uint8_t *t, uint32_t facs_gpa, uint32_t dsdt_gpa)
{
    memset(t, 0, FADT_LENGTH);
    put(t, FADT_FIRMWARE_CTRL, facs_gpa, 4);       /* X_FIRMWARE_CTRL 0, as QEMU writes it */
    put(t, FADT_DSDT, dsdt_gpa, 4);
    put(t, FADT_SCI_INT, X86_ACPI_SCI_IRQ, 2);
    /* SMI_CMD 0: no transition to ACPI mode exists or is needed (4.8.2.1, 5.2.9). */
    put(t, FADT_PM1A_EVT_BLK, X86_PM1_EVT_PORT, 4);
    put(t, FADT_PM1A_CNT_BLK, X86_PM1_CNT_PORT, 4);
    put(t, FADT_PM_TMR_BLK, X86_PM_TIMER_PORT, 4);
    t[FADT_PM1_EVT_LEN] = X86_PM1_EVT_LEN;
    t[FADT_PM1_CNT_LEN] = X86_PM1_CNT_LEN;
    t[FADT_PM_TMR_LEN] = 4;                        /* 24 bits: TMR_VAL_EXT clear */
    put(t, FADT_P_LVL2_LAT, P_LVL2_NONE, 2);
    put(t, FADT_P_LVL3_LAT, P_LVL3_NONE, 2);
    t[FADT_CENTURY] = RTC_CENTURY_INDEX;
    put(t, FADT_IAPC_BOOT_ARCH, IAPC_LEGACY_DEVICES, 2);
    put(t, FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_RTC_S4 |
                       FADT_F_RESET_REG_SUP | FADT_F_USE_PLATFORM_CLOCK, 4);
    gas_io(t, FADT_RESET_REG, X86_RESET_CONTROL_PORT, 8, GAS_ACCESS_BYTE);
    t[FADT_RESET_VALUE] = X86_ACPI_RESET_VALUE;
    t[FADT_MINOR_VERSION] = 5;                     /* FADT 6.5 */
    put(t, FADT_X_DSDT, dsdt_gpa, 8);
    /* The X_ blocks repeat the 32-bit ones (ACPICA warns when they differ), bit widths = the lengths. */
    gas_io(t, FADT_X_PM1A_EVT_BLK, X86_PM1_EVT_PORT, 8 * X86_PM1_EVT_LEN, 0);
    gas_io(t, FADT_X_PM1A_CNT_BLK, X86_PM1_CNT_PORT, 8 * X86_PM1_CNT_LEN, 0);
    gas_io(t, FADT_X_PM_TMR_BLK, X86_PM_TIMER_PORT, 32, GAS_ACCESS_DWORD);
    header(t, "FACP", FADT_LENGTH, 6);
    finish(t);
}

/* MCFG: one allocation, segment 0, buses 0-0, at the ECAM window. */
static void build_mcfg(uint8_t *t)
{
    memset(t, 0, MCFG_LENGTH);
    put(t, 44, X86_PCI_ECAM_BASE, 8);
    put(t, 52, 0, 2);                              /* PCI segment group */
    t[54] = 0;                                     /* start bus */
    t[55] = (uint8_t)(X86_PCI_ECAM_BYTES / (1u << 20) - 1);   /* end bus */
    header(t, "MCFG", MCFG_LENGTH, 1);
    finish(t);
}

/* The DSDT's AML (the ASL it compiles from, in comments). */
/* Device (NAME) { _HID EisaId(hid), [_UID uid,] _CRS { IO (Decode16, port, port, align, len), IRQNoFlags {irq} } }:
 * an ISA device at a fixed port with an edge interrupt (uid 0: no _UID). */
static void isa_device(struct aml *a, const char *name, const char *hid, uint32_t uid, uint16_t port, uint8_t align,
                       uint8_t len, uint8_t irq)
{
    struct aml_restemplate rt;
    uint32_t dev = aml_open_ext(a, AML_DEVICE_EXTOP);
    aml_name(a, name);
    aml_name_decl(a, "_HID");
    aml_eisaid(a, hid);
    if (uid) {
        aml_name_decl(a, "_UID");
        aml_int(a, uid);
    }
    aml_name_decl(a, "_CRS");
    aml_restemplate_open(a, &rt);
    aml_res_io(a, port, port, align, len);
    aml_res_irq_noflags(a, irq);
    aml_restemplate_close(a, &rt);
    aml_close(a, dev);
}

static void build_dsdt_aml(struct aml *a)
{
    struct aml_restemplate rt;
    uint32_t sb = aml_open(a, AML_SCOPE_OP);                  /* Scope (\_SB) { */
    aml_name(a, "\\_SB");

    uint32_t pci = aml_open_ext(a, AML_DEVICE_EXTOP);         /* Device (PCI0): PCIe root (6.1.5, 6.5.6) */
    aml_name(a, "PCI0");
    aml_name_decl(a, "_HID");
    aml_eisaid(a, "PNP0A08");
    aml_name_decl(a, "_CID");
    aml_eisaid(a, "PNP0A03");
    aml_name_decl(a, "_SEG");
    aml_int(a, 0);
    aml_name_decl(a, "_BBN");
    aml_int(a, 0);
    aml_name_decl(a, "_UID");
    aml_int(a, 0);
    aml_name_decl(a, "_CRS");                                 /* bus 0 (the MCFG's), its windows */
    aml_restemplate_open(a, &rt);
    aml_res_word_bus(a, 0, 0);
    aml_res_io(a, 0x0CF8, 0x0CF8, 1, 8);                      /* configuration mechanism 1 ports */
    aml_res_word_io(a, 0x0000, 0x0CF7);
    aml_res_word_io(a, 0x0D00, 0xFFFF);
    aml_res_dword_memory(a, (uint32_t)X86_PCI_MEM_BASE, (uint32_t)X86_PCI_MEM_END);
    aml_restemplate_close(a, &rt);
    /* Method (_OSC, 4) { Return (Arg3) } (6.2.11): every control the OS asks for is granted. */
    uint32_t osc = aml_open(a, AML_METHOD_OP);
    aml_name(a, "_OSC");
    aml_byte(a, 4);                                           /* MethodFlags: 4 arguments, not serialized */
    aml_byte(a, AML_RETURN_OP);
    aml_byte(a, AML_ARG0_OP + 3);
    aml_close(a, osc);
    /* Device (DRAC): motherboard resources (PNP0C01) reserving the ECAM window, as QEMU's q35: Linux
     * trusts an MCFG region reserved here ("PCI Firmware 3.2, 4.1.2: reserved by a motherboard device"). */
    uint32_t drac = aml_open_ext(a, AML_DEVICE_EXTOP);
    aml_name(a, "DRAC");
    aml_name_decl(a, "_HID");
    aml_eisaid(a, "PNP0C01");
    aml_name_decl(a, "_CRS");
    aml_restemplate_open(a, &rt);
    aml_res_memory32_fixed(a, (uint32_t)X86_PCI_ECAM_BASE, (uint32_t)X86_PCI_ECAM_BYTES, true);
    aml_restemplate_close(a, &rt);
    aml_close(a, drac);
    aml_close(a, pci);

    isa_device(a, "COM1", "PNP0501", 1, 0x03F8, 0, 8, 4);   /* the 16550 at 0x3F8, IRQ 4 */
    /* the MC146818 at 0x70 (the PC platform's), IRQ 8, as QEMU's: Linux's rtc_cmos binds to PNP0B00 */
    isa_device(a, "RTC", "PNP0B00", 0, 0x0070, 0x10, 2, 8);
    aml_close(a, sb);                                         /* } */

    /* Name (_S5, Package (4) { 5, 5, 0, 0 }) (7.4.2.5): SLP_TYPa, SLP_TYPb, reserved. */
    aml_name_decl(a, "_S5");
    uint32_t pkg = aml_open(a, AML_PACKAGE_OP);
    aml_byte(a, 4);
    aml_int(a, X86_ACPI_SLP_TYP_S5);
    aml_int(a, X86_ACPI_SLP_TYP_S5);
    aml_int(a, 0);
    aml_int(a, 0);
    aml_close(a, pkg);
}

bool x86_acpi_tables(uint32_t vcpu_count, uint8_t area[X86_ACPI_AREA_BYTES])
{
    _Static_assert(sizeof(struct sdt_header) == 36, "SDT header is 36 bytes");
    _Static_assert(sizeof(struct rsdp) == 36, "RSDP 2.0 is 36 bytes");
    _Static_assert(OFF_MADT + 44 + 8 * VM_MAX_VCPUS + 12 + 2 * 10 <= OFF_FADT, "MADT overlaps the FADT");
    _Static_assert(OFF_FADT + FADT_LENGTH <= OFF_FACS && OFF_FACS % 64 == 0, "FADT overlaps the FACS");
    _Static_assert(OFF_FACS + FACS_LENGTH <= OFF_MCFG && OFF_MCFG + MCFG_LENGTH <= OFF_DSDT, "FACS, MCFG");
    const uint32_t gpa = X86_ACPI_AREA_GPA;
    if (vcpu_count > VM_MAX_VCPUS)
        return false;
    memset(area, 0, X86_ACPI_AREA_BYTES);

    /* DSDT: definition block header, then the AML (revision 2: 64-bit integers). */
    struct aml a;
    aml_init(&a, area + OFF_DSDT + 36, X86_ACPI_AREA_BYTES - OFF_DSDT - 36);
    build_dsdt_aml(&a);
    if (a.overflow)
        return false;
    header(area + OFF_DSDT, "DSDT", 36 + a.len, 2);
    finish(area + OFF_DSDT);

    /* FACS (5.2.10, table 5.14): no checksum; version 2; no global lock users, no waking vector. */
    memcpy(area + OFF_FACS, "FACS", 4);
    put(area, OFF_FACS + 4, FACS_LENGTH, 4);
    area[OFF_FACS + 32] = 2;

    build_madt(area + OFF_MADT, vcpu_count);
    build_fadt(area + OFF_FADT, gpa + OFF_FACS, gpa + OFF_DSDT);
    build_mcfg(area + OFF_MCFG);

    /* XSDT (5.2.8). */
    uint8_t *x = area + OFF_XSDT;
    const uint32_t entries[XSDT_ENTRIES] = { OFF_MADT, OFF_FADT, OFF_MCFG };
    for (uint32_t i = 0; i < XSDT_ENTRIES; i++)
        put(x, 36 + 8 * i, gpa + entries[i], 8);
    header(x, "XSDT", 36 + 8 * XSDT_ENTRIES, 1);
    finish(x);

    /* RSDP (5.2.5.3): revision 2, checksum over the first 20 bytes, extended over all 36. */
    struct rsdp r;
    memset(&r, 0, sizeof(r));
    memcpy(r.signature, "RSD PTR ", 8);
    memcpy(r.oem_id, "HVHV  ", 6);
    r.revision = 2;
    r.length = sizeof(r);
    r.xsdt_address = gpa + OFF_XSDT;
    r.checksum = (uint8_t)-sum(&r, 20);
    r.extended_checksum = (uint8_t)-sum(&r, sizeof(r));
    memcpy(area + OFF_RSDP, &r, sizeof(r));
    return true;
}

bool x86_acpi_build(struct vm *vm)
{
    /* A page: too big for a vCPU stack frame. Two VMs may reload at once (resets on their own pCPUs). */
    static uint8_t area[X86_ACPI_AREA_BYTES];   /* under area_lock */
    static struct spinlock area_lock = SPINLOCK_INIT;
    spin_lock(&area_lock);
    bool ok = x86_acpi_tables(vm->vcpu_count, area) &&
              guest_write(&vm->slots, X86_ACPI_AREA_GPA, area, sizeof(area)) == 0;
    spin_unlock(&area_lock);
    return ok;
}
