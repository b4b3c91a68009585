/* smmu_s2.c: DMA isolation of assigned PCI functions: each function's stream translates through
 * an SMMU stage-2 table of its VM (Arm IHI 0070 3.3.2, "stage 2 only").
 *
 * The table mirrors the VM's memslots (its RAM and regions at their guest addresses, read-only
 * ones read-only) in the stage-2 format the CPU uses (stage2.c, one walker), plus one page the
 * CPU's stage 2 does not have: the host ITS's GITS_TRANSLATER frame at its own address, so the
 * function's MSIs (which pci_assign.c points there) reach the ITS. Sharing the CPU's tables
 * would give the guest's vCPUs that page too. Device ranges and BARs are not in it: no
 * peer-to-peer DMA. Every change of the VM's stage 2 is followed here (arch_stage2_tlb_invalidate
 * calls smmu_s2_stage2_changed) with CMD_TLBI_S2_IPA or CMD_TLBI_S12_VMALL and CMD_SYNC.
 * Dirty logging does not apply to DMA: the mirror stays writable.
 *
 * StreamID = requester ID (the IORT / iommu-map identity of QEMU virt). Without an SMMU that
 * has stage 2 (QEMU 7.2's SMMUv3 is stage 1 only) an assigned function gets no bus mastering:
 * pci_assign.c clears PCI_COMMAND.Bus Master on its way to the device. */
#include <inttypes.h>
#include "host_platform.h"
#include "kernel.h"
#include "memslot.h"
#include "page_alloc.h"
#include "smmu_s2.h"
#include "smmuv3.h"
#include "stage2.h"
#include "vm.h"

#define SID_BITS_MAX 12u                 /* linear stream table: buses 0-15, 256 KiB */
#define GITS_TRANSLATER_FRAME 0x10000u   /* Arm IHI 0069 12.19: second 64 KiB ITS frame */
#define FAULT_LINES_PER_VM 16u          /* distinct pages; then one 'not shown' line */
#define ATTACH_MAX 64u

/* Boot CPU writes these before the VMs start (smmu_s2_init, smmu_s2_attach); read-only later. */
static const char *unavailable = "no SMMU probed yet";
static struct smmu_vm {
    struct pgtable pt;
    struct pt_env env;
    struct vm *vm;                       /* NULL: no table built */
    uint32_t faults_shown;               /* atomic */
} smmu_vms[VM_MAX_VMS];
static struct {
    struct vm *vm;                       /* NULL: free */
    uint16_t sid;
} streams[ATTACH_MAX];

static uint64_t t_alloc(void *ctx) { (void)ctx; return hv_page_alloc(1, PAGE_SIZE); }
static void t_free(void *ctx, uint64_t pa) { (void)ctx; hv_page_free(pa, 1); }
static uint64_t *t_ptr(void *ctx, uint64_t pa) { (void)ctx; return (uint64_t *)(uintptr_t)pa; }
static void t_tlbi(void *ctx, uint64_t ipa, uint64_t size)
{
    smmuv3_tlbi_s2(((struct smmu_vm *)ctx)->vm->arch.vmid, ipa, size);
}

void smmu_s2_init(void)
{
    const struct host_platform *p = &host_platform;
    struct smmuv3_caps caps;
    if (!p->smmu.size_bytes) {
        hv_printf("cap: smmu=none (%s describes no SMMUv3): assigned PCI functions get no bus mastering\n",
                  p->source);
        unavailable = "no SMMUv3 on this host";
        return;
    }
    if (!smmuv3_probe(p->smmu.base, &caps)) {
        hv_printf("cap: smmu=none (listed at 0x%" PRIx64 " but not answering): assigned PCI functions get no bus "
                  "mastering\n", p->smmu.base);
        unavailable = "the SMMUv3 does not answer";
        return;
    }
    if (!caps.s2p) {
        hv_printf("cap: smmu=stage1-only base=0x%" PRIx64 " (SMMU_IDR0 S1P=%u S2P=0): assigned PCI functions get no "
                  "bus mastering, their DMA could not be confined to their VM\n", p->smmu.base, caps.s1p);
        unavailable = "the SMMUv3 has no stage 2 (SMMU_IDR0.S2P=0)";
        return;
    }
    uint32_t bus_bits = 0;
    while ((1u << bus_bits) < p->pci_bus_end + 1u)
        bus_bits++;
    uint32_t sid_bits = 8 + bus_bits;
    if (sid_bits > SID_BITS_MAX)
        sid_bits = SID_BITS_MAX;
    if (sid_bits > caps.sid_bits)
        sid_bits = caps.sid_bits;
    if (!smmuv3_init(p->smmu.base, sid_bits)) {
        hv_printf("cap: smmu=failed base=0x%" PRIx64 " (stream table, queues or SMMUEN did not come up): assigned "
                  "PCI functions get no bus mastering\n", p->smmu.base);
        unavailable = "the SMMUv3 did not initialise";
        return;
    }
    unavailable = NULL;
    hv_printf("cap: smmu=stage2 base=0x%" PRIx64 " (SMMU_IDR0 S1P=%u S2P=1 VMID16=%u, OAS %" PRIu32 " bits, %" PRIu32
              " streams): assigned PCI functions DMA through their VM's stage 2\n", p->smmu.base, caps.s1p,
              caps.vmid16, caps.oas_bits, smmuv3_sid_limit());
}

const char *smmu_s2_unavailable(uint16_t bdf)
{
    if (unavailable)
        return unavailable;
    if (bdf >= smmuv3_sid_limit())
        return "its requester ID is beyond the SMMU's stream table (buses 0-15)";
    return NULL;
}

static bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    return a_size && b_size && a <= b + (b_size - 1) && b <= a + (a_size - 1);
}

static uint64_t doorbell_page(void)
{
    const struct host_platform *p = &host_platform;
    return p->its.size_bytes > GITS_TRANSLATER_FRAME ? p->its.base + GITS_TRANSLATER_FRAME : 0;
}

/* The mirror over [ipa, ipa+size): the memslots' parts inside it, the doorbell page if it
 * falls inside; everything else there unmapped. The caller holds the VM's slot lock: run-time
 * stage-2 changes (memslot_run.c, dirty_log.c) make and announce them under it, so taking it
 * here deadlocked a memslot deletion or a dirty-logging fault of a VM with an assigned
 * function; boot-time ones run before anything else can change the slots. */
static bool mirror_range(struct smmu_vm *m, uint64_t ipa, uint64_t size)
{
    struct vm *vm = m->vm;
    if (pt_unmap(&m->pt, ipa, size))
        return false;
    for (uint32_t i = 0; i < VM_MAX_MEMSLOTS; i++) {
        struct memslot s;
        if (!memslot_get_locked(&vm->slots, i, &s) || !overlaps(s.gpa, s.size_bytes, ipa, size))
            continue;
        uint64_t lo = s.gpa > ipa ? s.gpa : ipa;
        uint64_t hi_s = s.gpa + s.size_bytes, hi_r = ipa + size;
        uint64_t hi = hi_s < hi_r ? hi_s : hi_r;
        uint32_t perms = (s.flags & MEMSLOT_READONLY) ? PT_R : PT_R | PT_W;
        if (pt_map(&m->pt, lo, s.hpa + (lo - s.gpa), hi - lo, perms, 0))
            return false;
    }
    uint64_t db = doorbell_page();
    if (db && overlaps(db, PAGE_SIZE, ipa, size) &&
        pt_map(&m->pt, db, db, PAGE_SIZE, PT_R | PT_W | PT_DEVICE, PT_MAP_PAGES_ONLY))
        return false;
    return true;
}

static struct smmu_vm *mirror_for(struct vm *vm)
{
    struct smmu_vm *m = &smmu_vms[vm->id];
    if (m->vm == vm)
        return m;
    uint64_t db = doorbell_page();
    for (uint32_t i = 0; db && i < VM_MAX_MEMSLOTS; i++) {
        struct memslot s;
        if (memslot_get(&vm->slots, i, &s) && overlaps(s.gpa, s.size_bytes, db, PAGE_SIZE)) {
            hv_printf("vm %s: memory at 0x%" PRIx64 " covers the ITS doorbell its devices' MSIs need\n", vm->name,
                      db);
            return NULL;
        }
    }
    m->env = (struct pt_env){ t_alloc, t_free, t_ptr, t_tlbi, m };
    if (pt_init(&m->pt, &aarch64_stage2_format, &m->env)) {
        hv_printf("vm %s: out of memory for its SMMU stage-2 table\n", vm->name);
        return NULL;
    }
    m->vm = vm;
    spin_lock(&vm->slots.lock);
    bool built = mirror_range(m, 0, 1ull << 48);
    spin_unlock(&vm->slots.lock);
    if (!built) {
        hv_printf("vm %s: out of memory for its SMMU stage-2 table\n", vm->name);
        m->vm = NULL;                    /* half built: never pointed at, never followed */
        return NULL;
    }
    smmuv3_tlbi_s2(vm->arch.vmid, 0, 1ull << 48);
    return m;
}

bool smmu_s2_attach(struct vm *vm, uint16_t bdf)
{
    if (smmu_s2_unavailable(bdf) || vm->id >= VM_MAX_VMS)
        return false;
    struct smmu_vm *m = mirror_for(vm);
    uint32_t free_row = ATTACH_MAX;
    for (uint32_t i = 0; i < ATTACH_MAX; i++)
        if (!streams[i].vm && free_row == ATTACH_MAX)
            free_row = i;
    if (!m || free_row == ATTACH_MAX || !smmuv3_ste_stage2(bdf, vm->arch.vmid, m->pt.root_pa))
        return false;
    streams[free_row].sid = bdf;
    __atomic_store_n(&streams[free_row].vm, vm, __ATOMIC_RELEASE);
    return true;
}

void smmu_s2_host_device(uint16_t bdf)
{
    if (!smmuv3_ready())
        return;
    if (smmuv3_ste_bypass(bdf))
        hv_printf("smmu: %02x:%02x.%x is the hypervisor's own: its DMA bypasses the SMMU\n", bdf >> 8,
                  bdf >> 3 & 0x1f, bdf & 7);
    else
        hv_printf("smmu: %02x:%02x.%x: its stream table entry could not be written: its DMA aborts\n",
                  bdf >> 8, bdf >> 3 & 0x1f, bdf & 7);
}

void smmu_s2_detach(uint16_t bdf)
{
    if (!smmuv3_ready())
        return;
    smmuv3_ste_abort(bdf);
    for (uint32_t i = 0; i < ATTACH_MAX; i++)
        if (streams[i].vm && streams[i].sid == bdf)
            __atomic_store_n(&streams[i].vm, NULL, __ATOMIC_RELEASE);
}

void smmu_s2_stage2_changed(struct vm *vm, uint64_t ipa, uint64_t size_bytes)
{
    if (vm->id >= VM_MAX_VMS)
        return;
    struct smmu_vm *m = &smmu_vms[vm->id];
    if (m->vm != vm)
        return;                          /* no function of this VM translates through the SMMU */
    if (!mirror_range(m, ipa, size_bytes))
        hv_printf("vm %s: SMMU stage-2 table not updated for 0x%" PRIx64 "+0x%" PRIx64 " (out of memory)\n",
                  vm->name, ipa, size_bytes);
    smmuv3_tlbi_s2(vm->arch.vmid, ipa, size_bytes);
}

/* IHI 0070 7.3: event record types. */
static const char *event_name(uint8_t type)
{
    switch (type) {
    case 0x02: return "C_BAD_STREAMID";
    case 0x04: return "C_BAD_STE";
    case 0x06: return "F_STREAM_DISABLED";
    case 0x0b: return "F_WALK_EABT";
    case 0x10: return "F_TRANSLATION";
    case 0x11: return "F_ADDR_SIZE";
    case 0x12: return "F_ACCESS";
    case 0x13: return "F_PERMISSION";
    default: return "event";
    }
}

/* The last fault reported: a device moving through a page faults once per bus transaction
 * (QEMU: every 4 bytes), so repeats of it in the same 4 KiB page are not reported again. One CPU
 * at a time drains the queue (the others' ticks skip it), so the events and the repeat filter
 * see one order. */
static struct smmuv3_event last_shown;
static uint32_t draining;            /* atomic: a CPU is in smmu_s2_poll_events */

void smmu_s2_poll_events(void)
{
    struct smmuv3_event ev;
    bool overflowed;
    if (__atomic_exchange_n(&draining, 1, __ATOMIC_ACQUIRE))
        return;
    while (smmuv3_next_event(&ev, &overflowed)) {
        if (ev.sid == last_shown.sid && ev.type == last_shown.type && ev.read == last_shown.read &&
            ev.input_addr >> 12 == last_shown.input_addr >> 12)
            continue;
        last_shown = ev;
        struct vm *vm = NULL;
        for (uint32_t i = 0; i < ATTACH_MAX && !vm; i++) {
            struct vm *v = __atomic_load_n(&streams[i].vm, __ATOMIC_ACQUIRE);
            if (v && streams[i].sid == ev.sid)
                vm = v;
        }
        const char *dir = ev.read ? "read" : "write";
        if (!vm) {
            hv_printf("smmu: %s by stream 0x%" PRIx32 " (no VM) at 0x%" PRIx64 ": %s\n", dir, ev.sid,
                      ev.input_addr, event_name(ev.type));
            continue;
        }
        uint32_t n = __atomic_fetch_add(&smmu_vms[vm->id].faults_shown, 1, __ATOMIC_RELAXED);
        if (n < FAULT_LINES_PER_VM)
            hv_printf("smmu: vm %s: DMA %s by pci %02" PRIx32 ":%02" PRIx32 ".%" PRIu32 " at 0x%" PRIx64
                      " faulted (%s%s), not performed (repeats in that page not shown)\n", vm->name, dir, ev.sid >> 8, ev.sid >> 3 & 0x1f, ev.sid & 7,
                      ev.input_addr, event_name(ev.type), ev.stage2 ? ", stage 2" : "");
        else if (n == FAULT_LINES_PER_VM)
            hv_printf("smmu: vm %s: further DMA faults not shown\n", vm->name);
    }
    if (overflowed)
        hv_printf("smmu: event queue overflowed, some faults were not recorded\n");
    __atomic_store_n(&draining, 0, __ATOMIC_RELEASE);
}
