/* acpi_guest.c: the ACPI tables a VM finds (ACPI 6.5): RSDP in the BIOS area at 0xE0000 (found by the
 * 0xE0000-0xFFFFF scan, 5.2.5.1), an XSDT naming a MADT (one Processor Local APIC per vCPU, the IOAPIC at
 * 0xFEC00000, ISA IRQ 0 -> GSI 2; 5.2.12) and a minimal FADT (5.2.9) with an empty DSDT, a FACS (5.2.10)
 * and the PM timer port (vpmtimer.c). Written through guest_write into the reserved 0x9FC00-0x100000
 * range of the VM's e820 map. */
#include <string.h>
#include "x86_vcpu.h"

#define ACPI_GPA_RSDP   0xE0000u
#define ACPI_GPA_XSDT   0xE0040u
#define ACPI_GPA_MADT   0xE0100u
#define ACPI_GPA_FADT   0xE0800u
#define ACPI_GPA_DSDT   0xE0A00u
#define ACPI_GPA_FACS   0xE0C00u             /* 64-byte aligned (5.2.10) */
#define FACS_LENGTH     64u
#define ACPI_AREA_END   0xE1000u
#define FADT_LENGTH     276u                 /* ACPI 6.x FADT */
#define MADT_PCAT_COMPAT 1u
#define IAPC_LEGACY_DEVICES 1u

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

static void header(struct sdt_header *h, const char sig[4], uint32_t length, uint8_t revision)
{
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

static void finish(void *table, uint32_t length)
{
    struct sdt_header *h = table;
    h->checksum = 0;
    h->checksum = (uint8_t)-sum(table, length);
}

bool x86_acpi_build(struct vm *vm)
{
    struct memslots *ms = &vm->slots;
    _Static_assert(sizeof(struct sdt_header) == 36, "SDT header is 36 bytes");
    _Static_assert(sizeof(struct rsdp) == 36, "RSDP 2.0 is 36 bytes");

    /* MADT (5.2.12): local APIC address, flags, then the interrupt controller structures. */
    uint8_t madt[44 + 8 * VM_MAX_VCPUS + 12 + 10];
    uint32_t n = 44;
    memset(madt, 0, sizeof(madt));
    uint32_t lapic = (uint32_t)VLAPIC_BASE_DEFAULT, flags = MADT_PCAT_COMPAT;
    memcpy(madt + 36, &lapic, 4);
    memcpy(madt + 40, &flags, 4);
    for (uint32_t i = 0; i < vm->vcpu_count; i++) {       /* Processor Local APIC, enabled (5.2.12.2) */
        uint8_t e[8] = { 0, 8, (uint8_t)i, (uint8_t)i, 1, 0, 0, 0 };
        memcpy(madt + n, e, 8);
        n += 8;
    }
    uint32_t ioapic_addr = (uint32_t)VIOAPIC_BASE, gsi_base = 0;
    uint8_t io[12] = { 1, 12, (uint8_t)vm->vcpu_count, 0 };   /* I/O APIC (5.2.12.3), ID as vioapic.c */
    memcpy(io + 4, &ioapic_addr, 4);
    memcpy(io + 8, &gsi_base, 4);
    memcpy(madt + n, io, 12);
    n += 12;
    uint32_t gsi = VPIT_GSI;
    uint8_t iso[10] = { 2, 10, 0, 0 };                         /* ISA IRQ 0 -> GSI 2, bus defaults (5.2.12.5) */
    memcpy(iso + 4, &gsi, 4);
    memcpy(madt + n, iso, 10);
    n += 10;
    header((struct sdt_header *)madt, "APIC", n, 5);
    finish(madt, n);

    /* An empty DSDT: nothing in the namespace, the FADT must still name one. */
    struct sdt_header dsdt;
    header(&dsdt, "DSDT", sizeof(dsdt), 2);
    finish(&dsdt, sizeof(dsdt));

    /* FACS (5.2.10, table 5.14): no checksum; version 2; no global lock users, no waking vector. */
    uint8_t facs[FACS_LENGTH];
    memset(facs, 0, sizeof(facs));
    uint32_t facs_len = FACS_LENGTH;
    memcpy(facs, "FACS", 4);
    memcpy(facs + 4, &facs_len, 4);
    facs[32] = 2;                                              /* Version */
    _Static_assert(ACPI_GPA_FACS % 64 == 0, "the FACS is 64-byte aligned");

    /* FADT (5.2.9, table 5.9): the DSDT and FACS pointers, SCI 9, "legacy devices present" and the PM
     * timer (4 bytes at X86_PM_TIMER_PORT, 24 bits: TMR_VAL_EXT clear). FIRMWARE_CTRL only, X_FIRMWARE_CTRL
     * 0, as QEMU writes it. */
    uint8_t fadt[FADT_LENGTH];
    memset(fadt, 0, sizeof(fadt));
    uint32_t dsdt32 = ACPI_GPA_DSDT, facs32 = ACPI_GPA_FACS, pm_tmr = X86_PM_TIMER_PORT;
    uint64_t dsdt64 = ACPI_GPA_DSDT, pm_tmr64 = X86_PM_TIMER_PORT;
    uint16_t sci = 9, boot_arch = IAPC_LEGACY_DEVICES;
    memcpy(fadt + 36, &facs32, 4);                             /* FIRMWARE_CTRL */
    memcpy(fadt + 40, &dsdt32, 4);                             /* DSDT */
    memcpy(fadt + 46, &sci, 2);                                /* SCI_INT */
    memcpy(fadt + 76, &pm_tmr, 4);                             /* PM_TMR_BLK */
    fadt[91] = 4;                                              /* PM_TMR_LEN */
    memcpy(fadt + 109, &boot_arch, 2);                         /* IAPC_BOOT_ARCH */
    memcpy(fadt + 140, &dsdt64, 8);                            /* X_DSDT */
    fadt[208] = 1;                                             /* X_PM_TMR_BLK: system I/O, */
    fadt[209] = 32;                                            /* 32 bits wide, offset 0, */
    fadt[211] = 3;                                             /* dword access */
    memcpy(fadt + 212, &pm_tmr64, 8);
    fadt[131] = 3;                                             /* FADT minor version */
    header((struct sdt_header *)fadt, "FACP", FADT_LENGTH, 6);
    finish(fadt, FADT_LENGTH);

    /* XSDT (5.2.8): the MADT and the FADT. */
    uint8_t xsdt[36 + 16];
    uint64_t entries[2] = { ACPI_GPA_MADT, ACPI_GPA_FADT };
    header((struct sdt_header *)xsdt, "XSDT", sizeof(xsdt), 1);
    memcpy(xsdt + 36, entries, sizeof(entries));
    finish(xsdt, sizeof(xsdt));

    /* RSDP (5.2.5.3): revision 2, checksum over the first 20 bytes, extended over all 36. */
    struct rsdp r;
    memset(&r, 0, sizeof(r));
    memcpy(r.signature, "RSD PTR ", 8);
    memcpy(r.oem_id, "HVHV  ", 6);
    r.revision = 2;
    r.length = sizeof(r);
    r.xsdt_address = ACPI_GPA_XSDT;
    r.checksum = (uint8_t)-sum(&r, 20);
    r.extended_checksum = (uint8_t)-sum(&r, sizeof(r));

    _Static_assert(ACPI_GPA_MADT + sizeof(madt) <= ACPI_GPA_FADT, "MADT overlaps the FADT");
    return guest_write(ms, ACPI_GPA_RSDP, &r, sizeof(r)) == 0 &&
           guest_write(ms, ACPI_GPA_XSDT, xsdt, sizeof(xsdt)) == 0 &&
           guest_write(ms, ACPI_GPA_MADT, madt, n) == 0 &&
           guest_write(ms, ACPI_GPA_FADT, fadt, sizeof(fadt)) == 0 &&
           guest_write(ms, ACPI_GPA_DSDT, &dsdt, sizeof(dsdt)) == 0 &&
           guest_write(ms, ACPI_GPA_FACS, facs, sizeof(facs)) == 0 &&
           ACPI_GPA_DSDT + sizeof(dsdt) <= ACPI_GPA_FACS && ACPI_GPA_FACS + sizeof(facs) <= ACPI_AREA_END;
}
