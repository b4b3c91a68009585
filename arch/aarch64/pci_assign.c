/* pci_assign.c: physical PCI functions assigned to one VM ('pci = BB:DD.F' in hv.cfg).
 *
 * The host ECAM comes from the firmware (DT pci-host-ecam-generic or ACPI MCFG); the firmware
 * has enumerated the bus and given the BARs their addresses. The VM sees the function at
 * 00:DD.F of its own ECAM at QEMU virt's high-ECAM address (kernel/vpci.c emulates the
 * configuration space), its memory BARs mapped at GPA = HPA (Device-nGnRE, never a memslot),
 * and its MSIs through its own ITS: the MSI address the guest programs is its vITS's
 * GITS_TRANSLATER, the device is given the physical one, with the guest's data (the EventID).
 * The device's requester ID is its DeviceID on both ITSes (the host msi-map / IORT mapping is
 * taken to be the identity, as on QEMU virt).
 *
 * Delivery: on a GICv4 host the guest's MAPTI of such an event becomes a VMAPTI on the
 * physical ITS (vgic_v4.c, with this file's pci_assign_host_devid), so the MSI reaches the vPE
 * without the hypervisor. On a GICv3 host every EventID the function can use is mapped at
 * assignment to a host LPI; the LPI's handler hands (DeviceID, EventID) to the VM's emulated
 * ITS, exactly as a GITS_TRANSLATER write would (the guest's tables decide where it goes).
 *
 * DMA: with an SMMUv3 that has stage 2, the function's stream translates through its VM's
 * SMMU stage 2 (smmu_s2.c): it reaches the VM's memory at guest addresses and nothing else.
 * Without one (QEMU 7.2's SMMUv3 is stage 1 only) its DMA could reach any host memory, so the
 * guest's Bus Master enable never reaches the device (PCI_COMMAND bit 2 cleared on the way):
 * no DMA, and no MSIs either (they are memory writes). The boot message says which. */
#include <inttypes.h>
#include "arch_guest.h"
#include "assign.h"
#include "boot_info.h"
#include "page_alloc.h"
#include "gicv3.h"
#include "gicv3_its.h"
#include "guest_dtb.h"
#include "host_irq.h"
#include "host_platform.h"
#include "kernel.h"
#include "pci_ecam.h"
#include "smmu_s2.h"
#include "vgic.h"
#include "vgic_its.h"
#include "vm.h"
#include "vpci.h"

#define PCI_EVENT_BITS 5                               /* EventIDs 0-31 per function */
#define PCI_EVENTS (1u << PCI_EVENT_BITS)
#define PCI_SLOTS (VM_MAX_VMS * VPCI_MAX_FUNCS)
#define PCI_LPI_BASE (GITS_LPI_BASE + VGIC_V4_DOORBELLS)  /* after the GICv4 doorbells */

struct pci_slot {
    struct vm *vm;                 /* NULL: free */
    struct pci_ecam_func host;
    uint16_t guest_devid;          /* 00:DD.F in the VM */
    bool dma_ok;                   /* its stream translates through the VM's SMMU stage 2 */
};

struct vm_pci {
    struct spinlock lock;          /* the vpci bus (guest config accesses) */
    struct vpci_bus bus;
    bool registered;               /* ECAM on vm->mmio, BARs mapped */
};

static struct pci_ecam host_ecam;
static struct pci_slot slots[PCI_SLOTS];
static struct vm_pci vm_pci[VM_MAX_VMS];

static uint32_t cfg_read(void *ctx, uint32_t off, uint32_t size)
{
    return pci_ecam_read(&((struct pci_slot *)ctx)->host, off, size);
}

static void cfg_write(void *ctx, uint32_t off, uint32_t size, uint32_t v)
{
    struct pci_slot *s = ctx;
    if (off == PCI_COMMAND && !s->dma_ok)
        v &= ~(uint32_t)PCI_COMMAND_MASTER;   /* no SMMU stage 2: the device never masters */
    pci_ecam_write(&s->host, off, size, v);
}

/* The VM's doorbell is its vITS's GITS_TRANSLATER; the device gets the host's. */
static bool msi_route(void *ctx, uint64_t gaddr, uint32_t gdata, uint64_t *haddr, uint32_t *hdata)
{
    (void)ctx;
    if (gaddr != VGIC_GITS_BASE + GITS_TRANSLATER || !host_platform.its.size_bytes)
        return false;
    *haddr = host_platform.its.base + GITS_TRANSLATER;
    *hdata = gdata;
    return true;
}

static const struct vpci_host_ops host_ops = { cfg_read, cfg_write, msi_route };

static uint64_t ecam_read(void *dev, struct vcpu *v, uint64_t off, uint32_t size)
{
    (void)v;
    struct vm_pci *p = dev;
    spin_lock(&p->lock);
    uint64_t r = vpci_ecam_read(&p->bus, off, size);
    spin_unlock(&p->lock);
    return r;
}

static void ecam_write(void *dev, struct vcpu *v, uint64_t off, uint32_t size, uint64_t value)
{
    (void)v;
    struct vm_pci *p = dev;
    spin_lock(&p->lock);
    vpci_ecam_write(&p->bus, off, size, value);
    spin_unlock(&p->lock);
}

static const struct mmio_ops ecam_ops = { ecam_read, ecam_write };

bool pci_assign_host_devid(const struct vm *vm, uint32_t guest_devid, uint32_t *host_devid)
{
    for (uint32_t i = 0; i < PCI_SLOTS; i++) {
        if (slots[i].vm == vm && slots[i].guest_devid == guest_devid) {
            *host_devid = slots[i].host.bdf;
            return true;
        }
    }
    return false;
}

/* GICv3 host: a host LPI of an assigned function's event, as an MSI to its VM's ITS. */
static enum host_irq_result pci_msi_irq(struct vcpu *cur, uint32_t intid)
{
    (void)cur;
    uint32_t n = intid - PCI_LPI_BASE;
    struct pci_slot *s = &slots[n / PCI_EVENTS];
    struct vm *vm = s->vm;
    if (vm && __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_STOPPED)
        vgic_its_msi(vm, s->guest_devid, n % PCI_EVENTS);
    return HOST_IRQ_DONE;
}

void pci_assign_register_irqs(void)
{
    host_irq_register(PCI_LPI_BASE, PCI_SLOTS * PCI_EVENTS, pci_msi_irq);
}

/* GICv3 host: every event of the function to its own host LPI, on the pCPU of vCPU 0. */
static bool map_host_lpis(struct vm *vm, struct pci_slot *s)
{
    uint32_t first = PCI_LPI_BASE + (uint32_t)(s - slots) * PCI_EVENTS;
    if (!gits_init(host_platform.its.base) || !gits_mapd(s->host.bdf, PCI_EVENT_BITS))
        return false;
    for (uint32_t e = 0; e < PCI_EVENTS; e++) {
        gits_host_lpi_enable(first + e, true);
        if (!gits_mapti(s->host.bdf, e, first + e, vm->vcpu[0].pcpu))
            return false;
    }
    return true;
}

static bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    return a_size && b_size && a <= b + (b_size - 1) && b <= a + (a_size - 1);
}

/* Memory BARs at GPA = HPA: page-aligned, clear of the VM's RAM and of everything the
 * hypervisor or the VM's emulated devices use. */
static bool map_bars(struct vm *vm, const struct config_pci *c, const struct vpci_func *f)
{
    for (int i = 0; i < VPCI_NR_BARS; i++) {
        const struct vpci_bar *b = &f->bar[i];
        if (!b->size_bytes || b->io || b->upper)
            continue;
        uint64_t size = (b->size_bytes + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
        if (!b->address || (b->address & (PAGE_SIZE - 1))) {
            hv_printf("vm %s: pci %02x:%02x.%u (line %" PRIu32 ") BAR%d at 0x%" PRIx64 " is not page-aligned "
                      "or not assigned by the firmware\n", vm->name, c->bus, c->dev, c->fn, c->line, i, b->address);
            return false;
        }
        if (overlaps(b->address, size, arch_guest_ram_base(), vm->boot->ram.size_bytes) ||
            !passthrough_range_allowed(vm, b->address, size, c->line))
            return false;
        if (pt_map(&vm->stage2, b->address, b->address, size, PT_R | PT_W | PT_DEVICE, PT_MAP_PAGES_ONLY)) {
            hv_printf("vm %s: cannot map pci BAR%d at 0x%" PRIx64 "\n", vm->name, i, b->address);
            return false;
        }
        hv_printf("vm %s: pci %02x:%02x.%u BAR%d 0x%" PRIx64 "+0x%" PRIx64 " mapped\n", vm->name, c->bus, c->dev,
                  c->fn, i, b->address, b->size_bytes);
    }
    return true;
}

static const char *const vpci_errors[] = {
    [VPCI_ERR_FULL] = "too many functions", [VPCI_ERR_DEVFN_TAKEN] = "its device number is taken",
    [VPCI_ERR_NO_DEVICE] = "no such function on the host", [VPCI_ERR_NOT_TYPE0] = "a bridge cannot be assigned",
};

static bool assign_one(struct vm *vm, struct vm_pci *p, const struct config_pci *c)
{
    struct pci_slot *s = NULL;
    for (uint32_t i = 0; i < PCI_SLOTS && !s; i++) {
        if (slots[i].vm && slots[i].host.bdf == (c->bus << 8 | c->dev << 3 | c->fn)) {
            hv_printf("vm %s: pci %02x:%02x.%u (line %" PRIu32 ") already belongs to vm %s\n", vm->name, c->bus,
                      c->dev, c->fn, c->line, slots[i].vm->name);
            return false;
        }
    }
    uint32_t rid = (uint32_t)(c->bus << 8 | c->dev << 3 | c->fn), device_limit;
    const char *refusal = vgic_v4_requester_id_refusal(rid, vgic_v4_enabled(), &device_limit);
    if (refusal) {
        hv_printf("hv.cfg:%" PRIu32 ": error: vm '%s': pci %02x:%02x.%u: requester ID 0x%04" PRIx32 " is %s "
                  "(DeviceIDs 0-0x%" PRIx32 ")\n", c->line, vm->name, c->bus, c->dev, c->fn, rid, refusal,
                  device_limit - 1);
        return false;
    }
    for (uint32_t i = 0; i < PCI_SLOTS && !s; i++)
        if (!slots[i].vm)
            s = &slots[i];
    struct vpci_func *f;
    enum vpci_error err = VPCI_ERR_NO_DEVICE;
    if (s && pci_ecam_func(&host_ecam, c->bus, c->dev, c->fn, &s->host))
        err = vpci_add(&p->bus, &host_ops, s, (uint8_t)(c->dev << 3 | c->fn), &f);
    if (err != VPCI_OK) {
        hv_printf("vm %s: pci %02x:%02x.%u (line %" PRIu32 "): %s\n", vm->name, c->bus, c->dev, c->fn, c->line,
                  s ? vpci_errors[err] : "no free slot");
        return false;
    }
    if (!map_bars(vm, c, f)) {
        p->bus.count--;
        return false;
    }
    s->guest_devid = (uint16_t)(c->dev << 3 | c->fn);
    const char *no_dma = smmu_s2_unavailable(s->host.bdf);
    if (!no_dma && !smmu_s2_attach(vm, s->host.bdf))
        no_dma = "its SMMU stream could not be set up";
    s->dma_ok = !no_dma;
    __atomic_store_n(&s->vm, vm, __ATOMIC_RELEASE);
    bool direct = vgic_v4_enabled();
    if (!direct && !map_host_lpis(vm, s)) {
        hv_printf("vm %s: pci %02x:%02x.%u: no physical ITS for its MSIs\n", vm->name, c->bus, c->dev, c->fn);
        if (s->dma_ok)
            smmu_s2_detach(s->host.bdf);
        s->vm = NULL;
        p->bus.count--;
        return false;
    }
    uint32_t id = pci_ecam_read(&s->host, PCI_VENDOR_ID, 4);
    hv_printf("vm %s: pci %02x:%02x.%u [%04" PRIx32 ":%04" PRIx32 "] assigned as 00:%02x.%u, MSI %s\n", vm->name,
              c->bus, c->dev, c->fn, id & 0xFFFF, id >> 16, c->dev, c->fn,
              !f->msi_cap ? "none (no MSI capability)" : direct ? "by GICv4 direct injection" : "through host LPIs");
    if (s->dma_ok)
        hv_printf("vm %s: pci %02x:%02x.%u DMA through the SMMU: stage 2 of VMID %u (its RAM at guest addresses "
                  "only)\n", vm->name, c->bus, c->dev, c->fn, vm->arch.vmid);
    else
        hv_printf("vm %s: pci %02x:%02x.%u gets no bus mastering (no DMA, no MSIs): %s\n", vm->name, c->bus, c->dev,
                  c->fn, no_dma);
    return true;
}

/* A VM that will not start gives its functions back (their BARs stay in its stage-2,
 * which never runs). */
static void release(struct vm *vm, struct vm_pci *p)
{
    vpci_reset(&p->bus);
    p->bus.count = 0;
    for (uint32_t i = 0; i < PCI_SLOTS; i++) {
        if (slots[i].vm != vm)
            continue;
        if (slots[i].dma_ok)
            smmu_s2_detach(slots[i].host.bdf);
        slots[i].dma_ok = false;
        __atomic_store_n(&slots[i].vm, NULL, __ATOMIC_RELEASE);
    }
}

bool pci_assign(struct vm *vm)
{
    const struct config_vm *cfg = vm->cfg;
    if (!cfg->pci_count || vm->id >= VM_MAX_VMS)
        return cfg->pci_count == 0;
    struct vm_pci *p = &vm_pci[vm->id];
    if (p->registered)
        return true;                           /* a reset: the assignment stands */
    const struct host_platform *hp = &host_platform;
    host_ecam = (struct pci_ecam){ hp->pci_ecam.base, hp->pci_bus_start, hp->pci_bus_end };
    if (!hp->pci_ecam.size_bytes) {
        hv_printf("vm %s: pci (line %" PRIu32 "): the host has no PCI ECAM (%s)\n", vm->name, cfg->pcis[0].line,
                  hp->source);
        return false;
    }
    for (uint32_t i = 0; i < cfg->pci_count; i++) {
        if (!assign_one(vm, p, &cfg->pcis[i])) {
            release(vm, p);
            return false;
        }
    }
    if (mmio_bus_register(&vm->mmio, VIRT_PCI_ECAM_BASE, VPCI_ECAM_BUS_BYTES, &ecam_ops, p, "pci-ecam") < 0) {
        hv_printf("vm %s: no room for the PCI ECAM\n", vm->name);
        release(vm, p);
        return false;
    }
    p->registered = true;
    return true;
}

void pci_assign_reset(struct vm *vm)
{
    if (vm->id >= VM_MAX_VMS)
        return;
    struct vm_pci *p = &vm_pci[vm->id];
    spin_lock(&p->lock);
    vpci_reset(&p->bus);
    spin_unlock(&p->lock);
}
