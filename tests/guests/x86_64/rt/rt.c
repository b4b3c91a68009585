/* rt.c: C entry of the boot CPU: per-CPU state, console, Multiboot info, IDT, interrupt
 * controllers, clocks, hypervisor detection, then main(). */
#include "test.h"
#include "internal.h"

/* Per-CPU stacks: cpu_stacks[i] is CPU i's (start.S for the boot CPU, smp.c for APs). */
uint8_t cpu_stacks[MAX_CPUS][STACK_SIZE] __attribute__((aligned(16)));
extern uint32_t boot_magic, boot_info;  /* start.S: EAX and EBX at entry */

void rt_main(void) __attribute__((noreturn));

void rt_main(void)
{
    for (unsigned i = 0; i < MAX_CPUS; i++) {
        cpus[i].self = &cpus[i];
        cpus[i].index = i;
    }
    wrmsr(MSR_IA32_GS_BASE, (uintptr_t)&cpus[0]);   /* cpu_index() works from here on */
    mb_init(boot_magic, boot_info);     /* first: the info block may lie in RAM we reuse */
    uart_init();
    putc('\n');                         /* firmware (SeaBIOS) may have left a partial line */
    idt_init();
    idt_load();
    pic_disable();
    lapic_init();
    cpus[0].apic_id = lapic_id();
    tsc_calibrate();
    lapic_timer_calibrate();
    hv_init();
    irq_enable();
    cpus[0].alive = 1;
    main();
    test_done();
}
