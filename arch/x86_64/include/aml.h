/* aml.h: a small ACPI Machine Language byte builder (ACPI 6.5, chapter 20 "ACPI Machine Language
 * Specification") and the resource descriptors of a _CRS buffer (6.4 "Resource Data Types"). Pure code
 * over a caller's buffer: the guest DSDT (acpi_guest.c) is built with it and host-tested. */
#ifndef AML_H
#define AML_H

#include <stdbool.h>
#include <stdint.h>

struct aml {
    uint8_t *buf;
    uint32_t len, cap;
    bool overflow;             /* something did not fit (or a bad name): the bytes are not usable */
};

/* 20.2.4: PkgLength of a package whose contents (after the PkgLength) are body_len bytes: writes 1 to 4
 * bytes to out (which holds 4) and returns how many, 0 when it does not fit in 28 bits. */
uint32_t aml_pkglength(uint32_t body_len, uint8_t out[4]);

void aml_init(struct aml *a, uint8_t *buf, uint32_t cap);
void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, uint32_t n);
/* 20.2.2 NameString: "\\_SB.PCI0", "^FOO", "_S5": segments of 1-4 characters, padded with '_'. */
void aml_name(struct aml *a, const char *path);
/* 20.2.3 integers: ZeroOp, OneOp, BytePrefix, WordPrefix, DWordPrefix or QWordPrefix by value. */
void aml_int(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* 19.6.35 EISAID("PNP0A08") as the DWordConst it compiles to. */
void aml_eisaid(struct aml *a, const char *id);
/* DefName (20.2.5.1): Name (path, <object the caller appends next>). */
void aml_name_decl(struct aml *a, const char *path);

/* Opens an object whose length is a PkgLength after its opcode: Scope (0x10), Device (0x5B 0x82),
 * Package (0x12), Buffer (0x11), Method (0x14). The caller appends the body (for Scope, Device and
 * Method starting with the NameString) and closes it; the PkgLength is inserted then. */
uint32_t aml_open(struct aml *a, uint8_t op);
uint32_t aml_open_ext(struct aml *a, uint8_t ext_op);
void aml_close(struct aml *a, uint32_t mark);

#define AML_SCOPE_OP   0x10
#define AML_BUFFER_OP  0x11
#define AML_PACKAGE_OP 0x12
#define AML_METHOD_OP  0x14
#define AML_DEVICE_EXTOP 0x82       /* after ExtOpPrefix 0x5B */
#define AML_RETURN_OP  0xA4
#define AML_ARG0_OP    0x68

/* Resource descriptors (6.4.2 small, 6.4.3 large) into a resource template: open one with
 * aml_restemplate_open (a Buffer), append descriptors, close with aml_restemplate_close (End Tag with
 * its checksum, 6.4.2.9, then the Buffer's length). */
struct aml_restemplate { uint32_t buffer_mark, size_at, data_at; };
void aml_restemplate_open(struct aml *a, struct aml_restemplate *t);
void aml_restemplate_close(struct aml *a, struct aml_restemplate *t);
void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len);     /* 6.4.2.5, Decode16 */
void aml_res_irq_noflags(struct aml *a, uint8_t irq);                                      /* 6.4.2.1 */
void aml_res_memory32_fixed(struct aml *a, uint32_t base, uint32_t len, bool writable);    /* 6.4.3.4 */
/* 6.4.3.5.3 Word Address Space Descriptor, a producer with fixed minimum and maximum: resource type
 * 1 (I/O, entire ISA range) or 2 (bus number). */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
/* 6.4.3.5.2 DWord Address Space Descriptor: a read-write, non-cacheable memory window (producer). */
void aml_res_dword_memory(struct aml *a, uint32_t min, uint32_t max);

#endif
