/* smp.c: CPU count from fw_cfg and AP start-up by INIT-SIPI-SIPI. */
#include "rt.h"
#include "internal.h"

#define FW_CFG_PORT_SEL     0x510
#define FW_CFG_PORT_DATA    0x511
#define FW_CFG_SIGNATURE    0x0000
#define FW_CFG_NB_CPUS      0x0005

unsigned fwcfg_cpu_count(void)
{
    char sig[4];
    outw(FW_CFG_PORT_SEL, FW_CFG_SIGNATURE);
    for (int i = 0; i < 4; i++)
        sig[i] = (char)inb(FW_CFG_PORT_DATA);
    if (memcmp(sig, "QEMU", 4))
        return 0;
    outw(FW_CFG_PORT_SEL, FW_CFG_NB_CPUS);
    unsigned lo = inb(FW_CFG_PORT_DATA);
    return lo | (unsigned)inb(FW_CFG_PORT_DATA) << 8;
}

extern char ap_trampoline[], ap_trampoline_end[];   /* start.S */
extern uint8_t cpu_stacks[MAX_CPUS][STACK_SIZE];     /* rt.c */
void rt_ap_main(void);

/* Handed to the one AP being started (ap_start waits for it before starting another). */
uint64_t ap_boot_stack;                 /* start.S */
static volatile unsigned ap_boot_index;
static void (*volatile ap_boot_fn)(unsigned);
static unsigned cpu_next = 1;           /* boot CPU only */

void rt_ap_main(void)
{
    struct cpu *c = &cpus[ap_boot_index];
    void (*fn)(unsigned) = ap_boot_fn;
    wrmsr(MSR_IA32_GS_BASE, (uintptr_t)c);
    idt_load();
    lapic_init();
    c->apic_id = lapic_id();
    irq_enable();
    c->alive = 1;
    fn(c->index);
    for (;;)
        __asm__ volatile("sti; hlt");
}

int ap_start(uint32_t apic_id, void (*fn)(unsigned cpu))
{
    if (cpu_next >= MAX_CPUS)
        return -1;
    unsigned idx = cpu_next;
    memcpy((void *)TRAMPOLINE_PA, ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
    ap_boot_stack = (uintptr_t)cpu_stacks[idx] + STACK_SIZE;
    ap_boot_index = idx;
    ap_boot_fn = fn;
    cpus[idx].alive = 0;
    barrier();

    /* SDM Vol. 3A, 8.4.4.1: INIT, 10 ms, SIPI, 200 us, SIPI. A running AP ignores the second. */
    lapic_send_icr(apic_id, ICR_INIT | ICR_ASSERT);
    delay_us(10000);
    for (int i = 0; i < 2; i++) {
        lapic_send_icr(apic_id, ICR_STARTUP | (TRAMPOLINE_PA >> 12));
        delay_us(200);
    }
    if (!wait_eq(&cpus[idx].alive, 1, 1000000))
        return -1;
    cpu_next++;
    return (int)idx;
}
