/* arch.c: the small arch_* entry points for x86_64 and the order arch_early_init brings things up in. */
#include "arch.h"
#include "boot_info.h"
#include "kernel.h"
#include "uart16550.h"
#include "x86.h"
#include "x86_internal.h"

const char *arch_name(void) { return "x86_64"; }

uint64_t arch_guest_ram_base(void) { return 0; }

void arch_enter_kernel(struct boot_info *bi)
{
    uint64_t stack_top = bi->stack_base + HV_STACK_SIZE_BYTES;   /* CPU 0's stack */
    __asm__ volatile("cli\n\t"
                     "movq %0, %%rsp\n\t"
                     "xorl %%ebp, %%ebp\n\t"
                     "callq *%1"
                     :: "r"(stack_top), "r"(kernel_main), "D"(bi) : "memory");
    __builtin_unreachable();
}

void arch_console_putc(char c) { uart16550_putc(UART16550_COM1, c); }

/* Order matters: the console first; GDT/IDT before anything can fault; our own page
 * tables before anything reads tables or MMIO; ACPI before the TSC (its PM timer). */
void arch_early_init(struct boot_info *bi)
{
    uart16550_init(UART16550_COM1, 115200);
    console_set_sink(arch_console_putc);
    x86_idt_init();
    x86_percpu_setup(0);
    x86_percpu_load(0);
    x86_paging_init(bi);
    x86_platform_init(bi);
    x86_tsc_calibrate();
    lapic_cpu_init(0);
}

void arch_cpu_relax(void) { __asm__ volatile("pause"); }
/* No periodic wake-up source is armed on an idle pCPU: spin politely. */
void arch_cpu_idle(void) { __asm__ volatile("pause"); }

void arch_cpu_park(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}
