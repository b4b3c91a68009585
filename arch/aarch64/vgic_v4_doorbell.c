/* vgic_v4_doorbell.c: GICv4.0 doorbells: a host LPI per vPE (8192 + vPE ID, given in every
 * VMAPTI/VMOVI) that the GIC raises when a vLPI becomes pending for a non-resident vPE
 * (Arm IHI 0069, "Doorbell interrupts"); it kicks the blocked vCPU. */
#include "arch_guest.h"
#include "gicv3_its.h"
#include "host_irq.h"
#include "vgic_v4.h"
#include "vm.h"

void vgic_v4_doorbells_enable(void)
{
    for (uint32_t i = 0; i < V4_VPES; i++)
        gits_host_lpi_enable(V4_DOORBELL0 + i, true);
}

/* A vPE's doorbell: a vLPI became pending while it was not resident. */
static enum host_irq_result doorbell_irq(struct vcpu *cur, uint32_t intid)
{
    (void)cur;
    uint32_t n = intid - V4_DOORBELL0, vmi = n / VM_MAX_VCPUS, vci = n % VM_MAX_VCPUS;
    if (vmi < vm_count && vci < vms[vmi].vcpu_count)
        arch_vcpu_kick(&vms[vmi].vcpu[vci]);
    return HOST_IRQ_DONE;
}

void vgic_v4_doorbells_register(void)
{
    host_irq_register(V4_DOORBELL0, V4_VPES, doorbell_irq);
}
