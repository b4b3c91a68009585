/* arch.c: the small arch_* entry points for x86_64 and the order arch_early_init brings things up in. */
#include "arch.h"
#include "boot_info.h"
#include "kernel.h"
#include "uart16550.h"
#include "x86.h"
#include "x86_boot.h"
#include "x86_internal.h"
#include "x86_vplatform.h"

const char *arch_name(void) { return "x86_64"; }

uint64_t arch_guest_ram_base(void) { return 0; }

/* QEMU's PC layout: RAM from 0 up to the 32-bit PCI hole at X86_RAM_LOW_TOP (3 GiB), the rest from
 * 4 GiB (x86_boot.h; e820.c reports the same). */
uint32_t arch_guest_ram_ranges(uint64_t size_bytes, struct guest_ram_range out[ARCH_GUEST_RAM_RANGES])
{
    return x86_ram_ranges(size_bytes, out);
}

/* The IOAPIC (0xFEC00000) and LAPIC (0xFEE00000) window must stay the platform's. */
const char *arch_guest_region_refused(uint64_t gpa, uint64_t size_bytes)
{
    const uint64_t lo = 0xFEC00000ull, hi = 0xFF000000ull;
    if (size_bytes && gpa < hi && gpa + size_bytes > lo)
        return "covers the IOAPIC/LAPIC window 0xFEC00000-0xFEFFFFFF";
    return NULL;
}

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
 * tables before anything reads tables or MMIO; ACPI before the TSC (its PM timer); the TSC
 * before the host's wall clock (the VMs' RTCs advance it by the TSC). */
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
    x86_fpu_host_init();
    vrtc_host_clock_init();
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
