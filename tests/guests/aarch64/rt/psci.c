/* psci.c: PSCI over HVC (Arm DEN 0022) and detection of the hypervisor's own calls. */
#include "rt.h"
#include "hypercall.h"

int32_t psci_version(void) { return (int32_t)hvc(PSCI_VERSION, 0, 0, 0); }
int32_t psci_features(uint32_t fn) { return (int32_t)hvc(PSCI_FEATURES, fn, 0, 0); }
int32_t psci_cpu_off(void) { return (int32_t)hvc(PSCI_CPU_OFF, 0, 0, 0); }
int32_t psci_system_reset(void) { return (int32_t)hvc(PSCI_SYSTEM_RESET, 0, 0, 0); }

int32_t psci_cpu_on(uint64_t target, uint64_t entry_pa, uint64_t context_id)
{
    return (int32_t)hvc(PSCI_CPU_ON, target, entry_pa, context_id);
}

int32_t psci_cpu_on_entry(uint64_t target, uint64_t context_id)
{
    return psci_cpu_on(target, (uint64_t)(uintptr_t)secondary_entry, context_id);
}

int32_t psci_affinity_info(uint64_t target)
{
    return (int32_t)hvc(PSCI_AFFINITY_INFO, target, 0, 0);
}

void psci_system_off(void)
{
    hvc(PSCI_SYSTEM_OFF, 0, 0, 0);
    printf("FAIL system_off: returned\n");
    for (;;)
        __asm__ volatile("wfi");
}

bool hv_present(void)
{
    /* Only the boot CPU asks; the answer cannot change while the VM runs. */
    static int present = -1;
    if (present < 0)
        present = (int32_t)hvc(HV_HC_VERSION, 0, 0, 0) != HV_HC_NOT_SUPPORTED;
    return present;
}
