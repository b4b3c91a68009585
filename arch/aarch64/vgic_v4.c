/* vgic_v4.c: GICv4.0 direct injection of virtual LPIs (Arm IHI 0069, "Virtual LPI support").
 *
 * When the host GIC is v4 (redistributors with VLPIS, an ITS with GITS_TYPER.Virtual) each
 * vCPU becomes a vPE on the physical ITS (VMAPP, targeting the redistributor of the pCPU the
 * vCPU is pinned to) with its own virtual pending table (VPT). An event the guest maps on its
 * emulated ITS (vgic_its_cmd.c, its_env.fwd) is mirrored on the physical ITS, VMAPTI'd to the
 * target vPE with the guest's vINTID: the events of the VM's emulated devices on one host
 * device per VM (host DeviceID at the top of the Device table minus the VM index, one host
 * EventID per guest (DeviceID, EventID)), the events of an assigned PCI function on the
 * function's own requester ID with the guest's EventID (pci_assign.c), which is what the
 * device's MSI carries. The guest's INT (and GITS_TRANSLATER MSI) becomes a physical INT on
 * that host event; a device's MSI is translated by the physical ITS itself: either way the
 * GIC makes the vLPI pending in the VPT and delivers it to the resident vPE through the
 * virtual CPU interface, with no list register and no hypervisor injection. MOVI -> VMOVI,
 * MAPC of the event's collection -> VMOVI (or DISCARD when unmapped), DISCARD and MAPD V=0 ->
 * DISCARD, CLEAR -> CLEAR, INV/INVALL -> INV of the mirrored events; VSYNC after each. An
 * event whose collection is not mapped yet is recorded and mirrored at the MAPC.
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
static void for_each_event(struct vm *vm, void (*fn)(struct vm *vm, struct v4_ref *r, uint32_t arg), uint32_t arg)
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

/* The host event off the physical ITS (its pending vLPI goes with it). */
static void host_discard(struct vm *vm, struct v4_ref *r)
{
    if (!r->e->host)
        return;
    gits_discard(r->hdev, r->hev);
    gits_vsync(vpe_id(&vm->vcpu[r->e->vcpu]));
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
    if (m->stale_prop && m->prop) {
        prop_sync(vm, 0);
        m->stale_prop = false;
    }
    if (!vpe_get(v))
        return false;
    uint32_t vpe = vpe_id(v);
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

static void forget(struct vm *vm, struct v4_ref *r, uint32_t gdev)
{
    if (r->e->gdev != gdev)
        return;
    host_discard(vm, r);
    r->e->used = false;
}

static void forget_all(struct vm *vm, struct v4_ref *r, uint32_t unused)
{
    (void)unused;
    host_discard(vm, r);
    r->e->used = false;
}

/* MAPC: the events of collection icid follow it to vCPU vcpu (VMOVI carries a pending vLPI
 * along), or lose their host event when it is unmapped. */
static void retarget(struct vm *vm, struct v4_ref *r, uint32_t icid_vcpu)
{
    struct v4_event *e = r->e;
    uint32_t icid = icid_vcpu >> 16, vcpu = icid_vcpu & 0xFFFF;
    if (e->icid != icid)
        return;
    struct v4_ref again;
    event_sync(vm, e->gdev, e->gevent, icid, vcpu == 0xFFFF ? ITS_FWD_NO_VCPU : vcpu, e->intid, &again);
}

/* its_env.fwd (vgic_its.h), ITS lock of vm held. */
bool vgic_v4_its_fwd(struct vm *vm, enum its_fwd_op op, uint32_t gdev, uint32_t gevent, uint32_t icid,
                     uint32_t vcpu, uint32_t intid)
{
    if (!v4_on() || vm->id >= VM_MAX_VMS)
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
    case ITS_FWD_UNMAP:
        if (ref_find(vm, gdev, gevent, false, &r))
            forget(vm, &r, gdev);
        return false;
    case ITS_FWD_UNMAP_DEVICE:
        for_each_event(vm, forget, gdev);
        return false;
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
        gits_vsync(vpe_id(&vm->vcpu[r.e->vcpu]));
        return true;
    }
    return false;
}

bool vgic_v4_enabled(void)
{
    return v4_on();
}

/* The ITS was reset: every event forgotten, the configuration copy re-read at the next use. */
void vgic_v4_its_reset(struct vm *vm)
{
    if (__atomic_load_n(&v4_state, __ATOMIC_ACQUIRE) <= 0 || vm->id >= VM_MAX_VMS)
        return;
    for_each_event(vm, forget_all, 0);
    v4vm[vm->id].stale_prop = true;
}

static void inv(struct vm *vm, struct v4_ref *r, uint32_t intid)
{
    if (r->e->host && (!intid || r->e->intid == intid)) {
        gits_inv(r->hdev, r->hev);
        gits_vsync(vpe_id(&vm->vcpu[r->e->vcpu]));
    }
}

/* INV / INVALL (ITS lock held): refresh the copy, INV the mirrored events it concerns. */
void vgic_v4_config_changed(struct vm *vm, uint32_t intid)
{
    if (__atomic_load_n(&v4_state, __ATOMIC_ACQUIRE) <= 0 || vm->id >= VM_MAX_VMS)
        return;
    if (!v4vm[vm->id].prop)
        return;
    prop_sync(vm, intid);
    for_each_event(vm, inv, intid);
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
