/* gic.c: the guest side of a GICv3: just enough of a driver for the payloads (gic.h). */
#include "gic.h"

#define GICD_CTLR        0x0000
#define GICD_IGROUPR     0x0080
#define GICD_ISENABLER   0x0100
#define GICD_ICENABLER   0x0180
#define GICD_ICPENDR     0x0280
#define GICD_IPRIORITYR  0x0400
#define GICD_ICFGR       0x0c00
#define GICD_IROUTER     0x6000
#define GICD_CTLR_RWP    (1u << 31)
#define GICR_TYPER       0x0008
#define GICR_WAKER       0x0014

static uintptr_t rd_base[MAX_CPUS];

static inline uint64_t rd64(uintptr_t a) { return *(volatile uint64_t *)a; }
static inline void wr64(uintptr_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

void gic_dist_init(void)
{
    mmio_write32(GICD_BASE + GICD_CTLR, (1u << 4) | (1u << 1));      /* ARE, EnableGrp1 */
    for (int i = 0; i < 100000 && (mmio_read32(GICD_BASE + GICD_CTLR) & GICD_CTLR_RWP); i++)
        ;
}

/* GICR_TYPER.Affinity_Value [63:32] against MPIDR; Last [4]; GICv4 frames are 4 x 64 KiB. */
bool gic_cpu_init(void)
{
    uint64_t m = mpidr();
    uint32_t aff = (uint32_t)(((m >> 32) & 0xff) << 24 | (m & 0xffffff));
    uintptr_t rd = 0;
    for (uintptr_t a = GICR_BASE; a < GICR_BASE + 0x1000000;) {
        uint64_t typer = rd64(a + GICR_TYPER);
        if ((uint32_t)(typer >> 32) == aff) {
            rd = a;
            break;
        }
        if (typer & (1u << 4))
            break;
        a += (typer & 2) ? 0x40000 : 0x20000;
    }
    if (!rd)
        return false;
    rd_base[cpu_index()] = rd;
    mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~(1u << 1));
    for (int i = 0; i < 100000 && (mmio_read32(rd + GICR_WAKER) & (1u << 2)); i++)
        ;
    mmio_write32(rd + GICR_SGI_BASE + GICD_IGROUPR, ~0u);
    write_sysreg(S3_0_C12_C12_5, read_sysreg(S3_0_C12_C12_5) | 1);    /* ICC_SRE_EL1.SRE */
    isb();
    gic_set_pmr(0xff);
    write_sysreg(S3_0_C12_C12_3, 0);                                   /* ICC_BPR1_EL1 */
    gic_set_eoimode(false);
    write_sysreg(S3_0_C12_C12_7, 1);                                   /* ICC_IGRPEN1_EL1 */
    isb();
    return true;
}

uintptr_t gic_rd_base(void)
{
    return rd_base[cpu_index()];
}

void gic_set_eoimode(bool split)
{
    uint64_t ctlr = read_sysreg(S3_0_C12_C12_4);                       /* ICC_CTLR_EL1 */
    write_sysreg(S3_0_C12_C12_4, split ? ctlr | 2 : ctlr & ~2ull);
    isb();
}

/* The frame holding intid's per-interrupt registers: SGI_base for < 32, else GICD. */
static uintptr_t frame(uint32_t intid)
{
    return intid < 32 ? gic_rd_base() + GICR_SGI_BASE : GICD_BASE;
}

void gic_irq_enable(uint32_t intid, uint8_t priority)
{
    uintptr_t f = frame(intid);
    *(volatile uint8_t *)(f + GICD_IPRIORITYR + intid) = priority;
    if (intid >= 32) {
        mmio_write32(f + GICD_IGROUPR + 4 * (intid / 32),
                     mmio_read32(f + GICD_IGROUPR + 4 * (intid / 32)) | 1u << (intid % 32));
        wr64(GICD_BASE + GICD_IROUTER + 8 * intid, mpidr());
    }
    dsb(sy);
    mmio_write32(f + GICD_ISENABLER + 4 * (intid / 32), 1u << (intid % 32));
    dsb(sy);
}

void gic_irq_disable(uint32_t intid)
{
    mmio_write32(frame(intid) + GICD_ICENABLER + 4 * (intid / 32), 1u << (intid % 32));
    dsb(sy);
}

void gic_irq_set_edge(uint32_t intid, bool edge)
{
    uintptr_t a = frame(intid) + GICD_ICFGR + 4 * (intid / 16);
    uint32_t bit = 2u << (2 * (intid % 16));
    mmio_write32(a, edge ? mmio_read32(a) | bit : mmio_read32(a) & ~bit);
}

void gic_irq_set_pending(uint32_t intid)
{
    mmio_write32(frame(intid) + GICD_ISPENDR + 4 * (intid / 32), 1u << (intid % 32));
    dsb(sy);
}

void gic_irq_clear_pending(uint32_t intid)
{
    mmio_write32(frame(intid) + GICD_ICPENDR + 4 * (intid / 32), 1u << (intid % 32));
    dsb(sy);
}

bool gic_irq_pending(uint32_t intid)
{
    return mmio_read32(frame(intid) + GICD_ISPENDR + 4 * (intid / 32)) >> (intid % 32) & 1;
}

bool gic_irq_active(uint32_t intid)
{
    return mmio_read32(frame(intid) + GICD_ISACTIVER + 4 * (intid / 32)) >> (intid % 32) & 1;
}

/* ICC_SGI1R_EL1: TargetList [15:0], INTID [27:24], IRM [40]. */
void gic_send_sgi(uint32_t intid, unsigned cpu)
{
    dsb(sy);
    write_sysreg(S3_0_C12_C11_5, (uint64_t)(intid & 0xf) << 24 | (1ull << (cpu % 16)) | (uint64_t)(cpu / 16) << 44);
    isb();
}

void gic_send_sgi_others(uint32_t intid)
{
    dsb(sy);
    write_sysreg(S3_0_C12_C11_5, (uint64_t)(intid & 0xf) << 24 | 1ull << 40);
    isb();
}
