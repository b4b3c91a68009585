/* el2_mmu.h: the hypervisor's own EL2 stage-1 translation (identity map). */
#ifndef AARCH64_EL2_MMU_H
#define AARCH64_EL2_MMU_H

#include <stdint.h>

struct boot_info;

/* Builds the identity map from bi->mem and the DTB's devices and switches TTBR0_EL2 to it. */
void el2_mmu_init(const struct boot_info *bi);

/* mmu_switch.S: loads the new translation registers with the MMU off for the switch. */
void el2_mmu_switch(uint64_t ttbr0, uint64_t tcr, uint64_t mair, uint64_t sctlr);

/* What of the host's memory [base, base + size_bytes) overlaps: "the hypervisor image" or
 * "host RAM" (any range the firmware's memory map lists as memory, whoever owns it: the
 * hypervisor, other VMs, firmware), with that range; NULL when it overlaps none. */
const char *el2_host_ram_overlap(uint64_t base, uint64_t size_bytes, uint64_t *ram_base, uint64_t *ram_end);

#endif
