/* smmu_s2.h: DMA isolation of assigned PCI functions by the SMMUv3's stage 2 (smmu_s2.c). */
#ifndef AARCH64_SMMU_S2_H
#define AARCH64_SMMU_S2_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* Boot CPU, once, after the page allocator (arch_report_caps): finds and enables the SMMU,
 * printing a `cap: smmu=` line that says whether assigned functions may bus-master. */
void smmu_s2_init(void);
/* Why an assigned function gets no bus mastering, or NULL when its DMA can be confined. */
const char *smmu_s2_unavailable(uint16_t bdf);
/* The function's StreamID (= its requester ID) translates through the VM's SMMU stage 2:
 * the VM's memslots at their guest addresses, plus the host ITS's GITS_TRANSLATER page for
 * its MSIs. False (with a message) when that cannot be set up. */
bool smmu_s2_attach(struct vm *vm, uint16_t bdf);
/* Its DMA is aborted again (a VM that did not start gives its functions back). */
void smmu_s2_detach(uint16_t bdf);
/* A function the hypervisor drives itself (the management NIC): its DMA untranslated, as before the
 * SMMU was enabled; every other stream aborts unless assigned. */
void smmu_s2_host_device(uint16_t bdf);
/* The VM's stage 2 changed over [ipa, ipa+size): the SMMU's copy follows and its TLB entries
 * for the VMID go (CMD_TLBI_S2_IPA / CMD_TLBI_S12_VMALL, CMD_SYNC). */
void smmu_s2_stage2_changed(struct vm *vm, uint64_t ipa, uint64_t size_bytes);
/* Reports new event-queue records (faults) on the console, naming the VM that owns the
 * stream and the address. Any CPU; called from the hypervisor tick. */
void smmu_s2_poll_events(void);

#endif
