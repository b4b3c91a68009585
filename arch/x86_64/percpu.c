/* percpu.c: per-CPU state: the GDT with a 64-bit TSS and its IST stacks, and GS base -> struct x86_percpu. */
#include <stddef.h>
#include <malloc.h>
#include "arch.h"
#include "kernel.h"
#include "x86.h"
#include "x86_internal.h"

#define IST_STACK_BYTES 4096u
#define IST_COUNT 3

/* Intel SDM Vol. 3A, 7.7, figure 7-11: the 64-bit TSS. */
struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct x86_percpu {
    uint32_t index;        /* read through %gs by arch_cpu_index */
    uint64_t gdt[5];       /* null, code64, data, TSS (16 bytes) */
    struct tss64 tss;
};

struct descriptor_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* Written by the boot CPU before the CPU it describes starts; then that CPU's own. */
static struct x86_percpu percpu[HV_MAX_CPUS];
static bool percpu_ready;   /* set once by CPU 0 when its GS base is loaded */

/* Intel SDM Vol. 3A, 3.4.5 and 7.2.3: flat 64-bit code and data descriptors, and an
 * available 64-bit TSS descriptor (type 9) spanning two GDT slots. */
#define DESC_CODE64 0x00AF9A000000FFFFull   /* P, DPL 0, execute/read, L = 1 */
#define DESC_DATA   0x00CF92000000FFFFull   /* P, DPL 0, read/write */

void x86_percpu_setup(uint32_t index)
{
    struct x86_percpu *p = &percpu[index];
    p->index = index;
    p->gdt[0] = 0;
    p->gdt[GDT_CODE64 / 8] = DESC_CODE64;
    p->gdt[GDT_DATA / 8] = DESC_DATA;
    uint64_t base = (uintptr_t)&p->tss, limit = sizeof(p->tss) - 1;
    p->gdt[GDT_TSS / 8] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ull << 40 |
                          ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
    p->gdt[GDT_TSS / 8 + 1] = base >> 32;
    p->tss = (struct tss64){ .iomap_base = sizeof(struct tss64) };   /* no I/O bitmap */
    /* #DF, NMI and #MC each get their own stack (SDM Vol. 3A, 6.14.5): they must work even
     * when the current stack is what broke. From the heap so .bss (inside the PE file) stays small. */
    uint8_t *ist = memalign(16, IST_COUNT * IST_STACK_BYTES);
    if (!ist)
        kernel_panic("no memory for IST stacks");
    for (uint32_t i = 0; i < IST_COUNT; i++)
        p->tss.ist[i] = (uintptr_t)ist + (i + 1) * IST_STACK_BYTES;   /* IST1..3, top of each */
}

void x86_percpu_load(uint32_t index)
{
    struct x86_percpu *p = &percpu[index];
    struct descriptor_pointer gdtr = { sizeof(p->gdt) - 1, (uintptr_t)p->gdt };
    /* Reload CS with a far return, then the data segments (Intel SDM Vol. 3A, 3.4.3). */
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %2, %%ax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%ss\n\t"
                     "movw %%ax, %%fs\n\t"
                     "movw %%ax, %%gs\n\t"
                     "ltr %w3"
                     :: "m"(gdtr), "i"(GDT_CODE64), "i"(GDT_DATA), "r"((uint16_t)GDT_TSS)
                     : "rax", "memory");
    wrmsr(MSR_IA32_GS_BASE, (uintptr_t)p);
    x86_idt_load();
    if (index == 0)
        __atomic_store_n(&percpu_ready, true, __ATOMIC_RELEASE);
}

uint32_t arch_cpu_index(void)
{
    /* newlib's malloc lock asks before kernel_main has set GS up: that is CPU 0. */
    if (!__atomic_load_n(&percpu_ready, __ATOMIC_ACQUIRE))
        return 0;
    uint32_t index;
    __asm__ volatile("movl %%gs:%c1, %0" : "=r"(index) : "i"(offsetof(struct x86_percpu, index)));
    return index;
}
