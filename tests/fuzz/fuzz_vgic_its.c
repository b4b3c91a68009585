/* libFuzzer target for the emulated ITS model: random register accesses, command queues and
 * table corruption in fake guest memory. Invariants: no delivery to a nonexistent vCPU or
 * of a non-LPI INTID, CREADR/CWRITER always well-formed and inside the queue, bounded work
 * per access, guest memory touched only through the accessors and only inside RAM, and
 * GITS_BASER<n>.Page_Size always one of 4, 16 or 64 KiB. Tables are reprogrammed with every
 * page size, flat and two-level (op 6). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vgic_its.h"
#include "fuzz_check.h"

#define RAM_BASE  0x40000000ull
#define RAM_BYTES 0x40000ull
#define VCPUS     3
#define ID_BITS   14

static uint8_t ram[RAM_BYTES];
static uint32_t cmd_reads;              /* 32-byte reads (commands) during one access */

static int in_ram(uint64_t gpa, size_t len)
{
    return gpa >= RAM_BASE && gpa - RAM_BASE <= RAM_BYTES && len <= RAM_BYTES - (gpa - RAM_BASE);
}

static int fake_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    (void)ctx;
    CHECK(len == 8 || len == 32);
    if (len == 32)
        cmd_reads++;
    if (!in_ram(gpa, len))
        return -1;
    memcpy(buf, ram + (gpa - RAM_BASE), len);
    return 0;
}

static int fake_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    (void)ctx;
    CHECK(len == 8);
    if (!in_ram(gpa, len))
        return -1;
    memcpy(ram + (gpa - RAM_BASE), buf, len);
    return 0;
}

static void fake_inject(void *ctx, uint32_t vcpu, uint32_t intid)
{
    (void)ctx;
    CHECK(vcpu < VCPUS);
    CHECK(intid >= ITS_LPI_INTID_MIN && intid < (1u << ID_BITS));
}

static bool fake_clear(void *ctx, uint32_t vcpu, uint32_t intid)
{
    fake_inject(ctx, vcpu, intid);
    return intid & 1;
}

static void fake_move_all(void *ctx, uint32_t from, uint32_t to)
{
    (void)ctx;
    CHECK(from < VCPUS && to < VCPUS && from != to);
}

static void fake_config_changed(void *ctx, uint32_t intid)
{
    (void)ctx;
    CHECK(intid == 0 || (intid >= ITS_LPI_INTID_MIN && intid < (1u << ID_BITS)));
}

static const struct its_env env = { NULL, fake_read, fake_write, fake_inject, fake_config_changed,
                                    fake_clear, fake_move_all, VCPUS, ID_BITS, NULL };

static const uint64_t offsets[] = {
    GITS_CTLR, GITS_IIDR, GITS_TYPER, GITS_TYPER + 4, GITS_CBASER, GITS_CBASER + 4,
    GITS_CWRITER, GITS_CWRITER + 4, GITS_CREADR, GITS_CREADR + 4, GITS_BASER0, GITS_BASER0 + 4,
    GITS_BASER0 + 8, GITS_BASER0 + 12, GITS_BASER0 + 16, GITS_BASER0 + 56, GITS_PIDR2,
    GITS_TRANSLATER, GITS_TRANSLATER + 2, 0x0c, 0x8000, 0x1fff8,
};

static void check_state(const struct its_state *its)
{
    CHECK((its->creadr & ~(GITS_CQ_OFFSET_MASK | GITS_CREADR_STALLED)) == 0);
    CHECK((its->cwriter & ~GITS_CQ_OFFSET_MASK) == 0);
    if (its->cbaser & GITS_CBASER_VALID) {
        uint64_t size = ((its->cbaser & 0xff) + 1) * 4096;
        CHECK((its->creadr & GITS_CQ_OFFSET_MASK) < size);
    } else {
        CHECK((its->creadr & GITS_CQ_OFFSET_MASK) == 0);
    }
    CHECK(cmd_reads <= ITS_CMDS_PER_EXIT);
    for (int n = 2; n < 8; n++)
        CHECK(its->baser[n] == 0);
    CHECK((its->baser[0] >> 56 & 7) == GITS_BASER_TYPE_DEVICE);
    CHECK((its->baser[1] >> 56 & 7) == GITS_BASER_TYPE_COLLECTION);
    for (int n = 0; n < 2; n++)
        CHECK((its->baser[n] & GITS_BASER_PAGE_SIZE_MASK) != GITS_BASER_PAGE_SIZE_MASK);
    CHECK(its->error_count <= its->cmd_count);
}

static uint64_t take(const uint8_t **p, size_t *n, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes && *n; i++, (*p)++, (*n)--)
        v |= (uint64_t)**p << (8 * i);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct its_state its;
    memset(ram, 0, sizeof(ram));
    its_init(&its, &env);
    /* A working start most inputs can build on: tables and a 1-page queue in RAM, enabled. */
    its_reg_write(&its, GITS_BASER0, 8, GITS_BASER_VALID | (RAM_BASE + 0x10000));
    its_reg_write(&its, GITS_BASER0 + 8, 8, GITS_BASER_VALID | (RAM_BASE + 0x20000));
    its_reg_write(&its, GITS_CBASER, 8, GITS_CBASER_VALID | RAM_BASE);
    its_reg_write(&its, GITS_CTLR, 4, GITS_CTLR_ENABLED);
    uint32_t tail = 0;

    while (size) {
        uint8_t op = (uint8_t)take(&data, &size, 1);
        cmd_reads = 0;
        switch (op % 7) {
        case 0: {                           /* register write */
            uint64_t off = offsets[take(&data, &size, 1) % (sizeof(offsets) / sizeof(offsets[0]))];
            uint32_t sz = 1u << (take(&data, &size, 1) & 3);
            its_reg_write(&its, off, sz, take(&data, &size, 8));
            break;
        }
        case 1: {                           /* register read */
            uint64_t off = offsets[take(&data, &size, 1) % (sizeof(offsets) / sizeof(offsets[0]))];
            uint32_t sz = 1u << (take(&data, &size, 1) & 3);
            its_reg_read(&its, off, sz);
            break;
        }
        case 2: {                           /* queue a command (first queue page) and kick */
            uint64_t dw[4];
            dw[0] = take(&data, &size, 1) % 16 | take(&data, &size, 2) << 32;   /* nr, DeviceID */
            dw[1] = take(&data, &size, 2) | take(&data, &size, 2) << 32;        /* EventID, pINTID */
            dw[2] = take(&data, &size, 2) | take(&data, &size, 1) << 16 |       /* ICID, RDbase, V */
                    (take(&data, &size, 1) & 1) << 63 | (RAM_BASE + 0x30000);   /* ITT in RAM */
            dw[3] = take(&data, &size, 1) << 16;
            memcpy(ram + tail, dw, sizeof(dw));
            tail = (tail + 32) % 4096;
            its_reg_write(&its, GITS_CWRITER, 8, tail);
            break;
        }
        case 3: {                           /* raw 32 bytes as a command */
            uint64_t dw[4];
            for (int i = 0; i < 4; i++)
                dw[i] = take(&data, &size, 8);
            memcpy(ram + tail, dw, sizeof(dw));
            tail = (tail + 32) % 4096;
            its_reg_write(&its, GITS_CWRITER, 8, tail);
            break;
        }
        case 4: {                           /* the guest scribbles on the tables */
            uint64_t off = (take(&data, &size, 3) % (RAM_BYTES / 8)) * 8;
            uint64_t v = take(&data, &size, 8);
            memcpy(ram + off, &v, 8);
            break;
        }
        case 5:                             /* an MSI */
            its_signal(&its, (uint32_t)take(&data, &size, 2), (uint32_t)take(&data, &size, 2));
            break;
        case 6: {                           /* Device and Collection tables: page size, levels, size */
            its_reg_write(&its, GITS_CTLR, 4, 0);
            for (int n = 0; n < 2; n++) {
                uint64_t b = take(&data, &size, 1);     /* [1:0] Page_Size, [2] Indirect, [7:3] Size */
                uint64_t base = RAM_BASE + 0x10000 * (uint64_t)(1 + n);   /* 64 KiB aligned */
                its_reg_write(&its, GITS_BASER0 + 8 * n, 8, GITS_BASER_VALID | base | (b & 3) << 8 |
                              ((b >> 2) & 1) << 62 | ((b >> 3) & 3));
            }
            its_reg_write(&its, GITS_CTLR, 4, GITS_CTLR_ENABLED);
            break;
        }
        }
        check_state(&its);
    }
    return 0;
}
