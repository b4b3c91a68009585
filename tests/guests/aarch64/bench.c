/* bench.c: cost of the basic exits, counted in CNTVCT ticks: an HVC round trip and a
 * trapped MMIO read. Under QEMU -icount shift=0 one tick is a fixed instruction count. */
#include "test.h"
#include "hypercall.h"

#define ITERATIONS 10000
#define WAKE_ITERATIONS 100

static volatile uint64_t woke;

/* Started by CPU_ON: says it arrived, then powers itself off again. */
void secondary_main(uint64_t context_id)
{
    (void)context_id;
    shared_store(&woke, 1);
}

/* Wake-up latency of a powered-off vCPU: CPU_ON until the vCPU runs guest code. */
static void bench_cpu_on_wakeup(void *dtb)
{
    uint64_t cpus[2];
    if (fdt_cpus(dtb, cpus, 2) < 2) {
        puts("bench: one cpu, no wake-up figure\n");
        return;
    }
    uint64_t total = 0;
    for (unsigned i = 0; i < WAKE_ITERATIONS; i++) {
        while (psci_affinity_info(cpus[1]) != AFFINITY_OFF)
            ;
        shared_store(&woke, 0);
        uint64_t t0 = counter();
        if (psci_cpu_on_entry(cpus[1], i) != PSCI_SUCCESS) {
            puts("bench: CPU_ON failed\n");
            return;
        }
        while (!shared_load(&woke))
            ;
        total += counter() - t0;
    }
    bench_report("cpu_on_wakeup", total, WAKE_ITERATIONS);
}

int main(void *dtb)
{
    /* HV_HC_VERSION is the cheapest call the hypervisor answers itself; bare QEMU only
     * answers PSCI. */
    uint32_t fn = hv_present() ? HV_HC_VERSION : PSCI_VERSION;
    printf("bench: hvc function 0x%x\n", fn);

    hvc(fn, 0, 0, 0);                       /* warm up the path once */
    uint64_t t0 = counter();
    for (unsigned i = 0; i < ITERATIONS; i++)
        hvc(fn, 0, 0, 0);
    bench_report("hvc_roundtrip", counter() - t0, ITERATIONS);

    mmio_read32(PL011_BASE + 0x18);
    t0 = counter();
    for (unsigned i = 0; i < ITERATIONS; i++)
        mmio_read32(PL011_BASE + 0x18);     /* UARTFR */
    bench_report("mmio_read_pl011_fr", counter() - t0, ITERATIONS);

    bench_cpu_on_wakeup(dtb);
    test_done();
}
