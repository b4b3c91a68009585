/* psci.h: calls into the firmware's Power State Coordination Interface (Arm DEN 0022). */
#ifndef AARCH64_PSCI_H
#define AARCH64_PSCI_H

#include <stdint.h>

#define PSCI_CPU_ON_64    0xC4000003u
#define PSCI_SYSTEM_OFF   0x84000008u

#define PSCI_SUCCESS 0

int64_t psci_cpu_on(uint64_t target_mpidr, uint64_t entry_pa, uint64_t context_id);
const char *psci_error_name(int64_t err);

#endif
