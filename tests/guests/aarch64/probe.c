/* probe.c: the isolation attacker: touches guest-physical addresses where nothing is
 * mapped (each must abort) and scans all its RAM for secret.bin's marker. */
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

#define PROBE_WAIT_US 2000000

int main(void *dtb)
{
    puts("probe: start\n");
    test_unmapped(dtb);
    /* The secret VM stores its marker at start and holds it for 6 s: scan inside that
     * window (the boot test checks the order of the two VMs' lines). */
    delay_us(PROBE_WAIT_US);
    puts("probe: scanning\n");
    test_secret(dtb);
    test_done();
}
