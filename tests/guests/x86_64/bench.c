/* bench.c: cost of the basic exits, in TSC ticks: a hypercall round trip, a port read, an MMIO
 * read, and the hypercall round trip again with an interrupt pending that the guest cannot take
 * (IF clear), so a shortcut taken only when nothing is pending cannot hide the general path.
 * Under QEMU -icount shift=0 one nanosecond is one instruction. */
#include "test.h"
#include "hypercall.h"

#define ITERATIONS 10000
#define COM1_LSR   (COM1_BASE + 5)
#define HELD_VECTOR 0x40               /* a self-IPI left in the IRR: IF stays clear */

static bool use_vmmcall;

/* HV_HC_VERSION is the cheapest call the hypervisor answers itself, issued inline as the bare
 * CPUID below is (the runtime's hypercall() adds some 35 instructions of argument and result
 * copying per call, which are not the exit's cost). Without the hypervisor, CPUID leaf 0: the
 * cheapest instruction that always exits under VMX (SDM Vol. 3C, 25.1.2). The answer comes back
 * in RAX-RDX (docs/hypercalls.md). */
static void round_trip(bool hv)
{
    uint64_t rax = HV_HC_VERSION;
    if (!hv)
        cpuid(0, 0);
    else if (use_vmmcall)
        __asm__ volatile("vmmcall" : "+a"(rax) :: "rbx", "rcx", "rdx");
    else
        __asm__ volatile("vmcall" : "+a"(rax) :: "rbx", "rcx", "rdx");
}

int main(void)
{
    bool hv = hv_present();
    use_vmmcall = hv && !strncmp(hv_insn_name(), "vmmcall", 8);
    printf("bench: hypercall by %s\n", hv ? hv_insn_name() : "cpuid leaf 0 (not under hv)");

    round_trip(hv);                     /* warm up the path once */
    uint64_t t0 = tsc();
    for (unsigned i = 0; i < ITERATIONS; i++)
        round_trip(hv);
    bench_report("hvc_roundtrip", tsc() - t0, ITERATIONS);

    inb(COM1_LSR);
    t0 = tsc();
    for (unsigned i = 0; i < ITERATIONS; i++)
        inb(COM1_LSR);
    bench_report("pio_read_com1_lsr", tsc() - t0, ITERATIONS);

    /* Not an exit on bare QEMU (or with APIC virtualization): a reference figure. */
    lapic_read(LAPIC_VERSION);
    t0 = tsc();
    for (unsigned i = 0; i < ITERATIONS; i++)
        lapic_read(LAPIC_VERSION);
    bench_report("mmio_read_lapic_version", tsc() - t0, ITERATIONS);

    /* Last: the interrupt is never taken (the payload has no handler for it), the VM ends. */
    lapic_init();
    __asm__ volatile("cli");
    if (lapic_send_ipi(lapic_id(), HELD_VECTOR)) {
        round_trip(hv);
        t0 = tsc();
        for (unsigned i = 0; i < ITERATIONS; i++)
            round_trip(hv);
        bench_report("hvc_irq_pending", tsc() - t0, ITERATIONS);
    } else {
        puts("bench: self-IPI not sent, no figure\n");
    }
    test_done();
}
