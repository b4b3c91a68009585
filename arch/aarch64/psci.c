/* psci.c: PSCI calls over the conduit the device tree names, SYSTEM_OFF included (Arm DEN 0022). */
#include "image_check.h"
#include "smmu_s2.h"
#include "arch.h"
#include "host_platform.h"
#include "psci.h"

/* SMC Calling Convention (Arm DEN 0028): function id in x0, arguments in x1-x3, result in
 * x0; x4-x17 are not preserved by SMCCC v1.0 firmware. */
static int64_t psci_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fid;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    if (host_platform.psci_hvc)
        __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : :
                         "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
                         "x14", "x15", "x16", "x17", "memory");
    else
        __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : :
                         "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
                         "x14", "x15", "x16", "x17", "memory");
    return (int64_t)x0;
}

/* DEN 0022, CPU_ON: x1 = entry point (physical), x2 = context id, handed to the new CPU in x0. */
int64_t psci_cpu_on(uint64_t target_mpidr, uint64_t entry_pa, uint64_t context_id)
{
    return psci_call(PSCI_CPU_ON_64, target_mpidr, entry_pa, context_id);
}

/* DEN 0022, "Return error codes". */
const char *psci_error_name(int64_t err)
{
    switch (err) {
    case 0: return "SUCCESS";
    case -1: return "NOT_SUPPORTED";
    case -2: return "INVALID_PARAMETERS";
    case -3: return "DENIED";
    case -4: return "ALREADY_ON";
    case -5: return "ON_PENDING";
    case -6: return "INTERNAL_FAILURE";
    case -7: return "NOT_PRESENT";
    case -8: return "DISABLED";
    case -9: return "INVALID_ADDRESS";
    default: return "unknown";
    }
}

void arch_power_off(void)
{
    smmu_s2_poll_events();   /* faults since the last tick, before the machine goes */
    image_check_end();
    psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    arch_cpu_park();   /* SYSTEM_OFF does not return on success (DEN 0022, SYSTEM_OFF) */
}
