/* secret.c: the isolation victim: fills its free RAM with SECRET-OF-VM-B, stays alive a
 * while so probe.elf can look for it, and checks nobody overwrote it meanwhile. */
#include "test.h"
#include "secret.h"

/* Held for 6 s plus twice the time the fill took: probe.elf first writes as much RAM as this
 * VM fills (so it waits as long as the fill takes on this emulator, which under Bochs is
 * many seconds), then waits 2 s more, aims and scans: all inside this window. */
#define HOLD_US 6000000

static void fill(const struct region *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        for (uint64_t a = (r[i].start + 15) & ~15ull; a + 16 <= r[i].end; a += 16) {
            ((volatile uint64_t *)a)[0] = SECRET_W0;
            ((volatile uint64_t *)a)[1] = SECRET_W1;
        }
}

/* Returns the number of slots that no longer hold the secret; *first = the first one. */
static uint64_t verify(const struct region *r, unsigned n, uint64_t *slots, uint64_t *first)
{
    uint64_t bad = 0;
    *slots = 0;
    for (unsigned i = 0; i < n; i++)
        for (uint64_t a = (r[i].start + 15) & ~15ull; a + 16 <= r[i].end; a += 16) {
            (*slots)++;
            if ((((volatile uint64_t *)a)[0] != SECRET_W0 ||
                 ((volatile uint64_t *)a)[1] != SECRET_W1) && bad++ == 0)
                *first = a;
        }
    return bad;
}

int main(void)
{
    struct region r[32];
    unsigned n = ram_free_regions(r, 32);
    uint64_t slots, first = 0, bad, t0 = tsc();

    fill(r, n);
    bad = verify(r, n, &slots, &first);
    check(bad == 0 && slots > 0, "secret_stored", "%lu of %lu slots wrong, first at 0x%lx",
          bad, slots, first);
    printf("secret: stored in %lu MiB after %lu ms\n", slots >> 16, tsc_to_us(tsc() - t0) / 1000);
    delay_us(HOLD_US + 2 * tsc_to_us(tsc() - t0));
    bad = verify(r, n, &slots, &first);
    check(bad == 0, "secret_intact", "%lu of %lu slots changed, first at 0x%lx", bad, slots, first);
    test_done();
}
