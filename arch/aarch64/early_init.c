/* early_init.c: the boot CPU's first steps after hand-off: platform facts, console, vectors, page tables. */
#include <inttypes.h>
#include "arch.h"
#include "boot_info.h"
#include "el2_mmu.h"
#include "host_irq.h"
#include "host_platform.h"
#include "kernel.h"
#include "pl011.h"
#include "sysreg.h"

extern char el2_vectors[] __attribute__((visibility("hidden")));   /* vectors.S */

void arch_console_putc(char c)
{
    pl011_putc(c);
}

void arch_early_init(struct boot_info *bi)
{
    /* Nothing here takes interrupts yet; with HCR_EL2.IMO/FMO clear none reach EL2 anyway.
     * PSTATE.A too, whatever UEFI left: the hypervisor never takes an SError at EL2. One
     * raised meanwhile (a late asynchronous abort of a passed-through device) stays pending
     * until the next guest entry, where HCR_EL2.AMO takes it to EL2 from the guest whatever
     * PSTATE.A says, and the guest gets it as a virtual SError (Arm ARM D1.3.2, "Asynchronous
     * exception routing and masking"; trap.c). Secondaries mask it in secondary_entry. */
    __asm__ volatile("msr daifset, #7" ::: "memory");
    host_platform_init(bi);
    pl011_init(host_platform.uart.base);
    console_set_sink(arch_console_putc);

    write_sysreg(vbar_el2, el2_vectors);
    isb();
    if (read_sysreg(hcr_el2) & HCR_EL2_E2H)
        kernel_panic("HCR_EL2.E2H is set; the EL2 register layouts used here assume E2H=0");
    el2_mmu_init(bi);
    hv_printf("aarch64: host described by %s: %" PRIu32 " CPUs, console PL011 at 0x%" PRIx64
              ", PSCI via %s\n", host_platform.source, host_platform.cpu_count, host_platform.uart.base,
              host_platform.psci_hvc ? "HVC" : "SMC");
    host_irq_init();
    host_irq_cpu_init();
}
