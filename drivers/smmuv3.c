/* smmuv3.c: the host's Arm SMMUv3 (Arm IHI 0070): a linear stream table whose entries abort or
 * translate by stage 2 only, the command queue with CMD_SYNC completion by polling, and the
 * event queue. See smmuv3.h. */
#include <string.h>
#include "kernel.h"
#include "mmio.h"
#include "page_alloc.h"
#include "smmuv3.h"
#include "spinlock.h"
#include "sysreg.h"

/* IHI 0070 6.2: register offsets (page 0; the event queue's PROD/CONS sit in page 1). */
#define SMMU_IDR0            0x0000
#define SMMU_IDR1            0x0004
#define SMMU_IDR5            0x0014
#define SMMU_CR0             0x0020
#define SMMU_CR0ACK          0x0024
#define SMMU_CR1             0x0028
#define SMMU_CR2             0x002c
#define SMMU_GERROR          0x0060
#define SMMU_GERRORN         0x0064
#define SMMU_STRTAB_BASE     0x0080
#define SMMU_STRTAB_BASE_CFG 0x0088
#define SMMU_CMDQ_BASE       0x0090
#define SMMU_CMDQ_PROD       0x0098
#define SMMU_CMDQ_CONS       0x009c
#define SMMU_EVENTQ_BASE     0x00a0
#define SMMU_EVENTQ_PROD     0x100a8
#define SMMU_EVENTQ_CONS     0x100ac

#define IDR0_S2P             (1u << 0)
#define IDR0_S1P             (1u << 1)
#define IDR0_VMID16          (1u << 18)
#define IDR5_GRAN4K          (1u << 4)
#define CR0_SMMUEN           (1u << 0)
#define CR0_EVENTQEN         (1u << 2)
#define CR0_CMDQEN           (1u << 3)
/* CR1: queues and tables Inner/Outer Write-Back, Inner Shareable (6.3.10). */
#define CR1_WB_IS            (1u << 0 | 1u << 2 | 3u << 4 | 1u << 6 | 1u << 8 | 3u << 10)
#define CR2_RECINVSID        (1u << 1)   /* record C_BAD_STREAMID */
#define CR2_PTM              (1u << 2)   /* broadcast TLB maintenance does not reach the SMMU */
#define GERROR_CMDQ_ERR      (1u << 0)
#define Q_BASE_RWA           (1ull << 62)
#define Q_ADDR_MASK          0x000fffffffffffe0ull
#define Q_OVF                (1u << 31)   /* EVENTQ_PROD.OVFLG / EVENTQ_CONS.OVACKFLG */
#define CMDQ_CONS_ERR(c)     (((c) >> 24) & 0x7f)

/* Queue sizes (entries, log2): one 4 KiB page each. */
#define CMDQ_LOG2            8            /* 16-byte commands */
#define EVENTQ_LOG2          7            /* 32-byte records */

/* IHI 0070 5.2: STE fields of a stage-2-only entry. */
#define STE_V                (1ull << 0)
#define STE_CFG_ABORT        (0ull << 1)
#define STE_CFG_BYPASS       (4ull << 1)  /* S1 bypass, S2 bypass */
#define STE_CFG_S2           (6ull << 1)  /* S1 bypass, S2 translate */
#define STE1_SHCFG_INCOMING  (1ull << 44)
#define STE2_S2T0SZ(x)       ((uint64_t)(x) << 32)
#define STE2_S2SL0_L0        (2ull << 38) /* 4 KiB granule: walk starts at level 0 */
#define STE2_S2IR0_WB        (1ull << 40)
#define STE2_S2OR0_WB        (1ull << 42)
#define STE2_S2SH0_IS        (3ull << 44)
#define STE2_S2TG_4K         (0ull << 46)
#define STE2_S2PS(x)         ((uint64_t)(x) << 48)
#define STE2_S2AA64          (1ull << 51)
#define STE2_S2R             (1ull << 58) /* record stage-2 faults in the event queue */
#define STE3_S2TTB_MASK      0x000ffffffffffff0ull

/* IHI 0070 4: command opcodes. */
#define CMD_CFGI_STE         0x03
#define CMD_CFGI_ALL         0x04
#define CMD_TLBI_EL2_ALL     0x20
#define CMD_TLBI_S12_VMALL   0x28
#define CMD_TLBI_S2_IPA      0x2a
#define CMD_TLBI_NSNH_ALL    0x30
#define CMD_SYNC             0x46

#define POLL_LIMIT           10000000u
#define TLBI_PAGES_MAX       64u          /* above: one CMD_TLBI_S12_VMALL */

/* Written by the boot CPU in smmuv3_init; the queues and tables under `lock`. */
static struct {
    uint64_t base;
    bool ready;
    uint32_t sid_bits;
    uint32_t t0sz, oas_field;
    uint64_t *strtab;              /* 8 dwords per StreamID */
    uint64_t *cmdq;                /* 2 dwords per command */
    uint64_t *eventq;              /* 4 dwords per record */
    uint32_t cmdq_prod;            /* index with its wrap bit (bit CMDQ_LOG2) */
    uint32_t eventq_cons;
    struct spinlock lock;
} smmu;

static uint32_t rd32(uint32_t off) { return mmio_read32(smmu.base + off); }
static void wr32(uint32_t off, uint32_t v) { mmio_write32(smmu.base + off, v); }
static void wr64(uint32_t off, uint64_t v) { *(volatile uint64_t *)(uintptr_t)(smmu.base + off) = v; }

static const uint8_t oas_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

bool smmuv3_probe(uint64_t base, struct smmuv3_caps *caps)
{
    uint32_t idr0, idr1, idr5;
    if (!mmio_probe_read32(base + SMMU_IDR0, &idr0) || !mmio_probe_read32(base + SMMU_IDR1, &idr1) ||
        !mmio_probe_read32(base + SMMU_IDR5, &idr5))
        return false;
    memset(caps, 0, sizeof(*caps));
    caps->s2p = idr0 & IDR0_S2P;
    caps->s1p = idr0 & IDR0_S1P;
    caps->vmid16 = idr0 & IDR0_VMID16;
    caps->sid_bits = idr1 & 0x3f;
    caps->oas_field = idr5 & 7;
    caps->oas_bits = caps->oas_field < sizeof(oas_bits) ? oas_bits[caps->oas_field] : 0;
    if (!(idr5 & IDR5_GRAN4K))
        caps->s2p = false;          /* the VM's tables are 4 KiB-granule */
    return true;
}

static bool wait_cr0(uint32_t want)
{
    for (uint32_t i = 0; i < POLL_LIMIT; i++)
        if (rd32(SMMU_CR0ACK) == want)
            return true;
    return false;
}

/* Under smmu.lock: one command into the queue, waiting while it is full (6.2 "queue full":
 * same index, different wrap). */
static bool cmd_put(uint64_t dw0, uint64_t dw1)
{
    const uint32_t n = 1u << CMDQ_LOG2, wrap_idx = (n << 1) - 1;
    for (uint32_t i = 0;; i++) {
        uint32_t cons = rd32(SMMU_CMDQ_CONS) & wrap_idx;
        if ((cons ^ smmu.cmdq_prod) != n)
            break;
        if (i == POLL_LIMIT)
            return false;
    }
    uint64_t *c = &smmu.cmdq[2 * (smmu.cmdq_prod & (n - 1))];
    c[0] = dw0;
    c[1] = dw1;
    dsb(ishst);                      /* the command is in memory before PROD moves */
    smmu.cmdq_prod = (smmu.cmdq_prod + 1) & wrap_idx;
    wr32(SMMU_CMDQ_PROD, smmu.cmdq_prod);
    return true;
}

/* Under smmu.lock: CMD_SYNC (CS = SIG_NONE) and wait until CONS has passed it: every earlier
 * command has completed (4.7.3). A command error (CMDQ_CONS.ERR) is reported and makes the
 * SMMU unusable: nothing more is trusted to it. */
static bool cmd_sync(void)
{
    const uint32_t wrap_idx = (2u << CMDQ_LOG2) - 1;
    if (!cmd_put(CMD_SYNC, 0))
        return false;
    for (uint32_t i = 0; i < POLL_LIMIT; i++) {
        if ((rd32(SMMU_GERROR) ^ rd32(SMMU_GERRORN)) & GERROR_CMDQ_ERR) {   /* 6.3.14: active while they differ */
            hv_printf("smmu: command queue error %u at index %u: SMMU unusable\n",
                      CMDQ_CONS_ERR(rd32(SMMU_CMDQ_CONS)), rd32(SMMU_CMDQ_CONS) & wrap_idx);
            smmu.ready = false;
            return false;
        }
        if ((rd32(SMMU_CMDQ_CONS) & wrap_idx) == smmu.cmdq_prod)
            return true;
    }
    hv_printf("smmu: CMD_SYNC did not complete\n");
    return false;
}

static bool ste_write(uint32_t sid, const uint64_t ste[4])
{
    if (!smmu.ready || sid >= (1u << smmu.sid_bits))
        return false;
    uint64_t *e = &smmu.strtab[8 * sid];
    spin_lock(&smmu.lock);
    /* 3.21.3: invalidate the entry before changing its other words, then make it valid. */
    e[0] = 0;
    dsb(ishst);
    bool ok = cmd_put(CMD_CFGI_STE | (uint64_t)sid << 32, 1) && cmd_sync();
    e[1] = ste[1];
    e[2] = ste[2];
    e[3] = ste[3];
    dsb(ishst);
    e[0] = ste[0];
    dsb(ishst);
    ok = ok && cmd_put(CMD_CFGI_STE | (uint64_t)sid << 32, 1) && cmd_sync();
    spin_unlock(&smmu.lock);
    return ok;
}

bool smmuv3_ste_abort(uint32_t sid)
{
    const uint64_t ste[4] = { STE_V | STE_CFG_ABORT, 0, 0, 0 };
    return ste_write(sid, ste);
}

bool smmuv3_ste_bypass(uint32_t sid)
{
    const uint64_t ste[4] = { STE_V | STE_CFG_BYPASS, STE1_SHCFG_INCOMING, 0, 0 };
    return ste_write(sid, ste);
}

bool smmuv3_ste_stage2(uint32_t sid, uint16_t vmid, uint64_t s2ttb)
{
    const uint64_t ste[4] = {
        STE_V | STE_CFG_S2,
        STE1_SHCFG_INCOMING,
        vmid | STE2_S2T0SZ(smmu.t0sz) | STE2_S2SL0_L0 | STE2_S2IR0_WB | STE2_S2OR0_WB | STE2_S2SH0_IS |
            STE2_S2TG_4K | STE2_S2PS(smmu.oas_field) | STE2_S2AA64 | STE2_S2R,
        s2ttb & STE3_S2TTB_MASK,
    };
    return ste_write(sid, ste);
}

bool smmuv3_tlbi_s2(uint16_t vmid, uint64_t ipa, uint64_t size_bytes)
{
    if (!smmu.ready)
        return false;
    uint64_t pages = (size_bytes + 0xfff) >> 12;
    spin_lock(&smmu.lock);
    bool ok = true;
    dsb(ishst);                      /* the table update is visible to the SMMU's walker */
    if (pages > TLBI_PAGES_MAX) {
        ok = cmd_put(CMD_TLBI_S12_VMALL | (uint64_t)vmid << 32, 0);
    } else {
        /* Leaf = 0: table entries of the range are dropped as well (4.4.6). */
        for (uint64_t i = 0; i < pages && ok; i++)
            ok = cmd_put(CMD_TLBI_S2_IPA | (uint64_t)vmid << 32, ((ipa >> 12) + i) << 12 & 0x000ffffffffff000ull);
    }
    ok = ok && cmd_sync();
    spin_unlock(&smmu.lock);
    return ok;
}

bool smmuv3_next_event(struct smmuv3_event *ev, bool *overflowed)
{
    const uint32_t n = 1u << EVENTQ_LOG2, wrap_idx = (n << 1) - 1;
    *overflowed = false;
    if (!smmu.ready)
        return false;
    spin_lock(&smmu.lock);
    uint32_t prod = rd32(SMMU_EVENTQ_PROD);
    bool got = (prod & wrap_idx) != smmu.eventq_cons;
    if ((prod ^ rd32(SMMU_EVENTQ_CONS)) & Q_OVF) {
        *overflowed = true;          /* 7.4: acknowledge by copying OVFLG into OVACKFLG */
        wr32(SMMU_EVENTQ_CONS, (prod & Q_OVF) | smmu.eventq_cons);
    }
    if (got) {
        const volatile uint64_t *r = &smmu.eventq[4 * (smmu.eventq_cons & (n - 1))];
        uint64_t dw0 = r[0], dw1 = r[1];
        ev->type = (uint8_t)dw0;
        ev->sid = (uint32_t)(dw0 >> 32);
        ev->read = dw1 >> 35 & 1;
        ev->stage2 = dw1 >> 39 & 1;
        ev->input_addr = r[2];
        smmu.eventq_cons = (smmu.eventq_cons + 1) & wrap_idx;
        wr32(SMMU_EVENTQ_CONS, (prod & Q_OVF) | smmu.eventq_cons);
    }
    spin_unlock(&smmu.lock);
    return got;
}

bool smmuv3_ready(void)
{
    return smmu.ready;
}

uint32_t smmuv3_sid_limit(void)
{
    return smmu.ready ? 1u << smmu.sid_bits : 0;
}

bool smmuv3_init(uint64_t base, uint32_t sid_bits)
{
    struct smmuv3_caps caps;
    if (!smmuv3_probe(base, &caps) || !caps.s2p || caps.oas_bits < 40 || sid_bits > caps.sid_bits)
        return false;
    uint32_t idr1 = mmio_read32(base + SMMU_IDR1);
    if (((idr1 >> 21) & 0x1f) < CMDQ_LOG2 || ((idr1 >> 16) & 0x1f) < EVENTQ_LOG2)
        return false;
    smmu.base = base;
    smmu.sid_bits = sid_bits;
    smmu.oas_field = caps.oas_field;
    /* The IPA size the walk covers: 48 bits, or the output size if smaller (the SMMU takes
     * T0SZ >= 64 - min(S2PS, OAS), IHI 0070 5.2 STE.S2T0SZ); level 0 starts it either way. */
    smmu.t0sz = caps.oas_bits >= 48 ? 16 : 64 - caps.oas_bits;
    uint64_t strtab_bytes = (uint64_t)64 << sid_bits;
    uint64_t strtab_pages = (strtab_bytes + PAGE_SIZE - 1) / PAGE_SIZE;
    uint64_t st = hv_page_alloc(strtab_pages, strtab_bytes < PAGE_SIZE ? PAGE_SIZE : strtab_bytes);
    uint64_t cq = hv_page_alloc(1, PAGE_SIZE), eq = hv_page_alloc(1, PAGE_SIZE);
    if (!st || !cq || !eq)
        return false;
    smmu.strtab = (uint64_t *)(uintptr_t)st;
    smmu.cmdq = (uint64_t *)(uintptr_t)cq;
    smmu.eventq = (uint64_t *)(uintptr_t)eq;
    for (uint32_t sid = 0; sid < (1u << sid_bits); sid++)
        smmu.strtab[8 * sid] = STE_V | STE_CFG_ABORT;
    dsb(ish);

    /* 3.21.1 / Linux's arm_smmu_device_reset order: off, tables and queues, queues on,
     * invalidate everything cached, then translation on. */
    wr32(SMMU_CR0, 0);
    if (!wait_cr0(0))
        return false;
    wr32(SMMU_CR1, CR1_WB_IS);
    wr32(SMMU_CR2, CR2_RECINVSID | CR2_PTM);
    wr64(SMMU_STRTAB_BASE, Q_BASE_RWA | (st & 0x000fffffffffffc0ull));
    wr32(SMMU_STRTAB_BASE_CFG, sid_bits);              /* FMT 0: linear, LOG2SIZE */
    wr64(SMMU_CMDQ_BASE, Q_BASE_RWA | (cq & Q_ADDR_MASK) | CMDQ_LOG2);
    wr32(SMMU_CMDQ_PROD, 0);
    wr32(SMMU_CMDQ_CONS, 0);
    wr64(SMMU_EVENTQ_BASE, Q_BASE_RWA | (eq & Q_ADDR_MASK) | EVENTQ_LOG2);
    wr32(SMMU_EVENTQ_PROD, 0);
    wr32(SMMU_EVENTQ_CONS, 0);
    smmu.cmdq_prod = 0;
    smmu.eventq_cons = 0;
    wr32(SMMU_CR0, CR0_CMDQEN | CR0_EVENTQEN);
    if (!wait_cr0(CR0_CMDQEN | CR0_EVENTQEN))
        return false;
    smmu.ready = true;
    bool ok = cmd_put(CMD_CFGI_ALL, 31) && cmd_put(CMD_TLBI_EL2_ALL, 0) && cmd_put(CMD_TLBI_NSNH_ALL, 0) &&
              cmd_sync();
    if (ok) {
        wr32(SMMU_CR0, CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN);
        ok = wait_cr0(CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN);
    }
    smmu.ready = ok;
    return ok;
}
