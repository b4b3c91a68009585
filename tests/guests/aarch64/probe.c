/* probe.c: the isolation attacker: touches guest-physical addresses where nothing is
 * mapped (each must abort), aims every address it hands the hypervisor to dereference at
 * memory that is not its own (xvm_* checks), and scans all its RAM for secret.bin's marker. */
#include "hypercall.h"
#include "test.h"
#include "secret.h"

/* The marker is kept only XORed with a key loaded at run time, so this image, its
 * registers' spills and its stack never hold it in plain text. */
static volatile uint64_t key = 0x9e3779b97f4a7c15ull;
static const uint64_t secret_enc[2] = {
    SECRET_W0 ^ 0x9e3779b97f4a7c15ull, SECRET_W1 ^ 0x9e3779b97f4a7c15ull,
};

static uint64_t write_probe(uint64_t addr)
{
    return probe_write64(addr, 0x5ca1ab1e);
}

/* Bare QEMU aborts in its map's holes too, so these checks run there as well, except
 * where QEMU has a PCIe window (reads as 0) and only the hypervisor must abort. */
static void check_abort(const char *what, uint64_t addr, bool write, bool hv_only)
{
    char name[48];
    snprintf(name, sizeof name, "abort_%s_0x%08lx", what, addr);
    if (hv_only && !hv_present()) {
        skip(name, "not under hv");
        return;
    }
    struct exc_record rec;
    bool ok = write ? exc_expect(write_probe, addr, EC_DABT_CUR, probe_write64_insn, &rec)
                    : exc_expect(probe_read64, addr, EC_DABT_CUR, probe_read64_insn, &rec);
    bool far_ok = (rec.esr & ESR_FNV) || rec.far == addr;
    check(ok && ESR_DFSC(rec.esr) == DFSC_SEA && far_ok, name,
          "esr 0x%lx (want EC 0x25 DFSC 0x10) far 0x%lx elr 0x%lx", rec.esr, rec.far, rec.elr);
}

static void test_unmapped(void *dtb)
{
    /* Holes in QEMU's virt map (hw/arm/virt.c) and its PCIe windows, which the
     * hypervisor does not provide; then just past the end of RAM. */
    static const struct { uint64_t addr; bool hv_only; } holes[] = {
        { 0x0b000000, false },  /* between virtio-mmio and the platform bus */
        { 0x0e000000, false },  /* secure-only memory on virt: never visible to a VM */
        { 0x0f000000, false },  /* between secure memory and PCIe MMIO */
        { 0x20000000, true },   /* PCIe MMIO window */
        { 0x3f000000, true },   /* PCIe ECAM (used by QEMU with highmem=off) */
        { 0x3ffffff8, false },  /* last word below RAM */
    };
    uint64_t end = ram_end(dtb);
    for (unsigned i = 0; i < sizeof holes / sizeof holes[0]; i++)
        check_abort("read", holes[i].addr, false, holes[i].hv_only);
    check_abort("read", end, false, false);
    check_abort("read", end + 0x1ff8, false, false);
    check_abort("read", end + 0x200000, false, false);
    check_abort("write", end, true, false);
    check_abort("write", 0x0b000000, true, false);
}

/* Counts 16-byte-aligned copies of the marker in [start, end); *first = the first one. */
static uint64_t scan(uint64_t start, uint64_t end, uint64_t *first)
{
    const uint64_t k = key, e0 = secret_enc[0], e1 = secret_enc[1];
    uint64_t hits = 0;
    for (volatile uint64_t *p = (uint64_t *)start; p + 2 <= (uint64_t *)end; p += 2)
        if ((p[0] ^ k) == e0 && (p[1] ^ k) == e1 && hits++ == 0)
            *first = (uintptr_t)p;
    return hits;
}

static void test_secret(void *dtb)
{
    /* A canary proves the scanner finds the marker: exactly it must be found. */
    static volatile uint64_t canary[2] __attribute__((aligned(16)));
    uint64_t first = 0, hits;
    canary[0] = secret_enc[0] ^ key;
    canary[1] = secret_enc[1] ^ key;
    hits = scan(RAM_BASE, ram_end(dtb), &first);
    canary[0] = canary[1] = 0;
    check(hits == 1 && first == (uintptr_t)canary, "secret_not_visible",
          "%lu copies of the marker in RAM 0x%x-0x%lx, first at 0x%lx (want only the canary %p)",
          hits, RAM_BASE, ram_end(dtb), first, (void *)canary);
}

/* ---- guest-supplied addresses aimed outside the guest (xvm_*) ------------------------
 * Each address a guest gives the hypervisor to dereference -- a hypercall's buffer, a CPU_ON
 * entry point, the ITS's command queue, Device table and ITTs, the redistributor's LPI
 * configuration and pending tables -- is aimed at guest-physical addresses outside this VM's
 * RAM. The other VM's RAM and the hypervisor's image both lie in the host's RAM, which on
 * QEMU virt starts at 0x40000000 like ours: a hypervisor that used these addresses
 * untranslated, or translated them without bounds, would read or write them there. The
 * sweeps cover 4 GiB of host RAM (more than any test machine has); secret.bin then checks
 * that every slot of its RAM still holds its marker, and the boot test that the console
 * never shows it. Each access must get the architectural (or documented) answer. */
#define XVM_TOP      0x140000000ull      /* RAM_BASE + 4 GiB */
#define XVM_STEP     0x10000ull          /* hypercall sweep: every 64 KiB */
#define XVM_ITS_STEP 0x4000000ull        /* ITS sweep: every 64 MiB (a few commands each) */

#define GITS_BASE      0x08080000ul
#define GICR_BASE_PROBE 0x080A0000ul    /* vCPU 0's RD_base */
#define GITS_CTLR      0x0000
#define GITS_TYPER     0x0008
#define GITS_CBASER    0x0080
#define GITS_CWRITER   0x0088
#define GITS_CREADR    0x0090
#define GITS_BASER(n)  (0x0100 + 8 * (n))
#define GITS_CTLR_QUIESCENT (1u << 31)
#define CREADR_STALLED 1ull
#define CMD_INT   0x03
#define CMD_SYNC  0x05
#define CMD_MAPD  0x08
#define CMD_MAPC  0x09
#define CMD_MAPTI 0x0A
#define XVM_DEV   1
#define XVM_LPI   8192u

static inline uint64_t rd64(uintptr_t a) { return *(volatile uint64_t *)a; }
static inline void wr64(uintptr_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

/* Table memory of our own: 64 KiB-aligned in the upper half of RAM (the image is below). */
static uint64_t xvm_mem(const void *dtb, unsigned page)
{
    return ((RAM_BASE + ram_end(dtb)) / 2 + 0xffff) / 0x10000 * 0x10000 + page * 0x10000ull;
}

static void clean(uint64_t a, uint64_t len)
{
    for (uint64_t p = a & ~63ull; p < a + len; p += 64)
        __asm__ volatile("dc civac, %0" :: "r"(p) : "memory");
    dsb(sy);
}

static void xvm_console_write(const void *dtb)
{
    static const char msg[] = "xvm console control\n";
    uint64_t end = ram_end(dtb), bad = 0, calls = 0, first_bad = 0;
    int64_t first_ret = 0;
    /* Below RAM (devices and holes, no memory), past our RAM up to XVM_TOP, and the edges. */
    for (uint64_t a = 0; a < RAM_BASE; a += 0x1000000, calls++) {
        int64_t r = (int64_t)hvc(HV_HC_CONSOLE_WRITE, a, 64, 0);
        if (r != HV_HC_INVALID && bad++ == 0)
            first_bad = a, first_ret = r;
    }
    for (uint64_t a = end; a < XVM_TOP; a += XVM_STEP, calls++) {
        int64_t r = (int64_t)hvc(HV_HC_CONSOLE_WRITE, a, 256, 0);
        if (r != HV_HC_INVALID && bad++ == 0)
            first_bad = a, first_ret = r;
    }
    static const uint64_t edge[][2] = {                 /* (start, length) straddling an edge */
        { RAM_BASE - 8, 16 }, { ~0ull - 15, 64 }, { 1ull << 48, 16 }, { ~0ull, 1 },
    };
    for (unsigned i = 0; i < sizeof edge / sizeof edge[0]; i++, calls++) {
        int64_t r = (int64_t)hvc(HV_HC_CONSOLE_WRITE, edge[i][0], edge[i][1], 0);
        if (r != HV_HC_INVALID && bad++ == 0)
            first_bad = edge[i][0], first_ret = r;
    }
    int64_t cross = (int64_t)hvc(HV_HC_CONSOLE_WRITE, end - 8, 64, 0);   /* runs off our end */
    int64_t ok = (int64_t)hvc(HV_HC_CONSOLE_WRITE, (uintptr_t)msg, sizeof msg - 1, 0);
    check(bad == 0 && cross == HV_HC_INVALID && ok == (int64_t)sizeof msg - 1, "xvm_console_write_buffer",
          "%lu of %lu buffers outside RAM accepted (first 0x%lx -> %ld), one running off RAM's end -> %ld, "
          "want all %d; a buffer in RAM -> %ld (want %lu)", bad, calls, first_bad, first_ret, cross,
          HV_HC_INVALID, ok, sizeof msg - 1);
}

/* DEN 0022 CPU_ON: an entry point outside the caller's memory is INVALID_ADDRESS. We have one
 * vCPU, so CPU_ON of it with a good entry answers ALREADY_ON: the address decides the answer. */
static void xvm_cpu_on(const void *dtb)
{
    uint64_t end = ram_end(dtb), bad = 0, calls = 0, first_bad = 0;
    int32_t first_ret = 0;
    for (uint64_t a = end; a < XVM_TOP; a += 0x200000, calls++) {
        int32_t r = psci_cpu_on(mpidr(), a, 0);
        if (r != PSCI_INVALID_ADDRESS && bad++ == 0)
            first_bad = a, first_ret = r;
    }
    for (uint64_t a = 0; a < RAM_BASE; a += 0x1000000, calls++) {
        int32_t r = psci_cpu_on(mpidr(), a, 0);
        if (r != PSCI_INVALID_ADDRESS && bad++ == 0)
            first_bad = a, first_ret = r;
    }
    int32_t good = psci_cpu_on(mpidr(), (uintptr_t)secondary_entry, 0);
    check(bad == 0 && good == PSCI_ALREADY_ON, "xvm_cpu_on_entry",
          "%lu of %lu entry points outside RAM not refused (first 0x%lx -> %d, want %d); "
          "one in RAM -> %d (want ALREADY_ON %d)", bad, calls, first_bad, first_ret,
          PSCI_INVALID_ADDRESS, good, PSCI_ALREADY_ON);
}

static uintptr_t its_baser_of(unsigned type)
{
    for (int n = 0; n < 8; n++)
        if (((rd64(GITS_BASE + GITS_BASER(n)) >> 56) & 7) == type)
            return GITS_BASE + GITS_BASER(n);
    return 0;
}

static void its_disable(void)
{
    mmio_write32(GITS_BASE + GITS_CTLR, 0);
    for (int i = 0; i < 100000 && !(mmio_read32(GITS_BASE + GITS_CTLR) & GITS_CTLR_QUIESCENT); i++)
        ;
}

/* (Re)programs the ITS: queue at cq, Device table at dt, Collection table at ct, enabled. */
static void its_setup(uint64_t cq, uint64_t dt, uint64_t ct, uintptr_t dt_reg, uintptr_t ct_reg)
{
    its_disable();
    wr64(GITS_BASE + GITS_CBASER, cq | 1ull << 63);                          /* 4 KiB queue */
    wr64(dt_reg, (rd64(dt_reg) & (0x7ull << 56 | 0x1full << 48)) | dt | 1ull << 63);   /* 1 page */
    wr64(ct_reg, (rd64(ct_reg) & (0x7ull << 56 | 0x1full << 48)) | ct | 1ull << 63);
    mmio_write32(GITS_BASE + GITS_CTLR, 1);
}

static uint64_t xq, xq_tail;
static void xput(uint64_t d0, uint64_t d1, uint64_t d2)
{
    volatile uint64_t *c = (volatile uint64_t *)(xq + xq_tail);
    c[0] = d0; c[1] = d1; c[2] = d2; c[3] = 0;
    clean(xq + xq_tail, 32);
    xq_tail = (xq_tail + 32) % 4096;
}

/* Sends what xput queued: the final CREADR once it reaches the tail, stalls, or 100 ms pass. */
static uint64_t xkick(void)
{
    wr64(GITS_BASE + GITS_CWRITER, xq_tail);
    uint64_t start = counter(), r;
    do
        r = rd64(GITS_BASE + GITS_CREADR);
    while (!(r & CREADR_STALLED) && (r & 0xFFFE0) != xq_tail && counter() - start < counter_freq() / 10);
    return r;
}

/* The next LPI within 5 ms (acknowledged and EOId), or 1023. */
static uint32_t take_lpi(void)
{
    uint32_t got = 1023;
    uint64_t start = counter();
    while (got == 1023 && counter() - start < counter_freq() / 200)
        got = (uint32_t)read_sysreg(S3_0_C12_C12_0) & 0xffffff;          /* ICC_IAR1_EL1 */
    if (got != 1023)
        write_sysreg(S3_0_C12_C12_1, got);                                /* ICC_EOIR1_EL1 */
    return got;
}

#define XVM_CREADR_DONE (5 * 32)

/* MAPC, MAPD (ITT at itt), MAPTI of event 0 to intid, INT, SYNC on a fresh queue at q, with
 * the Device table at dt: the final CREADR (XVM_CREADR_DONE when all five were consumed) and
 * the LPI taken, or 1023. */
static uint64_t its_map_and_int(uint64_t q, uint64_t dt, uint64_t ct, uint64_t itt, uint64_t rd,
                                uintptr_t dt_reg, uintptr_t ct_reg, uint32_t intid, uint32_t *lpi)
{
    /* Our queue, Device table, Collection table and ITT start empty each time: the ITS keeps
     * its state in them (vgic_its.h), so nothing of an earlier round carries over. */
    memset((void *)(uintptr_t)q, 0, 4 * 0x10000);
    clean(q, 4 * 0x10000);
    xq = q, xq_tail = 0;
    its_setup(q, dt, ct, dt_reg, ct_reg);
    xput(CMD_MAPC, 0, 0 | rd << 16 | 1ull << 63);
    xput(CMD_MAPD | (uint64_t)XVM_DEV << 32, 4 - 1, itt | 1ull << 63);
    xput(CMD_MAPTI | (uint64_t)XVM_DEV << 32, 0 | (uint64_t)intid << 32, 0);
    xput(CMD_INT | (uint64_t)XVM_DEV << 32, 0, 0);
    xput(CMD_SYNC, 0, rd << 16);
    uint64_t r = xkick();
    *lpi = take_lpi();
    return r;
}

/* LPIs on vCPU 0's redistributor with its tables at prop / pend (EnableLPIs cleared first:
 * the hypervisor lets it be cleared, which the architecture leaves IMPLEMENTATION DEFINED). */
static void lpis_enable(uint64_t prop, uint64_t pend)
{
    uintptr_t rdb = GICR_BASE_PROBE;
    mmio_write32(0x08000000ul, (1u << 4) | (1u << 1));                   /* GICD_CTLR: ARE, Grp1 */
    for (int i = 0; i < 100000 && (mmio_read32(0x08000000ul) & (1u << 31)); i++)   /* RWP */
        ;
    mmio_write32(rdb, mmio_read32(rdb) & ~1u);
    mmio_write32(rdb + 0x14, mmio_read32(rdb + 0x14) & ~2u);              /* GICR_WAKER */
    wr64(rdb + 0x70, prop | (14 - 1));                                    /* GICR_PROPBASER */
    wr64(rdb + 0x78, pend);                                               /* GICR_PENDBASER */
    dsb(sy);
    mmio_write32(rdb, mmio_read32(rdb) | 1);                              /* EnableLPIs */
    write_sysreg(icc_sre_el1, read_sysreg(icc_sre_el1) | 1);
    isb();
    write_sysreg(icc_pmr_el1, 0xff);
    write_sysreg(icc_igrpen1_el1, 1);
    isb();
}

static void xvm_its_and_lpi_tables(const void *dtb)
{
    uintptr_t dt_reg = its_baser_of(1), ct_reg = its_baser_of(4);
    if (!dt_reg || !ct_reg) {
        check(false, "xvm_its_tables", "no Device/Collection GITS_BASER (0x%lx, 0x%lx)", dt_reg, ct_reg);
        return;
    }
    uint64_t end = ram_end(dtb), q = xvm_mem(dtb, 0), dt = xvm_mem(dtb, 1), ct = xvm_mem(dtb, 2);
    uint64_t itt = xvm_mem(dtb, 3), prop = xvm_mem(dtb, 4), pend = xvm_mem(dtb, 5);
    uint64_t rd = (rd64(GITS_BASE + GITS_TYPER) & (1u << 19)) ? GICR_BASE_PROBE >> 16 : 0;
    memset((void *)(uintptr_t)q, 0, 6 * 0x10000);
    ((volatile uint8_t *)(uintptr_t)prop)[0] = 0xa1;                       /* LPI 8192: enabled */
    ((volatile uint8_t *)(uintptr_t)prop)[1] = 0xa1;                       /* LPI 8193: enabled */
    clean(q, 6 * 0x10000);

    /* GICR_PROPBASER / GICR_PENDBASER outside RAM: an LPI whose configuration byte cannot
     * be read is not delivered (it reads as disabled); the pending bit goes nowhere. (LPI
     * 8193 here, 8192 from then on: a redistributor may keep what it learnt of 8193.) */
    uint32_t lpi;
    lpis_enable(end + 0x3000000, end + 0x5000000);
    uint64_t r = its_map_and_int(q, dt, ct, itt, rd, dt_reg, ct_reg, XVM_LPI + 1, &lpi);
    check(r == XVM_CREADR_DONE && lpi == 1023, "xvm_lpi_tables",
          "PROPBASER/PENDBASER past RAM: CREADR 0x%lx (want 0x%x), took INTID %u (want none, 1023)",
          r, XVM_CREADR_DONE, lpi);

    /* With our own LPI tables the same commands deliver the LPI: so "none" below means the
     * ITS ignored the command whose table lies outside RAM, as documented (vgic_its.h). */
    lpis_enable(prop, pend);
    uint64_t ctl = its_map_and_int(q, dt, ct, itt, rd, dt_reg, ct_reg, XVM_LPI, &lpi);
    check(ctl == XVM_CREADR_DONE && lpi == XVM_LPI, "xvm_its_control_delivers",
          "own tables: CREADR 0x%lx (want 0x%x), took INTID %u (want %u)", ctl, XVM_CREADR_DONE, lpi, XVM_LPI);

    uint64_t n = 0, queue_bad = 0, table_bad = 0, first_q = 0, first_t = 0, rq = 0, rt = 0;
    uint32_t lt = 0;
    for (uint64_t t = end; t < XVM_TOP; t += XVM_ITS_STEP, n++) {
        /* The command queue there: the ITS cannot read the command and stalls at it. */
        its_setup(t, dt, ct, dt_reg, ct_reg);
        wr64(GITS_BASE + GITS_CWRITER, 32);
        uint64_t rr = rd64(GITS_BASE + GITS_CREADR);
        if (rr != CREADR_STALLED && queue_bad++ == 0)
            first_q = t, rq = rr;
        /* The Device table there (MAPD writes its entry, MAPTI reads it), then our Device
         * table with the ITT there (MAPTI writes the ITE, INT reads it): each command is
         * ignored, the queue moves on, and no LPI arrives. */
        uint32_t l1, l2;
        uint64_t r1 = its_map_and_int(q, t, ct, itt, rd, dt_reg, ct_reg, XVM_LPI, &l1);
        uint64_t r2 = its_map_and_int(q, dt, ct, t + 0x1000, rd, dt_reg, ct_reg, XVM_LPI, &l2);
        if ((r1 != XVM_CREADR_DONE || r2 != XVM_CREADR_DONE || l1 != 1023 || l2 != 1023) && table_bad++ == 0)
            first_t = t, rt = r1 != XVM_CREADR_DONE ? r1 : r2, lt = l1 != 1023 ? l1 : l2;
    }
    check(queue_bad == 0, "xvm_its_command_queue",
          "%lu of %lu queues outside RAM did not stall (first at 0x%lx: CREADR 0x%lx, want Stalled at 0)",
          queue_bad, n, first_q, rq);
    check(table_bad == 0, "xvm_its_device_table_and_itt",
          "%lu of %lu Device tables/ITTs outside RAM were used (first at 0x%lx: CREADR 0x%lx, want 0x%x; "
          "took INTID %u, want none)", table_bad, n, first_t, rt, XVM_CREADR_DONE, lt);
    its_disable();
}

static void test_guest_addresses(const void *dtb)
{
    if (!hv_present()) {
        skip("xvm_console_write_buffer", "not under hv");
        return;
    }
    xvm_console_write(dtb);
    xvm_cpu_on(dtb);
    xvm_its_and_lpi_tables(dtb);
}

#define PROBE_WAIT_US 2000000

int main(void *dtb)
{
    puts("probe: start\n");
    test_unmapped(dtb);
    /* The secret VM stores its marker at start and holds it for 6 s: scan inside that
     * window (the boot test checks the order of the two VMs' lines). */
    delay_us(PROBE_WAIT_US);
    puts("probe: aiming guest-supplied addresses outside its RAM\n");
    test_guest_addresses(dtb);
    puts("probe: scanning\n");
    test_secret(dtb);
    test_done();
}
