/* its.c: the GICv3 ITS as a guest drives it (QEMU virt, 2 or 4 CPUs): LPI tables and EnableLPIs,
 * ITS tables and command queue, MAPD/MAPC/MAPTI/INT delivering an LPI, MOVI to the second
 * CPU, INV/INVALL after a configuration change (with 4 CPUs also to three targets parked in
 * WFI at once), CLEAR, DISCARD, GITS_TRANSLATER, and a
 * hostile command sequence after which the ITS still works. Then MSIs of a PCI function (QEMU's
 * edu at 00:04.0 in the ECAM): its BAR and MSI capability, MSIs arriving as LPIs, MOVI,
 * DISCARD, and (under the hypervisor) which path they took. Last, new Device and Collection
 * tables with 64 KiB pages delivering an LPI. Interrupts are taken by polling
 * ICC_IAR1_EL1 with PSTATE.I masked (no IRQ vector needed). Runs on bare QEMU's ITS too
 * (with -device edu,addr=4). */
#include "hypercall.h"
#include "test.h"

#define GICD_BASE       0x08000000ul
#define GITS_BASE       0x08080000ul
#define GICR_BASE       0x080A0000ul

#define GICD_CTLR       0x0000
#define GICD_CTLR_RWP   (1u << 31)
#define GICR_CTLR       0x0000
#define GICR_TYPER      0x0008
#define GICR_WAKER      0x0014
#define GICR_PROPBASER  0x0070
#define GICR_PENDBASER  0x0078

#define GITS_CTLR       0x0000
#define GITS_TYPER      0x0008
#define GITS_CBASER     0x0080
#define GITS_CWRITER    0x0088
#define GITS_CREADR     0x0090
#define GITS_BASER(n)   (0x0100 + 8 * (n))
#define GITS_PIDR2      0xFFE8
#define GITS_TRANSLATER 0x10040

#define LPI_ID_BITS     14                      /* INTIDs 8192..16383 */
#define LPI_BASE        8192
#define LPI_PROP        0xa3                    /* priority 0xa0, group 1 (RES1), enabled */
#define SPURIOUS        1023
#define QUEUE_BYTES     4096

#define CMD_MOVI 0x01
#define CMD_INT 0x03
#define CMD_CLEAR 0x04
#define CMD_SYNC 0x05
#define CMD_MAPD 0x08
#define CMD_MAPC 0x09
#define CMD_MAPTI 0x0A
#define CMD_INV 0x0C
#define CMD_INVALL 0x0D
#define CMD_DISCARD 0x0F

#define DEV 1                                   /* our device: 16 events */
#define DEV_EVENT_BITS 4
#define LPI_A (LPI_BASE + 1)                    /* DEV event 0 */
#define LPI_T (LPI_BASE + 8)                    /* DeviceID 0 event 7 (GITS_TRANSLATER) */

static inline uint64_t mmio_read64(uintptr_t a) { return *(volatile uint64_t *)a; }
static inline void mmio_write64(uintptr_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

/* Memory the ITS and redistributors read: with the MMU off our stores go to memory, but a
 * hypervisor may give us cacheable attributes: clean to the point of coherency. */
static void flush(const volatile void *p, uint64_t len)
{
    for (uintptr_t a = (uintptr_t)p & ~63ul; a < (uintptr_t)p + len; a += 64)
        __asm__ volatile("dc civac, %0" :: "r"(a) : "memory");
    dsb(sy);
}

static uint64_t bump;                           /* next free byte of the table memory */
static void *alloc(uint64_t bytes, uint64_t align)
{
    bump = (bump + align - 1) & ~(align - 1);
    void *p = (void *)(uintptr_t)bump;
    bump += bytes;
    memset(p, 0, bytes);
    flush(p, bytes);
    return p;
}

/* ---- redistributors and the CPU interface ------------------------------------------ */

#define ITS_CPUS 4
static unsigned ncpus;                          /* from the DTB, at most ITS_CPUS */
static uintptr_t rd_base[ITS_CPUS];             /* by cpu_index() */
static uint32_t rd_procnum[ITS_CPUS];           /* GICR_TYPER.Processor_Number */
static uint8_t *prop;                           /* the LPI configuration table (shared) */

static bool find_redistributors(void)
{
    unsigned found = 0;                         /* QEMU virt: MPIDR Aff0 = CPU index */
    uintptr_t a = GICR_BASE;
    for (int i = 0; i < 16; i++) {
        uint64_t t = mmio_read64(a + GICR_TYPER);
        for (unsigned c = 0; c < ncpus; c++)
            if ((t >> 32) == c) {
                rd_base[c] = a;
                rd_procnum[c] = (uint32_t)(t >> 8) & 0xffff;
                found++;
            }
        if (t & (1u << 4))                      /* Last */
            break;
        a += (t & (1u << 1)) ? 0x40000 : 0x20000;   /* VLPIS: two more 64 KiB frames */
    }
    return found == ncpus;
}

static void redistributor_enable_lpis(uintptr_t rd, void *pend)
{
    mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~(1u << 1));   /* ProcessorSleep */
    for (int i = 0; i < 100000 && (mmio_read32(rd + GICR_WAKER) & (1u << 2)); i++)
        ;
    mmio_write64(rd + GICR_PROPBASER, (uintptr_t)prop | (LPI_ID_BITS - 1));
    mmio_write64(rd + GICR_PENDBASER, (uintptr_t)pend | (1ull << 62));   /* PTZ: all zero */
    dsb(sy);
    mmio_write32(rd + GICR_CTLR, mmio_read32(rd + GICR_CTLR) | 1);       /* EnableLPIs */
    dsb(sy);
}

static void cpu_interface_enable(void)
{
    __asm__ volatile("msr daifset, #2");        /* we poll; no IRQ exceptions */
    write_sysreg(icc_sre_el1, read_sysreg(icc_sre_el1) | 1);
    isb();
    write_sysreg(icc_pmr_el1, 0xff);
    write_sysreg(icc_bpr1_el1, 0);
    write_sysreg(icc_ctlr_el1, read_sysreg(icc_ctlr_el1) & ~2ull);   /* EOImode 0 */
    write_sysreg(icc_igrpen1_el1, 1);
    isb();
}

/* The next interrupt within timeout_us (acknowledged and EOId), or SPURIOUS. */
static uint32_t take_irq(uint64_t timeout_us)
{
    uint64_t start = counter(), ticks = timeout_us * counter_freq() / 1000000;
    do {
        uint32_t id = (uint32_t)read_sysreg(icc_iar1_el1) & 0xffffff;
        if (id != SPURIOUS) {
            write_sysreg(icc_eoir1_el1, id);
            isb();
            return id;
        }
    } while (counter() - start < ticks);
    return SPURIOUS;
}

/* ---- the other CPUs: take interrupts and report them ------------------------------ */

static volatile uint64_t sec_ready[ITS_CPUS], sec_got[ITS_CPUS], sec_wfi[ITS_CPUS], sec_in_wfi[ITS_CPUS];
static volatile uint64_t cpu1_stop;             /* every secondary leaves its loop */
#define cpu1_ready  sec_ready[1]
#define cpu1_got    sec_got[1]
#define cpu1_wfi    sec_wfi[1]
#define cpu1_in_wfi sec_in_wfi[1]

void secondary_main(uint64_t context_id)
{
    (void)context_id;
    unsigned me = cpu_index();
    if (me >= ITS_CPUS)
        return;
    cpu_interface_enable();
    shared_store(&sec_ready[me], 1);
    uint64_t start = counter(), limit = 60 * counter_freq();
    while (!shared_load(&cpu1_stop) && counter() - start < limit) {
        if (shared_load(&sec_wfi[me])) {
            /* Asleep until an interrupt is pending (PSTATE.I masked: WFI still wakes). Under
             * the hypervisor on GICv4 the vPE is then not resident: only its doorbell wakes it. */
            shared_store(&sec_in_wfi[me], 1);
            __asm__ volatile("dsb sy\n\twfi" ::: "memory");
            shared_store(&sec_in_wfi[me], 0);
        }
        uint32_t id = take_irq(1000);
        if (id != SPURIOUS)
            shared_store(&sec_got[me], id);
    }
}

/* ---- the ITS --------------------------------------------------------------------- */

static volatile uint64_t *cq;                   /* command queue */
static uint32_t cq_tail;
static uint64_t its_typer;
static uint8_t *itt_dev, *itt_dev0;

static uint64_t rdbase(int cpu)                 /* GITS_TYPER.PTA: address or processor number */
{
    return (its_typer & (1u << 19)) ? rd_base[cpu] >> 16 : rd_procnum[cpu];
}

/* Queues one command without telling the ITS. */
static void put(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
    volatile uint64_t *c = cq + cq_tail / 8;
    c[0] = d0;
    c[1] = d1;
    c[2] = d2;
    c[3] = d3;
    flush(c, 32);
    cq_tail = (cq_tail + 32) % QUEUE_BYTES;
}

/* Waits until GITS_CREADR reaches the tail; false when it stalls or times out. */
static bool its_wait(void)
{
    uint64_t start = counter(), ticks = counter_freq();   /* 1 s */
    for (;;) {
        uint64_t r = mmio_read64(GITS_BASE + GITS_CREADR);
        if (r & 1)
            return false;
        if ((r & 0xFFFE0) == cq_tail)
            return true;
        if (counter() - start > ticks)
            return false;
    }
}

/* Queues one command and a SYNC, kicks the ITS, waits for both. */
static bool cmd(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
    put(d0, d1, d2, d3);
    put(CMD_SYNC, 0, rdbase(0) << 16, 0);
    mmio_write64(GITS_BASE + GITS_CWRITER, cq_tail);
    return its_wait();
}

#define D(dev) ((uint64_t)(dev) << 32)
static bool its_mapd(uint32_t dev, void *itt, uint32_t bits, bool v)
{
    return cmd(CMD_MAPD | D(dev), bits - 1, (uintptr_t)itt | (uint64_t)v << 63, 0);
}
static bool its_mapc(uint32_t icid, int cpu) { return cmd(CMD_MAPC, 0, icid | rdbase(cpu) << 16 | 1ull << 63, 0); }
static bool its_mapti(uint32_t dev, uint32_t ev, uint32_t lpi, uint32_t icid)
{
    return cmd(CMD_MAPTI | D(dev), ev | (uint64_t)lpi << 32, icid, 0);
}
static bool its_ev(uint8_t nr, uint32_t dev, uint32_t ev) { return cmd(nr | D(dev), ev, 0, 0); }
static bool its_movi(uint32_t dev, uint32_t ev, uint32_t icid) { return cmd(CMD_MOVI | D(dev), ev, icid, 0); }

static void lpi_config(uint32_t lpi, uint8_t v)
{
    prop[lpi - LPI_BASE] = v;
    flush(&prop[lpi - LPI_BASE], 1);
}

/* Sets up one GITS_BASER<n> of the given type with a flat table of `entries` entries. */
static bool its_table(unsigned type, uint64_t entries)
{
    for (int n = 0; n < 8; n++) {
        uint64_t b = mmio_read64(GITS_BASE + GITS_BASER(n));
        if (((b >> 56) & 7) != type)
            continue;
        uint64_t esz = ((b >> 48) & 0x1f) + 1;
        uint64_t pages = (entries * esz + 4095) / 4096;
        void *t = alloc(pages * 4096, 65536);
        b &= (7ull << 56) | (0x1full << 48);    /* keep Type and Entry_Size; 4 KiB pages, flat */
        b |= 1ull << 63 | (uintptr_t)t | (pages - 1);
        mmio_write64(GITS_BASE + GITS_BASER(n), b);
        return (mmio_read64(GITS_BASE + GITS_BASER(n)) & ((1ull << 63) | 0xfffffffff000ull)) ==
               ((1ull << 63) | (uintptr_t)t);
    }
    return false;
}

static bool its_setup(void)
{
    mmio_write32(GITS_BASE + GITS_CTLR, 0);
    for (int i = 0; i < 100000 && !(mmio_read32(GITS_BASE + GITS_CTLR) & (1u << 31)); i++)
        ;
    its_typer = mmio_read64(GITS_BASE + GITS_TYPER);
    if (!its_table(1, 64) || !its_table(4, 64))   /* Device, Collection tables */
        return false;
    cq = alloc(QUEUE_BYTES, 65536);
    mmio_write64(GITS_BASE + GITS_CBASER, 1ull << 63 | (uintptr_t)cq);   /* 1 page */
    mmio_write64(GITS_BASE + GITS_CWRITER, 0);
    cq_tail = 0;
    uint64_t itt_esz = ((its_typer >> 4) & 0xf) + 1;
    itt_dev = alloc(16 * itt_esz, 256);
    itt_dev0 = alloc(16 * itt_esz, 256);
    mmio_write32(GITS_BASE + GITS_CTLR, 1);
    return (mmio_read32(GITS_BASE + GITS_CTLR) & 1) == 1;
}

/* ---- the checks ------------------------------------------------------------------- */

static void check_irq(const char *name, uint32_t want)
{
    uint32_t got = take_irq(want == SPURIOUS ? 50000 : 2000000);
    check(got == want, name, "got INTID %u, want %u", got, want);
}

static void hostile(void)
{
    uint64_t before = mmio_read64(GITS_BASE + GITS_CREADR);
    put(CMD_MAPTI | D(5), 0 | (uint64_t)LPI_A << 32, 0, 0);            /* unmapped device */
    put(CMD_MAPTI | D(DEV), 100 | (uint64_t)LPI_A << 32, 0, 0);        /* EventID beyond ITT */
    put(CMD_INT | D(DEV), 3, 0, 0);                                    /* unmapped event */
    put(CMD_MAPTI | D(DEV), 2 | 100ull << 32, 0, 0);                   /* INTID 100 is no LPI */
    put(CMD_MAPC, 0, 3 | 200ull << 16 | 1ull << 63, 0);                /* no such processor */
    put(0xffffffffffffffffull, 0xdeadbeefdeadbeefull, ~0ull, ~0ull);   /* garbage */
    put(0x2a, 0x1234, 0x5678, 0x9abc);                                 /* a GICv4 number */
    put(CMD_SYNC, 0, rdbase(0) << 16, 0);
    mmio_write64(GITS_BASE + GITS_CWRITER, cq_tail);
    uint64_t start = counter(), ticks = counter_freq();
    uint64_t r;
    do
        r = mmio_read64(GITS_BASE + GITS_CREADR);
    while (!(r & 1) && (r & 0xFFFE0) != cq_tail && counter() - start < ticks);
    /* Arm IHI 0069 lets an ITS ignore each bad command or stall: both are fine, hanging is not. */
    bool ignored = !(r & 1) && (r & 0xFFFE0) == cq_tail;
    check(ignored || (r & 1), "its_hostile_commands", "CREADR 0x%lx (was 0x%lx), tail 0x%x",
          r, before, cq_tail);
    if (r & 1) {                                /* stalled: skip the rest, as a driver would */
        mmio_write64(GITS_BASE + GITS_CWRITER, cq_tail | 1);
    }

    /* GITS_CWRITER beyond the queue: the ITS ignores the write or stalls; fixing it recovers. */
    before = mmio_read64(GITS_BASE + GITS_CREADR);
    mmio_write64(GITS_BASE + GITS_CWRITER, QUEUE_BYTES);
    delay_us(1000);
    r = mmio_read64(GITS_BASE + GITS_CREADR);
    /* The hypervisor's ITS takes the stall option (GITS_CREADR.Stalled, CREADR's offset kept);
     * bare QEMU's ignores the write. Only the stall is evidence the write was seen at all, so
     * under the hypervisor it is required (a dead ITS would also leave CREADR unchanged). */
    bool stalled = (r & 1) && (r & 0xFFFE0) == (before & 0xFFFE0);
    check(hv_present() ? stalled : (stalled || r == before), "its_cwriter_beyond_queue",
          "CREADR 0x%lx, was 0x%lx (want Stalled set, offset unchanged)", r, before);
    put(CMD_SYNC, 0, rdbase(0) << 16, 0);
    mmio_write64(GITS_BASE + GITS_CWRITER, cq_tail | ((r & 1) ? 1 : 0));   /* Retry if stalled */
    check(its_wait(), "its_queue_recovers", "CREADR 0x%lx, tail 0x%x",
          mmio_read64(GITS_BASE + GITS_CREADR), cq_tail);
}

/* Under the hypervisor: which path LPIs take. Emulated (GICv3 host): the hypervisor injects
 * each one (HV_STAT_LPI_INJECTED counts it). Direct (GICv4 host): the guest's INT becomes a
 * physical INT on a VMAPTI'd host event and the GIC delivers the vLPI itself; the hypervisor
 * injects none (HV_STAT_LPI_DIRECT counts the physical INTs). 0: bare QEMU. */
static const char *lpi_path;

static void lpi_path_proof(void)
{
    enum { N = 16 };
    if (!hv_present())
        return;
    uint64_t i0 = hvc(HV_HC_VM_STAT, HV_STAT_LPI_INJECTED, 0, 0);
    uint64_t d0 = hvc(HV_HC_VM_STAT, HV_STAT_LPI_DIRECT, 0, 0);
    uint32_t got = 0;
    for (int i = 0; i < N; i++) {
        its_ev(CMD_INT, DEV, 0);
        if (take_irq(1000000) == LPI_A)
            got++;
    }
    uint64_t di = hvc(HV_HC_VM_STAT, HV_STAT_LPI_INJECTED, 0, 0) - i0;
    uint64_t dd = hvc(HV_HC_VM_STAT, HV_STAT_LPI_DIRECT, 0, 0) - d0;
    lpi_path = di == 0 && dd == N ? "direct" : di == N && dd == 0 ? "emulated" : NULL;
    printf("its: lpi path %s: %u of %u LPIs arrived, hypervisor-injected %lu, direct %lu\n",
           lpi_path ? lpi_path : "mixed", got, (unsigned)N, di, dd);
    check(got == N && lpi_path, "its_lpi_path", "%u of %u arrived, injected %lu, direct %lu",
          got, (unsigned)N, di, dd);
}

/* Cost of one LPI: an INT command (CWRITER write) and an MSI (TRANSLATER write), each until
 * the CPU acknowledged it (make bench: under -icount, ticks count instructions). */
static void bench(void)
{
    enum { N = 50 };
    uint64_t t0 = counter();
    for (int i = 0; i < N; i++) {
        put(CMD_INT | D(DEV), 0, 0, 0);
        mmio_write64(GITS_BASE + GITS_CWRITER, cq_tail);
        take_irq(1000000);
    }
    uint64_t t = counter() - t0;
    bench_report("its_int_to_lpi", t, N);
    if (lpi_path) {
        char name[40];
        snprintf(name, sizeof name, "lpi_delivery_%s", lpi_path);
        bench_report(name, t, N);
    }
    t0 = counter();
    for (int i = 0; i < N; i++) {
        mmio_write32(GITS_BASE + GITS_TRANSLATER, 7);
        take_irq(1000000);
    }
    bench_report("its_translater_to_lpi", counter() - t0, N);
}

/* ---- INV / INVALL to three targets parked in WFI (4 CPUs) -------------------------- */

#define LPI_W(t)        (LPI_BASE + 40 + (t))   /* DEV event 8 + t, collection t, CPU t */

/* Events for CPUs 1..3 made pending while disabled, the CPUs parked in WFI (GICv4: their vPEs
 * not resident), then enabled by one INV per event (invall false) or one INVALL per
 * collection: every CPU must wake and take its LPI. */
static void inv_wfi_targets(bool invall, const char *name)
{
    for (unsigned t = 1; t < 4; t++) {
        lpi_config(LPI_W(t), LPI_PROP & ~1);
        if (invall)
            cmd(CMD_INVALL, 0, t, 0);
        else
            its_ev(CMD_INV, DEV, 8 + t);
        shared_store(&sec_got[t], 0);
        shared_store(&sec_wfi[t], 1);
    }
    bool asleep = true;
    for (unsigned t = 1; t < 4; t++)
        asleep = shared_wait(&sec_in_wfi[t], 1, 2000000) && asleep;
    delay_us(20000);                            /* well inside their WFIs (trapped: blocked) */
    for (unsigned t = 1; t < 4; t++)
        its_ev(CMD_INT, DEV, 8 + t);            /* pending, disabled */
    delay_us(20000);
    uint64_t early = 0;
    for (unsigned t = 1; t < 4; t++) {
        early |= shared_load(&sec_got[t]);
        shared_store(&sec_wfi[t], 0);           /* once woken they go back to polling */
    }
    for (unsigned t = 1; t < 4; t++) {
        lpi_config(LPI_W(t), LPI_PROP);
        if (invall)
            cmd(CMD_INVALL, 0, t, 0);
        else
            its_ev(CMD_INV, DEV, 8 + t);
    }
    unsigned arrived = 0;
    for (unsigned t = 1; t < 4; t++)
        arrived += shared_wait(&sec_got[t], LPI_W(t), 2000000);
    check(asleep && early == 0 && arrived == 3, name, "asleep %d, before the %s a CPU saw INTID %lu (want none), "
          "after it %u of 3 CPUs took their LPI (CPU 1 %lu, 2 %lu, 3 %lu)", asleep, invall ? "INVALLs" : "INVs",
          early, arrived, shared_load(&sec_got[1]), shared_load(&sec_got[2]), shared_load(&sec_got[3]));
    for (unsigned t = 1; t < 4; t++)
        shared_store(&sec_got[t], 0);
}

static void four_cpus(void)
{
    static const char *const names[] = { "its_inv_wakes_3_wfi_targets", "its_invall_wakes_3_wfi_targets" };
    if (ncpus < 4) {
        for (unsigned i = 0; i < 2; i++)
            skip(names[i], "fewer than 4 CPUs");
        return;
    }
    bool ok = true;
    for (unsigned t = 2; t < 4; t++) {
        psci_cpu_on_entry(t, 0);
        ok = shared_wait(&sec_ready[t], 1, 2000000) && ok;   /* one at a time (FACTS: PSCI race) */
    }
    for (unsigned t = 1; t < 4; t++)
        ok = ok && its_mapc(t, (int)t) && its_mapti(DEV, 8 + t, LPI_W(t), t);
    if (!check(ok, "its_4cpus_online_mapped", "CPUs 2 and 3 started, MAPC/MAPTI for CPUs 1-3")) {
        for (unsigned i = 0; i < 2; i++)
            skip(names[i], "setup failed");
        return;
    }
    inv_wfi_targets(false, names[0]);
    inv_wfi_targets(true, names[1]);
    for (unsigned t = 1; t < 4; t++)
        its_ev(CMD_DISCARD, DEV, 8 + t);
}

/* ---- an assigned PCI function: QEMU's edu, its MSIs as LPIs ------------------------- */

/* QEMU virt's high ECAM; under the hypervisor its virtual ECAM at the same place (bus 0 only).
 * Config offset = devfn << 12 | register; only dword accesses are used. */
#define ECAM_BASE       0x4010000000ul
#define EDU_DEVFN       0x20                    /* 00:04.0 */
#define EDU_DEVICE_ID   0x0020                  /* its requester ID: its DeviceID on the ITS */
#define EMPTY_DEVFN     0x28                    /* 00:05.0: nothing there */
#define EDU_ID          0x11e81234u             /* device 0x11e8, vendor 0x1234 */
#define EDU_BAR_SIZE    0x100000u
#define EDU_BAR_NATIVE  0x10000000u             /* bare QEMU: nobody assigned BAR0 (virt's PCI MMIO) */
#define EDU_IDENT       0x00
#define EDU_IDENT_VALUE 0x010000edu
#define EDU_IRQ_STATUS  0x24
#define EDU_IRQ_RAISE   0x60                    /* status |= V, and one MSI */
#define EDU_IRQ_ACK     0x64                    /* status &= ~V */

#define PCI_COMMAND     0x04                    /* the dword: Command, Status << 16 */
#define PCI_CMD_MEMORY  (1u << 1)
#define PCI_CMD_MASTER  (1u << 2)
#define PCI_STATUS_CAPS (1u << (16 + 4))
#define PCI_BAR0        0x10
#define PCI_CAP_PTR     0x34
#define PCI_CAP_MSI     0x05
#define MSI_ENABLE      (1u << 16)              /* in the capability's first dword */
#define MSI_MME         (7u << 20)
#define MSI_64BIT       (1u << 23)

#define MSI_LATE_ICID 2                 /* a collection mapped only after its event */
#define MSI_EVENT       5                       /* the EventID the device sends (MSI data) */
#define LPI_M           (LPI_BASE + 16)         /* EDU_DEVICE_ID event MSI_EVENT */
#define MSI_N           16                      /* MSIs of pci_msi_lpi / pci_msi_path */
#define MSI_BENCH_N     64

static uint32_t cfg_read(unsigned devfn, unsigned reg)
{
    return mmio_read32(ECAM_BASE + ((uintptr_t)devfn << 12) + reg);
}
static void cfg_write(unsigned devfn, unsigned reg, uint32_t v)
{
    mmio_write32(ECAM_BASE + ((uintptr_t)devfn << 12) + reg, v);
    dsb(sy);
}

static uintptr_t edu_bar;

/* Raises edu's interrupt (one MSI) and polls for the next interrupt on this CPU for up to
 * timeout_us; then acknowledges edu and EOIs it. *ticks (if given): counter ticks from just
 * before the raise write until ICC_IAR1_EL1 returned it. Returns the INTID or SPURIOUS. */
static uint32_t msi_raise_take(uint64_t timeout_us, uint64_t *ticks)
{
    uint64_t limit = timeout_us * counter_freq() / 1000000;
    uint64_t t0 = counter();
    mmio_write32(edu_bar + EDU_IRQ_RAISE, 1);
    uint32_t id;
    do
        id = (uint32_t)read_sysreg(icc_iar1_el1) & 0xffffff;
    while (id == SPURIOUS && counter() - t0 < limit);
    uint64_t t1 = counter();
    mmio_write32(edu_bar + EDU_IRQ_ACK, 1);
    if (id != SPURIOUS) {
        write_sysreg(icc_eoir1_el1, id);
        isb();
    }
    if (ticks)
        *ticks = t1 - t0;
    return id;
}

static uint64_t vm_stat(unsigned id) { return hvc(HV_HC_VM_STAT, id, 0, 0); }
/* The exits an MSI must not cause (stat hypercalls are HVC exits, host timer ticks IRQ exits). */
static uint64_t exits_mmio_sysreg(void) { return vm_stat(HV_STAT_EXITS_MMIO) + vm_stat(HV_STAT_EXITS_SYSREG); }

/* Finds edu, gives it its BAR (bare QEMU) or checks the one it has, sizes it, finds its MSI
 * capability. Returns the capability's offset, 0 when something needed is missing. */
static unsigned pci_probe(void)
{
    uint32_t id = cfg_read(EDU_DEVFN, 0), none = cfg_read(EMPTY_DEVFN, 0);
    if (!check(id == EDU_ID && none == 0xffffffffu, "pci_edu_found",
               "00:04.0 ID 0x%x (want 0x%x), 00:05.0 ID 0x%x (want all ones)", id, EDU_ID, none))
        return 0;

    /* BAR0 with memory decoding off, as sizing wants; restored to its address after. */
    uint32_t command = cfg_read(EDU_DEVFN, PCI_COMMAND) & 0xffff;
    cfg_write(EDU_DEVFN, PCI_COMMAND, command & ~PCI_CMD_MEMORY);
    uint32_t bar = cfg_read(EDU_DEVFN, PCI_BAR0), assigned = bar;
    if ((bar & ~0xfu) == 0) {                   /* bare QEMU: no firmware assigned it */
        cfg_write(EDU_DEVFN, PCI_BAR0, EDU_BAR_NATIVE);
        bar = cfg_read(EDU_DEVFN, PCI_BAR0);
    }
    cfg_write(EDU_DEVFN, PCI_BAR0, 0xffffffffu);
    uint32_t mask = cfg_read(EDU_DEVFN, PCI_BAR0);
    cfg_write(EDU_DEVFN, PCI_BAR0, bar);
    uint32_t back = cfg_read(EDU_DEVFN, PCI_BAR0);
    uint32_t size = ~(mask & ~0xfu) + 1;
    check((bar & ~0xfu) != 0 && (bar & 0xf) == 0 && size == EDU_BAR_SIZE && back == bar, "pci_bar_sizing",
          "BAR0 read 0x%x, then 0x%x, sizes to 0x%x (mask 0x%x, want 0x%x, 32-bit memory), reads back 0x%x",
          assigned, bar, size, mask, EDU_BAR_SIZE, back);
    if ((bar & ~0xfu) == 0)
        return 0;
    edu_bar = bar & ~0xfu;
    /* Memory decoding and bus mastering (the MSI is a write of the device); Status half 0. */
    cfg_write(EDU_DEVFN, PCI_COMMAND, command | PCI_CMD_MEMORY | PCI_CMD_MASTER);

    uint32_t ident = mmio_read32(edu_bar + EDU_IDENT);
    check(ident == EDU_IDENT_VALUE, "pci_edu_ident", "BAR0 0x%lx + 0 reads 0x%x, want 0x%x",
          (uint64_t)edu_bar, ident, EDU_IDENT_VALUE);

    unsigned cap = 0, ptr = 0;
    if (cfg_read(EDU_DEVFN, PCI_COMMAND) & PCI_STATUS_CAPS) {
        ptr = cfg_read(EDU_DEVFN, PCI_CAP_PTR) & 0xfc;
        for (unsigned p = ptr, i = 0; p >= 0x40 && i < 48 && !cap; i++) {
            uint32_t h = cfg_read(EDU_DEVFN, p);
            if ((h & 0xff) == PCI_CAP_MSI)
                cap = p;
            p = (h >> 8) & 0xfc;
        }
    }
    check(cap != 0, "pci_msi_cap", "Status/Command 0x%x, capability pointer 0x%x, no MSI capability",
          cfg_read(EDU_DEVFN, PCI_COMMAND), ptr);
    return cap;
}

/* MSI address = our GITS_TRANSLATER, data = MSI_EVENT, then MSI Enable (one vector). */
static void msi_program(unsigned cap)
{
    uint32_t h = cfg_read(EDU_DEVFN, cap);
    cfg_write(EDU_DEVFN, cap + 4, (uint32_t)(GITS_BASE + GITS_TRANSLATER));
    if (h & MSI_64BIT) {
        cfg_write(EDU_DEVFN, cap + 8, 0);
        cfg_write(EDU_DEVFN, cap + 12, MSI_EVENT);
    } else {
        cfg_write(EDU_DEVFN, cap + 8, MSI_EVENT);
    }
    cfg_write(EDU_DEVFN, cap, (h & ~MSI_MME) | MSI_ENABLE);
}

static void pci_msi(void)
{
    unsigned cap = pci_probe();
    if (!cap)
        return;
    msi_program(cap);
    uint64_t itt_esz = ((its_typer >> 4) & 0xf) + 1;
    uint8_t *itt_edu = alloc(16 * itt_esz, 256);
    bool mapped = its_mapd(EDU_DEVICE_ID, itt_edu, DEV_EVENT_BITS, true) &&
                  its_mapti(EDU_DEVICE_ID, MSI_EVENT, LPI_M, 0);

    /* MSI_N raises, each one LPI on CPU 0 (collection 0); nothing more after them. Under the
     * hypervisor, with the exit and injection counts around them. */
    bool hv = hv_present();
    uint64_t x0 = 0, i0 = 0;
    if (hv) {
        x0 = exits_mmio_sysreg();
        i0 = vm_stat(HV_STAT_LPI_INJECTED);
    }
    unsigned got = 0;
    uint32_t id = SPURIOUS;
    while (got < MSI_N && (id = msi_raise_take(1000000, NULL)) == LPI_M)
        got++;
    uint64_t dx = 0, di = 0;
    if (hv) {
        dx = exits_mmio_sysreg() - x0;
        di = vm_stat(HV_STAT_LPI_INJECTED) - i0;
    }
    uint32_t extra = take_irq(50000);
    uint32_t status = mmio_read32(edu_bar + EDU_IRQ_STATUS);
    if (!check(mapped && got == MSI_N && extra == SPURIOUS && status == 0, "pci_msi_lpi",
               "mapping %s, %u of %u MSIs arrived as INTID %u (then INTID %u), afterwards INTID %u, "
               "edu status 0x%x", mapped ? "done" : "failed", got, (unsigned)MSI_N, LPI_M, id, extra, status))
        return;                                 /* the rest would only time out */

    /* Which path: the one the LPIs of INT took (lpi_path_proof). Direct: the physical ITS
     * delivered each vLPI, no MMIO or system-register exit and no injection. Emulated: the
     * hypervisor injected each one. */
    if (hv) {
        bool direct = lpi_path && !strncmp(lpi_path, "direct", 7);
        bool ok = lpi_path && (direct ? dx == 0 && di == 0 : di == MSI_N);
        printf("its: msi path %s: %u of %u MSIs arrived, mmio+sysreg exits %lu, injected %lu\n",
               lpi_path ? lpi_path : "unknown", got, (unsigned)MSI_N, dx, di);
        check(ok, "pci_msi_path", "LPI path %s, mmio+sysreg exits %lu, injected %lu over %u MSIs",
              lpi_path ? lpi_path : "unknown", dx, di, (unsigned)MSI_N);
    }

    /* Cost of one MSI: the raise write until ICC_IAR1_EL1 returns its LPI (make bench), and
     * the exits it took: MMIO and system-register ones, and physical interrupts (a host LPI per
     * MSI on GICv3; under -icount the 100 Hz host tick does not land in this short loop). */
    uint64_t q0 = 0, dq = 0;
    if (hv) {
        x0 = exits_mmio_sysreg();
        i0 = vm_stat(HV_STAT_LPI_INJECTED);
        q0 = vm_stat(HV_STAT_EXITS_IRQ);
    }
    uint64_t total = 0, t;
    unsigned n = 0;
    for (int i = 0; i < MSI_BENCH_N; i++) {
        n += msi_raise_take(1000000, &t) == LPI_M;
        total += t;
    }
    if (hv) {
        dq = vm_stat(HV_STAT_EXITS_IRQ) - q0;
        dx = exits_mmio_sysreg() - x0;
        di = vm_stat(HV_STAT_LPI_INJECTED) - i0;
    }
    if (n == MSI_BENCH_N) {
        bench_report("lpi_msi", total, MSI_BENCH_N);
        if (hv)
            printf("BENCH_EXITS lpi_msi mmio_sysreg=%lu injected=%lu irq=%lu iterations=%u\n", dx, di, dq,
                   (unsigned)MSI_BENCH_N);
    } else {
        printf("its: lpi_msi bench: only %u of %u MSIs arrived, no BENCH line\n", n, (unsigned)MSI_BENCH_N);
    }

    /* MOVI to CPU 1's collection: the next MSI is taken there, not here. */
    shared_store(&cpu1_got, 0);
    bool moved = its_movi(EDU_DEVICE_ID, MSI_EVENT, 1);
    mmio_write32(edu_bar + EDU_IRQ_RAISE, 1);
    bool arrived = shared_wait(&cpu1_got, LPI_M, 2000000);
    uint32_t here = take_irq(50000);
    mmio_write32(edu_bar + EDU_IRQ_ACK, 1);
    check(moved && arrived && here == SPURIOUS, "pci_msi_movi", "MOVI %s, CPU 1 saw INTID %lu, CPU 0 INTID %u",
          moved ? "done" : "failed", shared_load(&cpu1_got), here);
    shared_store(&cpu1_got, 0);
    its_movi(EDU_DEVICE_ID, MSI_EVENT, 0);

    /* DISCARD: edu still raises (its status says so) but no LPI arrives anywhere. */
    bool discarded = its_ev(CMD_DISCARD, EDU_DEVICE_ID, MSI_EVENT);
    mmio_write32(edu_bar + EDU_IRQ_RAISE, 1);
    status = mmio_read32(edu_bar + EDU_IRQ_STATUS);
    here = take_irq(50000);
    uint64_t there = shared_load(&cpu1_got);
    mmio_write32(edu_bar + EDU_IRQ_ACK, 1);
    check(discarded && status == 1 && here == SPURIOUS && there == 0, "pci_msi_discard",
          "DISCARD %s, edu status 0x%x, CPU 0 took INTID %u, CPU 1 INTID %lu",
          discarded ? "done" : "failed", status, here, there);
    /* An event mapped to a collection before its MAPC: nothing arrives (the collection
     * targets no CPU); MAPC to CPU 0 and it arrives there; MAPC again to CPU 1 and the event
     * follows its collection (GICv4: the hypervisor re-targets the device's vLPI). */
    shared_store(&cpu1_got, 0);
    bool ok = its_mapti(EDU_DEVICE_ID, MSI_EVENT, LPI_M, MSI_LATE_ICID);
    mmio_write32(edu_bar + EDU_IRQ_RAISE, 1);
    uint32_t before = take_irq(50000);
    mmio_write32(edu_bar + EDU_IRQ_ACK, 1);
    ok = ok && its_mapc(MSI_LATE_ICID, 0);
    mmio_write32(edu_bar + EDU_IRQ_RAISE, 1);
    uint32_t on0 = take_irq(1000000);
    mmio_write32(edu_bar + EDU_IRQ_ACK, 1);
    ok = ok && its_mapc(MSI_LATE_ICID, 1);
    mmio_write32(edu_bar + EDU_IRQ_RAISE, 1);
    bool on1 = shared_wait(&cpu1_got, LPI_M, 2000000);
    uint32_t here0 = take_irq(50000);
    mmio_write32(edu_bar + EDU_IRQ_ACK, 1);
    check(ok && before == SPURIOUS && on0 == LPI_M && on1 && here0 == SPURIOUS, "pci_msi_mapc",
          "commands %s; unmapped collection: INTID %u; MAPC to CPU 0: INTID %u; MAPC to CPU 1: "
          "CPU 1 saw %lu, CPU 0 INTID %u", ok ? "done" : "failed", before, on0, shared_load(&cpu1_got), here0);
    shared_store(&cpu1_got, 0);
    its_ev(CMD_DISCARD, EDU_DEVICE_ID, MSI_EVENT);
}

/* ---- 64 KiB ITS pages ---------------------------------------------------------------- */

/* GITS_BASER<n> with Page_Size 64 KiB, as Linux on KVM (whose ITS has only that size) and
 * much KVM-tested software program it: the Device table two-level (one 64 KiB page of
 * level-1 entries, one level-2 page behind entry 1), the Collection table flat, and IDs that
 * only fit with 64 KiB pages; MAPD/MAPC/MAPTI/INT then deliver the LPI through them. */
#define PAGE_64K        65536ul
#define BIG_ICID        1000                    /* beyond one 4 KiB page of collections */
#define BIG_SLOT        808                     /* the device's slot in its level-2 page */
#define LPI_B           (LPI_BASE + 24)

/* Programs the GITS_BASER<n> of this type: one 64 KiB page (Size 0), flat or two-level. Its
 * Entry_Size in *esz; false when the register does not keep what was written. */
static bool its_table_64k(unsigned type, bool indirect, void **table, uint64_t *esz)
{
    for (int n = 0; n < 8; n++) {
        uint64_t b = mmio_read64(GITS_BASE + GITS_BASER(n));
        if (((b >> 56) & 7) != type)
            continue;
        *esz = ((b >> 48) & 0x1f) + 1;
        *table = alloc(PAGE_64K, PAGE_64K);
        uint64_t want = 1ull << 63 | (uint64_t)indirect << 62 | 2ull << 8 | (uintptr_t)*table;
        b &= (7ull << 56) | (0x1full << 48);    /* keep Type and Entry_Size */
        mmio_write64(GITS_BASE + GITS_BASER(n), b | want);
        uint64_t got = mmio_read64(GITS_BASE + GITS_BASER(n));
        uint64_t mask = 3ull << 62 | 0xffffffff0000ull | 3ull << 8 | 0xff;   /* address [47:16], Size */
        if ((got & mask) != want)
            printf("its: GITS_BASER%d wrote 0x%lx, reads 0x%lx\n", n, b | want, got);
        return (got & mask) == want;
    }
    return false;
}

static void its_64k_pages(void)
{
    mmio_write32(GITS_BASE + GITS_CTLR, 0);
    for (int i = 0; i < 100000 && !(mmio_read32(GITS_BASE + GITS_CTLR) & (1u << 31)); i++)
        ;
    void *dt = NULL, *ct = NULL;
    uint64_t dt_esz = 8, ct_esz = 8;
    bool programmed = its_table_64k(1, true, &dt, &dt_esz) && its_table_64k(4, false, &ct, &ct_esz);
    /* Level-1 entry 1: DeviceIDs 64K/esz .. 2 * 64K/esz - 1 (with 4 KiB pages: entry 17). */
    uint8_t *l2 = alloc(PAGE_64K, PAGE_64K);
    uint32_t dev = (uint32_t)(PAGE_64K / dt_esz) + BIG_SLOT;
    if (dt) {
        ((volatile uint64_t *)dt)[1] = 1ull << 63 | (uintptr_t)l2;
        flush((uint64_t *)dt + 1, 8);
    }
    uint64_t itt_esz = ((its_typer >> 4) & 0xf) + 1;
    uint8_t *itt = alloc(16 * itt_esz, 256);
    mmio_write32(GITS_BASE + GITS_CTLR, 1);
    bool cmds = its_mapd(dev, itt, DEV_EVENT_BITS, true) && its_mapc(BIG_ICID, 0) &&
                its_mapti(dev, 3, LPI_B, BIG_ICID) && its_ev(CMD_INT, dev, 3);
    uint32_t got = take_irq(2000000), extra = take_irq(50000);
    volatile uint64_t *dte = (volatile uint64_t *)(l2 + BIG_SLOT * dt_esz);
    flush(dte, 8);
    uint64_t dte_v = *dte;
    check(programmed && cmds && got == LPI_B && extra == SPURIOUS && dte_v != 0, "its_baser_64k_pages",
          "tables %s, cmds %s, dev %u icid %u: INTID %u (want %u) then %u, L2 slot %u 0x%lx (want DTE)",
          programmed ? "kept" : "not kept", cmds ? "done" : "stuck", dev, (unsigned)BIG_ICID, got, LPI_B, extra,
          (unsigned)BIG_SLOT, dte_v);
    its_ev(CMD_DISCARD, dev, 3);
}

int main(void *dtb)
{
    puts("its: start\n");
    struct region free[2];
    unsigned n = ram_free_regions(dtb, free);
    struct region *r = &free[0];
    if (n == 2 && free[1].end - free[1].start > r->end - r->start)
        r = &free[1];
    bump = r->start;

    uint64_t mpidrs[ITS_CPUS];
    ncpus = fdt_cpus(dtb, mpidrs, ITS_CPUS);
    uint32_t pidr2 = mmio_read32(GITS_BASE + GITS_PIDR2);
    if (!check(((pidr2 >> 4) & 0xf) >= 3 && (mmio_read64(GITS_BASE + GITS_TYPER) & 1), "its_present",
               "GITS_PIDR2 0x%x GITS_TYPER 0x%lx", pidr2, mmio_read64(GITS_BASE + GITS_TYPER)))
        return 0;
    if (!check(ncpus >= 2 && find_redistributors(), "its_redistributors", "no GICR frame for each of the %u CPUs",
               ncpus))
        return 0;

    /* Distributor: affinity routing, group 1 on. */
    mmio_write32(GICD_BASE + GICD_CTLR, (1u << 4) | (1u << 1));
    for (int i = 0; i < 100000 && (mmio_read32(GICD_BASE + GICD_CTLR) & GICD_CTLR_RWP); i++)
        ;
    /* LPI configuration: every LPI we use enabled; a pending table per redistributor. */
    prop = alloc(1u << LPI_ID_BITS, 4096);       /* only the first 8 KiB are used */
    for (uint32_t i = LPI_BASE; i < LPI_BASE + 64; i++)
        prop[i - LPI_BASE] = LPI_PROP;
    flush(prop, 64);
    for (unsigned c = 0; c < ncpus; c++)
        redistributor_enable_lpis(rd_base[c], alloc(65536, 65536));
    cpu_interface_enable();
    if (!check(its_setup(), "its_enable", "GITS_BASER / GITS_CTLR setup failed"))
        return 0;

    /* MAPD, MAPC, MAPTI, INT: the LPI arrives. */
    bool ok = its_mapd(DEV, itt_dev, DEV_EVENT_BITS, true) && its_mapc(0, 0) && its_mapc(1, 1) &&
              its_mapti(DEV, 0, LPI_A, 0);
    check(ok, "its_map_commands", "a mapping command did not complete");
    its_ev(CMD_INT, DEV, 0);
    check_irq("its_int_delivers_lpi", LPI_A);
    check_irq("its_int_delivered_once", SPURIOUS);

    /* MOVI to CPU 1: INT arrives there, not here. */
    psci_cpu_on_entry(1, 0);
    if (check(shared_wait(&cpu1_ready, 1, 2000000), "its_cpu1_online", "CPU 1 did not start")) {
        its_movi(DEV, 0, 1);
        its_ev(CMD_INT, DEV, 0);
        bool arrived = shared_wait(&cpu1_got, LPI_A, 2000000);
        check(arrived, "its_movi_int_on_cpu1", "CPU 1 saw INTID %lu", shared_load(&cpu1_got));
        check_irq("its_movi_not_on_cpu0", SPURIOUS);
        shared_store(&cpu1_got, 0);
        /* CPU 1 in WFI: an LPI for it wakes it (GICv4: the vPE's doorbell). */
        shared_store(&cpu1_got, 0);
        shared_store(&cpu1_wfi, 1);
        bool asleep = shared_wait(&cpu1_in_wfi, 1, 2000000);
        delay_us(20000);                        /* well inside its WFI (trapped: blocked) */
        shared_store(&cpu1_wfi, 0);             /* once woken it goes back to polling */
        its_ev(CMD_INT, DEV, 0);
        arrived = shared_wait(&cpu1_got, LPI_A, 2000000);
        check(asleep && arrived, "its_lpi_wakes_wfi", "asleep %d, CPU 1 saw INTID %lu", asleep,
              shared_load(&cpu1_got));
        shared_store(&cpu1_got, 0);
        /* Made pending while disabled, then enabled by INV while CPU 1 sleeps in WFI (GICv4: its vPE
         * is not resident, and no doorbell rings for an LPI already pending): it must arrive. */
        lpi_config(LPI_A, LPI_PROP & ~1);
        its_ev(CMD_INV, DEV, 0);
        shared_store(&cpu1_wfi, 1);
        asleep = shared_wait(&cpu1_in_wfi, 1, 2000000);
        delay_us(20000);
        its_ev(CMD_INT, DEV, 0);
        delay_us(20000);
        uint64_t early = shared_load(&cpu1_got);
        shared_store(&cpu1_wfi, 0);             /* once woken it goes back to polling */
        lpi_config(LPI_A, LPI_PROP);
        its_ev(CMD_INV, DEV, 0);
        arrived = shared_wait(&cpu1_got, LPI_A, 2000000);
        check(asleep && early == 0 && arrived, "its_inv_wakes_wfi_target", "asleep %d, before the INV CPU 1 saw "
              "INTID %lu (want none), after it %lu (want %u)", asleep, early, shared_load(&cpu1_got), LPI_A);
        shared_store(&cpu1_got, 0);
        its_movi(DEV, 0, 0);
        its_ev(CMD_INT, DEV, 0);
        check_irq("its_movi_back_to_cpu0", LPI_A);
        four_cpus();
    }

    /* Disabled in the configuration table + INV: INT leaves it pending; enabled + INV: it arrives. */
    lpi_config(LPI_A, LPI_PROP & ~1);
    its_ev(CMD_INV, DEV, 0);
    its_ev(CMD_INT, DEV, 0);
    check_irq("its_inv_disabled_not_delivered", SPURIOUS);
    lpi_config(LPI_A, LPI_PROP);
    its_ev(CMD_INV, DEV, 0);
    check_irq("its_inv_reenabled_delivers_pending", LPI_A);
    /* The same with INVALL on the collection. */
    lpi_config(LPI_A, LPI_PROP & ~1);
    cmd(CMD_INVALL, 0, 0, 0);
    its_ev(CMD_INT, DEV, 0);
    check_irq("its_invall_disabled_not_delivered", SPURIOUS);
    lpi_config(LPI_A, LPI_PROP);
    cmd(CMD_INVALL, 0, 0, 0);
    check_irq("its_invall_reenabled_delivers_pending", LPI_A);

    /* CLEAR removes the pending state of a disabled LPI: re-enabled, nothing arrives. */
    lpi_config(LPI_A, LPI_PROP & ~1);
    its_ev(CMD_INV, DEV, 0);
    its_ev(CMD_INT, DEV, 0);
    its_ev(CMD_CLEAR, DEV, 0);
    lpi_config(LPI_A, LPI_PROP);
    its_ev(CMD_INV, DEV, 0);
    check_irq("its_clear_removes_pending", SPURIOUS);

    /* GITS_TRANSLATER: a CPU write is an MSI from DeviceID 0. */
    ok = its_mapd(0, itt_dev0, DEV_EVENT_BITS, true) && its_mapti(0, 7, LPI_T, 0);
    mmio_write32(GITS_BASE + GITS_TRANSLATER, 7);
    dsb(sy);
    check_irq("its_translater_delivers", ok ? LPI_T : 0);

    /* Hostile commands: ignored (or a stall the guest can recover from); the ITS still works. */
    hostile();
    its_ev(CMD_INT, DEV, 0);
    check_irq("its_works_after_hostile", LPI_A);

    lpi_path_proof();
    bench();

    /* DISCARD: the event is gone. */
    its_ev(CMD_DISCARD, DEV, 0);
    its_ev(CMD_INT, DEV, 0);
    check_irq("its_discard_unmaps", SPURIOUS);

    /* MSIs of a PCI function: edu, its DeviceID the requester ID 00:04.0. */
    pci_msi();

    /* Last, as it replaces the Device and Collection tables: 64 KiB ITS pages. */
    its_64k_pages();

    shared_store(&cpu1_stop, 1);
    shared_wait(&cpu1_ready, 1, 1000);
    delay_us(5000);                             /* let the secondaries leave their loops and CPU_OFF */
    return 0;
}
