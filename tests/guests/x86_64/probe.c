/* probe.c: the isolation attacker: reads and writes just past the end of its RAM, where
 * nothing may be, and scans all its RAM for secret.elf's marker. */
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

/* A write there goes nowhere: it does not fault and cannot be read back. */
static void check_write(uint64_t addr)
{
    char name[48];
    struct exc_record wr, rd;
    snprintf(name, sizeof name, "write_past_ram_0x%lx", addr);
    unsigned exc = exc_catch(write_pattern, addr, &wr) + exc_catch(probe_read64, addr, &rd);
    check(exc == 0 && rd.result != PATTERN, name, "wrote 0x%lx, read back 0x%lx, %u exceptions "
          "(vector %lu) (want no fault, not the value written)", PATTERN, rd.result, exc,
          wr.vector | rd.vector);
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
    check_write(top);
    check_write(top + 0x200000);
    /* The secret VM stores its marker at start and holds it for 6 s: scan inside that
     * window (the boot test checks the order of the two VMs' lines). */
    delay_us(PROBE_WAIT_US);
    puts("probe: scanning\n");
    test_secret();
    test_done();
}
