/* vgic_its_cmd.c: the emulated ITS's pure model: registers, command queue and table walks
 * over guest memory (Arm IHI 0069, chapter 6 and 5.3). No hardware access: host-tested.
 * The formats and the CONSTRAINED UNPREDICTABLE choices are documented in vgic_its.h. */
#include <string.h>
#include "vgic_its.h"

#define BIT(n)          (1ull << (n))
#define GENMASK(hi, lo) ((~0ull >> (63 - (hi))) & (~0ull << (lo)))

/* Writable bits. Physical addresses are 48-bit (the guest's IPA size). Cacheability and
 * Shareability keep what the guest wrote: they do not matter to an emulated ITS. The command
 * queue's pages are always 4 KiB; a table's Page_Size is 4, 16 or 64 KiB (page_shift[]). */
#define CBASER_RW (GITS_CBASER_VALID | GENMASK(61, 59) | GENMASK(55, 53) | GENMASK(47, 12) | \
                   GENMASK(11, 10) | GENMASK(7, 0))
#define BASER_RW  (GITS_BASER_VALID | GITS_BASER_INDIRECT | GENMASK(61, 59) | GENMASK(55, 53) | GENMASK(47, 12) | \
                   GENMASK(11, 10) | GITS_BASER_PAGE_SIZE_MASK | GENMASK(7, 0))
#define CQ_ADDR_MASK     GENMASK(47, 12)
#define CQ_PAGE_BYTES    4096ull
#define ENTRY_ABSENT 0xffu              /* indirect table: no valid level-2 page for the ID */

/* GITS_BASER<n>.Page_Size -> log2 of the page size (Arm IHI 0069, GITS_BASER<n>): 0b00 4 KiB,
 * 0b01 16 KiB, 0b10 64 KiB; the reserved 0b11 is stored as 0b10 (64 KiB) when written. */
static const uint8_t page_shift[4] = { 12, 14, 16, 16 };

#define BASER_DEVICE     0               /* GITS_BASER0: Device table */
#define BASER_COLLECTION 1               /* GITS_BASER1: Collection table */

/* Table entry fields (vgic_its.h). */
#define ENTRY_VALID      BIT(63)
#define DTE_ITT_MASK     GENMASK(51, 8)
#define DTE_SIZE(d)      ((uint32_t)((d) & 0x1f))
#define CTE_PROCESSOR(c) ((uint32_t)((c) & 0xffff))
#define ITE_INTID(i)     ((uint32_t)(i))
#define ITE_ICID(i)      ((uint16_t)((i) >> 32))

#define ITS_IIDR_VALUE   0x4800043Bu     /* ProductID 'H', Implementer 0x43B (Arm JEP106) */
#define ITS_PIDR2_VALUE  0x3Bu           /* ArchRev 3 (GICv3), JEDEC, designer bits of 0x43B */

/* One 32-byte command, four little-endian doublewords (Arm IHI 0069, 5.3). */
struct its_cmd {
    uint64_t dw[4];
};
#define CMD_NR(c)      ((uint8_t)(c)->dw[0])
#define CMD_DEVICE(c)  ((uint32_t)((c)->dw[0] >> 32))
#define CMD_EVENT(c)   ((uint32_t)(c)->dw[1])
#define CMD_PINTID(c)  ((uint32_t)((c)->dw[1] >> 32))
#define CMD_SIZE(c)    ((uint32_t)((c)->dw[1] & 0x1f))
#define CMD_ITT(c)     ((c)->dw[2] & DTE_ITT_MASK)
#define CMD_VALID(c)   (((c)->dw[2] & BIT(63)) != 0)
#define CMD_ICID(c)    ((uint16_t)(c)->dw[2])
#define CMD_RDBASE(c)  (((c)->dw[2] & GENMASK(50, 16)) >> 16)   /* PTA = 0: processor number */
#define CMD_RDBASE2(c) (((c)->dw[3] & GENMASK(50, 16)) >> 16)

/* ---- guest memory and the tables ------------------------------------------------ */

/* Entries are little endian, and so are both hosts this builds for. */
static int mem_failed(struct its_state *its, uint64_t gpa, bool write, int rc)
{
    if (rc && its->env->mem_fault)
        its->env->mem_fault(its->env->ctx, gpa, write);
    return rc;
}

static int read64(struct its_state *its, uint64_t gpa, uint64_t *v)
{
    return mem_failed(its, gpa, false, its->env->mem_read(its->env->ctx, gpa, v, sizeof(*v)));
}

static int write64(struct its_state *its, uint64_t gpa, uint64_t v)
{
    return mem_failed(its, gpa, true, its->env->mem_write(its->env->ctx, gpa, &v, sizeof(v)));
}

struct its_table {
    uint64_t base;
    uint64_t entries;                   /* IDs the table can hold */
    unsigned page_shift;                /* log2 of GITS_BASER<n>.Page_Size */
    bool indirect;
};

/* The table's base address: Physical_Address down to the page size (the bits below are
 * ignored); with 64 KiB pages bits [15:12] hold PA bits [51:48] (beyond the guest's 48-bit
 * IPA space, so every access then fails as outside guest memory). */
static uint64_t table_base(uint64_t baser, unsigned shift)
{
    uint64_t base = baser & GENMASK(47, shift);
    if (shift == 16)
        base |= (baser & GENMASK(15, 12)) << 36;
    return base;
}

/* A GITS_BASER<n> table, when Valid: Size + 1 pages of Page_Size. Indirect (two-level, Arm
 * IHI 0069 GITS_BASER<n>): those pages are an array of 8-byte level-1 entries, [63] Valid and
 * [51:page_shift] a page of the same size of level-2 entries (the flat format). */
static bool table_get(const struct its_state *its, unsigned n, struct its_table *t)
{
    uint64_t b = its->baser[n];
    if (!(b & GITS_BASER_VALID))
        return false;
    t->page_shift = page_shift[(b & GITS_BASER_PAGE_SIZE_MASK) >> GITS_BASER_PAGE_SIZE_SHIFT];
    t->base = table_base(b, t->page_shift);
    t->indirect = b & GITS_BASER_INDIRECT;
    t->entries = (((b & 0xff) + 1) << t->page_shift) / ITS_ENTRY_BYTES;
    if (t->indirect)
        t->entries *= (1ull << t->page_shift) / ITS_ENTRY_BYTES;
    return true;
}

/* Where the entry of id (< t->entries) is: 0, ITS_ERR_MEMORY when the level-1 entry cannot
 * be read, ENTRY_ABSENT when it is not Valid. */
static uint32_t entry_gpa(struct its_state *its, const struct its_table *t, uint64_t id, uint64_t *gpa)
{
    if (!t->indirect) {
        *gpa = t->base + id * ITS_ENTRY_BYTES;
        return 0;
    }
    uint64_t l2_entries = (1ull << t->page_shift) / ITS_ENTRY_BYTES, l1;
    if (read64(its, t->base + (id / l2_entries) * ITS_ENTRY_BYTES, &l1))
        return ITS_ERR_MEMORY;
    if (!(l1 & ENTRY_VALID))
        return ENTRY_ABSENT;
    *gpa = (l1 & GENMASK(51, t->page_shift)) + (id % l2_entries) * ITS_ENTRY_BYTES;
    return 0;
}

static bool lpi_ok(const struct its_state *its, uint32_t intid)
{
    return intid >= ITS_LPI_INTID_MIN && (uint64_t)intid < (1ull << its->env->lpi_id_bits);
}

static bool device_in_range(const struct its_state *its, uint32_t device_id, struct its_table *dt)
{
    return device_id < (1u << ITS_DEVICE_ID_BITS) && table_get(its, BASER_DEVICE, dt) &&
           device_id < dt->entries;
}

/* The Device table entry of a mapped device; 0 or an ITS_ERR_* reason. A DTE the guest
 * corrupted (Size beyond what MAPD accepts) counts as unmapped. */
static uint32_t lookup_device(struct its_state *its, uint32_t device_id, uint64_t *dte)
{
    struct its_table dt;
    uint64_t gpa;
    if (!device_in_range(its, device_id, &dt))
        return ITS_ERR_DEVICE_OOR;
    uint32_t r = entry_gpa(its, &dt, device_id, &gpa);
    if (r)
        return r == ENTRY_ABSENT ? ITS_ERR_UNMAPPED_DEVICE : r;
    if (read64(its, gpa, dte))
        return ITS_ERR_MEMORY;
    if (!(*dte & ENTRY_VALID) || DTE_SIZE(*dte) >= ITS_EVENT_ID_BITS)
        return ITS_ERR_UNMAPPED_DEVICE;
    return 0;
}

static bool event_in_range(uint64_t dte, uint32_t event_id)
{
    return (uint64_t)event_id < (2ull << DTE_SIZE(dte));
}

struct its_event {
    uint64_t ite_gpa;
    uint32_t intid;
    uint16_t icid;
};

/* (DeviceID, EventID) -> its ITT entry (pINTID, ICID); 0 or an ITS_ERR_* reason. */
static uint32_t lookup_event(struct its_state *its, uint32_t device_id, uint32_t event_id,
                             struct its_event *ev)
{
    uint64_t dte, ite;
    uint32_t r = lookup_device(its, device_id, &dte);
    if (r)
        return r;
    if (!event_in_range(dte, event_id))
        return ITS_ERR_ID_OOR;
    ev->ite_gpa = (dte & DTE_ITT_MASK) + (uint64_t)event_id * ITS_ENTRY_BYTES;
    if (read64(its, ev->ite_gpa, &ite))
        return ITS_ERR_MEMORY;
    if (!(ite & ENTRY_VALID) || !lpi_ok(its, ITE_INTID(ite)))
        return ITS_ERR_UNMAPPED_INTERRUPT;
    ev->intid = ITE_INTID(ite);
    ev->icid = ITE_ICID(ite);
    return 0;
}

static bool collection_in_range(const struct its_state *its, uint32_t icid, struct its_table *ct)
{
    return table_get(its, BASER_COLLECTION, ct) && icid < ct->entries;
}

/* ICID -> the target vCPU of a mapped collection; 0 or an ITS_ERR_* reason. */
static uint32_t lookup_collection(struct its_state *its, uint32_t icid, uint32_t *vcpu)
{
    struct its_table ct;
    uint64_t cte, gpa;
    if (!collection_in_range(its, icid, &ct))
        return ITS_ERR_COLLECTION_OOR;
    uint32_t r = entry_gpa(its, &ct, icid, &gpa);
    if (r)
        return r == ENTRY_ABSENT ? ITS_ERR_UNMAPPED_COLLECTION : r;
    if (read64(its, gpa, &cte))
        return ITS_ERR_MEMORY;
    if (!(cte & ENTRY_VALID) || CTE_PROCESSOR(cte) >= its->env->vcpu_count)
        return ITS_ERR_UNMAPPED_COLLECTION;
    *vcpu = CTE_PROCESSOR(cte);
    return 0;
}

/* A mapped event and the vCPU its collection targets. */
static uint32_t translate(struct its_state *its, uint32_t device_id, uint32_t event_id,
                          struct its_event *ev, uint32_t *vcpu)
{
    uint32_t r = lookup_event(its, device_id, event_id, ev);
    if (r)
        return r;
    r = lookup_collection(its, ev->icid, vcpu);
    return r ? ITS_ERR_UNMAPPED_COLLECTION : 0;
}

/* The binding's GICv4 mirror of an event (vgic_its.h, its_env.fwd); false without one. */
static bool fwd(struct its_state *its, enum its_fwd_op op, uint32_t device_id, uint32_t event_id,
                uint32_t icid, uint32_t vcpu, uint32_t intid)
{
    const struct its_env *e = its->env;
    return e->fwd && e->fwd(e->ctx, op, device_id, event_id, icid, vcpu, intid);
}

/* ---- commands (Arm IHI 0069, 5.3): each returns 0 or an ITS_ERR_* reason ---------- */

typedef uint32_t (*its_cmd_fn)(struct its_state *its, const struct its_cmd *c);

/* MAPD: DeviceID -> (ITT address, EventID bits), or unmapped when V = 0. */
static uint32_t cmd_mapd(struct its_state *its, const struct its_cmd *c)
{
    struct its_table dt;
    uint64_t dte = 0, gpa;
    if (!device_in_range(its, CMD_DEVICE(c), &dt))
        return ITS_ERR_DEVICE_OOR;
    uint32_t r = entry_gpa(its, &dt, CMD_DEVICE(c), &gpa);
    if (r)                              /* no level-2 page: as out of range */
        return r == ENTRY_ABSENT ? ITS_ERR_DEVICE_OOR : r;
    if (CMD_VALID(c)) {
        if (CMD_SIZE(c) >= ITS_EVENT_ID_BITS)
            return ITS_ERR_SIZE_OOR;
        dte = ENTRY_VALID | CMD_ITT(c) | CMD_SIZE(c);
    }
    uint64_t old;
    if (read64(its, gpa, &old) || write64(its, gpa, dte))
        return ITS_ERR_MEMORY;
    /* What no longer translates: V=0 every event; a mapped device given another ITT every
     * event, the same ITT but smaller the events beyond it (each ITE is read from its ITT). */
    uint32_t keep = 0;
    if (CMD_VALID(c) && (old & DTE_ITT_MASK) == CMD_ITT(c))
        keep = 2u << CMD_SIZE(c);
    if (!CMD_VALID(c) || (old & ENTRY_VALID))
        fwd(its, ITS_FWD_UNMAP_DEVICE, CMD_DEVICE(c), keep, 0, 0, 0);
    return 0;
}

/* MAPC: ICID -> target Redistributor (processor number), or unmapped when V = 0. */
static uint32_t cmd_mapc(struct its_state *its, const struct its_cmd *c)
{
    struct its_table ct;
    uint64_t cte = 0, gpa;
    if (!collection_in_range(its, CMD_ICID(c), &ct))
        return ITS_ERR_COLLECTION_OOR;
    uint32_t r = entry_gpa(its, &ct, CMD_ICID(c), &gpa);
    if (r)
        return r == ENTRY_ABSENT ? ITS_ERR_COLLECTION_OOR : r;
    if (CMD_VALID(c)) {
        if (CMD_RDBASE(c) >= its->env->vcpu_count)
            return ITS_ERR_PROCNUM_OOR;
        cte = ENTRY_VALID | CMD_RDBASE(c);
    }
    if (write64(its, gpa, cte))
        return ITS_ERR_MEMORY;
    fwd(its, ITS_FWD_RETARGET, 0, 0, CMD_ICID(c), CMD_VALID(c) ? (uint32_t)CMD_RDBASE(c) : ITS_FWD_NO_VCPU, 0);
    return 0;
}

static uint32_t map_event(struct its_state *its, const struct its_cmd *c, uint32_t intid)
{
    struct its_table ct;
    uint64_t dte;
    uint32_t r = lookup_device(its, CMD_DEVICE(c), &dte);
    if (r)
        return r;
    if (!event_in_range(dte, CMD_EVENT(c)))
        return ITS_ERR_ID_OOR;
    if (!lpi_ok(its, intid))
        return ITS_ERR_PHYSICALID_OOR;
    if (!collection_in_range(its, CMD_ICID(c), &ct))
        return ITS_ERR_COLLECTION_OOR;
    uint64_t ite = ENTRY_VALID | (uint64_t)CMD_ICID(c) << 32 | intid;
    uint64_t gpa = (dte & DTE_ITT_MASK) + (uint64_t)CMD_EVENT(c) * ITS_ENTRY_BYTES;
    if (write64(its, gpa, ite))
        return ITS_ERR_MEMORY;
    uint32_t vcpu;
    if (lookup_collection(its, CMD_ICID(c), &vcpu) != 0)   /* mirrored when MAPC maps it */
        vcpu = ITS_FWD_NO_VCPU;
    fwd(its, ITS_FWD_MAP, CMD_DEVICE(c), CMD_EVENT(c), CMD_ICID(c), vcpu, intid);
    return 0;
}

/* MAPTI: (DeviceID, EventID) -> (pINTID, ICID). */
static uint32_t cmd_mapti(struct its_state *its, const struct its_cmd *c)
{
    return map_event(its, c, CMD_PINTID(c));
}

/* MAPI: as MAPTI with pINTID = EventID. */
static uint32_t cmd_mapi(struct its_state *its, const struct its_cmd *c)
{
    return map_event(its, c, CMD_EVENT(c));
}

/* MOVI: the event now targets another collection; a pending LPI follows it. */
static uint32_t cmd_movi(struct its_state *its, const struct its_cmd *c)
{
    struct its_event ev;
    uint32_t from, to;
    uint32_t r = translate(its, CMD_DEVICE(c), CMD_EVENT(c), &ev, &from);
    if (r)
        return r;
    r = lookup_collection(its, CMD_ICID(c), &to);
    if (r)
        return r;
    if (write64(its, ev.ite_gpa, ENTRY_VALID | (uint64_t)CMD_ICID(c) << 32 | ev.intid))
        return ITS_ERR_MEMORY;
    const struct its_env *e = its->env;
    if (from != to && e->lpi_clear && e->lpi_clear(e->ctx, from, ev.intid))
        e->lpi_inject(e->ctx, to, ev.intid);
    fwd(its, ITS_FWD_MOVE, CMD_DEVICE(c), CMD_EVENT(c), CMD_ICID(c), to, ev.intid);
    return 0;
}

/* DISCARD: removes the pending state and the mapping of an event. */
static uint32_t cmd_discard(struct its_state *its, const struct its_cmd *c)
{
    struct its_event ev;
    uint32_t vcpu;
    uint32_t r = lookup_event(its, CMD_DEVICE(c), CMD_EVENT(c), &ev);
    if (r)
        return r;
    if (its->env->lpi_clear && lookup_collection(its, ev.icid, &vcpu) == 0)
        its->env->lpi_clear(its->env->ctx, vcpu, ev.intid);
    fwd(its, ITS_FWD_UNMAP, CMD_DEVICE(c), CMD_EVENT(c), ev.icid, 0, ev.intid);
    return write64(its, ev.ite_gpa, 0) ? ITS_ERR_MEMORY : 0;
}

/* INT: the event's LPI becomes pending on its collection's target. */
static uint32_t cmd_int(struct its_state *its, const struct its_cmd *c)
{
    struct its_event ev;
    uint32_t vcpu;
    uint32_t r = translate(its, CMD_DEVICE(c), CMD_EVENT(c), &ev, &vcpu);
    if (r == 0 && !fwd(its, ITS_FWD_INT, CMD_DEVICE(c), CMD_EVENT(c), ev.icid, vcpu, ev.intid))
        its->env->lpi_inject(its->env->ctx, vcpu, ev.intid);
    return r;
}

/* CLEAR: the event's LPI is no longer pending. */
static uint32_t cmd_clear(struct its_state *its, const struct its_cmd *c)
{
    struct its_event ev;
    uint32_t vcpu;
    uint32_t r = translate(its, CMD_DEVICE(c), CMD_EVENT(c), &ev, &vcpu);
    if (r == 0 && its->env->lpi_clear)
        its->env->lpi_clear(its->env->ctx, vcpu, ev.intid);
    if (r == 0)
        fwd(its, ITS_FWD_CLEAR, CMD_DEVICE(c), CMD_EVENT(c), ev.icid, vcpu, ev.intid);
    return r;
}

/* INV: the configuration-table entry of the event's LPI changed. */
static uint32_t cmd_inv(struct its_state *its, const struct its_cmd *c)
{
    struct its_event ev;
    uint32_t r = lookup_event(its, CMD_DEVICE(c), CMD_EVENT(c), &ev);
    if (r == 0)
        its->env->lpi_config_changed(its->env->ctx, ev.intid);
    return r;
}

/* INVALL: every LPI of a collection may have changed: the vGIC re-reads them all. */
static uint32_t cmd_invall(struct its_state *its, const struct its_cmd *c)
{
    uint32_t vcpu;
    uint32_t r = lookup_collection(its, CMD_ICID(c), &vcpu);
    if (r == 0)
        its->env->lpi_config_changed(its->env->ctx, 0);
    return r;
}

/* SYNC: every command takes effect before the next is read, so there is nothing to wait for. */
static uint32_t cmd_sync(struct its_state *its, const struct its_cmd *c)
{
    (void)its;
    (void)c;
    return 0;
}

/* MOVALL: every LPI pending on one Redistributor moves to another (mappings unchanged). */
static uint32_t cmd_movall(struct its_state *its, const struct its_cmd *c)
{
    const struct its_env *e = its->env;
    if (CMD_RDBASE(c) >= e->vcpu_count || CMD_RDBASE2(c) >= e->vcpu_count)
        return ITS_ERR_MOVALL_PROCNUM_OOR;
    if (CMD_RDBASE(c) != CMD_RDBASE2(c) && e->lpi_move_all)
        e->lpi_move_all(e->ctx, (uint32_t)CMD_RDBASE(c), (uint32_t)CMD_RDBASE2(c));
    return 0;
}

/* The dispatch table, keyed by command number; empty rows are ignored commands. */
static const its_cmd_fn its_cmd_table[256] = {
    [ITS_CMD_MOVI] = cmd_movi,       [ITS_CMD_INT] = cmd_int,       [ITS_CMD_CLEAR] = cmd_clear,
    [ITS_CMD_SYNC] = cmd_sync,       [ITS_CMD_MAPD] = cmd_mapd,     [ITS_CMD_MAPC] = cmd_mapc,
    [ITS_CMD_MAPTI] = cmd_mapti,     [ITS_CMD_MAPI] = cmd_mapi,     [ITS_CMD_INV] = cmd_inv,
    [ITS_CMD_INVALL] = cmd_invall,   [ITS_CMD_MOVALL] = cmd_movall, [ITS_CMD_DISCARD] = cmd_discard,
};

static void execute(struct its_state *its, const struct its_cmd *c)
{
    its_cmd_fn fn = its_cmd_table[CMD_NR(c)];
    uint32_t r = fn ? fn(its, c) : ITS_ERR_UNKNOWN_CMD;
    its->cmd_count++;
    if (fn == NULL || r != 0) {
        its->error_count++;
        its->last_error = ITS_ERROR(CMD_NR(c), r);
    }
}

/* ---- the command queue ------------------------------------------------------------ */

static bool queue_get(const struct its_state *its, uint64_t *base, uint64_t *size_bytes)
{
    if (!(its->cbaser & GITS_CBASER_VALID))
        return false;
    *base = its->cbaser & CQ_ADDR_MASK;
    *size_bytes = ((its->cbaser & 0xff) + 1) * CQ_PAGE_BYTES;
    return true;
}

uint32_t its_process_queue(struct its_state *its, uint32_t max_cmds)
{
    uint64_t base, size;
    if (!(its->ctlr & GITS_CTLR_ENABLED) || (its->creadr & GITS_CREADR_STALLED) ||
        !queue_get(its, &base, &size))
        return 0;
    uint64_t wr = its->cwriter & GITS_CQ_OFFSET_MASK;
    uint64_t rd = its->creadr & GITS_CQ_OFFSET_MASK;
    if (wr >= size) {                   /* GITS_CWRITER beyond the queue: stall */
        its->creadr |= GITS_CREADR_STALLED;
        return 0;
    }
    if (rd >= size)                     /* cannot happen (CBASER writes reset CREADR); be safe */
        rd = 0;
    uint32_t n = 0;
    while (rd != wr && n < max_cmds) {
        struct its_cmd c;
        if (mem_failed(its, base + rd, false, its->env->mem_read(its->env->ctx, base + rd, &c, sizeof(c)))) {
            its->creadr = rd | GITS_CREADR_STALLED;   /* retried on the next CWRITER write */
            return n;
        }
        execute(its, &c);
        rd += ITS_CMD_BYTES;
        if (rd == size)
            rd = 0;                     /* the queue wraps at its end */
        its->creadr = rd;
        n++;
    }
    return n;
}

static void write_cwriter(struct its_state *its, uint64_t v)
{
    uint64_t base, size;
    its->cwriter = v & GITS_CQ_OFFSET_MASK;
    if (queue_get(its, &base, &size) && its->cwriter >= size) {
        its->creadr |= GITS_CREADR_STALLED;
        return;
    }
    its->creadr &= ~GITS_CREADR_STALLED;  /* an in-range write (Retry or not) restarts it */
    its_process_queue(its, ITS_CMDS_PER_EXIT);
}

/* ---- translation (GITS_TRANSLATER and emulated devices' MSIs) --------------------- */

bool its_signal(struct its_state *its, uint32_t device_id, uint32_t event_id)
{
    struct its_event ev;
    uint32_t vcpu;
    if (!(its->ctlr & GITS_CTLR_ENABLED) || translate(its, device_id, event_id, &ev, &vcpu))
        return false;
    if (!fwd(its, ITS_FWD_INT, device_id, event_id, ev.icid, vcpu, ev.intid))
        its->env->lpi_inject(its->env->ctx, vcpu, ev.intid);
    return true;
}

bool its_translate(struct its_state *its, uint32_t device_id, uint32_t event_id, uint32_t *intid, uint32_t *vcpu)
{
    struct its_event ev;
    if (translate(its, device_id, event_id, &ev, vcpu))
        return false;
    *intid = ev.intid;
    return true;
}

/* ---- registers ------------------------------------------------------------------- */

static uint64_t typer(void)
{
    return 1ull << 0                                     /* Physical: physical LPIs */
         | (uint64_t)(ITS_ENTRY_BYTES - 1) << 4          /* ITT_entry_size */
         | (uint64_t)(ITS_EVENT_ID_BITS - 1) << 8        /* IDbits (EventID bits - 1) */
         | (uint64_t)(ITS_DEVICE_ID_BITS - 1) << 13;     /* Devbits; PTA = 0, HCC = 0, CIL = 0 */
}

static uint64_t baser_ro(unsigned n)
{
    uint64_t type = n == BASER_DEVICE ? GITS_BASER_TYPE_DEVICE
                  : n == BASER_COLLECTION ? GITS_BASER_TYPE_COLLECTION : 0;
    if (!type)
        return 0;
    return type << GITS_BASER_TYPE_SHIFT | (uint64_t)(ITS_ENTRY_BYTES - 1) << 48;
}

void its_reset(struct its_state *its)
{
    const struct its_env *env = its->env;
    memset(its, 0, sizeof(*its));
    its->env = env;
    for (unsigned n = 0; n < 8; n++)
        its->baser[n] = baser_ro(n);
}

void its_init(struct its_state *its, const struct its_env *env)
{
    its->env = env;
    its_reset(its);
}

/* The 64-bit registers; false for anything else. */
static bool read64_reg(const struct its_state *its, uint64_t reg, uint64_t *v)
{
    if (reg == GITS_TYPER)
        *v = typer();
    else if (reg == GITS_CBASER)
        *v = its->cbaser;
    else if (reg == GITS_CWRITER)
        *v = its->cwriter;
    else if (reg == GITS_CREADR)
        *v = its->creadr;
    else if (reg >= GITS_BASER0 && reg < GITS_BASER0 + 8 * 8)
        *v = its->baser[(reg - GITS_BASER0) / 8];
    else
        return false;
    return true;
}

uint64_t its_reg_read(struct its_state *its, uint64_t offset, uint32_t size)
{
    if ((size != 4 && size != 8) || (offset & (size - 1)))
        return 0;
    if (size == 4 && offset == GITS_CTLR)
        return (its->ctlr & GITS_CTLR_ENABLED) ? GITS_CTLR_ENABLED : GITS_CTLR_QUIESCENT;
    if (size == 4 && offset == GITS_IIDR)
        return ITS_IIDR_VALUE;
    if (size == 4 && offset == GITS_PIDR2)
        return ITS_PIDR2_VALUE;
    uint64_t reg = offset & ~7ull, v;
    if (reg == GITS_CREADR && offset == reg)   /* guests poll CREADR: make progress */
        its_process_queue(its, ITS_CMDS_PER_EXIT);
    if (!read64_reg(its, reg, &v))
        return 0;
    if (size == 8)
        return v;
    return (offset & 4) ? v >> 32 : (uint32_t)v;
}

void its_reg_write(struct its_state *its, uint64_t offset, uint32_t size, uint64_t value)
{
    if (offset == GITS_TRANSLATER && (size == 2 || size == 4)) {
        /* A CPU write has no DeviceID of its own: it is DeviceID 0 (emulated devices). */
        its_signal(its, 0, (uint32_t)(size == 2 ? (uint16_t)value : value));
        return;
    }
    if ((size != 4 && size != 8) || (offset & (size - 1)))
        return;
    if (size == 4 && offset == GITS_CTLR) {
        bool was = its->ctlr & GITS_CTLR_ENABLED;
        its->ctlr = (uint32_t)value & GITS_CTLR_ENABLED;
        if (!was && (its->ctlr & GITS_CTLR_ENABLED))
            its_process_queue(its, ITS_CMDS_PER_EXIT);
        return;
    }
    uint64_t reg = offset & ~7ull, old;
    if (!read64_reg(its, reg, &old))
        return;
    uint64_t v = size == 8 ? value
               : (offset & 4) ? (old & 0xffffffffull) | (value << 32)
                              : (old & ~0xffffffffull) | (uint32_t)value;
    bool enabled = its->ctlr & GITS_CTLR_ENABLED;
    if (reg == GITS_CBASER) {
        if (enabled)
            return;
        its->cbaser = v & CBASER_RW;
        its->creadr = 0;
        its->cwriter = 0;
    } else if (reg == GITS_CWRITER) {
        write_cwriter(its, v);
    } else if (reg >= GITS_BASER0 && reg < GITS_BASER0 + 8 * 8) {
        unsigned n = (unsigned)(reg - GITS_BASER0) / 8;
        if (enabled || !baser_ro(n))
            return;                     /* BASER2..7 are RAZ/WI */
        v &= BASER_RW;
        if ((v & GITS_BASER_PAGE_SIZE_MASK) == GITS_BASER_PAGE_SIZE_MASK)   /* reserved 0b11 */
            v &= ~(1ull << GITS_BASER_PAGE_SIZE_SHIFT);
        its->baser[n] = v | baser_ro(n);
    }
    /* GITS_TYPER and GITS_CREADR are read-only. */
}
