/* vgic_v4.c: GICv4.0 direct injection of virtual LPIs (Arm IHI 0069, "Virtual LPI support").
 *
 * When the host GIC is v4 (redistributors with VLPIS, an ITS with GITS_TYPER.Virtual) each
 * vCPU becomes a vPE on the physical ITS (VMAPP, targeting the redistributor of the pCPU the
 * vCPU is pinned to) with its own virtual pending table (VPT). An event the guest maps on its
 * emulated ITS (vgic_its_cmd.c, its_env.fwd) is mirrored on one host device per VM: host
 * DeviceID vm->id + 1, one host EventID per (guest DeviceID, EventID), VMAPTI'd to the
 * target vPE with the guest's vINTID. The guest's INT (and GITS_TRANSLATER MSI) becomes a
 * physical INT on that host event: the GIC makes the vLPI pending in the VPT and delivers it
 * to the resident vPE through the virtual CPU interface, with no list register and no
 * hypervisor injection. MOVI -> VMOVI, DISCARD -> DISCARD, CLEAR -> CLEAR, INV/INVALL -> INV
 * of the mirrored events; VSYNC after each.
 *
 * The virtual LPI configuration table (GICR_VPROPBASER) is a HYPERVISOR-OWNED copy of the
 * guest's table, one per VM, refreshed from guest memory (guest_read, slot lock held) when the
 * vPE is created and on every INV/INVALL. Not the guest's table itself: the GIC would then
 * read guest memory by physical address behind the memslot lock (a memslot change could hand
 * that memory to someone else), and the architecture only promises that configuration
 * changes take effect after INV/INVALL, which is exactly when the copy is refreshed.
 *
 * Residency: before each entry the vCPU's vPE is made resident on its pCPU (GICR_VPENDBASER
 * Valid = 1) if it is not already; it stays resident across exits while the vCPU runs. When
 * the vCPU blocks (WFI) it is made non-resident (Valid = 0, Dirty polled) and PendingLast
 * says whether it already has vLPIs; if not, a doorbell LPI per vPE (host LPI 8192 + vPE ID,
 * given in every VMAPTI/VMOVI) wakes it. ICH_HCR_EL2.En is always set (vgic_lr.c).
 *
 * Locking: the mirror of a VM is changed only under its emulated ITS's lock (all callers are
 * ITS commands); the physical ITS has its own lock (drivers/gicv3_its.c). Residency is per
 * pCPU, touched only by that pCPU.
 *
 * Off unless GICV4_DIRECT is non-zero at compile time AND the host ITS probe finds GICv4. */
#include <string.h>
#include "arch.h"
#include "arch_guest.h"
#include "assign.h"
#include "gicv3.h"
#include "gicv3_its.h"
#include "host_irq.h"
#include "host_platform.h"
#include "kernel.h"
#include "page_alloc.h"
#include "vgic_internal.h"
#include "vpci.h"

#ifndef GICV4_DIRECT
#define GICV4_DIRECT 1
#endif

#define V4_ITT_BITS   6                         /* host EventIDs per VM */
#define V4_EVENTS     (1u << V4_ITT_BITS)
#define V4_VPES       VGIC_V4_DOORBELLS
#define V4_PCI_BITS   5                         /* EventIDs of an assigned PCI function */
#define V4_PCI_EVENTS (1u << V4_PCI_BITS)
#define V4_DOORBELL0  GITS_LPI_BASE             /* doorbell of vPE n: host LPI 8192 + n */
#define V4_PROP_BYTES ((1u << GITS_VLPI_ID_BITS) - VGIC_LPI_BASE)
#define V4_VPT_BYTES  ((1u << GITS_VLPI_ID_BITS) / 8)
#define PROPBASER_PA(v) ((v) & 0x000ffffffffff000ull)

struct v4_event {
    bool used;
    uint32_t gdev, gevent;                      /* the guest's (DeviceID, EventID) */
    uint32_t vcpu, intid;                       /* where the host event points now */
};

/* An assigned PCI function (pci_assign.c): its own host DeviceID, host EventID = the guest's. */
struct v4_pci {
    bool used, dev_mapped;
    uint32_t gdev, hdev;
    struct v4_event ev[V4_PCI_EVENTS];
};

struct v4_vm {
    bool dev_mapped, broken;
    struct v4_pci pci[VPCI_MAX_FUNCS];
    bool stale_prop;                            /* reset since the copy was made: re-read it */
    uint8_t *prop;                              /* the VPROPBASER copy (V4_PROP_BYTES) */
    struct v4_event ev[V4_EVENTS];
};

struct v4_vpe {
    uint32_t ready;                             /* atomic: VMAPP done, vpt/prop valid */
    uint64_t vpt_pa;
    bool loaded_once;                           /* own pCPU only */
};

static struct v4_vm v4vm[VM_MAX_VMS];
static struct v4_vpe v4vpe[V4_VPES];
static struct vcpu *resident[HV_MAX_CPUS];      /* per pCPU, own pCPU only */
static int v4_state;                            /* 0 untried, 1 on, -1 off; atomic */
static struct spinlock v4_init_lock = SPINLOCK_INIT;

static uint32_t vpe_id(const struct vcpu *v)
{
    return v->vm->id * VM_MAX_VCPUS + v->id;
}

static struct v4_event *event_find(struct v4_vm *m, uint32_t gdev, uint32_t gevent, bool alloc);

/* Emulated devices' events of a VM: one host device per VM, at the top of the host's
 * DeviceID space, clear of PCI requester IDs (bus 0 upwards). */
static uint32_t host_dev(const struct vm *vm)
{
    return gits_device_limit() - 1 - vm->id;
}

/* Where a guest (DeviceID, EventID) lives on the physical ITS. */
struct v4_ref {
    uint32_t hdev, hev, itt_bits;
    bool *dev_mapped;
    struct v4_event *e;
};

/* The guest event's host event: for an assigned PCI function (hdev = its requester ID,
 * hev = the EventID, which is what the device sends) or the VM's emulated-device host
 * device (a free host EventID when alloc). False when it has none. */
static bool ref_find(struct vm *vm, uint32_t gdev, uint32_t gevent, bool alloc, struct v4_ref *r)
{
    struct v4_vm *m = &v4vm[vm->id];
    uint32_t hdev;
    if (pci_assign_host_devid(vm, gdev, &hdev)) {
        if (gevent >= V4_PCI_EVENTS)
            return false;
        struct v4_pci *pd = NULL;
        for (uint32_t i = 0; i < VPCI_MAX_FUNCS && !pd; i++)
            if (m->pci[i].used && m->pci[i].gdev == gdev)
                pd = &m->pci[i];
        for (uint32_t i = 0; i < VPCI_MAX_FUNCS && !pd && alloc; i++)
            if (!m->pci[i].used) {
                pd = &m->pci[i];
                *pd = (struct v4_pci){ .used = true, .gdev = gdev, .hdev = hdev };
            }
        if (!pd || (!alloc && !pd->ev[gevent].used))
            return false;
        *r = (struct v4_ref){ hdev, gevent, V4_PCI_BITS, &pd->dev_mapped, &pd->ev[gevent] };
        return true;
    }
    struct v4_event *e = event_find(m, gdev, gevent, alloc);
    if (!e)
        return false;
    *r = (struct v4_ref){ host_dev(vm), (uint32_t)(e - m->ev), V4_ITT_BITS, &m->dev_mapped, e };
    return true;
}

/* First use (from an ITS command of a running guest, so every CPU is up): the host ITS. */
static bool v4_on(void)
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
            for (uint32_t i = 0; i < V4_VPES; i++)
                gits_host_lpi_enable(V4_DOORBELL0 + i, true);
        hv_printf("gicv4: direct injection of virtual LPIs %s\n", ok ? "on" : "off (no GICv4 ITS)");
        __atomic_store_n(&v4_state, ok ? 1 : -1, __ATOMIC_RELEASE);
    }
    spin_unlock(&v4_init_lock);
    return v4_state > 0;
}

/* The VM's configuration copy from the guest's table (vCPU 0's GICR_PROPBASER, within its
 * IDbits); intid 0: all of it, else that one byte. */
static void prop_sync(struct vm *vm, uint32_t intid)
{
    struct v4_vm *m = &v4vm[vm->id];
    struct vcpu *v = &vm->vcpu[0];
    uint64_t base = PROPBASER_PA(__atomic_load_n(&v->arch.vgic.propbaser, __ATOMIC_RELAXED));
    uint32_t limit = vgic_lpi_limit(v);
    if (limit > (1u << GITS_VLPI_ID_BITS))
        limit = 1u << GITS_VLPI_ID_BITS;
    uint32_t first = intid ? intid : VGIC_LPI_BASE, end = intid ? intid + 1 : (1u << GITS_VLPI_ID_BITS);
    for (uint32_t i = first; i < end; i += 4096) {
        uint32_t n = end - i < 4096 ? end - i : 4096;
        uint8_t *dst = m->prop + (i - VGIC_LPI_BASE);
        if (i >= limit || guest_read(&vm->slots, base + (i - VGIC_LPI_BASE), dst, n))
            memset(dst, 0, n);
        else if (i + n > limit)
            memset(dst + (limit - i), 0, i + n - limit);
    }
    dsb(sy);                                    /* the GIC reads it from memory */
}

/* v's vPE, VMAPP'd on first use. ITS lock of v's VM held. */
static bool vpe_get(struct vcpu *v)
{
    struct v4_vpe *p = &v4vpe[vpe_id(v)];
    struct v4_vm *m = &v4vm[v->vm->id];
    if (__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE))
        return true;
    if (!m->prop) {
        uint64_t pa = hv_page_alloc(V4_PROP_BYTES / PAGE_SIZE, PAGE_SIZE);
        if (!pa)
            return false;
        m->prop = (uint8_t *)(uintptr_t)pa;
        prop_sync(v->vm, 0);
    }
    if (!p->vpt_pa && !(p->vpt_pa = hv_page_alloc((V4_VPT_BYTES + PAGE_SIZE - 1) / PAGE_SIZE, 65536)))
        return false;
    if (!gits_vmapp(vpe_id(v), v->pcpu, p->vpt_pa, true) || !gits_vsync(vpe_id(v)))
        return false;
    __atomic_store_n(&p->ready, 1, __ATOMIC_RELEASE);
    return true;
}

static struct v4_event *event_find(struct v4_vm *m, uint32_t gdev, uint32_t gevent, bool alloc)
{
    struct v4_event *free = NULL;
    for (uint32_t i = 0; i < V4_EVENTS; i++) {
        struct v4_event *e = &m->ev[i];
        if (e->used && e->gdev == gdev && e->gevent == gevent)
            return e;
        if (!e->used && !free)
            free = e;
    }
    return alloc ? free : NULL;
}

/* The host event of (gdev, gevent) pointing at (vcpu, intid): VMAPTI, VMOVI or
 * DISCARD + VMAPTI as needed. False when it cannot be mirrored (then it stays emulated). */
static bool event_sync(struct vm *vm, uint32_t gdev, uint32_t gevent, uint32_t vcpu, uint32_t intid,
                       struct v4_ref *r)
{
    struct v4_vm *m = &v4vm[vm->id];
    if (m->broken || intid >= (1u << GITS_VLPI_ID_BITS) || vcpu >= vm->vcpu_count)
        return false;
    if (!ref_find(vm, gdev, gevent, true, r))
        return false;
    if (!*r->dev_mapped) {
        if (!gits_mapd(r->hdev, r->itt_bits)) {
            if (r->dev_mapped == &m->dev_mapped)
                m->broken = true;
            return false;
        }
        *r->dev_mapped = true;
    }
    struct vcpu *v = &vm->vcpu[vcpu];
    if (m->stale_prop && m->prop) {
        prop_sync(vm, 0);
        m->stale_prop = false;
    }
    if (!vpe_get(v))
        return false;
    struct v4_event *e = r->e;
    uint32_t vpe = vpe_id(v);
    if (e->used && e->intid == intid && e->vcpu == vcpu)
        return true;
    bool ok;
    if (e->used && e->intid == intid) {
        ok = gits_vmovi(r->hdev, r->hev, vpe, V4_DOORBELL0 + vpe);
    } else {
        if (e->used)
            gits_discard(r->hdev, r->hev);
        ok = gits_vmapti(r->hdev, r->hev, vpe, intid, V4_DOORBELL0 + vpe);
    }
    ok = ok && gits_vsync(vpe);
    if (!ok)                                    /* never leave a half-made mapping behind */
        gits_discard(r->hdev, r->hev);
    *e = (struct v4_event){ .used = ok, .gdev = gdev, .gevent = gevent, .vcpu = vcpu, .intid = intid };
    return ok;
}

/* MAPD V=0: every mirrored event of guest device gdev DISCARDed (their pending vLPIs go). */
static void unmap_device(struct vm *vm, uint32_t gdev)
{
    struct v4_vm *m = &v4vm[vm->id];
    for (uint32_t i = 0; i < V4_EVENTS; i++) {
        struct v4_event *e = &m->ev[i];
        if (e->used && e->gdev == gdev) {
            gits_discard(host_dev(vm), i);
            gits_vsync(vpe_id(&vm->vcpu[e->vcpu]));
            e->used = false;
        }
    }
    for (uint32_t f = 0; f < VPCI_MAX_FUNCS; f++) {
        struct v4_pci *pd = &m->pci[f];
        for (uint32_t i = 0; pd->used && pd->gdev == gdev && i < V4_PCI_EVENTS; i++) {
            if (!pd->ev[i].used)
                continue;
            gits_discard(pd->hdev, i);
            gits_vsync(vpe_id(&vm->vcpu[pd->ev[i].vcpu]));
            pd->ev[i].used = false;
        }
    }
}

/* its_env.fwd (vgic_its.h), ITS lock of vm held. */
bool vgic_v4_its_fwd(struct vm *vm, enum its_fwd_op op, uint32_t gdev, uint32_t gevent,
                     uint32_t vcpu, uint32_t intid)
{
    if (!v4_on() || vm->id >= VM_MAX_VMS)
        return false;
    struct v4_ref r;
    switch (op) {
    case ITS_FWD_MAP:
    case ITS_FWD_MOVE:
        event_sync(vm, gdev, gevent, vcpu, intid, &r);
        return false;
    case ITS_FWD_UNMAP:
        if (ref_find(vm, gdev, gevent, false, &r)) {
            gits_discard(r.hdev, r.hev);
            gits_vsync(vpe_id(&vm->vcpu[r.e->vcpu]));
            r.e->used = false;
        }
        return false;
    case ITS_FWD_INT:
        /* The emulated vGIC ignores LPIs while GICR_CTLR.EnableLPIs is 0: so does this. */
        if (vcpu >= vm->vcpu_count ||
            !(__atomic_load_n(&vm->vcpu[vcpu].arch.vgic.ctlr, __ATOMIC_RELAXED) & 1) ||
            intid >= vgic_lpi_limit(&vm->vcpu[vcpu]))
            return false;
        if (!event_sync(vm, gdev, gevent, vcpu, intid, &r))
            return false;
        if (!gits_int(r.hdev, r.hev))
            return false;
        __atomic_fetch_add(&vm->lpi_direct, 1, __ATOMIC_RELAXED);
        return true;
    case ITS_FWD_UNMAP_DEVICE:
        unmap_device(vm, gdev);
        return false;
    case ITS_FWD_CLEAR:
        if (!ref_find(vm, gdev, gevent, false, &r))
            return false;
        gits_clear(r.hdev, r.hev);
        gits_vsync(vpe_id(&vm->vcpu[r.e->vcpu]));
        return true;
    }
    return false;
}

bool vgic_v4_enabled(void)
{
    return v4_on();
}

void vgic_v4_its_reset(struct vm *vm)
{
    if (__atomic_load_n(&v4_state, __ATOMIC_ACQUIRE) <= 0 || vm->id >= VM_MAX_VMS)
        return;
    struct v4_vm *m = &v4vm[vm->id];
    for (uint32_t i = 0; i < V4_EVENTS; i++) {
        struct v4_event *e = &m->ev[i];
        if (!e->used)
            continue;
        gits_discard(host_dev(vm), i);
        gits_vsync(vpe_id(&vm->vcpu[e->vcpu]));
        e->used = false;
    }
    for (uint32_t f = 0; f < VPCI_MAX_FUNCS; f++) {
        struct v4_pci *pd = &m->pci[f];
        for (uint32_t i = 0; pd->used && i < V4_PCI_EVENTS; i++) {
            if (!pd->ev[i].used)
                continue;
            gits_discard(pd->hdev, i);
            gits_vsync(vpe_id(&vm->vcpu[pd->ev[i].vcpu]));
            pd->ev[i].used = false;
        }
    }
    m->stale_prop = true;
}

/* INV / INVALL (ITS lock held): refresh the copy, INV the mirrored events it concerns. */
void vgic_v4_config_changed(struct vm *vm, uint32_t intid)
{
    if (__atomic_load_n(&v4_state, __ATOMIC_ACQUIRE) <= 0 || vm->id >= VM_MAX_VMS)
        return;
    struct v4_vm *m = &v4vm[vm->id];
    if (!m->prop)
        return;
    prop_sync(vm, intid);
    for (uint32_t i = 0; i < V4_EVENTS; i++) {
        struct v4_event *e = &m->ev[i];
        if (e->used && (!intid || e->intid == intid)) {
            gits_inv(host_dev(vm), i);
            gits_vsync(vpe_id(&vm->vcpu[e->vcpu]));
        }
    }
    for (uint32_t f = 0; f < VPCI_MAX_FUNCS; f++) {
        struct v4_pci *pd = &m->pci[f];
        for (uint32_t i = 0; pd->used && i < V4_PCI_EVENTS; i++) {
            struct v4_event *e = &pd->ev[i];
            if (e->used && (!intid || e->intid == intid)) {
                gits_inv(pd->hdev, i);
                gits_vsync(vpe_id(&vm->vcpu[e->vcpu]));
            }
        }
    }
}

/* Before each entry, on v's pCPU: v's vPE resident (if it has one). */
void vgic_v4_load(struct vcpu *v)
{
    if (__atomic_load_n(&v4_state, __ATOMIC_ACQUIRE) <= 0)
        return;
    uint32_t cpu = arch_cpu_index();
    if (cpu >= HV_MAX_CPUS || resident[cpu] == v)
        return;
    if (resident[cpu]) {
        gicv4_vpe_unload(cpu);
        resident[cpu] = NULL;
    }
    struct v4_vpe *p = &v4vpe[vpe_id(v)];
    if (!__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE))
        return;
    gicv4_vpe_load(cpu, (uint64_t)(uintptr_t)v4vm[v->vm->id].prop, p->vpt_pa, !p->loaded_once);
    p->loaded_once = true;
    resident[cpu] = v;
}

/* v blocks (WFI), on its pCPU: non-resident, so its doorbell can wake it. True when it
 * already has pending vLPIs (PendingLast): it should not sleep. */
bool vgic_v4_put(struct vcpu *v)
{
    if (__atomic_load_n(&v4_state, __ATOMIC_ACQUIRE) <= 0)
        return false;
    uint32_t cpu = arch_cpu_index();
    if (cpu >= HV_MAX_CPUS || resident[cpu] != v)
        return false;
    resident[cpu] = NULL;
    return gicv4_vpe_unload(cpu);
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

void vgic_v4_register_doorbells(void)
{
    if (GICV4_DIRECT)
        host_irq_register(V4_DOORBELL0, V4_VPES, doorbell_irq);
}
