/* aml.c: ACPI Machine Language bytes (ACPI 6.5, chapter 20) and _CRS resource descriptors (6.4), built
 * into a caller's buffer; lengths that precede their contents are inserted when the object closes. */
#include <string.h>
#include "aml.h"

#define EXT_OP_PREFIX   0x5B
#define NAME_OP         0x08
#define ZERO_OP         0x00
#define ONE_OP          0x01
#define BYTE_PREFIX     0x0A
#define WORD_PREFIX     0x0B
#define DWORD_PREFIX    0x0C
#define STRING_PREFIX   0x0D
#define QWORD_PREFIX    0x0E
#define DUAL_NAME_PREFIX  0x2E
#define MULTI_NAME_PREFIX 0x2F

/* 6.4.2 small item tags (type 0, name << 3 | length) and 6.4.3 large item tags. */
#define RES_IRQ_NOFLAGS 0x22        /* IRQ, 2 bytes: no information byte */
#define RES_IO          0x47        /* I/O port, 7 bytes */
#define RES_END_TAG     0x79        /* End Tag, 1 byte: checksum */
#define RES_MEMORY32_FIXED 0x86
#define RES_DWORD_ADDRESS  0x87
#define RES_WORD_ADDRESS   0x88
#define ADDR_SPACE_MEMORY 0
#define ADDR_SPACE_IO     1
#define ADDR_SPACE_BUS    2
#define ADDR_MIN_FIXED    (1u << 2)     /* general flags: _MIF */
#define ADDR_MAX_FIXED    (1u << 3)     /* _MAF; bit 1 clear: positive decode; bit 0 clear: producer */
#define IO_ENTIRE_RANGE   3u            /* I/O type-specific flags _RNG: ISA and non-ISA ranges */
#define MEM_READ_WRITE    1u            /* memory type-specific flags: _RW; _MEM (bits 2:1) 0 non-cacheable */

uint32_t aml_pkglength(uint32_t body_len, uint8_t out[4])
{
    /* The encoded length counts its own bytes. One byte holds 6 bits; with n following bytes the lead
     * byte keeps 4 bits and each following byte 8. */
    for (uint32_t n = 1; n <= 4; n++) {
        uint32_t total = body_len + n;
        uint32_t max = n == 1 ? 0x3Fu : (1u << (4 + 8 * (n - 1))) - 1;
        if (body_len > max || total > max)
            continue;
        if (n == 1) {
            out[0] = (uint8_t)total;
            return 1;
        }
        out[0] = (uint8_t)((n - 1) << 6 | (total & 0xF));
        for (uint32_t i = 1; i < n; i++)
            out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
        return n;
    }
    return 0;
}

void aml_init(struct aml *a, uint8_t *buf, uint32_t cap)
{
    *a = (struct aml){ buf, 0, cap, false };
}

static void insert(struct aml *a, uint32_t at, const uint8_t *p, uint32_t n)
{
    if (a->overflow || at > a->len || a->cap - a->len < n) {
        a->overflow = true;
        return;
    }
    memmove(a->buf + at + n, a->buf + at, a->len - at);
    memcpy(a->buf + at, p, n);
    a->len += n;
}

void aml_bytes(struct aml *a, const void *p, uint32_t n) { insert(a, a->len, p, n); }
void aml_byte(struct aml *a, uint8_t b) { insert(a, a->len, &b, 1); }

static void le(struct aml *a, uint64_t v, uint32_t bytes)
{
    for (uint32_t i = 0; i < bytes; i++)
        aml_byte(a, (uint8_t)(v >> (8 * i)));
}

/* 20.2.2: LeadNameChar is 'A'-'Z' or '_', NameChar adds '0'-'9'. */
static bool name_char(char c, bool lead)
{
    return (c >= 'A' && c <= 'Z') || c == '_' || (!lead && c >= '0' && c <= '9');
}

void aml_name(struct aml *a, const char *path)
{
    while (*path == '\\' || *path == '^')
        aml_byte(a, (uint8_t)*path++);
    uint8_t segs[8][4];
    uint32_t count = 0;
    while (*path) {
        if (count == 8) {
            a->overflow = true;
            return;
        }
        uint32_t n = 0;
        while (path[n] && path[n] != '.') {
            if (n == 4 || !name_char(path[n], n == 0)) {
                a->overflow = true;
                return;
            }
            segs[count][n] = (uint8_t)path[n];
            n++;
        }
        if (n == 0) {
            a->overflow = true;
            return;
        }
        memset(segs[count] + n, '_', 4 - n);
        count++;
        path += n + (path[n] == '.');
    }
    if (count == 2)
        aml_byte(a, DUAL_NAME_PREFIX);
    else if (count > 2) {
        aml_byte(a, MULTI_NAME_PREFIX);
        aml_byte(a, (uint8_t)count);
    }
    if (count == 0)
        aml_byte(a, 0x00);   /* NullName */
    for (uint32_t i = 0; i < count; i++)
        aml_bytes(a, segs[i], 4);
}

void aml_int(struct aml *a, uint64_t v)
{
    if (v <= 1) {
        aml_byte(a, v ? ONE_OP : ZERO_OP);
    } else if (v <= 0xFF) {
        aml_byte(a, BYTE_PREFIX);
        le(a, v, 1);
    } else if (v <= 0xFFFF) {
        aml_byte(a, WORD_PREFIX);
        le(a, v, 2);
    } else if (v <= 0xFFFFFFFFu) {
        aml_byte(a, DWORD_PREFIX);
        le(a, v, 4);
    } else {
        aml_byte(a, QWORD_PREFIX);
        le(a, v, 8);
    }
}

void aml_string(struct aml *a, const char *s)
{
    aml_byte(a, STRING_PREFIX);
    aml_bytes(a, s, (uint32_t)strlen(s) + 1);
}

/* Three letters of 5 bits ('A' = 1) and four hex digits, stored big-endian in a DWord. */
void aml_eisaid(struct aml *a, const char *id)
{
    uint32_t v = 0;
    for (int i = 0; i < 7; i++) {
        char c = id[i];
        bool ok = i < 3 ? c >= 'A' && c <= 'Z' : (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
        if (!ok) {
            a->overflow = true;
            return;
        }
        v = i < 3 ? v << 5 | (uint32_t)(c - 0x40) : v << 4 | (uint32_t)(c <= '9' ? c - '0' : c - 'A' + 10);
    }
    aml_byte(a, DWORD_PREFIX);
    for (int i = 3; i >= 0; i--)
        aml_byte(a, (uint8_t)(v >> (8 * i)));
}

void aml_name_decl(struct aml *a, const char *path)
{
    aml_byte(a, NAME_OP);
    aml_name(a, path);
}

uint32_t aml_open(struct aml *a, uint8_t op)
{
    aml_byte(a, op);
    return a->len;
}

uint32_t aml_open_ext(struct aml *a, uint8_t ext_op)
{
    aml_byte(a, EXT_OP_PREFIX);
    return aml_open(a, ext_op);
}

void aml_close(struct aml *a, uint32_t mark)
{
    uint8_t pl[4];
    uint32_t n = a->overflow || mark > a->len ? 0 : aml_pkglength(a->len - mark, pl);
    if (!n) {
        a->overflow = true;
        return;
    }
    insert(a, mark, pl, n);
}

void aml_restemplate_open(struct aml *a, struct aml_restemplate *t)
{
    t->buffer_mark = aml_open(a, AML_BUFFER_OP);
    t->data_at = a->len;
}

void aml_restemplate_close(struct aml *a, struct aml_restemplate *t)
{
    if (a->overflow || t->data_at > a->len)
        return;
    uint8_t sum = RES_END_TAG;
    for (uint32_t i = t->data_at; i < a->len; i++)
        sum = (uint8_t)(sum + a->buf[i]);
    aml_byte(a, RES_END_TAG);
    aml_byte(a, (uint8_t)-sum);
    /* BufferSize, a TermArg, goes before the bytes: built aside, then inserted. */
    uint8_t size_bytes[9];
    struct aml s;
    aml_init(&s, size_bytes, sizeof(size_bytes));
    aml_int(&s, a->len - t->data_at);
    insert(a, t->data_at, size_bytes, s.len);
    aml_close(a, t->buffer_mark);
}

void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
    aml_byte(a, RES_IO);
    aml_byte(a, 1);                  /* _DEC: decodes 16 address bits */
    le(a, min, 2);
    le(a, max, 2);
    aml_byte(a, align);
    aml_byte(a, len);
}

void aml_res_irq_noflags(struct aml *a, uint8_t irq)
{
    aml_byte(a, RES_IRQ_NOFLAGS);
    le(a, irq < 16 ? 1u << irq : 0, 2);
}

void aml_res_memory32_fixed(struct aml *a, uint32_t base, uint32_t len, bool writable)
{
    aml_byte(a, RES_MEMORY32_FIXED);
    le(a, 9, 2);                     /* the length of what follows */
    aml_byte(a, writable ? 1 : 0);
    le(a, base, 4);
    le(a, len, 4);
}

/* 6.4.3.5.3 (Word) and 6.4.3.5.2 (DWord) address space descriptors: tag, length, resource type, general
 * flags, type-specific flags, then granularity, minimum, maximum, translation offset and length, each
 * `width` bytes (2: length 13; 4: length 23). */
static void address(struct aml *a, uint32_t width, uint8_t type, uint8_t type_flags, uint32_t min, uint32_t max)
{
    aml_byte(a, width == 2 ? RES_WORD_ADDRESS : RES_DWORD_ADDRESS);
    le(a, 3 + 5 * width, 2);
    aml_byte(a, type);
    aml_byte(a, ADDR_MIN_FIXED | ADDR_MAX_FIXED);
    aml_byte(a, type_flags);
    le(a, 0, width);
    le(a, min, width);
    le(a, max, width);
    le(a, 0, width);
    le(a, (uint64_t)max - min + 1, width);
}

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max) { address(a, 2, ADDR_SPACE_BUS, 0, min, max); }

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
    address(a, 2, ADDR_SPACE_IO, IO_ENTIRE_RANGE, min, max);
}

void aml_res_dword_memory(struct aml *a, uint32_t min, uint32_t max)
{
    address(a, 4, ADDR_SPACE_MEMORY, MEM_READ_WRITE, min, max);
}
