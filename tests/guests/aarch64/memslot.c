/* memslot.c: a VM whose memory changes while it runs (tests/boot/a64_memslot.sh): a client adds a
 * memslot (the VM finds it through HV_HC_MEMSLOT_INFO, zeroed, readable and writable), turns dirty
 * logging on while the VM writes known pages (the client checks the dirty ranges), turns it off
 * (the data is intact), then deletes the slot while this vCPU spins reading it with no exits:
 * the load must abort once the deletion is done (the TLB shootdown reached this vCPU).
 * Client -> VM signals are memslots appearing and disappearing; VM -> client ones are lines. */
#include "hypercall.h"
#include "test.h"

#define DATA_SLOT 5
#define DATA_GPA 0x80000000ull
#define DATA_SIZE (4ull << 20)
#define GO_SLOT 6
#define PAGE 4096ull
#define SENTINEL 0xdeadbeefcafef00dull
#define WAIT_S 90

static uint64_t pattern(uint64_t gpa, uint64_t round)
{
    return gpa ^ 0x5a5a5a5a5a5a5a5aull ^ (round << 56);
}

static bool slot_info(uint32_t id, uint64_t *gpa, uint64_t *size)
{
    struct smccc_res r = smccc_hvc(HV_HC_MEMSLOT_INFO, id, 0, 0);
    if ((int64_t)r.a0 != HV_HC_SUCCESS)
        return false;
    *gpa = r.a1;
    *size = r.a2;
    return true;
}

/* Waits (10 ms apart) until slot id exists (present) or is gone (!present). */
static bool wait_slot(uint32_t id, bool present)
{
    uint64_t end = counter() + WAIT_S * counter_freq(), gpa, size;
    while (counter() < end) {
        if (slot_info(id, &gpa, &size) == present)
            return true;
        delay_us(10000);
    }
    return false;
}

/* The page's round: pages the VM rewrote while logging are round 1. */
static bool rewritten(uint64_t page)
{
    return (page < 64 && page % 2 == 0) || page == 600;
}

static uint64_t first_bad(uint64_t round_of_rewritten)
{
    for (uint64_t a = DATA_GPA; a < DATA_GPA + DATA_SIZE; a += 8) {
        uint64_t page = (a - DATA_GPA) / PAGE;
        uint64_t want = pattern(a, rewritten(page) ? round_of_rewritten : 0);
        if (*(volatile uint64_t *)a != want)
            return a;
    }
    return 0;
}

/* Loads from addr with no exit in between until a load aborts (the exception handler skips
 * it, so the register keeps SENTINEL); returns the loads that succeeded. Gives up after
 * WAIT_S seconds (returns ~0). */
static uint64_t spin_until_abort(uint64_t addr)
{
    uint64_t end = counter() + WAIT_S * counter_freq();
    for (uint64_t n = 0;; n++) {
        uint64_t v = SENTINEL;
        __asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(addr) : "memory");
        if (v == SENTINEL)
            return n;
        if ((n & 0xfffff) == 0 && counter() > end)
            return ~0ull;
    }
}

int main(void *dtb)
{
    (void)dtb;
    uint64_t gpa = 0, size = 0;
    puts("memslot: waiting for slot 5\n");
    if (!check(wait_slot(DATA_SLOT, true), "memslot_add_seen", "slot %d did not appear", DATA_SLOT))
        test_done();
    slot_info(DATA_SLOT, &gpa, &size);
    CHECK_EQ(gpa, DATA_GPA, "memslot_add_gpa");
    CHECK_EQ(size, DATA_SIZE, "memslot_add_size");
    uint64_t nonzero = 0;
    for (uint64_t a = DATA_GPA; a < DATA_GPA + DATA_SIZE; a += 8)
        nonzero += *(volatile uint64_t *)a != 0;
    CHECK_EQ(nonzero, 0, "memslot_add_zeroed");
    for (uint64_t a = DATA_GPA; a < DATA_GPA + DATA_SIZE; a += 8)
        *(volatile uint64_t *)a = pattern(a, 0);
    CHECK_EQ(first_bad(0), 0, "memslot_add_read_write");
    puts("memslot: pattern written\n");

    /* The client turns dirty logging on, then adds GO_SLOT. */
    if (!check(wait_slot(GO_SLOT, true), "dirty_log_go", "slot %d did not appear", GO_SLOT))
        test_done();
    uint64_t pages = 0;
    for (uint64_t page = 0; page < DATA_SIZE / PAGE; page++)
        if (rewritten(page)) {
            for (uint64_t a = DATA_GPA + page * PAGE; a < DATA_GPA + (page + 1) * PAGE; a += 8)
                *(volatile uint64_t *)a = pattern(a, 1);
            pages++;
        }
    printf("memslot: dirtied %lu pages\n", pages);

    /* The client reads the dirty pages, turns logging off and deletes GO_SLOT. */
    if (!check(wait_slot(GO_SLOT, false), "dirty_log_done", "slot %d was not deleted", GO_SLOT))
        test_done();
    CHECK_EQ(first_bad(1), 0, "dirty_log_data_intact");

    /* The client deletes the data slot while this vCPU reads it without exits. */
    puts("memslot: spinning on slot 5\n");
    uint64_t probe = DATA_GPA + 600 * PAGE;
    struct exc_record rec;
    unsigned taken = exc_catch(spin_until_abort, probe, &rec);
    check(taken == 1 && rec.result != ~0ull, "memslot_delete_aborts_running_vcpu",
          "exceptions %u, loads %lu", taken, rec.result);
    CHECK_EQ(ESR_EC(rec.esr), EC_DABT_CUR, "memslot_delete_abort_class");
    CHECK_EQ(ESR_DFSC(rec.esr), DFSC_SEA, "memslot_delete_abort_external");
    CHECK_EQ(rec.far, probe, "memslot_delete_abort_far");
    check(!slot_info(DATA_SLOT, &gpa, &size), "memslot_delete_gone", "slot %d still listed", DATA_SLOT);
    test_done();
}
