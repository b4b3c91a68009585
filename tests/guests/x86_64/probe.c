/* probe.c: the isolation attacker: reads and writes just past the end of its RAM, where
 * nothing may be, aims the addresses it hands the hypervisor at memory that is not its own
 * (xvm_* checks), and scans all its RAM for secret.elf's marker. */
#include "hypercall.h"
#include "test.h"
#include "secret.h"

#define PATTERN ((uint64_t)0x0123456789abcdefull)

/* The marker is kept only XORed with a key loaded at run time, so this image, its
 * registers' spills and its stack never hold it in plain text. */
static volatile uint64_t key = 0x9e3779b97f4a7c15ull;
static const uint64_t secret_enc[2] = {
    SECRET_W0 ^ 0x9e3779b97f4a7c15ull, SECRET_W1 ^ 0x9e3779b97f4a7c15ull,
};

/* The end of guest RAM: the highest RAM range plus any reserved ranges right after it
 * (SeaBIOS keeps its ACPI tables in the top of RAM and marks them reserved). */
static uint64_t ram_top(void)
{
    const struct mb_mmap_entry *e;
    unsigned n = mb_mmap(&e);
    uint64_t top = ram_end();
    for (bool grew = true; grew;) {
        grew = false;
        for (unsigned i = 0; i < n; i++)
            if (e[i].addr == top && e[i].len && top + e[i].len <= 0x100000000ull) {
                top += e[i].len;
                grew = true;
            }
    }
    return top;
}

/* Nothing there: no fault, reads float to all ones (bare QEMU reads 0: SKIP). */
static void check_read(uint64_t addr)
{
    char name[48];
    struct exc_record rec;
    snprintf(name, sizeof name, "read_past_ram_0x%lx", addr);
    unsigned exc = exc_catch(probe_read64, addr, &rec);
    if (!hv_present() && exc == 0 && rec.result == 0) {
        skip(name, "not under hv: QEMU reads 0 from unassigned addresses");
        return;
    }
    check(exc == 0 && rec.result == ~0ull, name, "got 0x%lx with %u exceptions (vector %lu) "
          "(want all ones, none)", rec.result, exc, rec.vector);
}

static uint64_t write_pattern(uint64_t addr)
{
    return probe_write64(addr, PATTERN);
}

/* A write there goes nowhere: it does not fault and the address still reads as nothing (all
 * ones). Done while secret.elf holds its marker, which it then checks in every slot of its
 * RAM: a write that landed in another VM is caught there, not by this read-back. */
static void check_write(uint64_t addr)
{
    char name[48];
    struct exc_record wr, rd;
    snprintf(name, sizeof name, "write_past_ram_0x%lx", addr);
    unsigned exc = exc_catch(write_pattern, addr, &wr) + exc_catch(probe_read64, addr, &rd);
    if (!hv_present() && exc == 0 && rd.result == 0) {
        skip(name, "not under hv: QEMU reads 0 from unassigned addresses");
        return;
    }
    check(exc == 0 && rd.result == ~0ull, name, "wrote 0x%lx, read back 0x%lx, %u exceptions "
          "(vector %lu) (want no fault, all ones)", PATTERN, rd.result, exc, wr.vector | rd.vector);
}

/* ---- guest-supplied addresses aimed outside the guest (xvm_*) ------------------------
 * The console-write hypercall's buffer is the guest-physical address the hypervisor
 * dereferences for a guest (SIPI vectors name pages below 1 MiB, always this VM's RAM; the
 * MMIO decoder's page walk reads only what the CPU's own walk already reached). Aimed past
 * this VM's RAM, over 4 GiB of host-physical range where the other VM and the hypervisor
 * are: a hypervisor using it untranslated would print their bytes (the boot test checks the
 * console never shows secret.elf's marker). Every one must be refused, nothing printed. */
#define XVM_TOP  0x100000000ull
#define XVM_STEP 0x200000ull             /* every 2 MiB: each VM's RAM is 2 MiB-aligned */

static void xvm_console_write(uint64_t top)
{
    static const char msg[] = "xvm console control\n";
    uint64_t bad = 0, calls = 0, first_bad = 0;
    int64_t first_ret = 0;
    for (uint64_t a = top; a < XVM_TOP; a += XVM_STEP, calls++) {
        if (a >= 0xFEC00000ull && a < 0xFF000000ull)
            continue;                    /* the IOAPIC and LAPIC: not memory either way */
        int64_t r = (int64_t)hypercall(HV_HC_CONSOLE_WRITE, a, 256, 0);
        if (r != HV_HC_INVALID && bad++ == 0)
            first_bad = a, first_ret = r;
    }
    static const uint64_t edge[][2] = { { ~0ull - 15, 64 }, { 1ull << 48, 16 }, { ~0ull, 1 } };
    for (unsigned i = 0; i < sizeof edge / sizeof edge[0]; i++, calls++) {
        int64_t r = (int64_t)hypercall(HV_HC_CONSOLE_WRITE, edge[i][0], edge[i][1], 0);
        if (r != HV_HC_INVALID && bad++ == 0)
            first_bad = edge[i][0], first_ret = r;
    }
    int64_t cross = (int64_t)hypercall(HV_HC_CONSOLE_WRITE, ram_end() - 8, 64, 0);
    int64_t ok = (int64_t)hypercall(HV_HC_CONSOLE_WRITE, (uintptr_t)msg, sizeof msg - 1, 0);
    check(bad == 0 && cross == HV_HC_INVALID && ok == (int64_t)sizeof msg - 1, "xvm_console_write_buffer",
          "%lu of %lu buffers outside RAM accepted (first 0x%lx -> %ld), one running off RAM's end -> %ld, "
          "want all %d; a buffer in RAM -> %ld (want %lu)", bad, calls, first_bad, first_ret, cross,
          HV_HC_INVALID, ok, sizeof msg - 1);
}

/* Counts 16-byte-aligned copies of the marker in [start, end); *first = the first one. */
static uint64_t scan(uint64_t start, uint64_t end, uint64_t *first)
{
    const uint64_t k = key, e0 = secret_enc[0], e1 = secret_enc[1];
    uint64_t hits = 0;
    for (volatile uint64_t *p = (uint64_t *)((start + 15) & ~15ull); p + 2 <= (uint64_t *)end; p += 2)
        if ((p[0] ^ k) == e0 && (p[1] ^ k) == e1 && hits++ == 0)
            *first = (uintptr_t)p;
    return hits;
}

static void test_secret(void)
{
    /* A canary proves the scanner finds the marker: exactly it must be found. */
    static volatile uint64_t canary[2] __attribute__((aligned(16)));
    struct region r[32];
    unsigned n = ram_regions(r, 32);
    uint64_t first = 0, hits = 0, bytes = 0;
    canary[0] = secret_enc[0] ^ key;
    canary[1] = secret_enc[1] ^ key;
    for (unsigned i = 0; i < n; i++) {
        uint64_t f = 0, h = scan(r[i].start, r[i].end, &f);
        if (h && !hits)
            first = f;
        hits += h;
        bytes += r[i].end - r[i].start;
    }
    canary[0] = canary[1] = 0;
    check(hits == 1 && first == (uintptr_t)canary, "secret_not_visible",
          "%lu copies of the marker in %lu MiB of RAM, first at 0x%lx (want only the canary %p)",
          hits, bytes >> 20, first, (void *)canary);
}

#define PROBE_WAIT_US 2000000

int main(void)
{
    uint64_t top = ram_top();
    printf("probe: RAM ends at 0x%lx\n", top);
    check_read(top);
    check_read(top + 0x1ff8);
    check_read(top + 0x200000);
    /* The secret VM stores its marker at start and holds it for 6 s: write, aim and scan
     * inside that window (the boot test checks the order of the two VMs' lines). */
    /* The secret VM fills its RAM with its marker, reads it all back, and then holds it for
     * 6 s plus twice that time. Doing the same to our own RAM (same size, a decoy pattern)
     * takes about as long on this emulator (under Bochs, seconds); then 2 s more and half of
     * it again for slack: write, aim and scan after that. */
    uint64_t t0 = tsc(), decoy = key, sum = 0;
    struct region fr[32];
    unsigned nf = ram_free_regions(fr, 32);
    for (unsigned i = 0; i < nf; i++)
        for (volatile uint64_t *p = (uint64_t *)((fr[i].start + 15) & ~15ull); p + 2 <= (uint64_t *)fr[i].end; p += 2)
            p[0] = decoy, p[1] = ~decoy;
    for (unsigned i = 0; i < nf; i++)
        for (volatile uint64_t *p = (uint64_t *)((fr[i].start + 15) & ~15ull); p + 2 <= (uint64_t *)fr[i].end; p += 2)
            sum += (p[0] != decoy) + (p[1] != ~decoy);
    uint64_t fill_us = tsc_to_us(tsc() - t0);
    printf("probe: wrote and read back its RAM in %lu ms (%lu slots differ)\n", fill_us / 1000, sum);
    delay_us(PROBE_WAIT_US + fill_us + fill_us / 2);
    printf("probe: aiming guest-supplied addresses outside its RAM after %lu ms\n", tsc_to_us(tsc() - t0) / 1000);
    check_write(top);
    check_write(top + 0x200000);
    if (hv_present())
        xvm_console_write(top);
    else
        skip("xvm_console_write_buffer", "not under hv");
    puts("probe: scanning\n");
    test_secret();
    test_done();
}
