/* migrate.c: a VM that keeps moving while it is live-migrated (tests/boot/a64_migrate.sh). Each
 * generation first checks that every page of its 4 MiB data region still holds the previous
 * generation's pattern (a page the migration lost or sent stale would not), then writes the next
 * one over all of them, and checks that the virtual counter (CNTVCT_EL0) and its own generation
 * counter never went backwards. Every 256 generations (about a second under QEMU) it prints a
 * PASS line with both: the lines
 * go on from the source to the destination, and any check that fails prints FAIL and stops. */
#include "test.h"

#define DATA_GPA 0x40800000ull          /* 8 MiB into its RAM, clear of the image */
#define DATA_BYTES (4ul << 20)
#define PAGE 4096ul

static uint64_t pattern(uint64_t gen, uint64_t a)
{
    return (a * 0x9e3779b97f4a7c15ull) ^ (gen << 40) ^ gen;
}

/* The first word that does not hold generation gen's pattern, or 0. */
static uint64_t first_bad(uint64_t gen)
{
    for (uint64_t a = DATA_GPA; a < DATA_GPA + DATA_BYTES; a += 8)
        if (*(volatile uint64_t *)a != pattern(gen, a))
            return a;
    return 0;
}

static void fill(uint64_t gen)
{
    for (uint64_t a = DATA_GPA; a < DATA_GPA + DATA_BYTES; a += 8)
        *(volatile uint64_t *)a = pattern(gen, a);
}

/* Lives in the VM's memory: it migrates with it. */
static volatile uint64_t generation;

int main(void *dtb)
{
    (void)dtb;
    uint64_t last_cnt = counter(), last_gen = 0;
    generation = 0;
    fill(0);
    printf("migrate: moving %lu pages\n", DATA_BYTES / PAGE);
    for (;;) {
        uint64_t gen = generation;
        uint64_t bad = first_bad(gen);
        if (bad)
            check(false, "migrate_pages_intact", "gen %lu: word at 0x%lx is 0x%lx, want 0x%lx", gen, bad,
                  *(volatile uint64_t *)bad, pattern(gen, bad)), test_done();
        if (gen < last_gen)
            check(false, "migrate_generation_monotonic", "gen %lu after %lu", gen, last_gen), test_done();
        generation = gen + 1;
        fill(gen + 1);
        uint64_t cnt = counter();
        if (cnt < last_cnt)
            check(false, "migrate_counter_monotonic", "cntvct 0x%lx after 0x%lx", cnt, last_cnt), test_done();
        if ((gen + 1) % 256 == 0)
            printf("PASS migrate gen=%lu pages=%lu cntvct=%lu\n", gen + 1, DATA_BYTES / PAGE, cnt);
        last_cnt = cnt;
        last_gen = gen + 1;
    }
}
