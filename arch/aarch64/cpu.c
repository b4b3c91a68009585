/* cpu.c: per-CPU identity, the boot CPU's hand-off onto its own stack, and the small CPU primitives. */
#include "arch.h"
#include "boot_info.h"
#include "cpu_data.h"
#include "host_irq.h"
#include "kernel.h"
#include "sysreg.h"

struct cpu_data cpu_data[HV_MAX_CPUS];

const char *arch_name(void)
{
    return "aarch64";
}

/* QEMU virt: RAM starts at 1 GiB (see ARCHITECTURE.md, the virtual platform). */
uint64_t arch_guest_ram_base(void)
{
    return 0x40000000ull;
}

uint32_t arch_guest_ram_ranges(uint64_t size_bytes, struct guest_ram_range out[ARCH_GUEST_RAM_RANGES])
{
    out[0] = (struct guest_ram_range){ arch_guest_ram_base(), size_bytes };
    return 1;
}

const char *arch_guest_region_refused(uint64_t gpa, uint64_t size_bytes)
{
    (void)gpa, (void)size_bytes;
    return NULL;            /* below RAM is the guest's device map; the config parser checks RAM */
}

struct cpu_data *this_cpu(void)
{
    /* TPIDR_EL2 holds whatever the firmware left until arch_enter_kernel: trust only our own array. */
    uintptr_t p = (uintptr_t)read_sysreg(tpidr_el2);
    if (p < (uintptr_t)&cpu_data[0] || p >= (uintptr_t)&cpu_data[HV_MAX_CPUS])
        return NULL;
    return (struct cpu_data *)p;
}

uint32_t arch_cpu_index(void)
{
    struct cpu_data *c = this_cpu();
    return c ? c->index : 0;
}

void arch_cpu_relax(void)
{
    __asm__ volatile("yield" ::: "memory");
}

/* The event stream (CNTHCTL_EL2.EVNTEN, vcpu.c) and a kick's SGI or SEV end the WFE. */
void arch_cpu_idle(void)
{
    __asm__ volatile("wfe" ::: "memory");
}

void arch_cpu_park(void)
{
    host_irq_cpu_off();     /* no interrupt may end the WFI below: it would only spin */
    __asm__ volatile("msr daifset, #0xf" ::: "memory");
    for (;;)
        __asm__ volatile("wfi" ::: "memory");
}

/* DC CVAC by line (DDI 0487, DC CVAC): the line size is 4 << CTR_EL0.DminLine words. */
void dcache_clean_poc(const void *p, size_t len)
{
    uint64_t line = 4ull << BITS(read_sysreg(ctr_el0), 19, 16);
    uintptr_t a = (uintptr_t)p & ~(line - 1), end = (uintptr_t)p + len;
    for (; a < end; a += line)
        __asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
    dsb(sy);
}

static void enter_kernel_main(void *bi)
{
    kernel_main(bi);
}

void arch_enter_kernel(struct boot_info *bi)
{
    struct cpu_data *c = &cpu_data[0];
    c->index = 0;
    c->mpidr = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
    c->stack_top = bi->stack_base + HV_STACK_SIZE_BYTES;
    write_sysreg(tpidr_el2, c);
    el2_call_on_stack(bi, c->stack_top, enter_kernel_main);
}
