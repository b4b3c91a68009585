/* virtio_net.c: a polled virtio-net driver over the modern virtio-pci transport (Virtio 1.1:
 * 4.1 PCI transport, 2.6 split virtqueues, 5.1 network device) for the management NIC. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "arch.h"
#include "kernel.h"
#include "net_dev.h"
#include "page_alloc.h"
#include "virtio_net.h"

/* PCI Local Bus 3.0, 6.1-6.2: the type 0 configuration header. */
#define PCI_VENDOR_ID        0x00
#define PCI_DEVICE_ID        0x02
#define PCI_COMMAND          0x04
#define PCI_STATUS           0x06
#define PCI_HEADER_TYPE      0x0e
#define PCI_BAR0             0x10
#define PCI_CAPABILITY_LIST  0x34
#define PCI_COMMAND_MEMORY         (1u << 1)
#define PCI_COMMAND_MASTER         (1u << 2)
#define PCI_COMMAND_INTX_DISABLE   (1u << 10)
#define PCI_STATUS_CAP_LIST        (1u << 4)
#define PCI_HEADER_TYPE_MULTI      0x80
#define PCI_HEADER_TYPE_MASK       0x7f
#define PCI_BAR_IO                 (1u << 0)
#define PCI_BAR_TYPE_64            (2u << 1)
#define PCI_BAR_TYPE_MASK          (3u << 1)
#define PCI_CAP_ID_VNDR            0x09
#define PCI_CAP_WALK_MAX           48     /* (256 - 64) / 4: more means a loop */

/* Virtio 1.1, 4.1.2: PCI IDs. */
#define VIRTIO_PCI_VENDOR          0x1af4
#define VIRTIO_PCI_DEVICE_NET      0x1041   /* 0x1040 + device ID 1 */
#define VIRTIO_PCI_DEVICE_NET_TRANS 0x1000

/* Virtio 1.1, 4.1.4: struct virtio_pci_cap and its cfg_type values. */
#define VIRTIO_PCI_CAP_CFG_TYPE    3
#define VIRTIO_PCI_CAP_BAR         4
#define VIRTIO_PCI_CAP_OFFSET      8
#define VIRTIO_PCI_CAP_LENGTH      12
#define VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER 16
#define VIRTIO_PCI_CAP_COMMON_CFG  1
#define VIRTIO_PCI_CAP_NOTIFY_CFG  2
#define VIRTIO_PCI_CAP_ISR_CFG     3
#define VIRTIO_PCI_CAP_DEVICE_CFG  4
#define VIRTIO_PCI_CAP_TYPES       5

/* Virtio 1.1, 4.1.4.3: struct virtio_pci_common_cfg. */
#define VIRTIO_COMMON_DFSELECT     0x00
#define VIRTIO_COMMON_DF           0x04
#define VIRTIO_COMMON_GFSELECT     0x08
#define VIRTIO_COMMON_GF           0x0c
#define VIRTIO_COMMON_MSIX         0x10
#define VIRTIO_COMMON_NUMQ         0x12
#define VIRTIO_COMMON_STATUS       0x14
#define VIRTIO_COMMON_CFGGENERATION 0x15
#define VIRTIO_COMMON_Q_SELECT     0x16
#define VIRTIO_COMMON_Q_SIZE       0x18
#define VIRTIO_COMMON_Q_MSIX       0x1a
#define VIRTIO_COMMON_Q_ENABLE     0x1c
#define VIRTIO_COMMON_Q_NOFF       0x1e
#define VIRTIO_COMMON_Q_DESC       0x20
#define VIRTIO_COMMON_Q_AVAIL      0x28
#define VIRTIO_COMMON_Q_USED       0x30
#define VIRTIO_COMMON_CFG_BYTES    0x38
#define VIRTIO_MSI_NO_VECTOR       0xffff

/* Virtio 1.1, 2.1: device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE  1u
#define VIRTIO_STATUS_DRIVER       2u
#define VIRTIO_STATUS_DRIVER_OK    4u
#define VIRTIO_STATUS_FEATURES_OK  8u
#define VIRTIO_STATUS_FAILED       128u

/* Feature bits: 6 (VIRTIO_F_VERSION_1) and 5.1.3 (VIRTIO_NET_F_MAC). */
#define VIRTIO_F_VERSION_1         (1ull << 32)
#define VIRTIO_NET_F_MAC           (1ull << 5)

/* Virtio 1.1, 5.1.4: struct virtio_net_config starts with mac[6]. */
#define VIRTIO_NET_CFG_MAC         0
/* 5.1.6: struct virtio_net_hdr, with num_buffers since VIRTIO_F_VERSION_1. */
#define VIRTIO_NET_HDR_BYTES       12u

/* Virtio 1.1, 2.6.5-2.6.8: split virtqueue layout. */
#define VIRTQ_DESC_F_WRITE         2u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY     1u

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];
};

/* Both queues: QUEUE_SIZE entries in one page (descriptors at 0, available ring at 0x400,
 * used ring at 0x800: 2.6 wants 16, 2 and 4 byte alignment), one BUF_BYTES buffer each. */
#define QUEUE_SIZE                 64u
#define RING_AVAIL_OFFSET          (16u * QUEUE_SIZE)
#define RING_USED_OFFSET           (2u * 16u * QUEUE_SIZE)
#define BUF_BYTES                  2048u      /* >= header + NET_FRAME_MAX = 1526 (5.1.6.3.1) */
#define BUF_PAGES                  (QUEUE_SIZE * BUF_BYTES / PAGE_SIZE)
#define ETH_FRAME_MIN              60u        /* without FCS; shorter frames are padded */
#define RX_QUEUE                   0
#define TX_QUEUE                   1
#define RESET_TIMEOUT_NS           (1000ull * 1000 * 1000)
#define CFG_GENERATION_TRIES       16

_Static_assert(RING_USED_OFFSET + 4 + 8 * QUEUE_SIZE + 2 <= PAGE_SIZE, "virtqueue fits in a page");
_Static_assert(VIRTIO_NET_HDR_BYTES + NET_FRAME_MAX <= BUF_BYTES, "a frame fits in a buffer");

struct virtq {
    uint16_t index;                /* queue number: RX_QUEUE, TX_QUEUE */
    uint16_t size;                 /* entries in use, a power of two <= QUEUE_SIZE */
    uint64_t ring_pa;              /* the page holding descriptors and both rings */
    uint64_t buf_pa;               /* size buffers of BUF_BYTES */
    struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
    uint16_t avail_idx;            /* next free slot in the available ring (free-running) */
    uint16_t last_used;            /* next used entry to consume (free-running) */
    uint64_t notify;               /* this queue's notification address */
};

struct virtio_net {
    struct net_dev dev;
    char name[32];
    struct pci_ecam_func fn;
    uint64_t common, device;       /* mapped capability structures */
    uint64_t notify_base;
    uint32_t notify_length, notify_off_multiplier;
    struct virtq rx, tx;
    uint16_t tx_free[QUEUE_SIZE];  /* transmit descriptors not owned by the device */
    uint16_t tx_free_count;
};

/* The one device this driver runs: written by virtio_net_probe on the boot CPU, then used
 * through net_dev by one caller at a time (net_dev.h: the management stack serialises). */
static struct virtio_net nic;

/* Virtio 1.1, 2.6.13: the driver orders ring writes against the device's reads (and the
 * used index against the entries) with memory barriers. The device is a DMA master; QEMU's
 * is cache-coherent. A sequentially consistent fence is DMB ISH on aarch64, MFENCE on x86. */
static inline void virtq_mb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline uint8_t mmio_r8(uint64_t a) { return *(volatile uint8_t *)(uintptr_t)a; }
static inline uint16_t mmio_r16(uint64_t a) { return *(volatile uint16_t *)(uintptr_t)a; }
static inline uint32_t mmio_r32(uint64_t a) { return *(volatile uint32_t *)(uintptr_t)a; }
static inline void mmio_w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)(uintptr_t)a = v; }
static inline void mmio_w16(uint64_t a, uint16_t v) { *(volatile uint16_t *)(uintptr_t)a = v; }
static inline void mmio_w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)(uintptr_t)a = v; }

/* 4.1.3.1: a 64-bit field may be written as two 32-bit halves. */
static void mmio_w64(uint64_t a, uint64_t v)
{
    mmio_w32(a, (uint32_t)v);
    mmio_w32(a + 4, (uint32_t)(v >> 32));
}

static bool is_virtio_net(const struct pci_ecam_func *f)
{
    if (pci_ecam_read(f, PCI_VENDOR_ID, 2) != VIRTIO_PCI_VENDOR)
        return false;
    uint32_t device = pci_ecam_read(f, PCI_DEVICE_ID, 2);
    return device == VIRTIO_PCI_DEVICE_NET || device == VIRTIO_PCI_DEVICE_NET_TRANS;
}

/* Every function of every bus the ECAM covers (functions 1-7 only behind a multi-function
 * function 0); the first virtio-net one. */
static bool find_function(const struct pci_ecam *ecam, struct pci_ecam_func *out)
{
    for (uint32_t bus = ecam->bus_start; bus <= ecam->bus_end && bus <= 255; bus++) {
        for (uint32_t dev = 0; dev < 32; dev++) {
            struct pci_ecam_func f;
            if (!pci_ecam_func(ecam, bus, dev, 0, &f) || pci_ecam_read(&f, PCI_VENDOR_ID, 2) == 0xffff)
                continue;
            uint32_t fn_count = pci_ecam_read(&f, PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MULTI ? 8 : 1;
            for (uint32_t fn = 0; fn < fn_count; fn++) {
                if (pci_ecam_func(ecam, bus, dev, fn, &f) && is_virtio_net(&f)) {
                    *out = f;
                    return true;
                }
            }
        }
    }
    return false;
}

/* The address the firmware gave memory BAR bar (64-bit BARs span two); 0 when it is an I/O
 * BAR, unassigned or malformed. */
static uint64_t bar_address(const struct pci_ecam_func *f, uint32_t bar)
{
    if (bar > 5)
        return 0;
    uint32_t lo = pci_ecam_read(f, PCI_BAR0 + 4 * bar, 4);
    if (lo & PCI_BAR_IO)
        return 0;
    uint64_t pa = lo & ~0xfu;
    if ((lo & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64) {
        if (bar == 5)
            return 0;
        pa |= (uint64_t)pci_ecam_read(f, PCI_BAR0 + 4 * (bar + 1), 4) << 32;
    }
    return pa;
}

struct virtio_cap {
    bool found;
    uint8_t bar;
    uint32_t offset, length;
    uint32_t notify_off_multiplier;   /* NOTIFY only */
};

/* 4.1.4: the first vendor-specific capability of each cfg_type (the driver may use any one). */
static bool find_caps(const struct pci_ecam_func *f, struct virtio_cap caps[VIRTIO_PCI_CAP_TYPES])
{
    memset(caps, 0, sizeof(struct virtio_cap) * VIRTIO_PCI_CAP_TYPES);
    if (!(pci_ecam_read(f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
        return false;
    uint32_t pos = pci_ecam_read(f, PCI_CAPABILITY_LIST, 1) & 0xfc;
    for (uint32_t walked = 0; pos >= 0x40 && walked < PCI_CAP_WALK_MAX; walked++) {
        uint32_t id = pci_ecam_read(f, pos, 1), next = pci_ecam_read(f, pos + 1, 1) & 0xfc;
        uint32_t type = id == PCI_CAP_ID_VNDR ? pci_ecam_read(f, pos + VIRTIO_PCI_CAP_CFG_TYPE, 1) : 0;
        if (type >= VIRTIO_PCI_CAP_COMMON_CFG && type <= VIRTIO_PCI_CAP_DEVICE_CFG && !caps[type].found) {
            struct virtio_cap *c = &caps[type];
            c->bar = (uint8_t)pci_ecam_read(f, pos + VIRTIO_PCI_CAP_BAR, 1);
            c->offset = pci_ecam_read(f, pos + VIRTIO_PCI_CAP_OFFSET, 4);
            c->length = pci_ecam_read(f, pos + VIRTIO_PCI_CAP_LENGTH, 4);
            if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
                c->notify_off_multiplier = pci_ecam_read(f, pos + VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER, 4);
            c->found = c->bar <= 5;
        }
        pos = next;
    }
    return caps[VIRTIO_PCI_CAP_COMMON_CFG].found && caps[VIRTIO_PCI_CAP_NOTIFY_CFG].found &&
           caps[VIRTIO_PCI_CAP_DEVICE_CFG].found;
}

/* The capability's structure at its BAR, mapped; 0 (with the reason printed) when the BAR
 * is unusable, the structure is shorter than min_bytes or the arch refuses the mapping. */
static uint64_t map_cap(const struct virtio_cap *c, uint32_t min_bytes, const char *what)
{
    uint64_t bar = bar_address(&nic.fn, c->bar);
    uint64_t pa = bar + c->offset;
    if (!bar || pa < bar) {
        hv_printf("%s: BAR%u is not an assigned memory BAR\n", nic.name, c->bar);
        return 0;
    }
    if (c->length < min_bytes) {
        hv_printf("%s: %s structure is %" PRIu32 " bytes, want %" PRIu32 "\n",
                  nic.name, what, c->length, min_bytes);
        return 0;
    }
    if (!arch_map_device(pa, c->length)) {
        hv_printf("%s: cannot map %s structure at 0x%" PRIx64 "+0x%" PRIx32 "\n",
                  nic.name, what, pa, c->length);
        return 0;
    }
    return pa;
}

static uint8_t status_read(void) { return mmio_r8(nic.common + VIRTIO_COMMON_STATUS); }
static void status_write(uint8_t s) { mmio_w8(nic.common + VIRTIO_COMMON_STATUS, s); }

/* 4.1.4.3.2: writing 0 resets the device; it is done when the status reads back 0. */
static bool device_reset(void)
{
    status_write(0);
    uint64_t deadline = arch_time_ns() + RESET_TIMEOUT_NS;
    while (status_read() != 0) {
        if (arch_time_ns() > deadline)
            return false;
        arch_cpu_relax();
    }
    return true;
}

static uint64_t device_features(void)
{
    mmio_w32(nic.common + VIRTIO_COMMON_DFSELECT, 0);
    uint64_t lo = mmio_r32(nic.common + VIRTIO_COMMON_DF);
    mmio_w32(nic.common + VIRTIO_COMMON_DFSELECT, 1);
    uint64_t hi = mmio_r32(nic.common + VIRTIO_COMMON_DF);
    return hi << 32 | lo;
}

static void driver_features(uint64_t features)
{
    mmio_w32(nic.common + VIRTIO_COMMON_GFSELECT, 0);
    mmio_w32(nic.common + VIRTIO_COMMON_GF, (uint32_t)features);
    mmio_w32(nic.common + VIRTIO_COMMON_GFSELECT, 1);
    mmio_w32(nic.common + VIRTIO_COMMON_GF, (uint32_t)(features >> 32));
}

static void virtq_free(struct virtq *q)
{
    if (q->ring_pa)
        hv_page_free(q->ring_pa, 1);
    if (q->buf_pa)
        hv_page_free(q->buf_pa, BUF_PAGES);
    q->ring_pa = q->buf_pa = 0;
}

static uint64_t virtq_buf(const struct virtq *q, uint32_t i)
{
    return q->buf_pa + (uint64_t)i * BUF_BYTES;
}

/* 4.1.5.1.3: virtqueue index's size, memory, MSI-X vector (none) and notification address;
 * then enabled. The rings are filled by the caller before DRIVER_OK. */
static const char *virtq_setup(struct virtq *q, uint16_t index)
{
    uint64_t c = nic.common;
    q->index = index;
    mmio_w16(c + VIRTIO_COMMON_Q_SELECT, index);
    uint16_t size = mmio_r16(c + VIRTIO_COMMON_Q_SIZE);
    if (size == 0)
        return "queue not available";
    if (size & (size - 1))
        return "queue size not a power of two";
    if (size > QUEUE_SIZE)
        size = QUEUE_SIZE;
    if (mmio_r16(c + VIRTIO_COMMON_Q_ENABLE))
        return "queue enabled after reset";
    uint32_t noff = mmio_r16(c + VIRTIO_COMMON_Q_NOFF);
    uint64_t notify_at = (uint64_t)noff * nic.notify_off_multiplier;
    if (notify_at + 2 > nic.notify_length)
        return "notification address outside the notify structure";
    q->ring_pa = hv_page_alloc(1, PAGE_SIZE);
    q->buf_pa = hv_page_alloc(BUF_PAGES, PAGE_SIZE);
    if (!q->ring_pa || !q->buf_pa)
        return "out of memory for the queue";
    q->size = size;
    q->desc = (struct virtq_desc *)(uintptr_t)q->ring_pa;
    q->avail = (volatile struct virtq_avail *)(uintptr_t)(q->ring_pa + RING_AVAIL_OFFSET);
    q->used = (volatile struct virtq_used *)(uintptr_t)(q->ring_pa + RING_USED_OFFSET);
    q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    q->avail_idx = q->last_used = 0;
    q->notify = nic.notify_base + notify_at;
    virtq_mb();   /* the zeroed rings before the device learns where they are */
    mmio_w16(c + VIRTIO_COMMON_Q_SIZE, size);
    mmio_w16(c + VIRTIO_COMMON_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
    mmio_w64(c + VIRTIO_COMMON_Q_DESC, q->ring_pa);
    mmio_w64(c + VIRTIO_COMMON_Q_AVAIL, q->ring_pa + RING_AVAIL_OFFSET);
    mmio_w64(c + VIRTIO_COMMON_Q_USED, q->ring_pa + RING_USED_OFFSET);
    mmio_w16(c + VIRTIO_COMMON_Q_ENABLE, 1);
    return NULL;
}

/* 2.6.13: descriptor head id into the next available slot; the index is published after the
 * entry, and the device notified (4.1.4.4) unless it said it polls (2.6.10). */
static void virtq_push(struct virtq *q, uint16_t id)
{
    q->avail->ring[q->avail_idx & (q->size - 1)] = id;
    virtq_mb();
    q->avail->idx = ++q->avail_idx;
    virtq_mb();
    if (!(q->used->flags & VIRTQ_USED_F_NO_NOTIFY))
        mmio_w16(q->notify, q->index);
}

/* The next used element, false when the device has returned nothing new. */
static bool virtq_pop(struct virtq *q, struct virtq_used_elem *e)
{
    if (q->used->idx == q->last_used)
        return false;
    virtq_mb();   /* the index before the element it covers (2.6.8) */
    const volatile struct virtq_used_elem *u = &q->used->ring[q->last_used & (q->size - 1)];
    e->id = u->id;
    e->len = u->len;
    q->last_used++;
    return true;
}

static bool virtio_net_send(struct net_dev *d, const void *frame, size_t len)
{
    (void)d;
    if (len == 0 || len > NET_FRAME_MAX)
        return false;
    struct virtq *q = &nic.tx;
    struct virtq_used_elem e;
    while (virtq_pop(q, &e))
        if (e.id < q->size && nic.tx_free_count < q->size)
            nic.tx_free[nic.tx_free_count++] = (uint16_t)e.id;
    if (nic.tx_free_count == 0)
        return false;
    uint16_t id = nic.tx_free[--nic.tx_free_count];
    uint8_t *buf = (uint8_t *)(uintptr_t)virtq_buf(q, id);
    size_t frame_len = len < ETH_FRAME_MIN ? ETH_FRAME_MIN : len;
    memset(buf, 0, VIRTIO_NET_HDR_BYTES);   /* no checksum offload, no GSO */
    memcpy(buf + VIRTIO_NET_HDR_BYTES, frame, len);
    memset(buf + VIRTIO_NET_HDR_BYTES + len, 0, frame_len - len);
    q->desc[id] = (struct virtq_desc){ virtq_buf(q, id), (uint32_t)(VIRTIO_NET_HDR_BYTES + frame_len), 0, 0 };
    virtq_push(q, id);
    return true;
}

static size_t virtio_net_recv(struct net_dev *d, void *out, size_t cap)
{
    (void)d;
    struct virtq *q = &nic.rx;
    struct virtq_used_elem e;
    /* A buffer that cannot be delivered (malformed, or larger than cap) is dropped and
     * reposted; at most one ring's worth per call. */
    for (uint32_t tries = 0; tries < q->size && virtq_pop(q, &e); tries++) {
        if (e.id >= q->size)
            continue;   /* not ours: nothing to repost */
        size_t len = e.len > VIRTIO_NET_HDR_BYTES && e.len <= BUF_BYTES ? e.len - VIRTIO_NET_HDR_BYTES : 0;
        if (len && len <= cap)
            memcpy(out, (const uint8_t *)(uintptr_t)virtq_buf(q, e.id) + VIRTIO_NET_HDR_BYTES, len);
        virtq_push(q, (uint16_t)e.id);
        if (len && len <= cap)
            return len;
    }
    return 0;
}

/* Gives up on the device: reset, so it forgets the queues before their memory goes back (kept
 * if the reset does not complete), then FAILED (2.1.2); the reason printed. */
static struct net_dev *probe_fail(const char *why)
{
    bool quiet = !nic.common || device_reset();
    if (nic.common)
        status_write(VIRTIO_STATUS_FAILED);
    if (quiet) {
        virtq_free(&nic.rx);
        virtq_free(&nic.tx);
    }
    hv_printf("%s: %s\n", nic.name, why);
    return NULL;
}

/* 4.1.4.3.1 / 2.4.1: device configuration read with the generation count unchanged around it. */
static bool read_mac(uint8_t mac[6])
{
    for (int tries = 0; tries < CFG_GENERATION_TRIES; tries++) {
        uint8_t gen = mmio_r8(nic.common + VIRTIO_COMMON_CFGGENERATION);
        for (int i = 0; i < 6; i++)
            mac[i] = mmio_r8(nic.device + VIRTIO_NET_CFG_MAC + i);
        if (mmio_r8(nic.common + VIRTIO_COMMON_CFGGENERATION) == gen)
            return true;
    }
    return false;
}

struct net_dev *virtio_net_probe(const struct pci_ecam *ecam, void (*before_dma)(uint16_t requester_id))
{
    memset(&nic, 0, sizeof(nic));
    if (!find_function(ecam, &nic.fn)) {
        hv_printf("virtio-net: no virtio-net function on buses %" PRIu32 "-%" PRIu32 "\n",
                  ecam->bus_start, ecam->bus_end);
        return NULL;
    }
    uint16_t bdf = nic.fn.bdf;
    snprintf(nic.name, sizeof(nic.name), "virtio-net %02x:%02x.%x", bdf >> 8, bdf >> 3 & 0x1f, bdf & 7);
    if ((pci_ecam_read(&nic.fn, PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MASK) != 0)
        return probe_fail("not a type 0 header");
    struct virtio_cap caps[VIRTIO_PCI_CAP_TYPES];
    if (!find_caps(&nic.fn, caps))
        return probe_fail("no modern virtio-pci capabilities (common, notify, device)");

    /* Decode memory, master DMA; no INTx: the driver polls (PCI 3.0, 6.2.2). */
    if (before_dma)
        before_dma(bdf);
    uint32_t cmd = pci_ecam_read(&nic.fn, PCI_COMMAND, 2);
    pci_ecam_write(&nic.fn, PCI_COMMAND, 2,
                   cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);

    const struct virtio_cap *notify = &caps[VIRTIO_PCI_CAP_NOTIFY_CFG];
    nic.common = map_cap(&caps[VIRTIO_PCI_CAP_COMMON_CFG], VIRTIO_COMMON_CFG_BYTES, "common");
    nic.notify_base = nic.common ? map_cap(notify, 2, "notify") : 0;
    nic.device = nic.notify_base ? map_cap(&caps[VIRTIO_PCI_CAP_DEVICE_CFG], 6, "device") : 0;
    if (!nic.device) {
        nic.common = 0;   /* do not touch a device we could not map completely */
        return probe_fail("registers not usable");
    }
    nic.notify_length = notify->length;
    nic.notify_off_multiplier = notify->notify_off_multiplier;

    /* 3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queues, DRIVER_OK. */
    if (!device_reset())
        return probe_fail("device reset timed out");
    status_write(VIRTIO_STATUS_ACKNOWLEDGE);
    status_write(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    uint64_t offered = device_features();
    if (!(offered & VIRTIO_F_VERSION_1))
        return probe_fail("device does not offer VIRTIO_F_VERSION_1");
    uint64_t features = VIRTIO_F_VERSION_1 | (offered & VIRTIO_NET_F_MAC);
    driver_features(features);
    status_write(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    if (!(status_read() & VIRTIO_STATUS_FEATURES_OK))
        return probe_fail("device refused features VERSION_1 + MAC");
    mmio_w16(nic.common + VIRTIO_COMMON_MSIX, VIRTIO_MSI_NO_VECTOR);
    if (mmio_r16(nic.common + VIRTIO_COMMON_NUMQ) < 2)
        return probe_fail("fewer than two virtqueues");
    const char *why = virtq_setup(&nic.rx, RX_QUEUE);
    if (!why)
        why = virtq_setup(&nic.tx, TX_QUEUE);
    if (why)
        return probe_fail(why);

    /* 5.1.6.3: every receive buffer device-writable and available. */
    for (uint16_t i = 0; i < nic.rx.size; i++) {
        nic.rx.desc[i] = (struct virtq_desc){ virtq_buf(&nic.rx, i), VIRTIO_NET_HDR_BYTES + NET_FRAME_MAX,
                                              VIRTQ_DESC_F_WRITE, 0 };
        nic.rx.avail->ring[i] = i;
    }
    nic.rx.avail_idx = nic.rx.size;
    for (uint16_t i = 0; i < nic.tx.size; i++)
        nic.tx_free[i] = i;
    nic.tx_free_count = nic.tx.size;
    virtq_mb();
    nic.rx.avail->idx = nic.rx.avail_idx;

    if (!(features & VIRTIO_NET_F_MAC) || !read_mac(nic.dev.mac)) {
        /* 5.1.5: without VIRTIO_NET_F_MAC the driver picks one: locally administered, from the BDF. */
        const uint8_t mac[6] = { 0x02, 0x68, 0x76, 0x00, (uint8_t)(bdf >> 8), (uint8_t)bdf };
        memcpy(nic.dev.mac, mac, sizeof(mac));
    }
    virtq_mb();
    status_write(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                 VIRTIO_STATUS_DRIVER_OK);
    if (status_read() & VIRTIO_STATUS_FAILED)
        return probe_fail("device failed at DRIVER_OK");
    mmio_w16(nic.rx.notify, RX_QUEUE);   /* 4.1.4.4: the receive buffers are there */

    nic.dev.name = nic.name;
    nic.dev.send = virtio_net_send;
    nic.dev.recv = virtio_net_recv;
    nic.dev.priv = &nic;
    const uint8_t *m = nic.dev.mac;
    hv_printf("virtio-net: 0000:%02x:%02x.%x MAC %02x:%02x:%02x:%02x:%02x:%02x%s, %u+%u descriptors, "
              "common cfg at 0x%" PRIx64 "\n", bdf >> 8, bdf >> 3 & 0x1f, bdf & 7,
              m[0], m[1], m[2], m[3], m[4], m[5], features & VIRTIO_NET_F_MAC ? "" : " (chosen)",
              nic.rx.size, nic.tx.size, nic.common);
    return &nic.dev;
}
