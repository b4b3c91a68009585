/* fake_vm_env.h: the rest of the hypervisor as the vGIC, its emulated ITS (vgic_its.c) and
 * the GICv4 mirror (vgic_v4_*.c) see it in host tests: guest RAM behind guest_read/write,
 * the page allocator, the assigned PCI functions, GICv4 on or off. */
#ifndef FAKE_VM_ENV_H
#define FAKE_VM_ENV_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_RAM_BASE  0x40000000ull
#define FAKE_RAM_BYTES 0x80000ull
#define FAKE_PCI_FUNCS 4u
/* Where fake_vm_its_start puts the guest ITS's queue and tables in fake_ram. */
#define FAKE_CQ_GPA    (FAKE_RAM_BASE + 0x00000)
#define FAKE_DT_GPA    (FAKE_RAM_BASE + 0x10000)
#define FAKE_CT_GPA    (FAKE_RAM_BASE + 0x20000)

struct vm;
/* The guest programs its ITS as a driver does: Device and Collection tables, the command queue
 * (CREADR / CWRITER 0), then GITS_CTLR.Enabled. */
void fake_vm_its_start(struct vm *vm);

extern uint8_t fake_ram[FAKE_RAM_BYTES];
extern bool fake_v4_on;                 /* vgic_v4_on() / vgic_v4_active() */
extern uint32_t fake_vm_kicks[8];        /* arch_vcpu_kick calls, by vCPU id */
/* Assigned PCI functions of every VM: guest DeviceID -> host DeviceID (requester ID). */
extern struct fake_pci_func {
    bool used;
    uint32_t guest_devid, host_devid;
} fake_pci[FAKE_PCI_FUNCS];

#endif
