/* smp.c: brings up the secondary CPUs the device tree lists, one PSCI CPU_ON at a time. */
#include <inttypes.h>
#include "arch.h"
#include "boot_info.h"
#include "cpu_data.h"
#include "host_platform.h"
#include "kernel.h"
#include "psci.h"
#include "sysreg.h"

#define CPU_ON_TIMEOUT_NS ((uint64_t)2 * 1000 * 1000 * 1000)

/* Starts one CPU and waits for secondary_entry to report; false on error or timeout. */
static bool cpu_start(const struct boot_info *bi, uint32_t index, uint64_t mpidr)
{
    struct cpu_data *c = &cpu_data[index];
    c->index = index;
    c->mpidr = mpidr;
    c->stack_top = bi->stack_base + (uint64_t)(index + 1) * HV_STACK_SIZE_BYTES;
    /* The boot CPU's live EL2 setup: same tables, attributes, traps and vectors everywhere. */
    c->mair_el2 = read_sysreg(mair_el2);
    c->tcr_el2 = read_sysreg(tcr_el2);
    c->ttbr0_el2 = read_sysreg(ttbr0_el2);
    c->sctlr_el2 = read_sysreg(sctlr_el2);
    c->cptr_el2 = read_sysreg(cptr_el2);
    c->online = 0;
    c->in_exception = 0;
    /* The new CPU reads these with its caches off: they must be in memory, not only in our cache. */
    dcache_clean_poc(c, sizeof(*c));
    dcache_clean_poc(secondary_entry, (size_t)(secondary_entry_end - secondary_entry));

    int64_t err = psci_cpu_on(mpidr, (uintptr_t)secondary_entry, (uintptr_t)c);
    if (err != PSCI_SUCCESS) {
        hv_printf("cpu %" PRIu32 ": CPU_ON failed (%" PRId64 " %s)\n", index, err, psci_error_name(err));
        return false;
    }
    uint64_t deadline = arch_time_ns() + CPU_ON_TIMEOUT_NS;
    while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
        if (arch_time_ns() > deadline) {
            hv_printf("cpu %" PRIu32 ": no response within %" PRIu64 " ms of CPU_ON (MPIDR 0x%" PRIx64 ")\n",
                      index, CPU_ON_TIMEOUT_NS / 1000000, mpidr);
            return false;
        }
        arch_cpu_relax();
    }
    return true;
}

/* One CPU_ON at a time: QEMU's PSCI raced on concurrent CPU_ON calls at 4+ CPUs (FACTS.md). */
uint32_t arch_start_secondaries(struct boot_info *bi)
{
    const struct host_platform *p = &host_platform;
    uint64_t self = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
    uint32_t listed = p->cpu_count < HOST_MAX_CPUS ? p->cpu_count : HOST_MAX_CPUS;
    uint32_t index = 1;
    if (listed > HV_MAX_CPUS)
        hv_printf("cpus: %" PRIu32 " described by %s, using the first %u\n", p->cpu_count, p->source,
                  HV_MAX_CPUS);
    for (uint32_t i = 0; i < listed && index < HV_MAX_CPUS; i++) {
        if (p->cpu_mpidr[i] == self)
            continue;
        cpu_start(bi, index, p->cpu_mpidr[i]);
        index++;
    }
    return index;
}
