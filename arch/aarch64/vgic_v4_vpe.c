/* vgic_v4_vpe.c: GICv4.0 vPEs: each vCPU a vPE on the physical ITS (VMAPP on first use, to the
 * redistributor of the pCPU the vCPU is pinned to; vCPUs never migrate, so no VMOVP) with its
 * virtual pending table, and its residency on that pCPU (Arm IHI 0069, GICR_VPENDBASER).
 *
 * Residency: before each entry the vCPU's vPE is made resident on its pCPU (GICR_VPENDBASER
 * Valid = 1) if it is not already; it stays resident across exits while the vCPU runs. When
 * the vCPU blocks (WFI) it is made non-resident (Valid = 0, Dirty polled) and PendingLast
 * says whether it already has vLPIs; if not, its doorbell wakes it (vgic_v4_doorbell.c).
 * ICH_HCR_EL2.En is always set (vgic_lr.c). Residency is per pCPU, touched only by that pCPU. */
#include "arch.h"
#include "gicv3_its.h"
#include "page_alloc.h"
#include "vgic_v4.h"
#include "vm.h"

#define VPT_BYTES ((1u << GITS_VLPI_ID_BITS) / 8)

static struct v4_vpe {
    uint32_t ready;                             /* atomic: VMAPP done, vpt_pa valid */
    uint64_t vpt_pa;                            /* the VM's ITS lock */
    bool loaded_once;                           /* own pCPU only */
} v4vpe[V4_VPES];
static struct vcpu *resident[HV_MAX_CPUS];      /* per pCPU, own pCPU only */

uint32_t vgic_v4_vpe_id(const struct vcpu *v)
{
    return v->vm->id * VM_MAX_VCPUS + v->id;
}

bool vgic_v4_vpe_get(struct vcpu *v)
{
    struct v4_vpe *p = &v4vpe[vgic_v4_vpe_id(v)];
    if (__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE))
        return true;
    if (!p->vpt_pa && !(p->vpt_pa = hv_page_alloc((VPT_BYTES + PAGE_SIZE - 1) / PAGE_SIZE, 65536)))
        return false;
    if (!gits_vmapp(vgic_v4_vpe_id(v), v->pcpu, p->vpt_pa, true) || !gits_vsync(vgic_v4_vpe_id(v)))
        return false;
    __atomic_store_n(&p->ready, 1, __ATOMIC_RELEASE);
    return true;
}

/* Before each entry, on v's pCPU: v's vPE resident (if it has one). */
void vgic_v4_load(struct vcpu *v)
{
    if (!vgic_v4_active())
        return;
    uint32_t cpu = arch_cpu_index();
    if (cpu >= HV_MAX_CPUS || resident[cpu] == v)
        return;
    if (resident[cpu]) {
        gicv4_vpe_unload(cpu);
        resident[cpu] = NULL;
    }
    struct v4_vpe *p = &v4vpe[vgic_v4_vpe_id(v)];
    if (!__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE))
        return;
    gicv4_vpe_load(cpu, vgic_v4_prop_pa(v->vm), p->vpt_pa, !p->loaded_once);
    p->loaded_once = true;
    resident[cpu] = v;
}

/* v blocks (WFI), on its pCPU: non-resident, so its doorbell can wake it. True when it
 * already has pending vLPIs (PendingLast): it should not sleep. */
bool vgic_v4_put(struct vcpu *v)
{
    if (!vgic_v4_active())
        return false;
    uint32_t cpu = arch_cpu_index();
    if (cpu >= HV_MAX_CPUS || resident[cpu] != v)
        return false;
    resident[cpu] = NULL;
    return gicv4_vpe_unload(cpu);
}
