/* test_vgic_its.c: the emulated ITS model over fake guest memory: commands, translation,
 * table walks, queue wrap and stall, and every malformed case ignored with state intact. */
#include <criterion/criterion.h>
#include <string.h>
#include "vgic_its.h"

#define RAM_BASE   0x40000000ull
#define RAM_BYTES  0x100000ull
#define CQ_GPA     (RAM_BASE + 0x10000)      /* 1 page: 128 commands */
#define DT_GPA     (RAM_BASE + 0x20000)      /* 1 page: 512 devices */
#define CT_GPA     (RAM_BASE + 0x30000)      /* 1 page: 512 collections */
#define ITT_GPA    (RAM_BASE + 0x40000)
#define ITT2_GPA   (RAM_BASE + 0x41000)
#define VCPUS      2
#define LPI        8192

static uint8_t ram[RAM_BYTES] __attribute__((aligned(4096)));
static struct its_env env;
static struct its_state its;
static uint32_t cq_tail;                     /* next free byte offset in the queue */

/* What the fake vGIC saw. */
#define LOG_MAX 256
static struct event { char kind; uint32_t vcpu, intid; } events[LOG_MAX];
static uint32_t event_count;
static bool pending[VCPUS][65536];

static void log_event(char kind, uint32_t vcpu, uint32_t intid)
{
    cr_assert_lt(event_count, LOG_MAX);
    events[event_count++] = (struct event){ kind, vcpu, intid };
}

static int fake_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    (void)ctx;
    if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_BYTES || len > RAM_BYTES - (gpa - RAM_BASE))
        return -1;
    memcpy(buf, ram + (gpa - RAM_BASE), len);
    return 0;
}

static int fake_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    (void)ctx;
    if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_BYTES || len > RAM_BYTES - (gpa - RAM_BASE))
        return -1;
    memcpy(ram + (gpa - RAM_BASE), buf, len);
    return 0;
}

static void fake_inject(void *ctx, uint32_t vcpu, uint32_t intid)
{
    (void)ctx;
    cr_assert_lt(vcpu, VCPUS);
    cr_assert(intid >= LPI && intid < 65536);
    pending[vcpu][intid] = true;
    log_event('I', vcpu, intid);
}

static bool fake_clear(void *ctx, uint32_t vcpu, uint32_t intid)
{
    (void)ctx;
    bool was = pending[vcpu][intid];
    pending[vcpu][intid] = false;
    log_event('C', vcpu, intid);
    return was;
}

static void fake_move_all(void *ctx, uint32_t from, uint32_t to)
{
    (void)ctx;
    for (uint32_t i = 0; i < 65536; i++)
        if (pending[from][i]) {
            pending[from][i] = false;
            pending[to][i] = true;
        }
    log_event('M', from, to);
}

static void fake_config_changed(void *ctx, uint32_t intid)
{
    (void)ctx;
    log_event('V', 0, intid);
}

static uint64_t rd(uint64_t off) { return its_reg_read(&its, off, 8); }
static void wr(uint64_t off, uint64_t v) { its_reg_write(&its, off, 8, v); }

static uint64_t ram64(uint64_t gpa)
{
    uint64_t v;
    memcpy(&v, ram + (gpa - RAM_BASE), 8);
    return v;
}

/* Queues one command at the tail (wrapping at the end of a 1-page queue). */
static void put(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
    uint64_t dw[4] = { d0, d1, d2, d3 };
    memcpy(ram + (CQ_GPA - RAM_BASE) + cq_tail, dw, 32);
    cq_tail = (cq_tail + 32) % 4096;
}
static void kick(void) { wr(GITS_CWRITER, cq_tail); }

#define DEV(d)  ((uint64_t)(d) << 32)
static void mapd(uint32_t dev, uint64_t itt, uint32_t size, bool v)
{
    put(ITS_CMD_MAPD | DEV(dev), size, itt | (uint64_t)v << 63, 0);
}
static void mapc(uint32_t icid, uint64_t rdbase, bool v) { put(ITS_CMD_MAPC, 0, icid | rdbase << 16 | (uint64_t)v << 63, 0); }
static void mapti(uint32_t dev, uint32_t ev, uint32_t intid, uint32_t icid)
{
    put(ITS_CMD_MAPTI | DEV(dev), ev | (uint64_t)intid << 32, icid, 0);
}
static void mapi(uint32_t dev, uint32_t ev, uint32_t icid) { put(ITS_CMD_MAPI | DEV(dev), ev, icid, 0); }
static void cmd_ev(uint8_t nr, uint32_t dev, uint32_t ev) { put(nr | DEV(dev), ev, 0, 0); }
static void movi(uint32_t dev, uint32_t ev, uint32_t icid) { put(ITS_CMD_MOVI | DEV(dev), ev, icid, 0); }
static void invall(uint32_t icid) { put(ITS_CMD_INVALL, 0, icid, 0); }
static void sync_cmd(uint64_t rdbase) { put(ITS_CMD_SYNC, 0, rdbase << 16, 0); }
static void movall(uint64_t rd1, uint64_t rd2) { put(ITS_CMD_MOVALL, 0, rd1 << 16, rd2 << 16); }

static void setup(void)
{
    memset(ram, 0, sizeof(ram));
    memset(pending, 0, sizeof(pending));
    event_count = 0;
    cq_tail = 0;
    env = (struct its_env){ NULL, fake_read, fake_write, fake_inject, fake_config_changed,
                            fake_clear, fake_move_all, VCPUS, 16, NULL, NULL };
    its_init(&its, &env);
    wr(GITS_BASER0, GITS_BASER_VALID | DT_GPA);          /* Size 0: one 4 KiB page */
    wr(GITS_BASER0 + 8, GITS_BASER_VALID | CT_GPA);
    wr(GITS_CBASER, GITS_CBASER_VALID | CQ_GPA);
    its_reg_write(&its, GITS_CTLR, 4, GITS_CTLR_ENABLED);
}

/* The usual bring-up: device 1 with 4 EventID bits, collections 0 -> vCPU 0 and 1 -> vCPU 1. */
static void map_basic(void)
{
    mapd(1, ITT_GPA, 3, true);
    mapc(0, 0, true);
    mapc(1, 1, true);
    mapti(1, 5, LPI + 5, 0);
    kick();
    cr_assert_eq(its.error_count, 0, "bring-up clean, last_error 0x%x", its.last_error);
}

/* Everything the ITS keeps, to prove an ignored command changed nothing. */
struct snapshot { uint8_t ram[0x80000]; uint64_t baser0, baser1, cbaser; uint32_t events; };
static struct snapshot snap;
static void take(void)
{
    memcpy(snap.ram, ram, sizeof(snap.ram));
    snap.baser0 = its.baser[0];
    snap.baser1 = its.baser[1];
    snap.cbaser = its.cbaser;
    snap.events = event_count;
}
/* Tables unchanged (the queue page itself excluded), no delivery. */
static void unchanged(const char *what)
{
    cr_assert(memcmp(snap.ram, ram, 0x10000) == 0, "%s: RAM below the queue changed", what);
    cr_assert(memcmp(snap.ram + 0x11000, ram + 0x11000, sizeof(snap.ram) - 0x11000) == 0,
              "%s: tables changed", what);
    cr_assert_eq(event_count, snap.events, "%s: the vGIC was called", what);
    cr_assert_eq(its.baser[0], snap.baser0);
    cr_assert_eq(its.cbaser, snap.cbaser);
}

TestSuite(vgic_its, .init = setup);

Test(vgic_its, registers_report_gicv3_its)
{
    uint64_t t = rd(GITS_TYPER);
    cr_assert_eq(t & 1, 1, "Physical");
    cr_assert_eq((t >> 4) & 0xf, ITS_ENTRY_BYTES - 1, "ITT_entry_size");
    cr_assert_eq((t >> 8) & 0x1f, ITS_EVENT_ID_BITS - 1, "IDbits");
    cr_assert_eq((t >> 13) & 0x1f, ITS_DEVICE_ID_BITS - 1, "Devbits");
    cr_assert_eq((t >> 19) & 1, 0, "PTA = 0");
    cr_assert_eq((t >> 24) & 0xff, 0, "HCC = 0");
    cr_assert_eq((its_reg_read(&its, GITS_PIDR2, 4) >> 4) & 0xf, 3, "ArchRev 3");
    cr_assert_eq(its_reg_read(&its, GITS_IIDR, 4) & 0xfff, 0x43B);
    cr_assert_eq((rd(GITS_BASER0) >> 56) & 7, 1, "BASER0 is the Device table");
    cr_assert_eq((rd(GITS_BASER0 + 8) >> 56) & 7, 4, "BASER1 is the Collection table");
    cr_assert_eq((rd(GITS_BASER0) >> 48) & 0x1f, ITS_ENTRY_BYTES - 1, "Entry_Size");
    cr_assert_eq(rd(GITS_BASER0) & ~0xff1f000000000000ull & ~GITS_BASER_VALID, DT_GPA);
    for (int n = 2; n < 8; n++) {
        wr(GITS_BASER0 + 8 * n, ~0ull);
        cr_assert_eq(rd(GITS_BASER0 + 8 * n), 0, "BASER%d RAZ/WI", n);
    }
    cr_assert_eq(its_reg_read(&its, GITS_CTLR, 4), GITS_CTLR_ENABLED);
    its_reg_write(&its, GITS_CTLR, 4, 0);
    cr_assert_eq(its_reg_read(&its, GITS_CTLR, 4), GITS_CTLR_QUIESCENT, "disabled is quiescent");
    /* 32-bit halves of the 64-bit registers */
    cr_assert_eq(its_reg_read(&its, GITS_TYPER, 4), (uint32_t)t);
    cr_assert_eq(its_reg_read(&its, GITS_TYPER + 4, 4), t >> 32);
    its_reg_write(&its, GITS_CBASER + 4, 4, 0);
    cr_assert_eq(rd(GITS_CBASER), CQ_GPA, "high half written alone");
    /* Indirect and Page_Size are kept, Type and Entry_Size are read-only */
    wr(GITS_BASER0, GITS_BASER_VALID | GITS_BASER_INDIRECT | 7ull << 56 | 0x1full << 48 | 2ull << 8 | DT_GPA);
    cr_assert_eq(rd(GITS_BASER0) & (GITS_BASER_INDIRECT | 7ull << 56 | 0x1full << 48 | 3ull << 8),
                 GITS_BASER_INDIRECT | 1ull << 56 | 7ull << 48 | 2ull << 8);
    /* odd sizes and misaligned accesses are RAZ/WI */
    cr_assert_eq(its_reg_read(&its, GITS_TYPER, 2), 0);
    cr_assert_eq(its_reg_read(&its, GITS_TYPER + 2, 4), 0);
}

Test(vgic_its, tables_and_cbaser_are_read_only_while_enabled)
{
    wr(GITS_BASER0, GITS_BASER_VALID | (RAM_BASE + 0x80000));
    wr(GITS_CBASER, GITS_CBASER_VALID | (RAM_BASE + 0x80000));
    cr_assert_eq(rd(GITS_BASER0) & 0xfffffffff000ull, DT_GPA);
    cr_assert_eq(rd(GITS_CBASER) & 0xfffffffff000ull, CQ_GPA);
}

Test(vgic_its, mapd_mapc_mapti_then_int_delivers_the_lpi_to_its_vcpu)
{
    map_basic();
    cr_assert_eq(ram64(DT_GPA + 8), 1ull << 63 | ITT_GPA | 3, "DTE in guest memory");
    cr_assert_eq(ram64(CT_GPA + 8), 1ull << 63 | 1, "CTE in guest memory");
    cr_assert_eq(ram64(ITT_GPA + 5 * 8), 1ull << 63 | (LPI + 5), "ITE in guest memory");
    mapti(1, 6, LPI + 66, 1);
    cmd_ev(ITS_CMD_INT, 1, 5);
    cmd_ev(ITS_CMD_INT, 1, 6);
    kick();
    cr_assert_eq(event_count, 2);
    cr_assert_eq(events[0].kind, 'I');
    cr_assert_eq(events[0].vcpu, 0);
    cr_assert_eq(events[0].intid, LPI + 5);
    cr_assert_eq(events[1].vcpu, 1);
    cr_assert_eq(events[1].intid, LPI + 66);
    cr_assert_eq(rd(GITS_CREADR), cq_tail, "CREADR caught up with CWRITER");
    cr_assert_eq(its.error_count, 0);
}

/* GICv4 direct injection (its_env.fwd): the binding sees every mapping change and takes over
 * INT, TRANSLATER and CLEAR of the events it mirrors; nothing is injected by the model then. */
static bool fake_fwd(void *ctx, enum its_fwd_op op, uint32_t dev, uint32_t ev, uint32_t icid, uint32_t vcpu,
                     uint32_t intid)
{
    (void)ctx;
    static const char kinds[] = { [ITS_FWD_MAP] = 'm', [ITS_FWD_MOVE] = 'v', [ITS_FWD_UNMAP] = 'u',
                                  [ITS_FWD_INT] = 'n', [ITS_FWD_CLEAR] = 'c' };
    if (op == ITS_FWD_RETARGET) {              /* MAPC: icid in place of the INTID */
        log_event('r', vcpu, icid);
        return false;
    }
    if (op == ITS_FWD_UNMAP_DEVICE) {
        log_event('d', vcpu, dev);
        return false;
    }
    (void)icid;
    cr_assert_eq(dev, 1);
    cr_assert_eq(ev, 5);
    log_event(kinds[op], vcpu, intid);
    return op == ITS_FWD_INT || op == ITS_FWD_CLEAR;
}

Test(vgic_its, forwarding_hook_mirrors_mappings_and_takes_over_int)
{
    env.fwd = fake_fwd;
    map_basic();
    uint32_t n = event_count;
    cr_assert(n >= 1);
    cr_assert_eq(events[n - 1].kind, 'm', "MAPTI told to the binding");
    cr_assert_eq(events[n - 1].vcpu, 0);
    cr_assert_eq(events[n - 1].intid, LPI + 5);
    cmd_ev(ITS_CMD_INT, 1, 5);
    movi(1, 5, 1);
    cmd_ev(ITS_CMD_CLEAR, 1, 5);
    cmd_ev(ITS_CMD_DISCARD, 1, 5);
    cmd_ev(ITS_CMD_INT, 1, 5);                 /* discarded: nothing */
    kick();
    char seen[8] = { 0 };
    uint32_t k = 0, movi_vcpu = 99;
    for (uint32_t i = n; i < event_count; i++) {
        if (!strchr("mvunc", events[i].kind))
            continue;                           /* the model's own (emulated) clear calls */
        cr_assert_lt(k, 7);
        if (events[i].kind == 'v')
            movi_vcpu = events[i].vcpu;
        seen[k++] = events[i].kind;
    }
    cr_assert_str_eq(seen, "nvcu", "INT, MOVI, CLEAR, DISCARD told in order");
    cr_assert_eq(movi_vcpu, 1, "MOVI names the new vCPU");
    cr_assert(!pending[0][LPI + 5] && !pending[1][LPI + 5], "nothing injected by the model");
    env.fwd = NULL;
}

/* The binding learns each event's collection: a MAPTI before its MAPC is told with no vCPU,
 * the MAPC then retargets the collection (and V=0 unmaps it); MAPD V=0 unmaps the device. */
static uint32_t fwd_icid[8];
static bool icid_fwd(void *ctx, enum its_fwd_op op, uint32_t dev, uint32_t ev, uint32_t icid, uint32_t vcpu,
                     uint32_t intid)
{
    (void)ctx; (void)ev; (void)intid;
    static const char kinds[] = { [ITS_FWD_MAP] = 'm', [ITS_FWD_MOVE] = 'v', [ITS_FWD_UNMAP] = 'u',
                                  [ITS_FWD_INT] = 'n', [ITS_FWD_CLEAR] = 'c', [ITS_FWD_UNMAP_DEVICE] = 'd',
                                  [ITS_FWD_RETARGET] = 'r' };
    if (event_count < 8)
        fwd_icid[event_count] = op == ITS_FWD_UNMAP_DEVICE ? dev : icid;
    log_event(kinds[op], vcpu, 0);
    return false;
}

Test(vgic_its, forwarding_hook_follows_collections_and_devices)
{
    env.fwd = icid_fwd;
    mapd(3, ITT2_GPA, 4, true);
    mapti(3, 1, LPI + 7, 2);                   /* collection 2 not mapped yet */
    mapc(2, 1, true);
    mapc(2, 0, true);
    mapc(2, 0, false);
    mapd(3, 0, 0, false);
    kick();
    cr_assert_eq(its.error_count, 0);
    cr_assert_eq(event_count, 5);
    const char want[] = "mrrrd";
    const uint32_t want_vcpu[] = { ITS_FWD_NO_VCPU, 1, 0, ITS_FWD_NO_VCPU };
    for (uint32_t i = 0; i < 5; i++)
        cr_assert_eq(events[i].kind, want[i], "event %u", i);
    for (uint32_t i = 0; i < 4; i++) {
        cr_assert_eq(events[i].vcpu, want_vcpu[i], "event %u vcpu", i);
        cr_assert_eq(fwd_icid[i], 2, "event %u names collection 2", i);
    }
    cr_assert_eq(fwd_icid[4], 3, "MAPD V=0 names device 3");
    env.fwd = NULL;
}

Test(vgic_its, mapi_uses_the_event_id_as_lpi)
{
    mapd(2, ITT2_GPA, 15, true);
    mapc(0, 0, true);
    mapi(2, 9000, 0);
    cmd_ev(ITS_CMD_INT, 2, 9000);
    kick();
    cr_assert_eq(event_count, 1);
    cr_assert_eq(events[0].intid, 9000);
    cr_assert_eq(its.error_count, 0);
}

Test(vgic_its, translater_write_signals_device_0)
{
    mapd(0, ITT_GPA, 3, true);
    mapc(0, 1, true);
    mapti(0, 2, LPI + 20, 0);
    kick();
    its_reg_write(&its, GITS_TRANSLATER, 4, 2);
    cr_assert_eq(event_count, 1);
    cr_assert_eq(events[0].vcpu, 1);
    cr_assert_eq(events[0].intid, LPI + 20);
    its_reg_write(&its, GITS_TRANSLATER, 4, 3);                /* unmapped event: nothing */
    cr_assert(!its_signal(&its, 7, 2), "unmapped device does not translate");
    cr_assert_eq(event_count, 1);
    its_reg_write(&its, GITS_CTLR, 4, 0);
    cr_assert(!its_signal(&its, 0, 2), "a disabled ITS translates nothing");
    cr_assert_eq(its_reg_read(&its, GITS_TRANSLATER, 4), 0, "TRANSLATER is write-only");
}

Test(vgic_its, movi_moves_the_mapping_and_the_pending_state)
{
    map_basic();
    movi(1, 5, 1);
    cmd_ev(ITS_CMD_INT, 1, 5);
    kick();
    cr_assert_eq(ram64(ITT_GPA + 5 * 8) >> 32 & 0xffff, 1, "ITE now names ICID 1");
    cr_assert_eq(events[event_count - 1].kind, 'I');
    cr_assert_eq(events[event_count - 1].vcpu, 1, "INT after MOVI goes to vCPU 1");
    /* pending on vCPU 1, MOVI back to collection 0: it follows */
    movi(1, 5, 0);
    kick();
    cr_assert(!pending[1][LPI + 5]);
    cr_assert(pending[0][LPI + 5], "the pending LPI moved to vCPU 0");
    cr_assert_eq(its.error_count, 0);
}

Test(vgic_its, discard_removes_mapping_and_pending_state)
{
    map_basic();
    cmd_ev(ITS_CMD_INT, 1, 5);
    cmd_ev(ITS_CMD_DISCARD, 1, 5);
    kick();
    cr_assert(!pending[0][LPI + 5]);
    cr_assert_eq(ram64(ITT_GPA + 5 * 8), 0, "ITE cleared");
    uint32_t n = event_count;
    cmd_ev(ITS_CMD_INT, 1, 5);
    kick();
    cr_assert_eq(event_count, n, "INT of a discarded event delivers nothing");
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_INT, ITS_ERR_UNMAPPED_INTERRUPT));
}

Test(vgic_its, clear_removes_pending_state)
{
    map_basic();
    cmd_ev(ITS_CMD_INT, 1, 5);
    cmd_ev(ITS_CMD_CLEAR, 1, 5);
    kick();
    cr_assert(!pending[0][LPI + 5]);
    cr_assert_eq(events[event_count - 1].kind, 'C');
    cr_assert_eq(events[event_count - 1].intid, LPI + 5);
}

Test(vgic_its, optional_hooks_absent_are_not_called)
{
    env.lpi_clear = NULL;
    env.lpi_move_all = NULL;
    map_basic();
    cmd_ev(ITS_CMD_INT, 1, 5);
    cmd_ev(ITS_CMD_CLEAR, 1, 5);
    movi(1, 5, 1);
    movall(0, 1);
    cmd_ev(ITS_CMD_DISCARD, 1, 5);
    kick();
    cr_assert_eq(event_count, 1, "only the INT reached the vGIC");
    cr_assert_eq(its.error_count, 0);
    cr_assert_eq(ram64(ITT_GPA + 5 * 8), 0, "DISCARD still unmaps");
}

Test(vgic_its, sync_completes_and_movall_moves_pending_lpis)
{
    map_basic();
    cmd_ev(ITS_CMD_INT, 1, 5);
    sync_cmd(0);
    movall(0, 1);
    sync_cmd(1);
    kick();
    cr_assert_eq(rd(GITS_CREADR), cq_tail);
    cr_assert(pending[1][LPI + 5] && !pending[0][LPI + 5]);
    cr_assert_eq(events[event_count - 1].kind, 'M');
    movall(1, 1);                                              /* same RD: nothing to do */
    movall(0, VCPUS);                                          /* beyond the vCPUs */
    kick();
    cr_assert_eq(events[event_count - 1].kind, 'M');
    cr_assert_eq(its.error_count, 1);
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MOVALL, ITS_ERR_MOVALL_PROCNUM_OOR));
}

Test(vgic_its, inv_and_invall_call_the_config_hook)
{
    map_basic();
    cmd_ev(ITS_CMD_INV, 1, 5);
    invall(1);
    kick();
    cr_assert_eq(event_count, 2);
    cr_assert_eq(events[0].kind, 'V');
    cr_assert_eq(events[0].intid, LPI + 5);
    cr_assert_eq(events[1].kind, 'V');
    cr_assert_eq(events[1].intid, 0, "INVALL: all LPIs");
    cmd_ev(ITS_CMD_INV, 1, 6);                                 /* unmapped event */
    invall(7);                                                 /* unmapped collection */
    kick();
    cr_assert_eq(event_count, 2);
    cr_assert_eq(its.error_count, 2);
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_INVALL, ITS_ERR_UNMAPPED_COLLECTION));
}

/* Each malformed command is ignored: the queue moves on, nothing in memory or the vGIC changes. */
Test(vgic_its, malformed_commands_are_ignored_and_leave_state_intact)
{
    map_basic();
    struct { const char *what; uint64_t d[4]; uint32_t err; } bad[] = {
        { "MAPD DeviceID beyond the table", { ITS_CMD_MAPD | DEV(512), 3, ITT_GPA | 1ull << 63 },
          ITS_ERROR(ITS_CMD_MAPD, ITS_ERR_DEVICE_OOR) },
        { "MAPD DeviceID beyond Devbits", { ITS_CMD_MAPD | DEV(0x10000), 3, ITT_GPA | 1ull << 63 },
          ITS_ERROR(ITS_CMD_MAPD, ITS_ERR_DEVICE_OOR) },
        { "MAPD size beyond IDbits", { ITS_CMD_MAPD | DEV(3), 16, ITT_GPA | 1ull << 63 },
          ITS_ERROR(ITS_CMD_MAPD, ITS_ERR_SIZE_OOR) },
        { "MAPC ICID beyond the table", { ITS_CMD_MAPC, 0, 512 | 1ull << 63 },
          ITS_ERROR(ITS_CMD_MAPC, ITS_ERR_COLLECTION_OOR) },
        { "MAPC processor beyond the vCPUs", { ITS_CMD_MAPC, 0, 2 | 2ull << 16 | 1ull << 63 },
          ITS_ERROR(ITS_CMD_MAPC, ITS_ERR_PROCNUM_OOR) },
        { "MAPTI unmapped device", { ITS_CMD_MAPTI | DEV(3), 1 | (uint64_t)(LPI + 1) << 32, 0 },
          ITS_ERROR(ITS_CMD_MAPTI, ITS_ERR_UNMAPPED_DEVICE) },
        { "MAPTI EventID beyond the ITT", { ITS_CMD_MAPTI | DEV(1), 16 | (uint64_t)(LPI + 1) << 32, 0 },
          ITS_ERROR(ITS_CMD_MAPTI, ITS_ERR_ID_OOR) },
        { "MAPTI INTID below 8192", { ITS_CMD_MAPTI | DEV(1), 1 | 8191ull << 32, 0 },
          ITS_ERROR(ITS_CMD_MAPTI, ITS_ERR_PHYSICALID_OOR) },
        { "MAPTI INTID beyond IDbits", { ITS_CMD_MAPTI | DEV(1), 1 | 65536ull << 32, 0 },
          ITS_ERROR(ITS_CMD_MAPTI, ITS_ERR_PHYSICALID_OOR) },
        { "MAPTI ICID beyond the table", { ITS_CMD_MAPTI | DEV(1), 1 | (uint64_t)(LPI + 1) << 32, 600 },
          ITS_ERROR(ITS_CMD_MAPTI, ITS_ERR_COLLECTION_OOR) },
        { "MAPI EventID not an LPI", { ITS_CMD_MAPI | DEV(1), 1, 0 },
          ITS_ERROR(ITS_CMD_MAPI, ITS_ERR_PHYSICALID_OOR) },
        { "INT unmapped event", { ITS_CMD_INT | DEV(1), 4 },
          ITS_ERROR(ITS_CMD_INT, ITS_ERR_UNMAPPED_INTERRUPT) },
        { "INT EventID beyond the ITT", { ITS_CMD_INT | DEV(1), 1000 }, ITS_ERROR(ITS_CMD_INT, ITS_ERR_ID_OOR) },
        { "INT unmapped device", { ITS_CMD_INT | DEV(9), 5 }, ITS_ERROR(ITS_CMD_INT, ITS_ERR_UNMAPPED_DEVICE) },
        { "CLEAR unmapped event", { ITS_CMD_CLEAR | DEV(1), 4 },
          ITS_ERROR(ITS_CMD_CLEAR, ITS_ERR_UNMAPPED_INTERRUPT) },
        { "DISCARD unmapped event", { ITS_CMD_DISCARD | DEV(1), 4 },
          ITS_ERROR(ITS_CMD_DISCARD, ITS_ERR_UNMAPPED_INTERRUPT) },
        { "MOVI to an unmapped collection", { ITS_CMD_MOVI | DEV(1), 5, 9 },
          ITS_ERROR(ITS_CMD_MOVI, ITS_ERR_UNMAPPED_COLLECTION) },
        { "MOVI to an ICID beyond the table", { ITS_CMD_MOVI | DEV(1), 5, 4000 },
          ITS_ERROR(ITS_CMD_MOVI, ITS_ERR_COLLECTION_OOR) },
        { "unknown command 0x02", { 0x02 | DEV(1), 5 }, ITS_ERROR(0x02, ITS_ERR_UNKNOWN_CMD) },
        { "GICv4 VMAPP (0x29) on a GICv3 ITS", { 0x29, ~0ull, ~0ull, ~0ull }, ITS_ERROR(0x29, 0) },
        { "garbage", { 0xdeadbeefdeadbeefull, ~0ull, ~0ull, ~0ull }, ITS_ERROR(0xef, 0) },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        take();
        uint64_t errors = its.error_count;
        put(bad[i].d[0], bad[i].d[1], bad[i].d[2], bad[i].d[3]);
        kick();
        cr_assert_eq(rd(GITS_CREADR), cq_tail, "%s: the queue moved on", bad[i].what);
        cr_assert_eq(its.error_count, errors + 1, "%s: counted as an error", bad[i].what);
        cr_assert_eq(its.last_error, bad[i].err, "%s: error 0x%x, want 0x%x", bad[i].what,
                     its.last_error, bad[i].err);
        unchanged(bad[i].what);
    }
    /* and the good mapping still works */
    cmd_ev(ITS_CMD_INT, 1, 5);
    kick();
    cr_assert_eq(events[event_count - 1].intid, LPI + 5);
}

/* The guest owns the tables' memory: entries it corrupts are validated, never trusted. */
Test(vgic_its, corrupted_table_entries_in_guest_memory_are_not_trusted)
{
    map_basic();
    uint64_t cte = 1ull << 63 | 7;                            /* processor 7: no such vCPU */
    memcpy(ram + (CT_GPA - RAM_BASE), &cte, 8);
    cmd_ev(ITS_CMD_INT, 1, 5);
    kick();
    cr_assert_eq(event_count, 0, "no delivery to a nonexistent vCPU");
    uint64_t ite = 1ull << 63 | 5;                             /* INTID 5 is no LPI */
    memcpy(ram + (ITT_GPA + 5 * 8 - RAM_BASE), &ite, 8);
    mapc(0, 0, true);
    cmd_ev(ITS_CMD_INT, 1, 5);
    kick();
    cr_assert_eq(event_count, 0, "no delivery of a non-LPI INTID");
    uint64_t dte = 1ull << 63 | 0xffffffffff00ull | 31;        /* Size beyond IDbits, ITT far away */
    memcpy(ram + (DT_GPA + 8 - RAM_BASE), &dte, 8);
    cmd_ev(ITS_CMD_INT, 1, 5);
    kick();
    cr_assert_eq(event_count, 0);
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_INT, ITS_ERR_UNMAPPED_DEVICE));
}

Test(vgic_its, tables_outside_guest_memory_fail_cleanly)
{
    its_reg_write(&its, GITS_CTLR, 4, 0);
    wr(GITS_BASER0, GITS_BASER_VALID | 0x1000);               /* below RAM */
    wr(GITS_BASER0 + 8, GITS_BASER_VALID | (RAM_BASE + RAM_BYTES));   /* just past it */
    wr(GITS_CBASER, GITS_CBASER_VALID | CQ_GPA);
    its_reg_write(&its, GITS_CTLR, 4, GITS_CTLR_ENABLED);
    cq_tail = 0;
    take();
    mapd(1, ITT_GPA, 3, true);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MAPD, ITS_ERR_MEMORY));
    mapc(0, 0, true);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MAPC, ITS_ERR_MEMORY));
    cmd_ev(ITS_CMD_INT, 1, 5);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_INT, ITS_ERR_MEMORY));
    cr_assert_eq(rd(GITS_CREADR), cq_tail, "ignored, not stalled");
    unchanged("tables outside RAM");

    /* an ITT outside guest memory: MAPTI and INT fail the same way */
    its_reg_write(&its, GITS_CTLR, 4, 0);
    wr(GITS_BASER0, GITS_BASER_VALID | DT_GPA);
    wr(GITS_BASER0 + 8, GITS_BASER_VALID | CT_GPA);
    wr(GITS_CBASER, GITS_CBASER_VALID | CQ_GPA);
    its_reg_write(&its, GITS_CTLR, 4, GITS_CTLR_ENABLED);
    cq_tail = 0;
    mapd(1, 0x7fff00000000ull, 3, true);
    mapc(0, 0, true);
    mapti(1, 5, LPI + 5, 0);
    cmd_ev(ITS_CMD_INT, 1, 5);
    kick();
    cr_assert_eq(event_count, 0);
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_INT, ITS_ERR_MEMORY));
}

Test(vgic_its, command_queue_outside_guest_memory_stalls_until_fixed)
{
    its_reg_write(&its, GITS_CTLR, 4, 0);
    wr(GITS_CBASER, GITS_CBASER_VALID | 0x100000);
    its_reg_write(&its, GITS_CTLR, 4, GITS_CTLR_ENABLED);
    wr(GITS_CWRITER, 64);
    cr_assert_eq(rd(GITS_CREADR), GITS_CREADR_STALLED, "stalled at the first command");
    cr_assert_eq(its.cmd_count, 0);
    /* the guest points the queue at RAM again (disable, CBASER, enable) */
    its_reg_write(&its, GITS_CTLR, 4, 0);
    wr(GITS_CBASER, GITS_CBASER_VALID | CQ_GPA);
    cr_assert_eq(rd(GITS_CREADR), 0, "CBASER write resets CREADR");
    its_reg_write(&its, GITS_CTLR, 4, GITS_CTLR_ENABLED);
    cq_tail = 0;
    map_basic();
}

Test(vgic_its, queue_wraps_at_its_end)
{
    map_basic();
    /* fill to 32 bytes before the end, then INTs across the wrap */
    while (cq_tail != 4096 - 32)
        sync_cmd(0);
    kick();
    cr_assert_eq(rd(GITS_CREADR), 4096 - 32);
    uint32_t n = event_count;
    cmd_ev(ITS_CMD_INT, 1, 5);                                 /* last slot */
    cmd_ev(ITS_CMD_INT, 1, 5);                                 /* slot 0 */
    cmd_ev(ITS_CMD_INT, 1, 5);                                 /* slot 1 */
    cr_assert_eq(cq_tail, 64);
    kick();
    cr_assert_eq(rd(GITS_CREADR), 64, "CREADR wrapped");
    cr_assert_eq(event_count, n + 3);
}

Test(vgic_its, cwriter_beyond_the_queue_stalls_until_fixed)
{
    map_basic();
    uint64_t creadr = rd(GITS_CREADR);
    cmd_ev(ITS_CMD_INT, 1, 5);
    wr(GITS_CWRITER, 4096);                                    /* one past the end of 1 page */
    cr_assert_eq(rd(GITS_CREADR), creadr | GITS_CREADR_STALLED);
    cr_assert_eq(event_count, 0, "nothing processed while stalled");
    wr(GITS_CWRITER, 0xFFFE0);
    cr_assert_eq(rd(GITS_CREADR), creadr | GITS_CREADR_STALLED);
    kick();                                                    /* fixed: resumes at CREADR */
    cr_assert_eq(rd(GITS_CREADR), cq_tail);
    cr_assert_eq(event_count, 1);
    /* Retry set with a valid offset also resumes */
    cmd_ev(ITS_CMD_INT, 1, 5);
    wr(GITS_CWRITER, 8192);
    cr_assert(rd(GITS_CREADR) & GITS_CREADR_STALLED);
    wr(GITS_CWRITER, cq_tail | GITS_CWRITER_RETRY);
    cr_assert_eq(rd(GITS_CREADR), cq_tail);
    cr_assert_eq(event_count, 2);
    /* bits [4:1] of CWRITER are RES0: a misaligned offset is aligned down, never stalls */
    cmd_ev(ITS_CMD_INT, 1, 5);
    wr(GITS_CWRITER, cq_tail | 0x1e);
    cr_assert_eq(rd(GITS_CREADR), cq_tail);
    cr_assert_eq(rd(GITS_CWRITER), cq_tail);
}

Test(vgic_its, work_per_exit_is_bounded_and_creadr_reads_make_progress)
{
    map_basic();
    uint64_t before = its.cmd_count;
    for (int i = 0; i < 127; i++)                              /* a full queue: 127 commands */
        cmd_ev(ITS_CMD_INT, 1, 5);
    cr_assert_eq(its_process_queue(&its, 0), 0);
    /* write CWRITER without processing: drive the model with a small budget */
    its.cwriter = cq_tail;
    cr_assert_eq(its_process_queue(&its, 100), 100);
    cr_assert_eq(its.cmd_count, before + 100);
    cr_assert_neq(its.creadr, its.cwriter);
    rd(GITS_CREADR);                                           /* a poll finishes the rest */
    cr_assert_eq(its.creadr, its.cwriter);
    cr_assert_eq(its.cmd_count, before + 127);
}

Test(vgic_its, disabled_its_processes_nothing)
{
    its_reg_write(&its, GITS_CTLR, 4, 0);
    mapd(1, ITT_GPA, 3, true);
    kick();
    cr_assert_eq(rd(GITS_CREADR), 0);
    cr_assert_eq(ram64(DT_GPA + 8), 0);
    its_reg_write(&its, GITS_CTLR, 4, GITS_CTLR_ENABLED);     /* enabling processes the queue */
    cr_assert_eq(rd(GITS_CREADR), 32);
    cr_assert_eq(ram64(DT_GPA + 8) >> 63, 1);
}

Test(vgic_its, unmapping_device_and_collection_stops_delivery)
{
    map_basic();
    mapc(0, 0, false);
    cmd_ev(ITS_CMD_INT, 1, 5);
    kick();
    cr_assert_eq(event_count, 0);
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_INT, ITS_ERR_UNMAPPED_COLLECTION));
    mapc(0, 1, true);
    mapd(1, 0, 0, false);
    cmd_ev(ITS_CMD_INT, 1, 5);
    kick();
    cr_assert_eq(event_count, 0);
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_INT, ITS_ERR_UNMAPPED_DEVICE));
}

Test(vgic_its, reset_returns_to_the_reset_state)
{
    map_basic();
    its_reset(&its);
    cr_assert_eq(its_reg_read(&its, GITS_CTLR, 4), GITS_CTLR_QUIESCENT);
    cr_assert_eq(rd(GITS_CBASER), 0);
    cr_assert_eq(rd(GITS_BASER0), 1ull << 56 | 7ull << 48);
    cr_assert_eq(its.cmd_count, 0);
}

/* Two-level tables: level-1 entries point at 4 KiB pages of 512 entries each. */
Test(vgic_its, indirect_tables_walk_two_levels)
{
    its_reg_write(&its, GITS_CTLR, 4, 0);
    wr(GITS_BASER0, GITS_BASER_VALID | GITS_BASER_INDIRECT | DT_GPA);      /* L1: 512 entries */
    wr(GITS_BASER0 + 8, GITS_BASER_VALID | GITS_BASER_INDIRECT | CT_GPA);
    wr(GITS_CBASER, GITS_CBASER_VALID | CQ_GPA);
    its_reg_write(&its, GITS_CTLR, 4, GITS_CTLR_ENABLED);
    uint64_t l2_dev = RAM_BASE + 0x50000, l2_col = RAM_BASE + 0x51000;
    uint64_t l1 = 1ull << 63 | l2_dev;
    memcpy(ram + (DT_GPA + 2 * 8 - RAM_BASE), &l1, 8);                    /* DeviceIDs 1024..1535 */
    l1 = 1ull << 63 | l2_col;
    memcpy(ram + (CT_GPA - RAM_BASE), &l1, 8);                            /* ICIDs 0..511 */
    mapd(1030, ITT_GPA, 3, true);
    mapc(3, 1, true);
    mapti(1030, 2, LPI + 7, 3);
    cmd_ev(ITS_CMD_INT, 1030, 2);
    kick();
    cr_assert_eq(its.error_count, 0, "last_error 0x%x", its.last_error);
    cr_assert_eq(ram64(l2_dev + 6 * 8), 1ull << 63 | ITT_GPA | 3, "DTE in the level-2 page");
    cr_assert_eq(ram64(l2_col + 3 * 8), 1ull << 63 | 1, "CTE in the level-2 page");
    cr_assert_eq(event_count, 1);
    cr_assert_eq(events[0].vcpu, 1);
    cr_assert_eq(events[0].intid, LPI + 7);
    /* an ID whose level-1 entry is not valid: out of range for MAPD, unmapped for INT */
    take();
    mapd(5, ITT_GPA, 3, true);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MAPD, ITS_ERR_DEVICE_OOR));
    cmd_ev(ITS_CMD_INT, 600, 0);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_INT, ITS_ERR_UNMAPPED_DEVICE));
    mapc(600, 0, true);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MAPC, ITS_ERR_COLLECTION_OOR));
    unchanged("absent level-2 pages");
    /* a level-1 entry pointing outside guest memory fails cleanly */
    l1 = 1ull << 63 | 0x7fff0000ull;
    memcpy(ram + (DT_GPA + 3 * 8 - RAM_BASE), &l1, 8);
    mapd(1536, ITT_GPA, 3, true);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MAPD, ITS_ERR_MEMORY));
    cr_assert_eq(rd(GITS_CREADR), cq_tail);
}

/* GITS_BASER<n>.Page_Size: 4, 16 and 64 KiB read back as written, the reserved 0b11 as 64 KiB,
 * in either 32-bit half write; the reset value is 4 KiB. */
Test(vgic_its, page_size_reads_back_4k_16k_64k)
{
    its_reg_write(&its, GITS_CTLR, 4, 0);
    static const uint64_t sizes[] = { GITS_BASER_PAGE_SIZE_4K, GITS_BASER_PAGE_SIZE_16K, GITS_BASER_PAGE_SIZE_64K };
    for (int n = 0; n < 2; n++)
        for (unsigned i = 0; i < 3; i++) {
            wr(GITS_BASER0 + 8 * n, GITS_BASER_VALID | sizes[i] | DT_GPA);
            cr_assert_eq(rd(GITS_BASER0 + 8 * n) & GITS_BASER_PAGE_SIZE_MASK, sizes[i], "BASER%d size %u", n, i);
        }
    wr(GITS_BASER0, GITS_BASER_VALID | 3ull << 8 | DT_GPA);
    cr_assert_eq(rd(GITS_BASER0) & GITS_BASER_PAGE_SIZE_MASK, GITS_BASER_PAGE_SIZE_64K, "0b11 is 64 KiB");
    its_reg_write(&its, GITS_BASER0, 4, (uint32_t)(DT_GPA | GITS_BASER_PAGE_SIZE_16K));
    cr_assert_eq(rd(GITS_BASER0), GITS_BASER_VALID | 1ull << 56 | 7ull << 48 | GITS_BASER_PAGE_SIZE_16K | DT_GPA,
                 "low half written alone");
    its_reg_write(&its, GITS_CTLR, 4, GITS_CTLR_ENABLED);
    wr(GITS_BASER0, GITS_BASER_VALID | GITS_BASER_PAGE_SIZE_64K | DT_GPA);
    cr_assert_eq(rd(GITS_BASER0) & GITS_BASER_PAGE_SIZE_MASK, GITS_BASER_PAGE_SIZE_16K, "read-only while enabled");
    its_reset(&its);
    cr_assert_eq(rd(GITS_BASER0) & GITS_BASER_PAGE_SIZE_MASK, GITS_BASER_PAGE_SIZE_4K, "4 KiB at reset");
}

/* Reprograms the Device and Collection tables (ITS disabled around it). */
static void tables(uint64_t dt, uint64_t ct)
{
    its_reg_write(&its, GITS_CTLR, 4, 0);
    wr(GITS_BASER0, dt);
    wr(GITS_BASER0 + 8, ct);
    its_reg_write(&its, GITS_CTLR, 4, GITS_CTLR_ENABLED);
}

/* Flat tables of one page (Size 0) hold page/8 IDs: 2048 with 16 KiB pages, 8192 with 64 KiB.
 * IDs beyond 4 KiB's 512 that fit the larger page map and deliver; the first ID past the
 * end is refused with the table untouched; the same IDs with 4 KiB pages are refused. */
static void flat_tables(uint64_t page_size, uint32_t ids)
{
    tables(GITS_BASER_VALID | page_size | DT_GPA, GITS_BASER_VALID | page_size | CT_GPA);
    uint32_t dev = ids - 1, icid = ids - 2;
    mapd(dev, ITT_GPA, 3, true);
    mapc(icid, 1, true);
    mapti(dev, 4, LPI + 9, icid);
    cmd_ev(ITS_CMD_INT, dev, 4);
    kick();
    cr_assert_eq(its.error_count, 0, "last_error 0x%x", its.last_error);
    cr_assert_eq(ram64(DT_GPA + (uint64_t)dev * 8), 1ull << 63 | ITT_GPA | 3, "DTE at DeviceID %u", dev);
    cr_assert_eq(ram64(CT_GPA + (uint64_t)icid * 8), 1ull << 63 | 1, "CTE at ICID %u", icid);
    cr_assert_eq(event_count, 1);
    cr_assert(events[0].vcpu == 1 && events[0].intid == LPI + 9);

    take();
    mapd(ids, ITT_GPA, 3, true);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MAPD, ITS_ERR_DEVICE_OOR), "DeviceID %u is past the table", ids);
    mapc(ids, 0, true);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MAPC, ITS_ERR_COLLECTION_OOR), "ICID %u is past the table", ids);
    cr_assert_eq(its.error_count, 2);
    unchanged("IDs past a one-page table");

    /* The same IDs with 4 KiB pages: beyond the 512 entries of one page. */
    tables(GITS_BASER_VALID | DT_GPA, GITS_BASER_VALID | CT_GPA);
    mapd(dev, ITT_GPA, 3, true);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MAPD, ITS_ERR_DEVICE_OOR));
    cmd_ev(ITS_CMD_INT, dev, 4);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_INT, ITS_ERR_DEVICE_OOR));
    mapc(icid, 0, true);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MAPC, ITS_ERR_COLLECTION_OOR));
    cr_assert_eq(its.error_count, 5);
    cr_assert_eq(event_count, 1, "nothing delivered with 4 KiB pages");
}

Test(vgic_its, flat_tables_with_16k_pages)
{
    flat_tables(GITS_BASER_PAGE_SIZE_16K, 2048);
}

Test(vgic_its, flat_tables_with_64k_pages)
{
    flat_tables(GITS_BASER_PAGE_SIZE_64K, 8192);
}

/* Size counts pages of Page_Size: Size 1 with 16 KiB pages is 4096 entries. */
Test(vgic_its, table_size_counts_pages_of_the_page_size)
{
    tables(GITS_BASER_VALID | GITS_BASER_PAGE_SIZE_16K | 1 | DT_GPA, GITS_BASER_VALID | CT_GPA);
    mapd(4095, ITT_GPA, 3, true);
    kick();
    cr_assert_eq(its.error_count, 0, "last_error 0x%x", its.last_error);
    cr_assert_eq(ram64(DT_GPA + 4095 * 8), 1ull << 63 | ITT_GPA | 3);
    mapd(4096, ITT_GPA, 3, true);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MAPD, ITS_ERR_DEVICE_OOR));
}

/* Two-level tables with larger pages: a level-1 entry covers page/8 IDs and points at a
 * level-2 page of that size; the level-1 index and the slot in the level-2 page follow. */
static void indirect_tables(uint64_t page_size, uint32_t per_page)
{
    tables(GITS_BASER_VALID | GITS_BASER_INDIRECT | page_size | DT_GPA,
           GITS_BASER_VALID | GITS_BASER_INDIRECT | page_size | CT_GPA);
    uint64_t l2_dev = RAM_BASE + 0x60000, l2_col = RAM_BASE + 0x70000;   /* 64 KiB aligned */
    uint32_t dev = per_page + 5, icid = per_page - 1;   /* level-1 entry 1 slot 5, entry 0 last slot */
    uint64_t l1 = 1ull << 63 | l2_dev;
    memcpy(ram + (DT_GPA + 8 - RAM_BASE), &l1, 8);
    l1 = 1ull << 63 | l2_col;
    memcpy(ram + (CT_GPA - RAM_BASE), &l1, 8);
    mapd(dev, ITT_GPA, 3, true);
    mapc(icid, 1, true);
    mapti(dev, 2, LPI + 11, icid);
    cmd_ev(ITS_CMD_INT, dev, 2);
    kick();
    cr_assert_eq(its.error_count, 0, "last_error 0x%x", its.last_error);
    cr_assert_eq(ram64(l2_dev + 5 * 8), 1ull << 63 | ITT_GPA | 3, "DTE in slot 5 of level-1 entry 1's page");
    cr_assert_eq(ram64(l2_col + (uint64_t)(per_page - 1) * 8), 1ull << 63 | 1, "CTE in the last slot of its page");
    cr_assert_eq(event_count, 1);
    cr_assert(events[0].vcpu == 1 && events[0].intid == LPI + 11);
    /* Level-1 entry 2 (IDs 2 * per_page ...) is not valid: out of range for MAPD and MAPC. */
    take();
    mapd(2 * per_page, ITT_GPA, 3, true);
    mapc(per_page, 0, true);
    kick();
    cr_assert_eq(its.error_count, 2);
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MAPC, ITS_ERR_COLLECTION_OOR));
    unchanged("absent level-2 pages");
    /* The device walk with 4 KiB pages reads another level-1 entry (dev / 512): not valid. */
    tables(GITS_BASER_VALID | GITS_BASER_INDIRECT | DT_GPA, GITS_BASER_VALID | GITS_BASER_INDIRECT | CT_GPA);
    cmd_ev(ITS_CMD_INT, dev, 2);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_INT, ITS_ERR_UNMAPPED_DEVICE));
    cr_assert_eq(event_count, 1);
}

Test(vgic_its, indirect_tables_with_16k_pages)
{
    indirect_tables(GITS_BASER_PAGE_SIZE_16K, 2048);
}

Test(vgic_its, indirect_tables_with_64k_pages)
{
    indirect_tables(GITS_BASER_PAGE_SIZE_64K, 8192);
}

/* Physical_Address with 64 KiB pages: bits [15:12] are PA bits [51:48], beyond guest memory:
 * the table cannot be used (a memory error, nothing written). With 16 KiB pages the address
 * bits below 16 KiB are ignored. */
Test(vgic_its, table_address_follows_the_page_size)
{
    tables(GITS_BASER_VALID | GITS_BASER_PAGE_SIZE_64K | 1ull << 12 | DT_GPA, GITS_BASER_VALID | CT_GPA);
    cr_assert_eq(rd(GITS_BASER0) & 0xf000, 0x1000, "bits [15:12] read back");
    take();
    mapd(1, ITT_GPA, 3, true);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MAPD, ITS_ERR_MEMORY), "PA bit 48 set: outside guest memory");
    unchanged("a table above 2^48");
    tables(GITS_BASER_VALID | GITS_BASER_PAGE_SIZE_16K | 3ull << 12 | DT_GPA, GITS_BASER_VALID | CT_GPA);
    mapd(1, ITT_GPA, 3, true);
    kick();
    cr_assert_eq(its.error_count, 1, "last_error 0x%x", its.last_error);
    cr_assert_eq(ram64(DT_GPA + 8), 1ull << 63 | ITT_GPA | 3, "the table starts at the 16 KiB boundary");
}

/* ---- tables under a memslot that goes away while the VM runs (kernel/memslot.c) ------- */
#include "memslot.h"

static struct memslots slots;
static uint64_t fault_gpa[8];
static uint32_t fault_count;

static int slot_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    (void)ctx;
    return guest_read(&slots, gpa, buf, len);
}

static int slot_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    (void)ctx;
    return guest_write(&slots, gpa, buf, len);
}

static void record_fault(void *ctx, uint64_t gpa, bool write)
{
    (void)ctx, (void)write;
    if (fault_count < 8)
        fault_gpa[fault_count] = gpa;
    fault_count++;
}

/* Guest RAM as two slots: slot 0 the queue and device/collection tables, slot 1 (the top
 * 64 KiB, where the ITT lives) deleted and re-added the way `hvctl memslot NAME delete` does. */
#define SLOT1_BYTES 0x10000ull
#define SLOT1_GPA (RAM_BASE + RAM_BYTES - SLOT1_BYTES)
Test(vgic_its, itt_slot_deleted_while_running_fails_cleanly_and_is_reported)
{
    memslots_init(&slots);
    cr_assert_eq(memslot_set(&slots, 0, RAM_BASE, RAM_BYTES - SLOT1_BYTES, (uint64_t)(uintptr_t)ram, MEMSLOT_RAM), 0);
    cr_assert_eq(memslot_set(&slots, 1, SLOT1_GPA, SLOT1_BYTES, (uint64_t)(uintptr_t)(ram + RAM_BYTES - SLOT1_BYTES), 0), 0);
    cr_assert(CQ_GPA < SLOT1_GPA && DT_GPA < SLOT1_GPA && CT_GPA < SLOT1_GPA, "queue and tables in slot 0");
    env.mem_read = slot_read;
    env.mem_write = slot_write;
    env.mem_fault = record_fault;
    its_reg_write(&its, GITS_CTLR, 4, 0);
    wr(GITS_BASER0, GITS_BASER_VALID | DT_GPA);
    wr(GITS_BASER0 + 8, GITS_BASER_VALID | CT_GPA);
    wr(GITS_CBASER, GITS_CBASER_VALID | CQ_GPA);
    its_reg_write(&its, GITS_CTLR, 4, GITS_CTLR_ENABLED);
    cq_tail = 0;
    mapd(1, SLOT1_GPA, 3, true);
    mapc(0, 0, true);
    kick();
    cr_assert_eq(its.error_count, 0);
    cr_assert_eq(fault_count, 0);

    /* the slot under the ITT goes away: MAPTI cannot write its entry, INT cannot read it */
    cr_assert_eq(memslot_set(&slots, 1, 0, 0, 0, 0), 0);
    mapti(1, 5, LPI + 5, 0);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_MAPTI, ITS_ERR_MEMORY));
    cmd_ev(ITS_CMD_INT, 1, 5);
    kick();
    cr_assert_eq(its.last_error, ITS_ERROR(ITS_CMD_INT, ITS_ERR_MEMORY));
    cr_assert_eq(event_count, 0, "no LPI from a table that is gone");
    cr_assert_eq(rd(GITS_CREADR), cq_tail, "ignored, not stalled: the queue moves on");
    cr_assert_geq(fault_count, 2);
    cr_assert_eq(fault_gpa[0], SLOT1_GPA + 5 * ITS_ENTRY_BYTES, "the ITE's address is named: 0x%lx",
                 (unsigned long)fault_gpa[0]);

    /* back again (zeroed, as a new slot is): the same commands work */
    memset(ram + RAM_BYTES - SLOT1_BYTES, 0, SLOT1_BYTES);
    cr_assert_eq(memslot_set(&slots, 1, SLOT1_GPA, SLOT1_BYTES, (uint64_t)(uintptr_t)(ram + RAM_BYTES - SLOT1_BYTES), 0), 0);
    mapti(1, 5, LPI + 5, 0);
    cmd_ev(ITS_CMD_INT, 1, 5);
    kick();
    cr_assert_eq(event_count, 1, "delivered once the memory is back");

    /* the queue's own slot deleted: the queue stalls at that command (and says where) */
    uint32_t before = fault_count;
    cr_assert_eq(memslot_set(&slots, 0, 0, 0, 0, 0), 0);
    cmd_ev(ITS_CMD_INT, 1, 5);
    kick();
    cr_assert(rd(GITS_CREADR) & GITS_CREADR_STALLED, "stalled");
    cr_assert_eq(fault_count, before + 1);
    cr_assert_eq(fault_gpa[before < 8 ? before : 7] & ~0xfffull, CQ_GPA & ~0xfffull);
}
