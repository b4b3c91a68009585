/* arch_migrate.h: what each architecture provides for live migration (kernel/migrate*.c): its
 * vCPU and device state as bytes of the stream's MIGRATE_SEC_VCPU / MIGRATE_SEC_DEVICE sections
 * (include/migrate_stream.h), checked before anything of it is used. */
#ifndef ARCH_MIGRATE_H
#define ARCH_MIGRATE_H

#include <stdint.h>

struct vm;
struct vcpu;

/* The largest vCPU or device state an arch writes (the section payload minus its id). */
#define ARCH_MIGRATE_STATE_MAX 4096u

/* NULL if the VM's state can be migrated, else why not (named in the message), e.g. a feature
 * whose state is not carried yet. Asked on the source before anything is sent. */
const char *arch_migrate_check(struct vm *vm);
/* enum migrate_arch of this build. */
uint32_t arch_migrate_arch(void);

/* The vCPU's state into buf (cap bytes): its length, 0 if it does not fit. Runs on the vCPU's own
 * pCPU while its VM is paused (EL1 registers are live there). */
uint32_t arch_migrate_vcpu_save(struct vcpu *v, uint8_t *buf, uint32_t cap);
/* Checks a received vCPU state without using it: NULL, or what is wrong. */
const char *arch_migrate_vcpu_check(struct vm *vm, const uint8_t *buf, uint32_t len);
/* Loads a checked state; on the vCPU's own pCPU, before it next enters the guest. */
void arch_migrate_vcpu_load(struct vcpu *v, const uint8_t *buf, uint32_t len);

/* Device states: ids 1..arch_migrate_device_count() (enum migrate_device), saved while the VM is
 * paused, loaded (after checking: NULL or what is wrong) before it runs. */
uint32_t arch_migrate_device_count(void);
uint32_t arch_migrate_device_save(struct vm *vm, uint32_t device, uint8_t *buf, uint32_t cap);
const char *arch_migrate_device_check(struct vm *vm, uint32_t device, const uint8_t *buf, uint32_t len);
void arch_migrate_device_load(struct vm *vm, uint32_t device, const uint8_t *buf, uint32_t len);

#endif
