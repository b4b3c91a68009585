/* vgic_v4_mirror.c: GICv4.0 mirror of the guest's ITS on the physical ITS (Arm IHI 0069, 5.3
 * "ITS commands", GICv4 VMAPTI/VMOVI/VSYNC). An event the guest maps on its emulated ITS
 * (vgic_its_cmd.c, its_env.fwd) is VMAPTI'd to the target vPE with the guest's vINTID and
 * the vPE's doorbell: the events of the VM's emulated devices on one host device per VM (host
 * DeviceID at the top of the Device table minus the VM index, one host EventID per guest
 * (DeviceID, EventID)), the events of an assigned PCI function on the function's own
 * requester ID with the guest's EventID (pci_assign.c), which is what the device's MSI
 * carries. The guest's INT (and GITS_TRANSLATER MSI) becomes a physical INT on that host
 * event; a device's MSI is translated by the physical ITS itself. MOVI -> VMOVI, MAPC of the
 * event's collection -> VMOVI (or DISCARD when unmapped), DISCARD and MAPD V=0 -> DISCARD,
 * CLEAR -> CLEAR, INV/INVALL -> INV of the mirrored events; VSYNC after each. A MAPD V=1 that
 * gives a mapped device another ITT, or a smaller one, DISCARDs the events it drops. An event whose
 * collection is not mapped yet is recorded and mirrored at the MAPC.
 *
 * Locking: the mirror of a VM is changed only under its emulated ITS's lock (all callers are
 * ITS commands); the physical ITS has its own lock (drivers/gicv3_its.c). */
#include "arch_guest.h"
#include "assign.h"
#include "gicv3_its.h"
#include "vgic_internal.h"
#include "vgic_v4.h"
#include "vpci.h"

#define V4_ITT_BITS   6                         /* host EventIDs per VM */
#define V4_EVENTS     (1u << V4_ITT_BITS)
#define V4_PCI_BITS   5                         /* EventIDs of an assigned PCI function */
#define V4_PCI_EVENTS (1u << V4_PCI_BITS)

struct v4_event {
    bool used;                                  /* the guest has it mapped (recorded here) */
    bool host;                                  /* VMAPTI'd on the physical ITS */
    uint32_t gdev, gevent;                      /* the guest's (DeviceID, EventID) */
    uint32_t icid;                              /* the guest's collection */
    uint32_t vcpu, intid;                       /* where the host event points (host) */
};

/* An assigned PCI function (pci_assign.c): its own host DeviceID, host EventID = the guest's. */
struct v4_pci {
    bool used, dev_mapped;
    uint32_t gdev, hdev;
    struct v4_event ev[V4_PCI_EVENTS];
};

static struct v4_vm {
    bool dev_mapped, broken;
    struct v4_pci pci[VPCI_MAX_FUNCS];
    struct v4_event ev[V4_EVENTS];
} v4vm[VM_MAX_VMS];                             /* the VM's ITS lock */

/* Emulated devices' events of a VM: one host device per VM, at the top of the host's
 * DeviceID space. Those VM_MAX_VMS DeviceIDs are reserved: an assigned PCI function whose
 * requester ID is one of them is refused (vgic_v4_requester_id_refusal), or two VMs would
 * share one physical ITT. */
static uint32_t host_dev(const struct vm *vm)
{
    return gits_device_limit() - 1 - vm->id;
}

const char *vgic_v4_requester_id_refusal(uint32_t rid, bool direct, uint32_t *device_limit)
{
    *device_limit = gits_device_limit();
    if (!*device_limit)
        return NULL;           /* no physical ITS set up yet: pci_assign.c's gits_mapd decides */
    if (rid >= *device_limit)
        return "beyond the physical ITS's DeviceIDs: its MSIs would be lost";
    if (direct && rid >= *device_limit - VM_MAX_VMS)
        return "a DeviceID the physical ITS reserves for the VMs' emulated devices (GICv4)";
    return NULL;
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
    struct v4_event *free = NULL;
    for (uint32_t i = 0; i < V4_EVENTS; i++) {
        struct v4_event *e = &m->ev[i];
        if (e->used && e->gdev == gdev && e->gevent == gevent) {
            free = e;
            break;
        }
        if (!e->used && !free && alloc)
            free = e;
    }
    if (!free)
        return false;
    *r = (struct v4_ref){ host_dev(vm), (uint32_t)(free - m->ev), V4_ITT_BITS, &m->dev_mapped, free };
    return true;
}

/* Every recorded event of vm, as a ref. */
static void for_each_event(struct vm *vm, void (*fn)(struct vm *vm, struct v4_ref *r, uintptr_t arg), uintptr_t arg)
{
    struct v4_vm *m = &v4vm[vm->id];
    for (uint32_t i = 0; i < V4_EVENTS; i++) {
        struct v4_ref r = { host_dev(vm), i, V4_ITT_BITS, &m->dev_mapped, &m->ev[i] };
        if (m->ev[i].used)
            fn(vm, &r, arg);
    }
    for (uint32_t f = 0; f < VPCI_MAX_FUNCS; f++) {
        struct v4_pci *pd = &m->pci[f];
        for (uint32_t i = 0; pd->used && i < V4_PCI_EVENTS; i++) {
            struct v4_ref r = { pd->hdev, i, V4_PCI_BITS, &pd->dev_mapped, &pd->ev[i] };
            if (pd->ev[i].used)
                fn(vm, &r, arg);
        }
    }
}

/* The host event off the physical ITS (its pending vLPI goes with it). */
static void host_discard(struct vm *vm, struct v4_ref *r)
{
    if (!r->e->host)
        return;
    gits_discard(r->hdev, r->hev);
    gits_vsync(vgic_v4_vpe_id(&vm->vcpu[r->e->vcpu]));
    r->e->host = false;
}

/* Records (gdev, gevent) -> (icid, intid) and makes its host event point at (vcpu, intid):
 * VMAPTI, VMOVI or DISCARD + VMAPTI as needed; vcpu ITS_FWD_NO_VCPU (the collection is not
 * mapped): recorded, no host event. False when it has no host event (then it is emulated). */
static bool event_sync(struct vm *vm, uint32_t gdev, uint32_t gevent, uint32_t icid, uint32_t vcpu,
                       uint32_t intid, struct v4_ref *r)
{
    struct v4_vm *m = &v4vm[vm->id];
    if (m->broken || intid >= (1u << GITS_VLPI_ID_BITS) || !ref_find(vm, gdev, gevent, true, r))
        return false;
    struct v4_event *e = r->e;
    if (!e->used)
        *e = (struct v4_event){ .used = true, .gdev = gdev, .gevent = gevent };
    e->icid = icid;
    if (vcpu >= vm->vcpu_count) {
        host_discard(vm, r);
        e->intid = intid;
        return false;
    }
    if (!*r->dev_mapped) {
        if (!gits_mapd(r->hdev, r->itt_bits)) {
            if (r->dev_mapped == &m->dev_mapped)
                m->broken = true;
            return false;
        }
        *r->dev_mapped = true;
    }
    struct vcpu *v = &vm->vcpu[vcpu];
    if (!vgic_v4_prop_get(vm) || !vgic_v4_vpe_get(v))
        return false;
    uint32_t vpe = vgic_v4_vpe_id(v);
    if (e->host && e->intid == intid && e->vcpu == vcpu)
        return true;
    bool ok;
    if (e->host && e->intid == intid) {
        ok = gits_vmovi(r->hdev, r->hev, vpe, V4_DOORBELL0 + vpe);
    } else {
        if (e->host)
            gits_discard(r->hdev, r->hev);
        ok = gits_vmapti(r->hdev, r->hev, vpe, intid, V4_DOORBELL0 + vpe);
    }
    ok = ok && gits_vsync(vpe);
    if (!ok)                                    /* never leave a half-made mapping behind */
        gits_discard(r->hdev, r->hev);
    e->host = ok;
    e->vcpu = vcpu;
    e->intid = intid;
    return ok;
}

/* The events of a device from an EventID up (MAPD). */
struct v4_span {
    uint32_t gdev, first_event;
};

static void forget(struct vm *vm, struct v4_ref *r, uintptr_t arg)
{
    const struct v4_span *span = (const struct v4_span *)arg;
    if (r->e->gdev != span->gdev || r->e->gevent < span->first_event)
        return;
    host_discard(vm, r);
    r->e->used = false;
}

static void forget_all(struct vm *vm, struct v4_ref *r, uintptr_t unused)
{
    (void)unused;
    host_discard(vm, r);
    r->e->used = false;
}

/* MAPC: the events of collection icid follow it to vCPU vcpu (VMOVI carries a pending vLPI
 * along), or lose their host event when it is unmapped. */
static void retarget(struct vm *vm, struct v4_ref *r, uintptr_t icid_vcpu)
{
    struct v4_event *e = r->e;
    uint32_t icid = (uint32_t)(icid_vcpu >> 16), vcpu = icid_vcpu & 0xFFFF;
    if (e->icid != icid)
        return;
    struct v4_ref again;
    event_sync(vm, e->gdev, e->gevent, icid, vcpu == 0xFFFF ? ITS_FWD_NO_VCPU : vcpu, e->intid, &again);
}

/* its_env.fwd (vgic_its.h), ITS lock of vm held. */
bool vgic_v4_its_fwd(struct vm *vm, enum its_fwd_op op, uint32_t gdev, uint32_t gevent, uint32_t icid,
                     uint32_t vcpu, uint32_t intid)
{
    if (!vgic_v4_on() || vm->id >= VM_MAX_VMS)
        return false;
    struct v4_ref r;
    switch (op) {
    case ITS_FWD_MAP:
    case ITS_FWD_MOVE:
        event_sync(vm, gdev, gevent, icid, vcpu, intid, &r);
        return false;
    case ITS_FWD_RETARGET:
        if (icid <= 0xFFFF)
            for_each_event(vm, retarget, icid << 16 | (vcpu < vm->vcpu_count ? vcpu : 0xFFFF));
        return false;
    case ITS_FWD_UNMAP: {
        struct v4_span one = { gdev, gevent };
        if (ref_find(vm, gdev, gevent, false, &r))
            forget(vm, &r, (uintptr_t)&one);
        return false;
    }
    case ITS_FWD_UNMAP_DEVICE: {
        struct v4_span from = { gdev, gevent };
        for_each_event(vm, forget, (uintptr_t)&from);
        return false;
    }
    case ITS_FWD_INT:
        /* The emulated vGIC ignores LPIs while GICR_CTLR.EnableLPIs is 0: so does this. */
        if (vcpu >= vm->vcpu_count ||
            !(__atomic_load_n(&vm->vcpu[vcpu].arch.vgic.ctlr, __ATOMIC_RELAXED) & 1) ||
            intid >= vgic_lpi_limit(&vm->vcpu[vcpu]))
            return false;
        if (!event_sync(vm, gdev, gevent, icid, vcpu, intid, &r))
            return false;
        if (!gits_int(r.hdev, r.hev))
            return false;
        __atomic_fetch_add(&vm->lpi_direct, 1, __ATOMIC_RELAXED);
        return true;
    case ITS_FWD_CLEAR:
        if (!ref_find(vm, gdev, gevent, false, &r) || !r.e->host)
            return false;
        gits_clear(r.hdev, r.hev);
        gits_vsync(vgic_v4_vpe_id(&vm->vcpu[r.e->vcpu]));
        return true;
    }
    return false;
}

/* The ITS was reset: every event forgotten, the configuration copy re-read at the next use. */
void vgic_v4_its_reset(struct vm *vm)
{
    if (!vgic_v4_active() || vm->id >= VM_MAX_VMS)
        return;
    for_each_event(vm, forget_all, 0);
    vgic_v4_prop_stale(vm);
}

/* A vLPI already pending in a non-resident vPE's table that INV just enabled raises no doorbell
 * (GICv4.0 rings it only for an interrupt arriving for a non-resident vPE): kick the vCPU so it
 * leaves WFI, becomes resident and the GIC delivers it (KVM does the same after an INV). */
static void inv(struct vm *vm, struct v4_ref *r, uintptr_t intid)
{
    if (r->e->host && (!intid || r->e->intid == intid)) {
        struct vcpu *v = &vm->vcpu[r->e->vcpu];
        gits_inv(r->hdev, r->hev);
        gits_vsync(vgic_v4_vpe_id(v));
        arch_vcpu_kick(v);
    }
}

/* INV / INVALL (ITS lock held): refresh the copy, INV the mirrored events it concerns. */
void vgic_v4_config_changed(struct vm *vm, uint32_t intid)
{
    if (!vgic_v4_active() || vm->id >= VM_MAX_VMS)
        return;
    if (vgic_v4_prop_refresh(vm, intid))
        for_each_event(vm, inv, intid);
}

struct walk {
    void (*fn)(void *ctx, const struct vgic_v4_event_view *ev);
    void *ctx;
};

static void walk_one(struct vm *vm, struct v4_ref *r, uintptr_t arg)
{
    (void)vm;
    const struct walk *w = (const struct walk *)arg;
    const struct v4_event *e = r->e;
    struct vgic_v4_event_view view = { e->gdev, e->gevent, e->icid, r->hdev, r->hev, e->host, e->vcpu, e->intid };
    w->fn(w->ctx, &view);
}

void vgic_v4_mirror_walk(struct vm *vm, void (*fn)(void *ctx, const struct vgic_v4_event_view *ev), void *ctx)
{
    struct walk w = { fn, ctx };
    if (vm->id < VM_MAX_VMS)
        for_each_event(vm, walk_one, (uintptr_t)&w);
}
