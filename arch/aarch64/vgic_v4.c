/* vgic_v4.c: GICv4.0 direct injection of virtual LPIs (Arm IHI 0069, "Virtual LPI support"):
 * on or off, decided by probing the host ITS at the first use.
 *
 * When the host GIC is v4 (redistributors with VLPIS, an ITS with GITS_TYPER.Virtual) each
 * vCPU becomes a vPE on the physical ITS (vgic_v4_vpe.c) and the events the guest maps on its
 * emulated ITS are mirrored there (vgic_v4_mirror.c), VMAPTI'd to the target vPE with the
 * guest's vINTID, so the GIC makes the vLPI pending in the vPE's virtual pending table and
 * delivers it to the resident vPE with no list register and no hypervisor injection. The
 * GIC reads the LPI configuration from a hypervisor-owned copy of the guest's table
 * (vgic_v4_prop.c); a non-resident vPE is woken by its doorbell (vgic_v4_doorbell.c).
 * The files and what they share: vgic_v4.h.
 *
 * Off unless GICV4_DIRECT is non-zero at compile time AND the host ITS probe finds GICv4. */
#include "gicv3.h"
#include "gicv3_its.h"
#include "host_platform.h"
#include "kernel.h"
#include "spinlock.h"
#include "vgic_v4.h"

#ifndef GICV4_DIRECT
#define GICV4_DIRECT 1
#endif

static int v4_state;                            /* 0 untried, 1 on, -1 off; atomic */
static struct spinlock v4_init_lock = SPINLOCK_INIT;

/* First use (from an ITS command of a running guest, so every CPU is up): the host ITS. */
bool vgic_v4_on(void)
{
    int s = __atomic_load_n(&v4_state, __ATOMIC_ACQUIRE);
    if (s)
        return s > 0;
    if (!GICV4_DIRECT || !gicv3_has_vlpis()) {
        __atomic_store_n(&v4_state, -1, __ATOMIC_RELEASE);
        return false;
    }
    spin_lock(&v4_init_lock);
    if (!v4_state) {
        bool ok = gits_init(host_platform.its.base) && gits_has_vlpis();
        if (ok)
            vgic_v4_doorbells_enable();
        hv_printf("gicv4: direct injection of virtual LPIs %s\n", ok ? "on" : "off (no GICv4 ITS)");
        __atomic_store_n(&v4_state, ok ? 1 : -1, __ATOMIC_RELEASE);
    }
    spin_unlock(&v4_init_lock);
    return v4_state > 0;
}

bool vgic_v4_active(void)
{
    return __atomic_load_n(&v4_state, __ATOMIC_ACQUIRE) > 0;
}

bool vgic_v4_enabled(void)
{
    return vgic_v4_on();
}

/* Registered in any case: a doorbell only arrives once the probe turned them on. */
void vgic_v4_register_doorbells(void)
{
    if (GICV4_DIRECT)
        vgic_v4_doorbells_register();
}
