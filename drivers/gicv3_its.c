/* gicv3_its.c: the host's physical ITS and the GICv4.0 vPE residency registers (Arm IHI 0069:
 * GITS_* registers, 5.3 "ITS commands", GICR_PROPBASER/PENDBASER, GICR_VPROPBASER/VPENDBASER).
 * See gicv3_its.h. */
#include <inttypes.h>
#include <string.h>
#include "gicv3.h"
#include "gicv3_its.h"
#include "kernel.h"
#include "mmio.h"
#include "page_alloc.h"
#include "spinlock.h"
#include "sysreg.h"

#define GITS_CTLR     0x0000
#define GITS_TYPER    0x0008
#define GITS_CBASER   0x0080
#define GITS_CWRITER  0x0088
#define GITS_CREADR   0x0090
#define GITS_BASER(n) (0x0100 + 8 * (n))
#define GITS_PIDR2    0xFFE8

#define GITS_CTLR_ENABLED   (1u << 0)
#define GITS_CTLR_QUIESCENT (1u << 31)
#define GITS_TYPER_PHYSICAL (1ull << 0)
#define GITS_TYPER_VIRTUAL  (1ull << 1)
#define GITS_TYPER_PTA      (1ull << 19)
#define GITS_CREADR_STALLED (1ull << 0)
#define BASER_VALID         (1ull << 63)
#define BASER_TYPE(b)       ((uint32_t)BITS(b, 58, 56))
#define BASER_ENTRY(b)      ((uint32_t)BITS(b, 52, 48) + 1)
#define BASER_TYPE_DEVICE   1
#define BASER_TYPE_VPE      2
#define BASER_TYPE_COLL     4
/* Inner Write-back read/write-allocate (7 at [61:59]), Inner Shareable (1 at [11:10]). */
#define ITS_CACHE           (7ull << 59 | 1ull << 10)
#define GICR_CACHE          (7ull << 7 | 1ull << 10)

#define GICR_CTLR           0x0000
#define GICR_TYPER          0x0008
#define GICR_PROPBASER      0x0070
#define GICR_PENDBASER      0x0078
#define GICR_CTLR_ENABLE_LPIS (1u << 0)
#define GICR_VLPI_BASE      0x20000ull          /* third 64 KiB frame (GICv4) */
#define GICR_VPROPBASER     (GICR_VLPI_BASE + 0x70)
#define GICR_VPENDBASER     (GICR_VLPI_BASE + 0x78)
#define VPEND_VALID         (1ull << 63)
#define VPEND_IDAI          (1ull << 62)
#define VPEND_PENDINGLAST   (1ull << 61)
#define VPEND_DIRTY         (1ull << 60)

#define CMD_MOVI 0x01
#define CMD_INT 0x03
#define CMD_CLEAR 0x04
#define CMD_SYNC 0x05
#define CMD_MAPD 0x08
#define CMD_MAPC 0x09
#define CMD_MAPTI 0x0A
#define CMD_INV 0x0C
#define CMD_DISCARD 0x0F
#define CMD_VMOVI 0x21
#define CMD_VSYNC 0x25
#define CMD_VMAPP 0x29
#define CMD_VMAPTI 0x2A

#define QUEUE_PAGES 4ull
#define QUEUE_BYTES (QUEUE_PAGES * PAGE_SIZE)
#define TABLE_PAGES 4ull                       /* Device, Collection and vPE tables */
#define MAX_DEVICES 64u                        /* host devices with an ITT allocated here */
#define POLL_LIMIT 10000000u
#define ADDR_51_16(a) ((a) & 0x000fffffffff0000ull)
#define ADDR_51_12(a) ((a) & 0x000ffffffffff000ull)

static inline void mmio_write64(uint64_t a, uint64_t v) { *(volatile uint64_t *)(uintptr_t)a = v; }

static struct spinlock its_lock = SPINLOCK_INIT;
static int init_state;                         /* 0 not tried, 1 ok, -1 failed; under its_lock */
static uint64_t its;                           /* GITS base */
static uint64_t typer;
static uint8_t *cq;                            /* command queue */
static uint64_t cq_pa, cq_tail;
static uint8_t *host_prop;                     /* host LPI configuration table */
static uint32_t itt_entry_bytes;
static struct { uint32_t id, bits; uint64_t pa; } itt[MAX_DEVICES];   /* pa 0: free */
static uint32_t device_limit;                  /* DeviceIDs below it fit the flat Device table */
static bool vlpis;
static struct gits_stats stats;

/* The RDbase field of MAPC/VMAPP: the redistributor's physical address >> 16 (PTA = 1) or
 * its processor number (GICR_TYPER.Processor_Number). */
static uint64_t rdbase(uint32_t cpu)
{
    uint64_t rd = gicv3_rd_base(cpu);
    if (typer & GITS_TYPER_PTA)
        return rd >> 16;
    return BITS(mmio_read64(rd + GICR_TYPER), 23, 8);
}

/* Lock held. Copies the commands into the queue, moves CWRITER and waits for CREADR. */
static bool send(const uint64_t (*cmds)[4], uint32_t count)
{
    if (init_state != 1)
        return false;
    for (uint32_t i = 0; i < count; i++) {
        memcpy(cq + cq_tail, cmds[i], 32);
        cq_tail = (cq_tail + 32) % QUEUE_BYTES;
    }
    stats.commands += count;
    dsb(ish);                                  /* the commands before the CWRITER write */
    mmio_write64(its + GITS_CWRITER, cq_tail);
    for (uint32_t i = 0; i < POLL_LIMIT; i++) {
        uint64_t r = mmio_read64(its + GITS_CREADR);
        if (r & GITS_CREADR_STALLED)
            break;
        if ((r & 0xFFFE0ull) == cq_tail)
            return true;
    }
    stats.errors++;
    hv_printf("gits: command queue stuck (CREADR 0x%" PRIx64 ", CWRITER 0x%" PRIx64 ")\n",
              mmio_read64(its + GITS_CREADR), cq_tail);
    return false;
}

static bool send_locked(const uint64_t (*cmds)[4], uint32_t count)
{
    spin_lock(&its_lock);
    bool ok = send(cmds, count);
    spin_unlock(&its_lock);
    return ok;
}

static uint64_t dev_field(uint32_t device_id, uint8_t cmd)
{
    return (uint64_t)device_id << 32 | cmd;
}

/* One GITS_BASER<n> of type `type`: a flat table of TABLE_PAGES pages; false if none. */
static bool baser_setup(uint32_t type)
{
    for (uint32_t n = 0; n < 8; n++) {
        uint64_t b = mmio_read64(its + GITS_BASER(n));
        if (BASER_TYPE(b) != type)
            continue;
        uint64_t pa = hv_page_alloc(TABLE_PAGES, 65536);
        if (!pa)
            return false;
        uint64_t keep = b & (7ull << 56 | 0x1full << 48);          /* Type, Entry_Size: RO */
        if (type == BASER_TYPE_DEVICE) {
            uint32_t devbits = (uint32_t)BITS(typer, 17, 13) + 1;
            device_limit = (uint32_t)(TABLE_PAGES * PAGE_SIZE / BASER_ENTRY(b));
            if (devbits < 32 && device_limit > 1u << devbits)
                device_limit = 1u << devbits;
        }
        uint64_t v = BASER_VALID | keep | ITS_CACHE | (pa & 0x0000fffffffff000ull) | (TABLE_PAGES - 1);
        mmio_write64(its + GITS_BASER(n), v);
        uint64_t back = mmio_read64(its + GITS_BASER(n));
        if (!(back & BASER_VALID) || BITS(back, 9, 8) != 0) {      /* 4 KiB pages only */
            hv_printf("gits: GITS_BASER%" PRIu32 " (type %" PRIu32 ") refused 0x%" PRIx64 "\n", n, type, v);
            return false;
        }
        return true;
    }
    return type == BASER_TYPE_COLL;     /* no collection table: GITS_TYPER.HCC covers them */
}

/* Host LPIs on one redistributor: the shared configuration table, its own pending table. */
static bool rd_enable_lpis(uint32_t cpu)
{
    uint64_t rd = gicv3_rd_base(cpu);
    if (!rd)
        return false;
    if (mmio_read32(rd + GICR_CTLR) & GICR_CTLR_ENABLE_LPIS)
        return true;                    /* firmware left them on: its tables stay */
    uint64_t pend = hv_page_alloc(16, 65536);
    if (!pend)
        return false;
    mmio_write64(rd + GICR_PROPBASER, ADDR_51_12((uint64_t)(uintptr_t)host_prop) | GICR_CACHE |
                                      (GITS_HOST_LPI_ID_BITS - 1));
    mmio_write64(rd + GICR_PENDBASER, ADDR_51_16(pend) | GICR_CACHE | 1ull << 62 /* PTZ */);
    dsb(sy);
    mmio_write32(rd + GICR_CTLR, mmio_read32(rd + GICR_CTLR) | GICR_CTLR_ENABLE_LPIS);
    return true;
}

static bool init_locked(uint64_t base)
{
    if (!base)
        return false;
    uint32_t pidr2;
    if (!mmio_probe_read32(base + GITS_PIDR2, &pidr2) || BITS(pidr2, 7, 4) < 3)
        return false;
    its = base;
    typer = mmio_read64(its + GITS_TYPER);
    if (!(typer & GITS_TYPER_PHYSICAL))
        return false;
    itt_entry_bytes = (uint32_t)BITS(typer, 7, 4) + 1;
    /* Disabled and quiescent before the tables change. */
    mmio_write32(its + GITS_CTLR, mmio_read32(its + GITS_CTLR) & ~GITS_CTLR_ENABLED);
    for (uint32_t i = 0; i < POLL_LIMIT && !(mmio_read32(its + GITS_CTLR) & GITS_CTLR_QUIESCENT); i++)
        ;
    cq_pa = hv_page_alloc(QUEUE_PAGES, 65536);
    uint64_t prop = hv_page_alloc((1u << GITS_HOST_LPI_ID_BITS) / PAGE_SIZE, 65536);
    if (!cq_pa || !prop)
        return false;
    cq = (uint8_t *)(uintptr_t)cq_pa;
    host_prop = (uint8_t *)(uintptr_t)prop;
    if (!baser_setup(BASER_TYPE_DEVICE) || !baser_setup(BASER_TYPE_COLL))
        return false;
    vlpis = (typer & GITS_TYPER_VIRTUAL) && gicv3_has_vlpis() && baser_setup(BASER_TYPE_VPE);
    mmio_write64(its + GITS_CBASER, (1ull << 63) | ITS_CACHE | ADDR_51_12(cq_pa) | (QUEUE_PAGES - 1));
    mmio_write64(its + GITS_CWRITER, 0);
    cq_tail = 0;
    dsb(sy);
    mmio_write32(its + GITS_CTLR, mmio_read32(its + GITS_CTLR) | GITS_CTLR_ENABLED);
    init_state = 1;
    uint32_t cpus = 0;
    for (uint32_t c = 0; c < GICV3_MAX_CPUS; c++) {
        if (!gicv3_rd_base(c))
            continue;
        if (!rd_enable_lpis(c))
            return false;
        uint64_t mapc[2][4] = { { CMD_MAPC, 0, 1ull << 63 | rdbase(c) << 16 | c, 0 },
                                { CMD_SYNC, 0, rdbase(c) << 16, 0 } };
        if (!send(mapc, 2))
            return false;
        cpus++;
    }
    hv_printf("gits: ITS at 0x%" PRIx64 ", GITS_TYPER 0x%" PRIx64 ", %" PRIu32 " collections, %s\n", its,
              typer, cpus, vlpis ? "GICv4 virtual LPIs" : "physical LPIs only");
    return true;
}

bool gits_init(uint64_t base)
{
    spin_lock(&its_lock);
    if (init_state == 0 && !init_locked(base)) {
        init_state = -1;
        if (its)                        /* found but unusable: leave it disabled */
            mmio_write32(its + GITS_CTLR, mmio_read32(its + GITS_CTLR) & ~GITS_CTLR_ENABLED);
        hv_printf("gits: no usable ITS at 0x%" PRIx64 "\n", base);
    }
    bool ok = init_state == 1;
    spin_unlock(&its_lock);
    return ok;
}

bool gits_has_vlpis(void)
{
    return __atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 1 && vlpis;
}

void gits_host_lpi_enable(uint32_t intid, bool enable)
{
    if (!host_prop || intid < GITS_LPI_BASE || intid >= (1u << GITS_HOST_LPI_ID_BITS))
        return;
    host_prop[intid - GITS_LPI_BASE] = enable ? (uint8_t)((GICV3_PRIO_DEFAULT & 0xfc) | 1) : 0;
    dsb(sy);
}

/* The ITT of device_id, allocated on first use. Lock held. */
static uint64_t itt_of(uint32_t device_id, uint32_t itt_bits)
{
    uint32_t slot = MAX_DEVICES;
    for (uint32_t i = 0; i < MAX_DEVICES; i++) {
        if (itt[i].pa && itt[i].id == device_id)
            return itt_bits <= itt[i].bits ? itt[i].pa : 0;   /* sized by the first MAPD */
        if (!itt[i].pa && slot == MAX_DEVICES)
            slot = i;
    }
    if (slot == MAX_DEVICES)
        return 0;
    uint64_t bytes = (uint64_t)itt_entry_bytes << itt_bits;
    itt[slot].pa = hv_page_alloc((bytes + PAGE_SIZE - 1) / PAGE_SIZE, PAGE_SIZE);
    itt[slot].id = device_id;
    itt[slot].bits = itt_bits;
    return itt[slot].pa;
}

uint32_t gits_device_limit(void)
{
    return __atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 1 ? device_limit : 0;
}

bool gits_mapd(uint32_t device_id, uint32_t itt_bits)
{
    if (itt_bits == 0 || itt_bits > 16)
        return false;
    spin_lock(&its_lock);
    bool ok = init_state == 1 && device_id < device_limit;
    uint64_t pa = ok ? itt_of(device_id, itt_bits) : 0;
    if (pa) {
        uint64_t c[1][4] = { { dev_field(device_id, CMD_MAPD), itt_bits - 1,
                               1ull << 63 | (pa & 0x000fffffffffff00ull), 0 } };
        ok = send(c, 1);
    }
    spin_unlock(&its_lock);
    return ok && pa;
}

bool gits_mapti(uint32_t device_id, uint32_t event_id, uint32_t intid, uint32_t cpu)
{
    uint64_t c[2][4] = { { dev_field(device_id, CMD_MAPTI), (uint64_t)intid << 32 | event_id, cpu, 0 },
                         { CMD_SYNC, 0, rdbase(cpu) << 16, 0 } };
    return send_locked(c, 2);
}

static bool event_cmd(uint8_t nr, uint32_t device_id, uint32_t event_id)
{
    uint64_t c[1][4] = { { dev_field(device_id, nr), event_id, 0, 0 } };
    return send_locked(c, 1);
}

bool gits_int(uint32_t d, uint32_t e) { return event_cmd(CMD_INT, d, e); }
bool gits_clear(uint32_t d, uint32_t e) { return event_cmd(CMD_CLEAR, d, e); }
bool gits_discard(uint32_t d, uint32_t e) { return event_cmd(CMD_DISCARD, d, e); }
bool gits_inv(uint32_t d, uint32_t e) { return event_cmd(CMD_INV, d, e); }

bool gits_vmapp(uint32_t vpe_id, uint32_t cpu, uint64_t vpt_pa, bool valid)
{
    if (!gits_has_vlpis())
        return false;
    uint64_t c[1][4] = { { CMD_VMAPP, (uint64_t)vpe_id << 32,
                           (valid ? 1ull << 63 : 0) | rdbase(cpu) << 16,
                           ADDR_51_16(vpt_pa) | (GITS_VLPI_ID_BITS - 1) } };
    return send_locked(c, 1);
}

bool gits_vmapti(uint32_t device_id, uint32_t event_id, uint32_t vpe_id, uint32_t vintid, uint32_t doorbell)
{
    uint64_t c[1][4] = { { dev_field(device_id, CMD_VMAPTI), (uint64_t)vpe_id << 32 | event_id,
                           (uint64_t)doorbell << 32 | vintid, 0 } };
    return send_locked(c, 1);
}

bool gits_vmovi(uint32_t device_id, uint32_t event_id, uint32_t vpe_id, uint32_t doorbell)
{
    bool db = doorbell != 1023;
    uint64_t c[1][4] = { { dev_field(device_id, CMD_VMOVI), (uint64_t)vpe_id << 32 | event_id,
                           (db ? (uint64_t)doorbell << 32 | 1 : 0), 0 } };
    return send_locked(c, 1);
}

bool gits_vsync(uint32_t vpe_id)
{
    uint64_t c[1][4] = { { CMD_VSYNC, (uint64_t)vpe_id << 32, 0, 0 } };
    return send_locked(c, 1);
}

void gicv4_vpe_load(uint32_t cpu, uint64_t vprop_pa, uint64_t vpt_pa, bool first)
{
    uint64_t rd = gicv3_rd_base(cpu);
    if (!rd)
        return;
    mmio_write64(rd + GICR_VPROPBASER, ADDR_51_12(vprop_pa) | GICR_CACHE | (GITS_VLPI_ID_BITS - 1));
    mmio_write64(rd + GICR_VPENDBASER, VPEND_VALID | (first ? VPEND_IDAI : 0) | VPEND_PENDINGLAST |
                                       ADDR_51_16(vpt_pa) | GICR_CACHE);
    isb();
}

bool gicv4_vpe_unload(uint32_t cpu)
{
    uint64_t rd = gicv3_rd_base(cpu);
    if (!rd)
        return false;
    uint64_t v = mmio_read64(rd + GICR_VPENDBASER);
    if (!(v & VPEND_VALID))
        return false;
    mmio_write64(rd + GICR_VPENDBASER, v & ~(VPEND_VALID | VPEND_PENDINGLAST | VPEND_DIRTY | VPEND_IDAI));
    for (uint32_t i = 0; i < POLL_LIMIT; i++) {
        v = mmio_read64(rd + GICR_VPENDBASER);
        if (!(v & VPEND_DIRTY))
            break;
    }
    return (v & VPEND_PENDINGLAST) != 0;
}

void gits_tables_written(void)
{
    dsb(sy);
}

void gits_get_stats(struct gits_stats *s)
{
    spin_lock(&its_lock);
    *s = stats;
    spin_unlock(&its_lock);
}
