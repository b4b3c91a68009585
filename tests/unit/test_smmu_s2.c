/* test_smmu_s2.c: the per-VM SMMU stage 2 (arch/aarch64/smmu_s2.c) over a fake SMMUv3 driver:
 * what the table maps (memslots at guest addresses, read-only ones read-only, the ITS doorbell
 * page, nothing else), that it follows a change of the VM's memory with a TLB invalidation of
 * the VM's VMID over the changed range, the STE it asks for, when bus mastering must be
 * withheld, and how faults are reported (naming the VM, repeats in a page once). */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host_platform.h"
#include "page_alloc.h"
#include "smmu_s2.h"
#include "smmuv3.h"
#include "stage2.h"
#include "vm.h"

#define MIB (1ull << 20)
#define ITS_BASE 0x08080000ull
#define DOORBELL (ITS_BASE + 0x10000)
#define RAM_GPA 0x40000000ull
#define RAM_HPA 0x57e00000ull
#define ROM_GPA 0x50000000ull
#define ROM_HPA 0x60000000ull

struct host_platform host_platform;

/* ---- hv_page_alloc over the host heap (tables are dereferenced at their "physical" address) */
uint64_t hv_page_alloc(uint64_t page_count, uint64_t align_bytes)
{
    void *p = aligned_alloc(align_bytes, page_count * PAGE_SIZE);
    memset(p, 0, page_count * PAGE_SIZE);
    return (uint64_t)(uintptr_t)p;
}
void hv_page_free(uint64_t base, uint64_t page_count) { (void)page_count; free((void *)(uintptr_t)base); }

/* ---- the fake SMMUv3: what was asked of it --------------------------------------------- */
static struct smmuv3_caps fake_caps;
static bool fake_present, fake_up;
static uint32_t ste_sid, ste_vmid_seen, abort_sid, tlbi_count;
static uint64_t ste_ttb, tlbi_ipa, tlbi_size;
static uint16_t tlbi_vmid;
static struct smmuv3_event fake_events[8];
static unsigned fake_event_count, fake_event_next;

bool smmuv3_probe(uint64_t base, struct smmuv3_caps *caps)
{
    (void)base;
    *caps = fake_caps;
    return fake_present;
}
bool smmuv3_init(uint64_t base, uint32_t sid_bits)
{
    (void)base;
    cr_assert_eq(sid_bits, 8, "bus 0 only: 256 StreamIDs");
    fake_up = true;
    return true;
}
bool smmuv3_ready(void) { return fake_up; }
uint32_t smmuv3_sid_limit(void) { return fake_up ? 256 : 0; }
bool smmuv3_ste_stage2(uint32_t sid, uint16_t vmid, uint64_t s2ttb)
{
    ste_sid = sid;
    ste_vmid_seen = vmid;
    ste_ttb = s2ttb;
    return true;
}
static uint32_t bypass_sid = ~0u;
bool smmuv3_ste_abort(uint32_t sid)
{
    abort_sid = sid;
    return true;
}
bool smmuv3_ste_bypass(uint32_t sid)
{
    bypass_sid = sid;
    return true;
}
bool smmuv3_tlbi_s2(uint16_t vmid, uint64_t ipa, uint64_t size_bytes)
{
    tlbi_vmid = vmid;
    tlbi_ipa = ipa;
    tlbi_size = size_bytes;
    tlbi_count++;
    return true;
}
bool smmuv3_next_event(struct smmuv3_event *ev, bool *overflowed)
{
    *overflowed = false;
    if (fake_event_next == fake_event_count)
        return false;
    *ev = fake_events[fake_event_next++];
    return true;
}

/* ---- a VM: 16 MiB RAM, a 2 MiB read-only region ----------------------------------------- */
static struct vm vm;

static void setup(void)
{
    memset(&vm, 0, sizeof(vm));
    vm.id = 0;
    vm.name = "dma";
    vm.arch.vmid = 1;
    memslots_init(&vm.slots);
    cr_assert_eq(memslot_set(&vm.slots, 0, RAM_GPA, 16 * MIB, RAM_HPA, MEMSLOT_RAM), MEMSLOT_OK);
    cr_assert_eq(memslot_set(&vm.slots, 1, ROM_GPA, 2 * MIB, ROM_HPA, MEMSLOT_READONLY), MEMSLOT_OK);
    host_platform = (struct host_platform){ .source = "test" };
    host_platform.its = (struct host_range){ ITS_BASE, 0x20000 };
    host_platform.pci_bus_end = 0;
    fake_caps = (struct smmuv3_caps){ .s1p = true, .s2p = true, .vmid16 = true, .sid_bits = 16, .oas_bits = 44,
                                      .oas_field = 4 };
    fake_present = true;
    tlbi_count = 0;
}

static uint64_t *identity_ptr(void *ctx, uint64_t pa) { (void)ctx; return (uint64_t *)(uintptr_t)pa; }
static const struct pt_env reader = { .table_ptr = identity_ptr };

/* The table the STE points at, read with the same walker. */
static struct pgtable mirror(void)
{
    return (struct pgtable){ .fmt = &aarch64_stage2_format, .env = &reader, .root_pa = ste_ttb };
}

static void expect_map(uint64_t ipa, uint64_t want_pa, uint32_t want_perms, const char *what)
{
    struct pgtable pt = mirror();
    uint64_t pa = 0;
    uint32_t perms = 0;
    cr_assert(pt_lookup(&pt, ipa, &pa, &perms, NULL), "%s: 0x%lx not mapped", what, (unsigned long)ipa);
    cr_assert_eq(pa, want_pa, "%s: 0x%lx -> 0x%lx, want 0x%lx", what, (unsigned long)ipa, (unsigned long)pa,
                 (unsigned long)want_pa);
    cr_assert_eq(perms & (PT_R | PT_W | PT_DEVICE), want_perms, "%s: perms 0x%x, want 0x%x", what, perms, want_perms);
}

static void expect_unmapped(uint64_t ipa, const char *what)
{
    struct pgtable pt = mirror();
    uint64_t pa;
    cr_assert(!pt_lookup(&pt, ipa, &pa, NULL, NULL), "%s: 0x%lx mapped to 0x%lx", what, (unsigned long)ipa,
              (unsigned long)pa);
}

/* Each test starts from a fresh process (Criterion forks), so smmu_s2.c's state is new. */
Test(smmu_s2, no_smmu_withholds_bus_mastering, .init = setup)
{
    host_platform.smmu.size_bytes = 0;
    smmu_s2_init();
    cr_assert_str_eq(smmu_s2_unavailable(0x20), "no SMMUv3 on this host");
    cr_assert(!smmu_s2_attach(&vm, 0x20));
}

Test(smmu_s2, stage1_only_smmu_withholds_bus_mastering, .init = setup)
{
    host_platform.smmu = (struct host_range){ 0x09050000, 0x20000 };
    fake_caps.s2p = false;
    smmu_s2_init();
    cr_assert_str_eq(smmu_s2_unavailable(0x20), "the SMMUv3 has no stage 2 (SMMU_IDR0.S2P=0)");
    cr_assert(!smmu_s2_attach(&vm, 0x20));
    cr_assert(!fake_up, "a stage-1-only SMMU is left alone");
}

Test(smmu_s2, stream_beyond_the_table_withholds_bus_mastering, .init = setup)
{
    host_platform.smmu = (struct host_range){ 0x09050000, 0x20000 };
    smmu_s2_init();
    cr_assert_null(smmu_s2_unavailable(0x20));
    cr_assert_not_null(smmu_s2_unavailable(0x100), "bus 1 is beyond a bus-0 stream table");
}

Test(smmu_s2, attach_maps_exactly_the_vms_memory_and_the_doorbell, .init = setup)
{
    host_platform.smmu = (struct host_range){ 0x09050000, 0x20000 };
    smmu_s2_init();
    cr_assert(smmu_s2_attach(&vm, 0x20));
    cr_assert_eq(ste_sid, 0x20);
    cr_assert_eq(ste_vmid_seen, 1, "the STE carries the VM's VMID");
    cr_assert_neq(ste_ttb, 0);
    expect_map(RAM_GPA, RAM_HPA, PT_R | PT_W, "RAM start");
    expect_map(RAM_GPA + 16 * MIB - 8, RAM_HPA + 16 * MIB - 8, PT_R | PT_W, "RAM end");
    expect_map(ROM_GPA + 0x1234, ROM_HPA + 0x1234, PT_R, "read-only region");
    expect_map(DOORBELL + 0x40, DOORBELL + 0x40, PT_R | PT_W | PT_DEVICE, "GITS_TRANSLATER");
    expect_unmapped(RAM_GPA + 16 * MIB, "past RAM");
    expect_unmapped(RAM_HPA, "the VM's RAM at its host address");
    expect_unmapped(ITS_BASE, "the ITS control frame");
    expect_unmapped(DOORBELL + 0x1000, "the rest of the doorbell frame");
    expect_unmapped(0x10000000, "a BAR");
    cr_assert_geq(tlbi_count, 1);
    cr_assert_eq(tlbi_vmid, 1);
}

/* Before the fix the mirror took the slot lock its caller holds: a deadlock (the timeout). */
Test(smmu_s2, follows_a_memory_change_with_a_tlb_invalidation, .init = setup, .timeout = 10)
{
    host_platform.smmu = (struct host_range){ 0x09050000, 0x20000 };
    smmu_s2_init();
    cr_assert(smmu_s2_attach(&vm, 0x20));
    /* The region goes away, a new one appears: the CPU's stage 2 changed over both ranges.
     * As at run time (memslot_run.c, dirty_log.c), the change and its notification happen
     * under the slot lock. */
    spin_lock(&vm.slots.lock);
    cr_assert_eq(memslot_set_locked(&vm.slots, 1, ROM_GPA, 0, 0, 0), MEMSLOT_OK);
    tlbi_count = 0;
    smmu_s2_stage2_changed(&vm, ROM_GPA, 2 * MIB);
    spin_unlock(&vm.slots.lock);
    expect_unmapped(ROM_GPA + 0x1234, "deleted region");
    cr_assert_geq(tlbi_count, 1, "no SMMU TLB invalidation after the change");
    cr_assert_eq(tlbi_vmid, 1);
    cr_assert(tlbi_ipa <= ROM_GPA && tlbi_ipa + tlbi_size >= ROM_GPA + 2 * MIB, "invalidated 0x%lx+0x%lx",
              (unsigned long)tlbi_ipa, (unsigned long)tlbi_size);
    spin_lock(&vm.slots.lock);
    cr_assert_eq(memslot_set_locked(&vm.slots, 2, 0x48000000, 4 * MIB, 0x61000000, 0), MEMSLOT_OK);
    smmu_s2_stage2_changed(&vm, 0x48000000, 4 * MIB);
    spin_unlock(&vm.slots.lock);
    expect_map(0x48000000 + 0x2000, 0x61000000 + 0x2000, PT_R | PT_W, "added region");
    expect_map(RAM_GPA, RAM_HPA, PT_R | PT_W, "RAM untouched");
}

Test(smmu_s2, other_vms_are_not_touched, .init = setup)
{
    host_platform.smmu = (struct host_range){ 0x09050000, 0x20000 };
    smmu_s2_init();
    struct vm other = vm;
    other.id = 1;
    other.arch.vmid = 2;
    tlbi_count = 0;
    smmu_s2_stage2_changed(&other, 0, 1ull << 48);
    cr_assert_eq(tlbi_count, 0, "a VM with no assigned function costs the SMMU nothing");
}

Test(smmu_s2, detach_aborts_the_stream, .init = setup)
{
    host_platform.smmu = (struct host_range){ 0x09050000, 0x20000 };
    smmu_s2_init();
    cr_assert(smmu_s2_attach(&vm, 0x20));
    abort_sid = 0;
    smmu_s2_detach(0x20);
    cr_assert_eq(abort_sid, 0x20);
}

Test(smmu_s2, faults_name_the_vm_once_per_page, .init = setup)
{
    host_platform.smmu = (struct host_range){ 0x09050000, 0x20000 };
    smmu_s2_init();
    cr_assert(smmu_s2_attach(&vm, 0x20));
    cr_redirect_stderr();
    fake_events[0] = (struct smmuv3_event){ 0x10, 0x20, 0x75a00000, false, true };
    fake_events[1] = (struct smmuv3_event){ 0x10, 0x20, 0x75a00004, false, true };   /* same page */
    fake_events[2] = (struct smmuv3_event){ 0x10, 0x20, 0x75a00ffc, true, true };    /* a read */
    fake_events[3] = (struct smmuv3_event){ 0x02, 0x28, 0, false, false };           /* nobody's */
    fake_event_count = 4;
    smmu_s2_poll_events();
    fflush(stderr);
    cr_assert_stderr_eq_str(
        "smmu: vm dma: DMA write by pci 00:04.0 at 0x75a00000 faulted (F_TRANSLATION, stage 2), not performed "
        "(repeats in that page not shown)\n"
        "smmu: vm dma: DMA read by pci 00:04.0 at 0x75a00ffc faulted (F_TRANSLATION, stage 2), not performed "
        "(repeats in that page not shown)\n"
        "smmu: write by stream 0x28 (no VM) at 0x0: C_BAD_STREAMID\n");
}

/* The hypervisor's own NIC: its stream bypasses the SMMU where one is up, nothing without one. */
Test(smmu_s2, host_device_bypasses_only_with_an_smmu, .init = setup)
{
    host_platform.smmu.size_bytes = 0;
    smmu_s2_init();
    smmu_s2_host_device(0x10);
    cr_assert_eq(bypass_sid, ~0u, "no SMMU: no stream table entry written");
    host_platform.smmu = (struct host_range){ 0x09050000, 0x20000 };
    smmu_s2_init();
    smmu_s2_host_device(0x10);
    cr_assert_eq(bypass_sid, 0x10, "the NIC's stream set to bypass");
}
