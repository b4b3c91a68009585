/* migrate_stream.h: the live-migration state stream (kernel/migrate_stream.c): a versioned header
 * naming the VM's configuration, then typed, length-prefixed, CRC-checked sections, then an end
 * section; a receiver that checks every byte before it hands anything on. Pure: no I/O. */
#ifndef MIGRATE_STREAM_H
#define MIGRATE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The stream is little-endian whatever the host: these write and read its fields. */
static inline void migrate_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void migrate_put64(uint8_t *p, uint64_t v)
{
    migrate_put32(p, (uint32_t)v);
    migrate_put32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t migrate_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t migrate_get64(const uint8_t *p)
{
    return (uint64_t)migrate_get32(p) | (uint64_t)migrate_get32(p + 4) << 32;
}

/* All integers little-endian. Header (MIGRATE_HEADER_BYTES):
 *   0  magic "HVMIGRAT"          8 bytes
 *   8  version                   u32 (MIGRATE_VERSION)
 *  12  arch                      u32 (enum migrate_arch)
 *  16  name                      32 bytes, NUL-padded (hv.cfg's [vm NAME])
 *  48  cpus                      u32
 *  52  reserved                  u32, 0
 *  56  memory_bytes              u64 (hv.cfg's memory)
 *  64  crc32 of bytes 0..63      u32
 * Section: type u32, length u32 (payload bytes, at most MIGRATE_SECTION_MAX), payload, then the
 * crc32 (IEEE 802.3) of type, length and payload, u32. */
#define MIGRATE_MAGIC "HVMIGRAT"
#define MIGRATE_VERSION 1u
#define MIGRATE_NAME_BYTES 32u
#define MIGRATE_HEADER_BYTES 68u
#define MIGRATE_SECTION_HDR_BYTES 8u
#define MIGRATE_SECTION_CRC_BYTES 4u
#define MIGRATE_PAGE_BYTES 4096u
/* Pages in one MIGRATE_SEC_PAGES section: a run of consecutive GFNs. */
#define MIGRATE_PAGES_PER_SECTION 16u
#define MIGRATE_PAGES_HDR_BYTES 16u
#define MIGRATE_SECTION_MAX (MIGRATE_PAGES_HDR_BYTES + MIGRATE_PAGES_PER_SECTION * MIGRATE_PAGE_BYTES)

enum migrate_arch { MIGRATE_ARCH_AARCH64 = 1, MIGRATE_ARCH_X86_64 = 2 };

enum migrate_section_type {
    /* gfn u64, page_count u32, reserved u32, then page_count * 4 KiB: guest pages, in any
     * order, any number of times (pre-copy rounds resend what was dirtied): the last wins. */
    MIGRATE_SEC_PAGES = 1,
    /* vcpu_id u32, then the arch's vCPU state (arch/.../migrate_state.c). */
    MIGRATE_SEC_VCPU = 2,
    /* device u32 (enum migrate_device), then that device's state. */
    MIGRATE_SEC_DEVICE = 3,
    /* pages_total u64, sections u32 (every section before this one), reserved u32: the
     * stream is complete; nothing may follow. */
    MIGRATE_SEC_END = 4,
};

enum migrate_device { MIGRATE_DEV_VGIC = 1, MIGRATE_DEV_PL011 = 2, MIGRATE_DEV_TIMER = 3 };

/* The VM identity both ends must agree on. */
struct migrate_header {
    uint32_t version;
    uint32_t arch;
    char name[MIGRATE_NAME_BYTES];    /* NUL-terminated within the field */
    uint32_t cpus;
    uint64_t memory_bytes;
};

uint32_t migrate_crc32(uint32_t crc, const void *data, size_t len);

/* ---- sender ---- */
/* The header's bytes; false if the name does not fit. */
bool migrate_header_encode(const struct migrate_header *h, uint8_t out[MIGRATE_HEADER_BYTES]);
/* A section is written as: migrate_section_begin (its 8 header bytes), the payload in any pieces
 * through migrate_section_update (which only checksums: the caller sends the bytes), then
 * migrate_section_end (the 4 CRC bytes). */
struct migrate_section_tx {
    uint32_t crc;
    uint32_t left;                    /* payload bytes still to come */
};
bool migrate_section_begin(struct migrate_section_tx *tx, uint32_t type, uint32_t length,
                           uint8_t out[MIGRATE_SECTION_HDR_BYTES]);
void migrate_section_update(struct migrate_section_tx *tx, const void *data, size_t len);
/* false if the payload given was not exactly the length announced. */
bool migrate_section_end(struct migrate_section_tx *tx, uint8_t out[MIGRATE_SECTION_CRC_BYTES]);

/* ---- receiver ---- */
/* What the receiver hands on, each only after its checksum matched. Each returns NULL, or a
 * message saying why the content is refused (which ends the stream with that message). */
struct migrate_rx_ops {
    const char *(*header)(void *ctx, const struct migrate_header *h);
    const char *(*pages)(void *ctx, uint64_t gfn, uint32_t count, const uint8_t *data);
    const char *(*vcpu)(void *ctx, uint32_t vcpu_id, const uint8_t *data, uint32_t len);
    const char *(*device)(void *ctx, uint32_t device, const uint8_t *data, uint32_t len);
    /* The end section checked against what came: the stream is whole. */
    const char *(*end)(void *ctx, uint64_t pages_total);
};

enum migrate_rx_state { MIGRATE_RX_HEADER, MIGRATE_RX_SEC_HDR, MIGRATE_RX_SEC_BODY, MIGRATE_RX_DONE,
                        MIGRATE_RX_FAILED };

#define MIGRATE_RX_ERROR_MAX 120u

struct migrate_rx {
    const struct migrate_rx_ops *ops;
    void *ctx;
    uint32_t state;                   /* enum migrate_rx_state */
    uint32_t have;                    /* bytes of the current piece in buf */
    uint32_t sec_type, sec_len;       /* the section being received */
    uint32_t sections;                /* sections accepted so far */
    uint64_t pages_total;             /* pages accepted so far */
    uint64_t bytes;                   /* stream bytes consumed so far */
    uint8_t *buf;                     /* the caller's, MIGRATE_RX_BUF_BYTES */
    char error[MIGRATE_RX_ERROR_MAX];
};
#define MIGRATE_RX_BUF_BYTES (MIGRATE_SECTION_HDR_BYTES + MIGRATE_SECTION_MAX + MIGRATE_SECTION_CRC_BYTES)

void migrate_rx_init(struct migrate_rx *rx, const struct migrate_rx_ops *ops, void *ctx, uint8_t *buf);
/* Consumes len bytes: MIGRATE_RX_DONE once the end section was accepted, MIGRATE_RX_FAILED (rx->error
 * says why; every later call fails too) for a corrupt stream or refused content, else the state
 * it waits in. Bytes after the end section are an error. */
enum migrate_rx_state migrate_rx_feed(struct migrate_rx *rx, const uint8_t *data, size_t len);
/* The stream ended (connection closed): NULL if it was complete, else why not ("stream truncated
 * ..."), which also fails rx. */
const char *migrate_rx_close(struct migrate_rx *rx);

#endif
