/* gicv3.c: the host's GICv3/v4 distributor, redistributors and system-register CPU interface
 * at EL2 (Arm IHI 0069; the register descriptions are cited by name). */
#include "gicv3.h"
#include "mmio.h"
#include "sysreg.h"

/* Distributor registers (IHI 0069, "The GIC Distributor register map"). */
#define GICD_CTLR        0x0000
#define GICD_TYPER       0x0004
#define GICD_IGROUPR     0x0080
#define GICD_ISENABLER   0x0100
#define GICD_ICENABLER   0x0180
#define GICD_ISPENDR     0x0200
#define GICD_ICPENDR     0x0280
#define GICD_ICACTIVER   0x0380
#define GICD_IPRIORITYR  0x0400
#define GICD_ICFGR       0x0c00
#define GICD_IGRPMODR    0x0d00
#define GICD_IROUTER     0x6000
#define GICD_CTLR_ENABLE_G1  (1u << 1)      /* EnableGrp1 (DS=1) / EnableGrp1NS (DS=0) */
#define GICD_CTLR_ARE        (1u << 4)      /* ARE (DS=1) / ARE_NS (DS=0) */
#define GICD_CTLR_RWP        (1u << 31)

/* Redistributor RD_base and SGI_base (64 KiB above it). */
#define GICR_CTLR        0x0000
#define GICR_TYPER       0x0008
#define GICR_WAKER       0x0014
#define GICR_CTLR_RWP        (1u << 3)
#define GICR_TYPER_VLPIS     (1ull << 1)
#define GICR_TYPER_LAST      (1ull << 4)
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)
#define GICR_SGI_BASE    0x10000
#define GICR_IGROUPR0    (GICR_SGI_BASE + 0x0080)
#define GICR_ISENABLER0  (GICR_SGI_BASE + 0x0100)
#define GICR_ICENABLER0  (GICR_SGI_BASE + 0x0180)
#define GICR_ICPENDR0    (GICR_SGI_BASE + 0x0280)
#define GICR_ICACTIVER0  (GICR_SGI_BASE + 0x0380)
#define GICR_IPRIORITYR0 (GICR_SGI_BASE + 0x0400)
#define GICR_IGRPMODR0   (GICR_SGI_BASE + 0x0d00)
#define GICR_FRAME_BYTES 0x10000ull           /* RD_base, SGI_base; GICv4 adds VLPI_base and one more */

/* CPU interface system-register fields. */
#define ICC_SRE_SRE      (1ull << 0)
#define ICC_SRE_DFB      (1ull << 1)
#define ICC_SRE_DIB      (1ull << 2)
#define ICC_SRE_ENABLE   (1ull << 3)          /* ICC_SRE_EL2.Enable: EL1 may use ICC_SRE_EL1 */
#define ICC_CTLR_EOIMODE (1ull << 1)
#define ICC_SGI1R_INTID_SHIFT 24
#define ICC_SGI1R_AFF1_SHIFT  16
#define ICC_SGI1R_AFF2_SHIFT  32
#define ICC_SGI1R_RS_SHIFT    44
#define ICC_SGI1R_AFF3_SHIFT  48

#define POLL_LIMIT 10000000u

/* Written by the boot CPU (gicv3_init) and by each CPU for its own rd_base entry before
 * any other CPU reads it; read-only afterwards. */
static uint64_t gicd;
static struct gicv3_region gicr_regions[4];
static uint32_t gicr_region_count;
static uint64_t rd_base[GICV3_MAX_CPUS];
static bool vlpis;

static void wait_clear(uint64_t reg, uint32_t bit)
{
    for (uint32_t i = 0; i < POLL_LIMIT && (mmio_read32(reg) & bit); i++)
        ;
}

bool gicv3_init(uint64_t gicd_base, const struct gicv3_region *gicr, uint32_t gicr_count)
{
    if (!gicd_base || !gicr_count)
        return false;
    gicd = gicd_base;
    gicr_region_count = gicr_count < 4 ? gicr_count : 4;
    for (uint32_t i = 0; i < gicr_region_count; i++)
        gicr_regions[i] = gicr[i];
    /* Affinity routing and Group 1 on (GICD_CTLR): OR-ing keeps a firmware's ARE as it was. */
    mmio_write32(gicd + GICD_CTLR, mmio_read32(gicd + GICD_CTLR) | GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
    wait_clear(gicd + GICD_CTLR, GICD_CTLR_RWP);
    /* SPIs stay off until something routes one (GICD_TYPER.ITLinesNumber). */
    uint32_t lines = (uint32_t)BITS(mmio_read32(gicd + GICD_TYPER), 4, 0);
    for (uint32_t i = 1; i <= lines; i++)
        mmio_write32(gicd + GICD_ICENABLER + 4 * i, ~0u);
    wait_clear(gicd + GICD_CTLR, GICD_CTLR_RWP);
    return true;
}

/* GICR_TYPER.Affinity_Value [63:32] is Aff3.Aff2.Aff1.Aff0. */
static uint32_t mpidr_to_aff(uint64_t mpidr)
{
    return (uint32_t)(BITS(mpidr, 39, 32) << 24 | BITS(mpidr, 23, 0));
}

/* Walks the redistributor frames (two 64 KiB frames each, four on GICv4) until Last. */
static uint64_t find_rd(uint64_t mpidr)
{
    uint32_t aff = mpidr_to_aff(mpidr);
    for (uint32_t r = 0; r < gicr_region_count; r++) {
        uint64_t base = gicr_regions[r].base, end = base + gicr_regions[r].size_bytes;
        while (base < end) {
            uint64_t typer = mmio_read64(base + GICR_TYPER);
            if ((uint32_t)(typer >> 32) == aff) {
                vlpis = (typer & GICR_TYPER_VLPIS) != 0;
                return base;
            }
            if (typer & GICR_TYPER_LAST)
                break;
            base += (typer & GICR_TYPER_VLPIS ? 4 : 2) * GICR_FRAME_BYTES;
        }
    }
    return 0;
}

bool gicv3_cpu_init(uint32_t cpu, uint64_t mpidr)
{
    if (!gicd || cpu >= GICV3_MAX_CPUS)
        return false;
    uint64_t rd = find_rd(mpidr);
    if (!rd)
        return false;
    rd_base[cpu] = rd;
    /* Wake the redistributor (GICR_WAKER): clear ProcessorSleep, wait for ChildrenAsleep 0. */
    mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
    wait_clear(rd + GICR_WAKER, GICR_WAKER_CHILDREN_ASLEEP);
    /* Every SGI and PPI off, inactive, not pending, Non-secure Group 1 (GICR_IGROUPR0 = 1, GICR_IGRPMODR0 = 0). */
    mmio_write32(rd + GICR_ICENABLER0, ~0u);
    wait_clear(rd + GICR_CTLR, GICR_CTLR_RWP);
    mmio_write32(rd + GICR_ICACTIVER0, ~0u);
    mmio_write32(rd + GICR_ICPENDR0, ~0u);
    mmio_write32(rd + GICR_IGROUPR0, ~0u);
    mmio_write32(rd + GICR_IGRPMODR0, 0);

    /* The CPU interface at EL2 (ICC_SRE_EL2: SRE, and Enable so EL1 reaches
     * ICC_SRE_EL1 without a trap). */
    write_sysreg(icc_sre_el2, read_sysreg(icc_sre_el2) | ICC_SRE_SRE | ICC_SRE_DFB | ICC_SRE_DIB |
                              ICC_SRE_ENABLE);
    isb();
    write_sysreg(icc_pmr_el1, 0xff);                 /* nothing masked by priority */
    write_sysreg(icc_bpr1_el1, 0);
    /* ICC_CTLR_EL1.EOImode 1: EOIR drops the priority, DIR deactivates; a forwarded timer
     * interrupt stays active until the guest deactivates its virtual copy (LR.HW). */
    write_sysreg(icc_ctlr_el1, read_sysreg(icc_ctlr_el1) | ICC_CTLR_EOIMODE);
    write_sysreg(icc_igrpen1_el1, 1);
    isb();
    return true;
}

uint64_t gicv3_rd_base(uint32_t cpu)
{
    return cpu < GICV3_MAX_CPUS ? rd_base[cpu] : 0;
}

bool gicv3_has_vlpis(void)
{
    return vlpis;
}

void gicv3_ppi_enable(uint32_t cpu, uint32_t intid, uint8_t priority)
{
    uint64_t rd = gicv3_rd_base(cpu);
    if (!rd || intid >= 32)
        return;
    /* GICR_IPRIORITYR<n> is byte-accessible. */
    *(volatile uint8_t *)(uintptr_t)(rd + GICR_IPRIORITYR0 + intid) = priority;
    mmio_write32(rd + GICR_ISENABLER0, 1u << intid);
}

void gicv3_ppi_disable(uint32_t cpu, uint32_t intid)
{
    uint64_t rd = gicv3_rd_base(cpu);
    if (!rd || intid >= 32)
        return;
    mmio_write32(rd + GICR_ICENABLER0, 1u << intid);
    wait_clear(rd + GICR_CTLR, GICR_CTLR_RWP);
}

bool gicv3_spi_route(uint32_t intid, uint64_t target_mpidr, uint8_t priority)
{
    uint32_t lines = gicd ? (uint32_t)BITS(mmio_read32(gicd + GICD_TYPER), 4, 0) : 0;
    if (!gicd || intid < 32 || intid >= 32 * (lines + 1) || intid >= 1020)
        return false;
    uint32_t word = 4 * (intid / 32), bit = 1u << (intid % 32);
    uint32_t cfg_word = 4 * (intid / 16), cfg_bit = 2u << (2 * (intid % 16));
    mmio_write32(gicd + GICD_ICENABLER + word, bit);
    wait_clear(gicd + GICD_CTLR, GICD_CTLR_RWP);
    mmio_write32(gicd + GICD_ICACTIVER + word, bit);
    mmio_write32(gicd + GICD_ICPENDR + word, bit);
    mmio_write32(gicd + GICD_IGROUPR + word, mmio_read32(gicd + GICD_IGROUPR + word) | bit);
    mmio_write32(gicd + GICD_IGRPMODR + word, mmio_read32(gicd + GICD_IGRPMODR + word) & ~bit);
    mmio_write32(gicd + GICD_ICFGR + cfg_word, mmio_read32(gicd + GICD_ICFGR + cfg_word) & ~cfg_bit);
    *(volatile uint8_t *)(uintptr_t)(gicd + GICD_IPRIORITYR + intid) = priority;
    /* GICD_IROUTER<n>: Aff3 [39:32], Aff2 [23:16], Aff1 [15:8], Aff0 [7:0]. */
    uint64_t route = target_mpidr & 0xff00ffffffull;
    mmio_write32(gicd + GICD_IROUTER + 8ull * intid, (uint32_t)route);
    mmio_write32(gicd + GICD_IROUTER + 8ull * intid + 4, (uint32_t)(route >> 32));
    mmio_write32(gicd + GICD_ISENABLER + word, bit);
    return true;
}

void gicv3_spi_disable(uint32_t intid)
{
    if (!gicd || intid < 32 || intid >= 1020)
        return;
    mmio_write32(gicd + GICD_ICENABLER + 4 * (intid / 32), 1u << (intid % 32));
    wait_clear(gicd + GICD_CTLR, GICD_CTLR_RWP);
}

bool gicv3_spi_line(uint32_t intid)
{
    if (!gicd || intid < 32 || intid >= 1020)
        return false;
    return (mmio_read32(gicd + GICD_ISPENDR + 4 * (intid / 32)) >> (intid % 32)) & 1;
}

uint32_t gicv3_ack(void)
{
    uint32_t intid = (uint32_t)read_sysreg(icc_iar1_el1) & 0xffffff;
    dsb(sy);      /* the acknowledge is seen before the handler's effects */
    return intid;
}

void gicv3_eoi(uint32_t intid)
{
    write_sysreg(icc_eoir1_el1, intid);
    isb();
}

void gicv3_deactivate(uint32_t intid)
{
    write_sysreg(icc_dir_el1, intid);
    isb();
}

/* ICC_SGI1R_EL1: TargetList holds Aff0 % 16, RS = Aff0 / 16. */
void gicv3_send_sgi(uint64_t target_mpidr, uint32_t intid)
{
    uint64_t aff0 = BITS(target_mpidr, 7, 0);
    uint64_t v = (1ull << (aff0 % 16)) | (uint64_t)(intid & 0xf) << ICC_SGI1R_INTID_SHIFT |
                 BITS(target_mpidr, 15, 8) << ICC_SGI1R_AFF1_SHIFT |
                 BITS(target_mpidr, 23, 16) << ICC_SGI1R_AFF2_SHIFT |
                 (aff0 / 16) << ICC_SGI1R_RS_SHIFT | BITS(target_mpidr, 39, 32) << ICC_SGI1R_AFF3_SHIFT;
    dsb(ishst);   /* what the target will look at is visible before it is interrupted */
    write_sysreg(icc_sgi1r_el1, v);
    isb();
}

void gicv3_cpu_disable(void)
{
    write_sysreg(icc_igrpen1_el1, 0);
    isb();
}
