/* bench.c: cost of the basic exits, counted in CNTVCT ticks: an HVC round trip and a
 * trapped MMIO read. Under QEMU -icount shift=0 one tick is a fixed instruction count. */
#include "test.h"
#include "hypercall.h"

#define ITERATIONS 10000

int main(void *dtb)
{
    (void)dtb;
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
    test_done();
}
