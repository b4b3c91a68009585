/* test_vgic_v4.c: GICv4 direct injection's mirror of the guest's ITS on the physical ITS
 * (vgic_v4_mirror.c), its vPEs (vgic_v4_vpe.c) and LPI configuration copy (vgic_v4_prop.c),
 * driven by guest ITS commands through the emulated ITS and its binding, over a fake
 * physical ITS (fake_gits.c) that rejects anything a real one would. */
#include <criterion/criterion.h>
#include <string.h>
#include "fake_gits.h"
#include "fake_vm_env.h"
#include "vgic_internal.h"
#include "vgic_its.h"
#include "vgic_v4.h"

#define CQ_GPA   FAKE_CQ_GPA
#define ITT_GPA  (FAKE_RAM_BASE + 0x30000)    /* 0x1000 per guest DeviceID */
#define PROP_GPA (FAKE_RAM_BASE + 0x60000)    /* GICR_PROPBASER: IDbits 16 -> 56 KiB */
#define VCPUS    3

static struct vm vm;
static uint32_t cq_tail;

static void setup(void)
{
    fake_gits_reset();
    memset(fake_ram, 0, sizeof(fake_ram));
    memset(fake_pci, 0, sizeof(fake_pci));
    fake_v4_on = true;
    memset(&vm, 0, sizeof(vm));
    vm.id = 1;                                /* vPE IDs 1 * VM_MAX_VCPUS + vCPU */
    vm.vcpu_count = VCPUS;
    for (uint32_t i = 0; i < VCPUS; i++)
        vm.vcpu[i] = (struct vcpu){ .vm = &vm, .id = i, .pcpu = i + 1, .power = VCPU_ON };
    cr_assert(vgic_vm_init(&vm));
    cr_assert(vgic_its_init(&vm));
    for (uint32_t i = 0; i < VCPUS; i++) {
        vm.vcpu[i].arch.vgic.propbaser = PROP_GPA | (VGIC_LPI_ID_BITS - 1);
        vm.vcpu[i].arch.vgic.ctlr |= 1;       /* GICR_CTLR.EnableLPIs */
    }
    fake_vm_its_start(&vm);
    cq_tail = 0;
}

/* Whatever a test did, the physical ITS never saw a command it would reject. */
static void teardown(void)
{
    cr_expect_eq(fake_gits.errors, 0, "fake ITS: %s", fake_gits.last_error);
}

TestSuite(vgic_v4, .init = setup, .fini = teardown);

/* One guest command, processed; it must be accepted by the emulated ITS. */
static void cmd(uint64_t dw0, uint64_t dw1, uint64_t dw2, uint64_t dw3)
{
    uint64_t c[4] = { dw0, dw1, dw2, dw3 };
    struct its_state *its = &vm.arch.its.state;
    uint64_t errors = its->error_count;
    memcpy(fake_ram + (CQ_GPA - FAKE_RAM_BASE) + cq_tail, c, sizeof(c));
    cq_tail = (cq_tail + 32) % 4096;
    its_reg_write(its, GITS_CWRITER, 8, cq_tail);
    cr_assert_eq(its->error_count, errors, "guest command 0x%02x failed: 0x%06x", (unsigned)(dw0 & 0xff),
                 its->last_error);
}

static void mapd_at(uint32_t dev, uint32_t event_bits, uint64_t itt)
{
    cmd(ITS_CMD_MAPD | (uint64_t)dev << 32, event_bits - 1, 1ull << 63 | itt, 0);
}
static void mapd(uint32_t dev, uint32_t event_bits) { mapd_at(dev, event_bits, ITT_GPA + dev * 0x1000ull); }
static void mapd_off(uint32_t dev) { cmd(ITS_CMD_MAPD | (uint64_t)dev << 32, 0, 0, 0); }
static void mapc(uint32_t icid, uint32_t vcpu) { cmd(ITS_CMD_MAPC, 0, 1ull << 63 | (uint64_t)vcpu << 16 | icid, 0); }
static void mapc_off(uint32_t icid) { cmd(ITS_CMD_MAPC, 0, icid, 0); }
static void mapti(uint32_t dev, uint32_t ev, uint32_t intid, uint32_t icid)
{
    cmd(ITS_CMD_MAPTI | (uint64_t)dev << 32, (uint64_t)intid << 32 | ev, icid, 0);
}
static void movi(uint32_t dev, uint32_t ev, uint32_t icid) { cmd(ITS_CMD_MOVI | (uint64_t)dev << 32, ev, icid, 0); }
static void event_cmd(uint8_t nr, uint32_t dev, uint32_t ev) { cmd(nr | (uint64_t)dev << 32, ev, 0, 0); }
static void invall(uint32_t icid) { cmd(ITS_CMD_INVALL, 0, icid, 0); }

static uint32_t vpe_of(uint32_t vcpu) { return vm.id * VM_MAX_VCPUS + vcpu; }

/* The mirror's record of a guest event. */
struct find { uint32_t gdev, gevent; bool found; struct vgic_v4_event_view v; uint32_t count; };
static void find_one(void *ctx, const struct vgic_v4_event_view *ev)
{
    struct find *f = ctx;
    f->count++;
    if (ev->gdev == f->gdev && ev->gevent == f->gevent) {
        f->found = true;
        f->v = *ev;
    }
}
static struct find mirrored(uint32_t gdev, uint32_t gevent)
{
    struct find f = { .gdev = gdev, .gevent = gevent };
    vgic_v4_mirror_walk(&vm, find_one, &f);
    return f;
}

/* The physical ITS's mapping of a guest event (NULL when the mirror has no host event). */
static const struct fake_gits_event *host_event(uint32_t gdev, uint32_t gevent)
{
    struct find f = mirrored(gdev, gevent);
    if (!f.found || !f.v.host)
        return NULL;
    const struct fake_gits_event *e = fake_gits_event(f.v.hdev, f.v.hev);
    return e && e->kind != FAKE_EV_NONE ? e : NULL;
}

static void expect_virt(uint32_t gdev, uint32_t gevent, uint32_t vcpu, uint32_t intid)
{
    const struct fake_gits_event *e = host_event(gdev, gevent);
    cr_assert_not_null(e, "guest event (%u, %u) not mapped on the physical ITS", gdev, gevent);
    cr_assert_eq(e->kind, FAKE_EV_VIRT);
    cr_assert_eq(e->vpe, vpe_of(vcpu), "vPE %u, want %u", e->vpe, vpe_of(vcpu));
    cr_assert_eq(e->intid, intid, "vINTID %u, want %u", e->intid, intid);
    cr_assert_eq(e->doorbell, V4_DOORBELL0 + vpe_of(vcpu), "doorbell %u", e->doorbell);
}

Test(vgic_v4, mapti_is_a_vmapti_to_the_collections_vpe_with_its_doorbell)
{
    mapd(1, 4);
    mapc(2, 1);
    mapti(1, 5, 8200, 2);
    expect_virt(1, 5, 1, 8200);
    cr_assert_eq(fake_gits_count("VMAPTI"), 1);
    /* The vPE was made first, on the redistributor of the vCPU's pCPU. */
    cr_assert(fake_gits.vpe[vpe_of(1)].mapped);
    cr_assert_eq(fake_gits.vpe[vpe_of(1)].cpu, 2);
    cr_assert_eq(fake_gits_mapped_count(), 1);
}

Test(vgic_v4, mapi_maps_the_eventid_as_the_vintid)
{
    mapd(1, 16);
    mapc(0, 0);
    cmd(ITS_CMD_MAPI | 1ull << 32, 8300, 0, 0);
    expect_virt(1, 8300, 0, 8300);
}

Test(vgic_v4, movi_is_a_vmovi_to_the_new_vpe)
{
    mapd(1, 4);
    mapc(2, 1);
    mapc(3, 2);
    mapti(1, 5, 8200, 2);
    movi(1, 5, 3);
    expect_virt(1, 5, 2, 8200);
    cr_assert_eq(fake_gits_count("VMOVI"), 1);
    cr_assert_eq(fake_gits_last("VMOVI")->vpe, vpe_of(2));
    cr_assert_eq(fake_gits_count("DISCARD"), 0, "a move must not drop a pending vLPI");
}

Test(vgic_v4, mapc_retarget_moves_the_collections_events_only)
{
    mapd(1, 4);
    mapc(2, 1);
    mapc(3, 1);
    mapti(1, 5, 8200, 2);
    mapti(1, 6, 8201, 3);
    mapc(2, 0);
    expect_virt(1, 5, 0, 8200);
    expect_virt(1, 6, 1, 8201);
    cr_assert_eq(fake_gits_count("VMOVI"), 1);
}

Test(vgic_v4, mapc_unmap_discards_and_a_new_mapc_maps_again)
{
    mapd(1, 4);
    mapc(2, 1);
    mapti(1, 5, 8200, 2);
    mapc_off(2);
    cr_assert_null(host_event(1, 5));
    cr_assert_eq(fake_gits_mapped_count(), 0);
    mapc(2, 2);
    expect_virt(1, 5, 2, 8200);
}

Test(vgic_v4, event_mapped_before_its_collection_is_mirrored_at_the_mapc)
{
    mapd(1, 4);
    mapti(1, 5, 8200, 4);
    cr_assert(mirrored(1, 5).found, "recorded");
    cr_assert_eq(fake_gits_mapped_count(), 0);
    cr_assert_eq(fake_gits_count("VMAPTI"), 0);
    mapc(4, 2);
    expect_virt(1, 5, 2, 8200);
}

Test(vgic_v4, remapping_an_event_to_another_intid_discards_then_vmaptis)
{
    mapd(1, 4);
    mapc(0, 0);
    mapti(1, 5, 8200, 0);
    mapti(1, 5, 8210, 0);
    expect_virt(1, 5, 0, 8210);
    cr_assert_eq(fake_gits_count("DISCARD"), 1);
    cr_assert_eq(fake_gits_mapped_count(), 1);
}

Test(vgic_v4, discard_removes_the_host_event)
{
    mapd(1, 4);
    mapc(0, 0);
    mapti(1, 5, 8200, 0);
    mapti(1, 6, 8201, 0);
    event_cmd(ITS_CMD_DISCARD, 1, 5);
    cr_assert_not(mirrored(1, 5).found);
    cr_assert_eq(fake_gits_mapped_count(), 1);
    expect_virt(1, 6, 0, 8201);
}

Test(vgic_v4, mapd_v0_discards_every_event_of_that_device_only)
{
    mapd(1, 4);
    mapd(2, 4);
    mapc(0, 0);
    mapti(1, 5, 8200, 0);
    mapti(1, 6, 8201, 0);
    mapti(2, 5, 8202, 0);
    mapd_off(1);
    cr_assert_not(mirrored(1, 5).found);
    cr_assert_not(mirrored(1, 6).found);
    cr_assert_eq(fake_gits_mapped_count(), 1);
    expect_virt(2, 5, 0, 8202);
}

/* Found by fuzz_vgic_v4: a MAPD V=1 that made a mapped device's ITT smaller left the events
 * beyond it mapped on the physical ITS, so an assigned function's MSI still reached the guest
 * for an event its ITS no longer translates. */
Test(vgic_v4, mapd_to_a_smaller_itt_discards_the_events_beyond_it)
{
    mapd(2, 6);
    mapc(0, 0);
    mapti(2, 1, 8200, 0);
    mapti(2, 2, 8201, 0);
    mapd(2, 1);                               /* EventIDs 0 and 1 only */
    cr_assert_not(mirrored(2, 2).found);
    cr_assert_eq(fake_gits_mapped_count(), 1);
    expect_virt(2, 1, 0, 8200);
}

Test(vgic_v4, mapd_to_another_itt_discards_every_event_of_the_device)
{
    mapd(2, 6);
    mapc(0, 0);
    mapti(2, 1, 8200, 0);
    mapd_at(2, 6, ITT_GPA + 0x8000);
    cr_assert_not(mirrored(2, 1).found);
    cr_assert_eq(fake_gits_mapped_count(), 0);
}

Test(vgic_v4, mapd_to_a_larger_same_itt_keeps_the_events)
{
    mapd(2, 2);
    mapc(0, 0);
    mapti(2, 1, 8200, 0);
    mapd(2, 6);
    expect_virt(2, 1, 0, 8200);
    cr_assert_eq(fake_gits_count("DISCARD"), 0);
}

Test(vgic_v4, int_is_a_physical_int_not_an_injection)
{
    mapd(1, 4);
    mapc(0, 1);
    mapti(1, 5, 8200, 0);
    event_cmd(ITS_CMD_INT, 1, 5);
    cr_assert(host_event(1, 5)->pending);
    cr_assert_eq(fake_gits_last("INT")->device_id, mirrored(1, 5).v.hdev);
    cr_assert_eq(vm.lpi_direct, 1);
    cr_assert_eq(vm.lpi_injected, 0);
}

Test(vgic_v4, clear_is_a_physical_clear)
{
    mapd(1, 4);
    mapc(0, 1);
    mapti(1, 5, 8200, 0);
    event_cmd(ITS_CMD_INT, 1, 5);
    event_cmd(ITS_CMD_CLEAR, 1, 5);
    cr_assert_not(host_event(1, 5)->pending);
    cr_assert_eq(fake_gits_count("CLEAR"), 1);
}

/* The configuration byte of intid in the hypervisor's copy and in the guest's table. */
static uint8_t copy_byte(uint32_t intid) { return ((uint8_t *)(uintptr_t)vgic_v4_prop_pa(&vm))[intid - 8192]; }
static void guest_byte(uint32_t intid, uint8_t v) { fake_ram[PROP_GPA - FAKE_RAM_BASE + intid - 8192] = v; }

Test(vgic_v4, inv_is_an_inv_and_refreshes_the_config_copy)
{
    guest_byte(8200, 0xa1);
    mapd(1, 4);
    mapc(0, 0);
    mapti(1, 5, 8200, 0);
    mapti(1, 6, 8201, 0);
    cr_assert_eq(copy_byte(8200), 0xa1, "copied when the vPE was made");
    guest_byte(8200, 0x40);
    cr_assert_eq(copy_byte(8200), 0xa1, "only INV makes a change visible");
    uint64_t written = fake_gits.tables_written;
    event_cmd(ITS_CMD_INV, 1, 5);
    cr_assert_eq(copy_byte(8200), 0x40);
    cr_assert_gt(fake_gits.tables_written, written, "the copy made visible to the GIC");
    cr_assert_eq(fake_gits_count("INV"), 1, "only the event of that INTID");
    cr_assert_eq(fake_gits_last("INV")->event_id, mirrored(1, 5).v.hev);
}

/* A vLPI pending while disabled, enabled by INV while its vPE is not resident: no doorbell rings
 * for it (GICv4.0), so the vCPU is kicked out of WFI to become resident. */
Test(vgic_v4, inv_kicks_the_events_vcpu)
{
    mapd(1, 4);
    mapc(0, 1);
    mapti(1, 5, 8200, 0);
    uint32_t before = fake_vm_kicks[1];
    event_cmd(ITS_CMD_INV, 1, 5);
    cr_assert_gt(fake_vm_kicks[1], before, "the vCPU of the event's collection is kicked");
}

Test(vgic_v4, invall_refreshes_the_whole_copy_and_invs_every_event)
{
    mapd(1, 4);
    mapc(0, 0);
    mapti(1, 5, 8200, 0);
    mapti(1, 6, 9000, 0);
    guest_byte(8200, 0x11);
    guest_byte(9000, 0x21);
    invall(0);
    cr_assert_eq(copy_byte(8200), 0x11);
    cr_assert_eq(copy_byte(9000), 0x21);
    cr_assert_eq(fake_gits_count("INV"), 2);
}

Test(vgic_v4, assigned_pci_function_events_are_on_its_requester_id)
{
    fake_pci[0] = (struct fake_pci_func){ true, 8, 0x42 };
    mapd(8, 5);
    mapc(0, 2);
    mapti(8, 3, 8300, 0);
    expect_virt(8, 3, 2, 8300);
    cr_assert_eq(mirrored(8, 3).v.hdev, 0x42);
    cr_assert_eq(mirrored(8, 3).v.hev, 3, "the EventID the device sends");
    mapd_off(8);
    cr_assert_eq(fake_gits_mapped_count(), 0);
}

Test(vgic_v4, vm_reset_leaves_nothing_mapped_and_rereads_the_config)
{
    fake_pci[0] = (struct fake_pci_func){ true, 8, 0x42 };
    guest_byte(8200, 0xa1);
    mapd(1, 4);
    mapd(8, 5);
    mapc(0, 0);
    mapc(1, 1);
    mapti(1, 5, 8200, 0);
    mapti(1, 6, 8201, 1);
    mapti(8, 3, 8300, 1);
    cr_assert_eq(fake_gits_mapped_count(), 3);
    vgic_its_reset(&vm);
    cr_assert_eq(fake_gits_mapped_count(), 0);
    cr_assert_eq(mirrored(0, 0).count, 0, "the mirror forgot every event");
    /* The guest starts again with another configuration: the copy follows. */
    guest_byte(8200, 0x31);
    fake_vm_its_start(&vm);
    cq_tail = 0;
    mapd(1, 4);
    mapc(0, 0);
    mapti(1, 5, 8200, 0);
    expect_virt(1, 5, 0, 8200);
    cr_assert_eq(copy_byte(8200), 0x31);
}

Test(vgic_v4, residency_loads_the_vpe_with_the_copy_and_reports_pending_vlpis)
{
    mapd(1, 4);
    mapc(0, 0);
    mapti(1, 5, 8200, 0);
    vgic_v4_load(&vm.vcpu[0]);                /* fake_arch: pCPU 0 */
    cr_assert(fake_gits.rd[0].valid);
    cr_assert_eq(fake_gits.rd[0].vprop_pa, vgic_v4_prop_pa(&vm));
    cr_assert_eq(fake_gits.rd[0].vpt_pa, fake_gits.vpe[vpe_of(0)].vpt_pa);
    vgic_v4_load(&vm.vcpu[0]);                /* still resident: nothing written */
    event_cmd(ITS_CMD_INT, 1, 5);
    cr_assert(vgic_v4_put(&vm.vcpu[0]), "PendingLast: do not sleep");
    cr_assert_not(fake_gits.rd[0].valid);
    cr_assert_not(vgic_v4_put(&vm.vcpu[0]), "already non-resident");
}

Test(vgic_v4, without_gicv4_nothing_reaches_the_physical_its)
{
    fake_v4_on = false;
    mapd(1, 4);
    mapc(0, 0);
    mapti(1, 5, 8200, 0);
    event_cmd(ITS_CMD_INT, 1, 5);
    cr_assert_eq(fake_gits.commands, 0);
    cr_assert_eq(vm.lpi_injected, 1, "emulated");
}

/* Requester IDs an assigned function may have: below the ITS's DeviceIDs, and under GICv4 not
 * one of the VM_MAX_VMS at the top that carry the VMs' emulated events (else two VMs share
 * one physical ITT). */
Test(vgic_v4, requester_ids_of_the_emulated_devices_and_beyond_the_its_are_refused)
{
    uint32_t limit = 0;
    cr_assert_null(vgic_v4_requester_id_refusal(0x0020, true, &limit));
    cr_assert_eq(limit, FAKE_GITS_DEVICES);
    cr_assert_null(vgic_v4_requester_id_refusal(FAKE_GITS_DEVICES - VM_MAX_VMS - 1, true, &limit));
    for (uint32_t id = 0; id < VM_MAX_VMS; id++)
        cr_assert_not_null(vgic_v4_requester_id_refusal(FAKE_GITS_DEVICES - 1 - id, true, &limit),
                           "the emulated host DeviceID of VM %u", id);
    cr_assert_null(vgic_v4_requester_id_refusal(FAKE_GITS_DEVICES - 1, false, &limit), "GICv3: no emulated ones");
    cr_assert_not_null(vgic_v4_requester_id_refusal(FAKE_GITS_DEVICES, true, &limit));
    cr_assert_not_null(vgic_v4_requester_id_refusal(FAKE_GITS_DEVICES, false, &limit));
    cr_assert_not_null(vgic_v4_requester_id_refusal(0xffff, false, &limit));
}
