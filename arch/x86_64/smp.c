/* smp.c: INIT-SIPI-SIPI through the trampoline to each CPU the MADT lists, one at a time (with no MADT, to all at once). */
#include <inttypes.h>
#include <string.h>
#include "arch.h"
#include "boot_info.h"
#include "kernel.h"
#include "x86.h"
#include "x86_internal.h"

/* SDM Vol. 3A, 10.6.1, figure 10-12: ICR low word. */
#define ICR_INIT        (5u << 8)
#define ICR_STARTUP     (6u << 8)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_ALL_EXCLUDING_SELF (3u << 18)
#define INIT_WAIT_NS    (10ull * 1000 * 1000)
#define SIPI_WAIT_NS    (200ull * 1000)
#define ONLINE_WAIT_NS  (1000ull * 1000 * 1000)
#define BROADCAST_WAIT_NS (200ull * 1000 * 1000)

/* Mirrors the data area of trampoline.S. */
struct trampoline_data {
    uint64_t gdt[4];
    uint16_t gdt_limit;
    uint32_t gdt_base;                  /* + page */
    uint32_t pm32_offset;               /* + page */
    uint16_t pm32_selector;
    uint32_t lm64_offset;               /* + page */
    uint16_t lm64_selector;
    uint32_t cr0, cr3, cr4, efer;
    uint64_t stack_base, stack_bytes;
    uint64_t entry;
    uint32_t next_index;                /* each CPU takes one with LOCK XADD */
    uint32_t index_limit;               /* a CPU taking this or more parks */
} __attribute__((packed));

extern const uint8_t x86_trampoline_start[], x86_trampoline_data[], x86_trampoline_end[];

static uint64_t boot_xcr0;          /* set by CPU 0 before it starts the others */
static uint32_t cpus_reported;      /* atomic: secondary CPUs that reached ap_entry */

static void delay_ns(uint64_t ns)
{
    uint64_t end = arch_time_ns() + ns;
    while (arch_time_ns() < end)
        arch_cpu_relax();
}

/* A secondary CPU's first C code, on its own stack, with the boot CPU's CR0/CR3/CR4/EFER. */
static __attribute__((noreturn)) void ap_entry(uint32_t index)
{
    x86_percpu_load(index);
    if (read_cr4() & CR4_OSXSAVE)
        xsetbv(0, boot_xcr0);
    lapic_cpu_init(index);
    __atomic_fetch_add(&cpus_reported, 1, __ATOMIC_RELEASE);
    kernel_secondary_main(index);
}

static struct trampoline_data *trampoline_install(uint64_t page, const struct boot_info *bi)
{
    if ((size_t)(x86_trampoline_end - x86_trampoline_data) != sizeof(struct trampoline_data))
        kernel_panic("trampoline.S and struct trampoline_data disagree");
    memcpy((void *)(uintptr_t)page, x86_trampoline_start, x86_trampoline_end - x86_trampoline_start);
    struct trampoline_data *d =
        (struct trampoline_data *)(uintptr_t)(page + (x86_trampoline_data - x86_trampoline_start));
    d->gdt_base += page;
    d->pm32_offset += page;
    d->lm64_offset += page;
    d->cr0 = (uint32_t)read_cr0();
    d->cr3 = x86_paging_cr3_low();
    d->cr4 = (uint32_t)(read_cr4() & ~CR4_PCIDE);   /* PCIDE may only be set in IA-32e mode */
    d->efer = (uint32_t)((rdmsr(MSR_IA32_EFER) & ~EFER_LMA) | EFER_LME);
    d->stack_base = bi->stack_base;
    d->stack_bytes = HV_STACK_SIZE_BYTES;
    d->entry = (uintptr_t)ap_entry;
    return d;
}

/* SDM Vol. 3A, 8.4.4.1: INIT, 10 ms, SIPI, 200 us, SIPI (to one APIC ID, or to all
 * others when apic_id is UINT32_MAX); false if an IPI stayed pending. */
static bool init_sipi_sipi(uint32_t apic_id, uint64_t page)
{
    uint32_t shorthand = apic_id == UINT32_MAX ? ICR_ALL_EXCLUDING_SELF : 0;
    uint32_t dest = apic_id == UINT32_MAX ? 0 : apic_id;
    uint32_t sipi = ICR_STARTUP | ICR_LEVEL_ASSERT | shorthand | (uint32_t)(page >> 12);
    bool sent = lapic_send_ipi(dest, ICR_INIT | ICR_LEVEL_ASSERT | shorthand);
    delay_ns(INIT_WAIT_NS);
    sent &= lapic_send_ipi(dest, sipi);
    delay_ns(SIPI_WAIT_NS);
    return lapic_send_ipi(dest, sipi) && sent;
}

/* Starts one CPU as index and waits for it to reach ap_entry. */
static void start_cpu(struct trampoline_data *d, uint64_t page, uint32_t index, uint32_t apic_id)
{
    x86_percpu_setup(index);
    d->next_index = index;
    d->index_limit = index + 1;
    uint32_t before = __atomic_load_n(&cpus_reported, __ATOMIC_ACQUIRE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    bool sent = init_sipi_sipi(apic_id, page);
    uint64_t deadline = arch_time_ns() + ONLINE_WAIT_NS;
    while (__atomic_load_n(&cpus_reported, __ATOMIC_ACQUIRE) == before && arch_time_ns() < deadline)
        arch_cpu_relax();
    if (__atomic_load_n(&cpus_reported, __ATOMIC_ACQUIRE) == before)
        hv_printf("cpu %" PRIu32 ": no response to INIT-SIPI-SIPI (APIC ID %" PRIu32 "%s)\n",
                  index, apic_id, sent ? "" : ", IPI stuck pending");
}

/* No MADT (OVMF publishes no ACPI tables on Bochs): wake every other CPU at once and let
 * each take the next index; returns how many CPUs there are, the boot CPU included. */
static uint32_t start_all_by_broadcast(struct trampoline_data *d, uint64_t page)
{
    for (uint32_t i = 1; i < HV_MAX_CPUS; i++)
        x86_percpu_setup(i);
    d->next_index = 1;
    d->index_limit = HV_MAX_CPUS;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    init_sipi_sipi(UINT32_MAX, page);
    delay_ns(BROADCAST_WAIT_NS);
    uint32_t count = 1 + __atomic_load_n(&cpus_reported, __ATOMIC_ACQUIRE);
    hv_printf("smp: no MADT: broadcast INIT-SIPI-SIPI, %" PRIu32 " CPUs answered (at most %u used)\n",
              count, HV_MAX_CPUS);
    return count;
}

uint32_t arch_start_secondaries(struct boot_info *bi)
{
    const struct acpi_info *a = &x86_acpi;
    uint64_t page = bi->trampoline_pa;
    if (!page || page >= (1u << 20) || (page & 0xFFF) || !x86_paging_cr3_low()) {
        hv_printf("smp: no trampoline page below 1 MiB or no PML4 below 4 GiB, secondaries not started\n");
        return a->has_madt ? a->cpu_count : 1;
    }
    boot_xcr0 = (read_cr4() & CR4_OSXSAVE) ? xgetbv(0) : 0;
    struct trampoline_data *d = trampoline_install(page, bi);
    if (!a->has_madt)
        return start_all_by_broadcast(d, page);
    uint32_t boot_apic_id = lapic_id(), next_index = 1;
    uint32_t listed = a->cpu_count < ACPI_MAX_CPUS ? a->cpu_count : ACPI_MAX_CPUS;
    for (uint32_t i = 0; i < listed; i++) {
        uint32_t apic_id = a->cpu_apic_id[i];
        if (apic_id == boot_apic_id)
            continue;
        if (next_index >= HV_MAX_CPUS)
            hv_printf("smp: APIC ID %" PRIu32 " not started: HV_MAX_CPUS is %u\n", apic_id, HV_MAX_CPUS);
        else if (apic_id > 0xFE && !lapic_x2apic_mode())
            hv_printf("smp: APIC ID %" PRIu32 " not started: needs x2APIC mode\n", apic_id);
        else
            start_cpu(d, page, next_index++, apic_id);
    }
    return a->cpu_count;
}
