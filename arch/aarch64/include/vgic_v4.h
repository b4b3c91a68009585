/* vgic_v4.h: what the GICv4 direct-injection files share (not for the rest of the hypervisor,
 * which uses vgic.h and vgic_its.h). One mechanism per file:
 *   vgic_v4.c           on/off: the host ITS probed at the first use
 *   vgic_v4_mirror.c    the ITS mirror: guest events -> VMAPTI/VMOVI/DISCARD on the host ITS
 *   vgic_v4_vpe.c       the vPEs: VMAPP and virtual pending tables, residency on the pCPU
 *   vgic_v4_prop.c      the hypervisor-owned copy of the guest's LPI configuration table
 *   vgic_v4_doorbell.c  the doorbell LPIs that wake a non-resident vPE
 * The mirror, the vPEs and the copy build on the host against a fake physical ITS
 * (tests/unit/fake_gits.c). */
#ifndef VGIC_V4_H
#define VGIC_V4_H

#include <stdbool.h>
#include <stdint.h>
#include "gicv3_its.h"
#include "vgic.h"

#define V4_VPES      VGIC_V4_DOORBELLS
#define V4_DOORBELL0 GITS_LPI_BASE               /* doorbell of vPE n: host LPI 8192 + n */

struct vm;
struct vcpu;

/* vgic_v4.c. vgic_v4_on: direct injection in use (the first call probes the host ITS, so
 * only once every CPU is up). vgic_v4_active: the same without probing (false before). */
bool vgic_v4_on(void);
bool vgic_v4_active(void);

/* vgic_v4_vpe.c. v's vPE ID (VM index x VM_MAX_VCPUS + vCPU index); its vPE VMAPP'd on the
 * physical ITS on first use (false when that fails). ITS lock of v's VM held. */
uint32_t vgic_v4_vpe_id(const struct vcpu *v);
bool vgic_v4_vpe_get(struct vcpu *v);

/* vgic_v4_prop.c (ITS lock of vm held). vgic_v4_prop_get: the copy allocated and filled on
 * first use, re-read after vgic_v4_prop_stale; false without memory for it.
 * vgic_v4_prop_refresh: INV (one INTID) / INVALL (0) re-reads it; false when there is no copy
 * yet. vgic_v4_prop_pa: where it is (GICR_VPROPBASER), 0 when there is none. */
bool vgic_v4_prop_get(struct vm *vm);
bool vgic_v4_prop_refresh(struct vm *vm, uint32_t intid);
void vgic_v4_prop_stale(struct vm *vm);
uint64_t vgic_v4_prop_pa(const struct vm *vm);

/* vgic_v4_mirror.c: every event the mirror has recorded (ITS lock of vm held): the guest's
 * (DeviceID, EventID) and collection, its host (DeviceID, EventID), and when host is true the
 * vCPU and vINTID the physical ITS maps it to. For tests and checks. */
struct vgic_v4_event_view {
    uint32_t gdev, gevent, icid;
    uint32_t hdev, hev;
    bool host;
    uint32_t vcpu, intid;
};
void vgic_v4_mirror_walk(struct vm *vm, void (*fn)(void *ctx, const struct vgic_v4_event_view *ev), void *ctx);

/* vgic_v4_doorbell.c: the doorbell LPIs enabled on the host (from the probe), and their
 * handler registered (from host_irq_init). */
void vgic_v4_doorbells_enable(void);
void vgic_v4_doorbells_register(void);

#endif
