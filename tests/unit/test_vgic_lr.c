/* test_vgic_lr.c: the list registers (arch/aarch64/vgic_lr.c) over a fake ICH_* register file:
 * which interrupts vgic_flush loads and in what order, the maintenance requests in ICH_HCR_EL2,
 * and what vgic_fold reads back (Arm IHI 0069, ICH_LR<n>_EL2, ICH_HCR_EL2, ICH_VTR_EL2). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "guest.h"
#include "sysreg_table.h"
#include "vgic_internal.h"

/* ICH_LR<n>_EL2 fields (IHI 0069, ICH_LR<n>_EL2). */
#define LR_VINTID(lr)   ((uint32_t)BITS(lr, 31, 0))
#define LR_PINTID(lr)   ((uint32_t)BITS(lr, 44, 32))
#define LR_EOI          (1ull << 41)
#define LR_PRIORITY(lr) ((uint32_t)BITS(lr, 55, 48))
#define LR_GROUP        (1ull << 60)
#define LR_HW           (1ull << 61)
#define LR_PENDING      (1ull << 62)
#define LR_ACTIVE       (1ull << 63)
#define LR_STATE        (LR_PENDING | LR_ACTIVE)

#define HCR_EN   (1ull << 0)
#define HCR_UIE  (1ull << 1)
#define HCR_NPIE (1ull << 3)
#define VMCR_VEOIM (1ull << 9)

/* ICH_VTR_EL2: ListRegs [4:0] (count - 1), PREbits [28:26] (bits - 1), PRIbits [31:29]. */
static uint64_t vtr(uint32_t lr_count, uint32_t prebits)
{
    return (uint64_t)(lr_count - 1) | (uint64_t)(prebits - 1) << 26 | (uint64_t)(prebits - 1) << 29;
}

/* What the vGIC uses from the rest of the hypervisor. */
static uint32_t deactivated[VGIC_NR_PRIVATE + VGIC_NR_SPIS];
int guest_read(struct memslots *ms, uint64_t gpa, void *buf, size_t len)
{
    (void)ms, (void)gpa, (void)buf, (void)len;
    return -1;
}
int guest_write(struct memslots *ms, uint64_t gpa, const void *buf, size_t len)
{
    (void)ms, (void)gpa, (void)buf, (void)len;
    return -1;
}
void arch_vcpu_kick(struct vcpu *v) { (void)v; }
void gicv3_deactivate(uint32_t intid)
{
    if (intid < VGIC_NR_PRIVATE + VGIC_NR_SPIS)
        deactivated[intid]++;
}
/* The physical SPIs' lines as the host distributor's GICD_ISPENDR shows them. */
static bool line_high[VGIC_NR_PRIVATE + VGIC_NR_SPIS];
bool gicv3_spi_line(uint32_t intid)
{
    return intid < VGIC_NR_PRIVATE + VGIC_NR_SPIS && line_high[intid];
}

/* kernel/vcpu.c: an exit handled on the fast tier is counted there; false when work waits for
 * the pCPU (the test says which). */
static uint32_t fast_exits[EXIT_REASON_COUNT];
static bool fast_exit_may_reenter;
bool vcpu_fast_exit(struct vcpu *vcpu, struct vcpu_exit *exit)
{
    (void)vcpu;
    fast_exits[exit->reason]++;
    return fast_exit_may_reenter;
}

static struct vm vm;
static struct vcpu *v0, *v1;

static const char *lr_name(uint32_t n)
{
    static char name[24];
    snprintf(name, sizeof(name), "ich_lr%u_el2", n);
    return name;
}
static uint64_t lr(uint32_t n) { return fake_sysreg_get(lr_name(n)); }
/* The guest's CPU interface changes list register n while it runs. */
static void guest_sets_lr(uint32_t n, uint64_t value) { fake_sysreg_set(lr_name(n), value); }

/* A CPU interface with lr_count list registers and 5 preemption bits, as on the pCPU. */
static void hw_reset(uint32_t lr_count)
{
    fake_sysreg_set("ich_vtr_el2", vtr(lr_count, 5));
    vgic_vcpu_hw_reset(v0);
    vgic_vcpu_hw_reset(v1);
}

static void setup(void)
{
    memset(&vm, 0, sizeof(vm));
    memset(deactivated, 0, sizeof(deactivated));
    memset(line_high, 0, sizeof(line_high));
    memset(fast_exits, 0, sizeof(fast_exits));
    fast_exit_may_reenter = true;
    fake_sysreg_reset();
    vm.vcpu_count = 2;
    for (uint32_t i = 0; i < 2; i++) {
        vm.vcpu[i].vm = &vm;
        vm.vcpu[i].id = i;
        vm.vcpu[i].pcpu = i;
        vm.vcpu[i].power = VCPU_ON;
    }
    v0 = &vm.vcpu[0];
    v1 = &vm.vcpu[1];
    cr_assert(vgic_vm_init(&vm));
    vm.arch.vgic.ctlr = 3;                  /* GICD_CTLR.EnableGrp0 | EnableGrp1 */
    hw_reset(4);
}

TestSuite(vgic_lr, .init = setup);

/* An interrupt of v0 (SGI/PPI) or the VM (SPI, routed to v0), enabled, Group 1, prio. */
static struct vgic_irq *irq_of(uint32_t intid)
{
    return intid < VGIC_NR_PRIVATE ? &v0->arch.vgic.priv[intid] : &vm.arch.vgic.spi[intid - VGIC_NR_PRIVATE];
}
static struct vgic_irq *pend_edge(uint32_t intid, uint8_t priority)
{
    struct vgic_irq *irq = irq_of(intid);
    irq->enabled = true;
    irq->group = 1;
    irq->priority = priority;
    irq->edge = true;
    irq->latch = true;
    vgic_irq_track(irq);                    /* as vgic_irq_set_pending does */
    return irq;
}

/* The list register holding intid after the last flush, or -1. */
static int lr_holding(uint32_t intid)
{
    int found = -1;
    for (uint32_t i = 0; i < v0->arch.vgic.lr_used; i++)
        if ((lr(i) & LR_STATE) && LR_VINTID(lr(i)) == intid) {
            cr_assert_eq(found, -1, "INTID %u is in two list registers", intid);
            found = (int)i;
        }
    return found;
}

Test(vgic_lr, hw_reset_takes_list_register_count_and_binary_points_from_ich_vtr)
{
    for (uint32_t i = 0; i < 16; i++)
        guest_sets_lr(i, LR_PENDING | i);
    fake_sysreg_set("ich_vtr_el2", vtr(2, 7));
    vgic_vcpu_hw_reset(v0);
    cr_assert_eq(lr(0), 0);
    cr_assert_eq(lr(1), 0);
    cr_assert_eq(lr(2), LR_PENDING | 2, "ListRegs = 1: only ICH_LR0/1_EL2 exist");
    cr_assert_eq(fake_sysreg_write_count("ich_ap1r3_el2"), 1, "7 preemption bits: four APRs each");
    uint64_t vmcr = fake_sysreg_get("ich_vmcr_el2");
    cr_assert_eq(BITS(vmcr, 23, 21), 0, "VBPR0 minimum 7 - 7");
    cr_assert_eq(BITS(vmcr, 20, 18), 1, "VBPR1 = VBPR0 + 1");
    cr_assert_eq(fake_sysreg_get("ich_hcr_el2"), HCR_EN);

    fake_sysreg_reset();
    fake_sysreg_set("ich_vtr_el2", vtr(4, 5));
    vgic_vcpu_hw_reset(v0);
    cr_assert_eq(fake_sysreg_write_count("ich_ap1r0_el2"), 1);
    cr_assert_eq(fake_sysreg_write_count("ich_ap1r1_el2"), 0, "5 preemption bits: one APR each");
    cr_assert_eq(BITS(fake_sysreg_get("ich_vmcr_el2"), 23, 21), 2, "VBPR0 minimum 7 - 5");
}

Test(vgic_lr, flush_loads_the_highest_priority_when_more_are_pending_than_list_registers)
{
    pend_edge(1, 0xa0);                     /* SGI */
    pend_edge(2, 0xf0);                     /* SGI */
    pend_edge(20, 0x40);                    /* PPI */
    pend_edge(27, 0x60);                    /* PPI */
    pend_edge(40, 0x80);                    /* SPI */
    pend_edge(41, 0x10);                    /* SPI */
    struct vgic_irq *lpi = &v0->arch.vgic.lpi[0];
    *lpi = (struct vgic_irq){ .intid = 8192, .priority = 0x08, .group = 1, .enabled = true, .edge = true,
                              .latch = true };
    v0->arch.vgic.lpi_used |= 1;            /* slot 0 in use, as vgic_lpi.c's allocation marks it */
    vgic_flush(v0);
    cr_assert_eq(v0->arch.vgic.lr_used, 4);
    const uint32_t want[4] = { 8192, 41, 20, 27 };
    const uint32_t prio[4] = { 0x08, 0x10, 0x40, 0x60 };
    for (uint32_t i = 0; i < 4; i++) {
        cr_assert_eq(LR_VINTID(lr(i)), want[i], "LR%u holds INTID %u, want %u", i, LR_VINTID(lr(i)), want[i]);
        cr_assert_eq(LR_PRIORITY(lr(i)), prio[i]);
        cr_assert_eq(lr(i) & (LR_STATE | LR_GROUP | LR_HW), LR_PENDING | LR_GROUP);
    }
    cr_assert_eq(lr_holding(1), -1, "priority 0xa0 waits");
    cr_assert_eq(lr_holding(40), -1, "priority 0x80 waits");
    cr_assert_eq(fake_sysreg_write_count(lr_name(4)), 0, "no list register beyond ICH_VTR_EL2.ListRegs");
}

Test(vgic_lr, flush_skips_disabled_and_group_disabled_interrupts)
{
    pend_edge(20, 0x40)->enabled = false;
    pend_edge(21, 0x40)->group = 0;
    vm.arch.vgic.ctlr = 2;                  /* Group 0 off at the distributor */
    pend_edge(22, 0x40);
    vgic_flush(v0);
    cr_assert_eq(v0->arch.vgic.lr_used, 1);
    cr_assert_eq(LR_VINTID(lr(0)), 22);
}

Test(vgic_lr, overflow_asks_for_underflow_and_no_pending_maintenance)
{
    for (uint32_t i = 0; i < 5; i++)
        pend_edge(16 + i, (uint8_t)(0x10 * i));
    vgic_flush(v0);
    cr_assert_eq(fake_sysreg_get("ich_hcr_el2"), HCR_EN | HCR_UIE | HCR_NPIE, "five pending, four LRs");
}

Test(vgic_lr, no_maintenance_request_when_everything_fits)
{
    for (uint32_t i = 0; i < 4; i++)
        pend_edge(16 + i, (uint8_t)(0x10 * i));
    vgic_flush(v0);
    cr_assert_eq(v0->arch.vgic.lr_used, 4);
    cr_assert_eq(fake_sysreg_get("ich_hcr_el2"), HCR_EN);
}

Test(vgic_lr, overflow_with_only_active_list_registers_asks_for_underflow_only)
{
    /* Four active (they go first) and one more pending: NPIE would fire at once. */
    for (uint32_t i = 0; i < 4; i++) {
        struct vgic_irq *irq = pend_edge(16 + i, 0x80);
        irq->latch = false;
        irq->active = true;
    }
    pend_edge(30, 0x00);
    vgic_flush(v0);
    cr_assert_eq(lr_holding(30), -1, "the active ones keep their list registers");
    cr_assert_eq(fake_sysreg_get("ich_hcr_el2"), HCR_EN | HCR_UIE);
}

Test(vgic_lr, overflow_with_one_list_register_asks_for_no_pending_only)
{
    hw_reset(1);
    pend_edge(20, 0x10);
    pend_edge(21, 0x20);
    vgic_flush(v0);
    cr_assert_eq(LR_VINTID(lr(0)), 20);
    cr_assert_eq(fake_sysreg_get("ich_hcr_el2"), HCR_EN | HCR_NPIE, "UIE with one LR would fire at once");
}

Test(vgic_lr, fold_clears_an_interrupt_the_guest_acknowledged_and_ended)
{
    struct vgic_irq *irq = pend_edge(20, 0x40);
    vgic_flush(v0);
    guest_sets_lr(0, lr(0) & ~LR_STATE);      /* IAR then EOIR (EOImode 0) */
    vgic_fold(v0);
    cr_assert_not(irq->latch);
    cr_assert_not(irq->active);
    cr_assert_eq(irq->lr_owner, 0);
    cr_assert_eq(lr(0), 0, "fold leaves the list registers empty");
    cr_assert_eq(v0->arch.vgic.lr_used, 0);
    vgic_flush(v0);
    cr_assert_eq(v0->arch.vgic.lr_used, 0, "nothing to deliver again");
}

Test(vgic_lr, fold_keeps_an_interrupt_the_guest_did_not_take)
{
    struct vgic_irq *irq = pend_edge(20, 0x40);
    vgic_flush(v0);
    vgic_fold(v0);
    cr_assert(irq->latch);
    cr_assert_not(irq->active);
    vgic_flush(v0);
    cr_assert_eq(lr(0) & LR_STATE, LR_PENDING);
    cr_assert_eq(LR_VINTID(lr(0)), 20);
}

Test(vgic_lr, fold_sees_acknowledged_as_active_and_a_new_edge_makes_it_active_and_pending)
{
    struct vgic_irq *irq = pend_edge(40, 0x40);
    vgic_flush(v0);
    cr_assert_eq(irq->lr_owner, 1, "held by vCPU 0's list registers");
    guest_sets_lr(0, (lr(0) & ~LR_STATE) | LR_ACTIVE);   /* IAR: pending -> active */
    vgic_irq_set_pending(irq, true);                     /* the device fires again meanwhile */
    cr_assert_eq(irq->req, VGIC_REQ_PEND, "the list register is the truth until fold");
    vgic_fold(v0);
    cr_assert(irq->active);
    cr_assert(irq->latch);
    cr_assert_eq(irq->req, 0);
    vgic_flush(v0);
    cr_assert_eq(lr(0) & LR_STATE, LR_ACTIVE | LR_PENDING);
}

Test(vgic_lr, fold_of_an_acknowledged_edge_leaves_it_active_only)
{
    struct vgic_irq *irq = pend_edge(20, 0x40);
    vgic_flush(v0);
    guest_sets_lr(0, (lr(0) & ~LR_STATE) | LR_ACTIVE);
    vgic_fold(v0);
    cr_assert(irq->active);
    cr_assert_not(irq->latch, "the edge was consumed");
    vgic_flush(v0);
    cr_assert_eq(lr(0) & LR_STATE, LR_ACTIVE, "still there for the guest to end");
}

Test(vgic_lr, hw_mapped_interrupt_gets_hw_and_pintid_and_ends_the_physical_one)
{
    vgic_hw_irq_fired(v0, 27);
    struct vgic_irq *irq = &v0->arch.vgic.priv[27];
    irq->enabled = true;
    irq->group = 1;
    irq->priority = 0x20;
    vgic_flush(v0);
    uint64_t l = lr(0);
    cr_assert(l & LR_HW);
    cr_assert_eq(LR_PINTID(l), 27);
    cr_assert_eq(LR_VINTID(l), 27);
    cr_assert_eq(l & LR_STATE, LR_PENDING);
    guest_sets_lr(0, l & ~LR_STATE);          /* guest deactivation deactivates pINTID 27 too */
    vgic_fold(v0);
    cr_assert_not(irq->hw_active);
    cr_assert_not(irq->latch);
}

Test(vgic_lr, hw_mapped_interrupt_active_is_never_loaded_active_and_pending)
{
    vgic_hw_irq_fired(v0, 27);
    struct vgic_irq *irq = &v0->arch.vgic.priv[27];
    irq->enabled = true;
    irq->group = 1;
    irq->active = true;
    vgic_flush(v0);
    cr_assert_eq(lr(0) & LR_STATE, LR_ACTIVE, "ICH_LR<n>_EL2.HW: no active-and-pending");
    cr_assert(irq->hw_active);
    guest_sets_lr(0, lr(0));                  /* still active at the exit */
    vgic_fold(v0);
    cr_assert(irq->hw_active, "the physical interrupt stays active while the virtual one is");
}

Test(vgic_lr, level_interrupt_asks_for_eoi_and_pends_again_while_the_line_is_high)
{
    struct vgic_irq *irq = pend_edge(40, 0x40);
    irq->edge = false;
    irq->latch = false;
    vgic_set_spi_level(&vm, 40, true);
    vgic_flush(v0);
    cr_assert_eq(lr(0) & (LR_STATE | LR_EOI | LR_HW), LR_PENDING | LR_EOI, "EOI: exit on deactivation");
    guest_sets_lr(0, lr(0) & ~LR_STATE);      /* acknowledged and deactivated */
    vgic_fold(v0);
    vgic_flush(v0);
    cr_assert_eq(LR_VINTID(lr(0)), 40, "the device still holds the line");
    cr_assert_eq(lr(0) & LR_STATE, LR_PENDING);
    guest_sets_lr(0, lr(0) & ~LR_STATE);
    vgic_fold(v0);
    vgic_set_spi_level(&vm, 40, false);
    vgic_flush(v0);
    cr_assert_eq(v0->arch.vgic.lr_used, 0, "line low: nothing pending");
}

Test(vgic_lr, edge_interrupt_does_not_ask_for_eoi)
{
    pend_edge(40, 0x40);
    vgic_flush(v0);
    cr_assert_eq(lr(0) & LR_EOI, 0);
}

/* EOImode 1 (ICH_VMCR_EL2.VEOIM): EOIR only drops the priority, the interrupt stays active
 * in its list register until the guest writes DIR, across as many exits as it takes. */
Test(vgic_lr, eoimode_1_keeps_the_interrupt_active_until_dir_even_with_higher_priority_pending)
{
    struct vgic_irq *irq = pend_edge(20, 0x80);
    vgic_flush(v0);
    fake_sysreg_set("ich_vmcr_el2", VMCR_VEOIM | 1);           /* the guest set EOImode, VENG0 */
    guest_sets_lr(0, (lr(0) & ~LR_STATE) | LR_ACTIVE);         /* IAR, then EOIR: priority drop */
    vgic_fold(v0);
    cr_assert_eq(v0->arch.vgic.vmcr, VMCR_VEOIM | 1, "ICH_VMCR_EL2 saved at the exit");
    cr_assert(irq->active);
    for (uint32_t i = 0; i < 4; i++)
        pend_edge(16 + i, 0x00);
    vgic_flush(v0);
    cr_assert_eq(lr_holding(20), 0, "active first: the guest can still write DIR");
    cr_assert_eq(lr(0) & LR_STATE, LR_ACTIVE);
    uint32_t loaded = 0;
    for (uint32_t i = 0; i < 4; i++)
        loaded += lr_holding(16 + i) > 0;
    cr_assert_eq(loaded, 3, "the other three list registers: priority 0 pending ones");
    guest_sets_lr(0, lr(0) & ~LR_STATE);                      /* DIR */
    vgic_fold(v0);
    cr_assert_not(irq->active);
}

/* The guest acknowledges nothing: every interrupt keeps its pending state across exits. */
Test(vgic_lr, no_interrupt_is_lost_across_flush_and_fold_when_the_guest_takes_none)
{
    const uint32_t ids[6] = { 3, 18, 25, 33, 50, 127 };
    for (uint32_t i = 0; i < 6; i++)
        pend_edge(ids[i], (uint8_t)(0x10 * (6 - i)));
    for (int round = 0; round < 3; round++) {
        vgic_flush(v0);
        cr_assert_eq(v0->arch.vgic.lr_used, 4);
        vgic_fold(v0);
        for (uint32_t i = 0; i < 6; i++) {
            cr_assert(irq_of(ids[i])->latch, "round %d: INTID %u lost", round, ids[i]);
            cr_assert_eq(irq_of(ids[i])->lr_owner, 0);
        }
    }
}

/* The guest takes and ends everything it is given: each interrupt arrives exactly once. */
Test(vgic_lr, every_interrupt_is_delivered_once_when_the_guest_takes_each)
{
    const uint32_t ids[7] = { 3, 18, 25, 33, 50, 127, 9 };
    uint32_t seen[128] = { 0 };
    for (uint32_t i = 0; i < 7; i++)
        pend_edge(ids[i], (uint8_t)(0x08 * i));
    for (int round = 0; round < 4; round++) {
        vgic_flush(v0);
        for (uint32_t i = 0; i < v0->arch.vgic.lr_used; i++) {
            if (lr(i) & LR_PENDING)
                seen[LR_VINTID(lr(i))]++;
            guest_sets_lr(i, lr(i) & ~LR_STATE);
        }
        vgic_fold(v0);
    }
    for (uint32_t i = 0; i < 7; i++)
        cr_assert_eq(seen[ids[i]], 1, "INTID %u delivered %u times", ids[i], seen[ids[i]]);
}

Test(vgic_lr, an_interrupt_goes_into_one_list_register_only)
{
    for (uint32_t i = 0; i < 3; i++)
        pend_edge(40 + i, 0x40);
    vgic_flush(v0);
    cr_assert_eq(v0->arch.vgic.lr_used, 3);
    for (uint32_t i = 0; i < 3; i++)
        lr_holding(40 + i);                   /* asserts no second LR */
    cr_assert_neq(LR_VINTID(lr(0)), LR_VINTID(lr(1)));
    cr_assert_neq(LR_VINTID(lr(1)), LR_VINTID(lr(2)));
    cr_assert_neq(LR_VINTID(lr(0)), LR_VINTID(lr(2)));
}

/* An SPI re-routed while in vCPU 0's list registers stays there until vCPU 0 reads them
 * back; vCPU 1 must not load a second copy. */
Test(vgic_lr, an_spi_in_another_vcpus_list_registers_is_not_loaded_again)
{
    struct vgic_irq *irq = pend_edge(40, 0x40);
    vgic_flush(v0);
    uint64_t v0_lr0 = lr(0);
    cr_assert_eq(LR_VINTID(v0_lr0), 40);
    irq->target = 1;                          /* GICD_IROUTER write from another vCPU */
    vgic_flush(v1);                           /* on vCPU 1's pCPU */
    cr_assert_eq(v1->arch.vgic.lr_used, 0);
    cr_assert_eq(irq->lr_owner, 1);
    vgic_fold(v1);
    guest_sets_lr(0, v0_lr0);                 /* back on vCPU 0's pCPU, not taken */
    vgic_fold(v0);
    vgic_flush(v1);
    cr_assert_eq(v1->arch.vgic.lr_used, 1, "released by vCPU 0: now vCPU 1's");
    cr_assert_eq(LR_VINTID(lr(0)), 40);
}

/* --- passed-through level SPIs: the virtual pending state follows the device's line ---- */

#define HCR_TALL1 (1ull << 12)
#define PSTATE_I  (1ull << 7)
#define PT_SPI    34                          /* QEMU virt's PL031 */

/* SPI 34 forwarded (its physical SPI fired and the host acknowledged it), enabled, Group 1,
 * to vCPU 0, whose virtual CPU interface has Group 1 on and PMR 0xff; the line as given. */
static struct vgic_irq *hw_spi_fired(bool line)
{
    fake_sysreg_set("ich_vmcr_el2", 0xffull << 24 | 1u << 1);
    line_high[PT_SPI] = line;
    vgic_hw_spi_fired(&vm, PT_SPI);
    struct vgic_irq *irq = irq_of(PT_SPI);
    irq->enabled = true;
    irq->group = 1;
    irq->priority = 0x80;
    return irq;
}

Test(vgic_lr, hw_spi_with_its_line_high_is_loaded_pending_with_hw)
{
    hw_spi_fired(true);
    vgic_flush(v0);
    cr_assert_eq(lr(0) & (LR_STATE | LR_HW), LR_PENDING | LR_HW);
    cr_assert_eq(LR_PINTID(lr(0)), PT_SPI);
    cr_assert_eq(deactivated[PT_SPI], 0);
}

Test(vgic_lr, hw_spi_whose_line_dropped_before_entry_is_withdrawn_and_the_physical_one_ended)
{
    struct vgic_irq *irq = hw_spi_fired(false);
    vgic_flush(v0);
    cr_assert_eq(lr_holding(PT_SPI), -1, "the device dropped the line: nothing to deliver");
    cr_assert_not(irq->latch);
    cr_assert_not(irq->hw_active);
    cr_assert_eq(deactivated[PT_SPI], 1, "the physical SPI can fire again");
}

/* The case: loaded pending, not taken at this entry (IRQs masked), the guest's
 * handler then quietens the device; at the next entry it is withdrawn, not delivered. */
Test(vgic_lr, hw_spi_left_in_a_list_register_is_withdrawn_at_the_next_entry_once_the_line_dropped)
{
    struct vgic_irq *irq = hw_spi_fired(true);
    vgic_flush(v0);
    cr_assert_eq(lr_holding(PT_SPI), 0);
    guest_sets_lr(0, lr(0));                  /* not taken */
    vgic_fold(v0);
    cr_assert(irq->latch);
    line_high[PT_SPI] = false;
    vgic_flush(v0);
    cr_assert_eq(lr_holding(PT_SPI), -1);
    cr_assert_eq(deactivated[PT_SPI], 1);
}

Test(vgic_lr, hw_spi_the_guest_took_is_not_withdrawn_when_the_line_drops)
{
    struct vgic_irq *irq = hw_spi_fired(true);
    vgic_flush(v0);
    guest_sets_lr(0, (lr(0) & ~LR_STATE) | LR_ACTIVE);   /* acknowledged */
    vgic_fold(v0);
    line_high[PT_SPI] = false;                /* the handler cleared the device */
    vgic_flush(v0);
    cr_assert_eq(lr(0) & LR_STATE, LR_ACTIVE, "its deactivation is the guest's");
    cr_assert(irq->hw_active);
    cr_assert_eq(deactivated[PT_SPI], 0);
}

Test(vgic_lr, guest_reading_ispendr_sees_the_line_drop_of_a_pending_hw_spi)
{
    hw_spi_fired(true);
    uint64_t bit = 1ull << (PT_SPI % 32), off = 0x200 + 4 * (PT_SPI / 32);   /* GICD_ISPENDR1 */
    cr_assert(vgic_dist_ops.read(&vm, v0, off, 4) & bit);
    line_high[PT_SPI] = false;
    cr_assert_not(vgic_dist_ops.read(&vm, v0, off, 4) & bit, "pending only while the line is up");
    cr_assert_eq(deactivated[PT_SPI], 1);
}

Test(vgic_lr, hw_spi_for_a_guest_with_irqs_masked_traps_its_acknowledge)
{
    hw_spi_fired(true);
    v0->arch.pstate = PSTATE_I;
    vgic_flush(v0);
    cr_assert(fake_sysreg_get("ich_hcr_el2") & HCR_TALL1);
    cr_assert(v0->arch.vgic.tall1);
}

Test(vgic_lr, hw_spi_the_guest_takes_at_entry_needs_no_trap)
{
    hw_spi_fired(true);
    v0->arch.pstate = 0;
    vgic_flush(v0);
    cr_assert_eq(lr(0) & LR_STATE, LR_PENDING);
    cr_assert_not(fake_sysreg_get("ich_hcr_el2") & HCR_TALL1);
}

Test(vgic_lr, hw_spi_behind_a_higher_priority_interrupt_or_an_active_priority_traps)
{
    hw_spi_fired(true);
    v0->arch.pstate = 0;
    pend_edge(40, 0x40);
    vgic_flush(v0);
    cr_assert(fake_sysreg_get("ich_hcr_el2") & HCR_TALL1, "taken after SPI 40's handler");
    guest_sets_lr(0, lr(0));
    guest_sets_lr(1, lr(1));
    vgic_fold(v0);
    irq_of(40)->latch = false;
    fake_sysreg_set("ich_ap1r0_el2", 1);      /* inside a handler, priority not dropped */
    vgic_flush(v0);
    cr_assert(fake_sysreg_get("ich_hcr_el2") & HCR_TALL1);
}

/* The trapped access (ICC_IAR1_EL1) is not emulated: it runs again, untrapped, after the
 * line was resampled; if the line dropped, nothing is left for it to acknowledge. */
Test(vgic_lr, trapped_acknowledge_runs_again_untrapped_after_the_line_is_resampled)
{
    struct vgic_irq *irq = hw_spi_fired(true);
    v0->arch.pstate = PSTATE_I;
    vgic_flush(v0);
    guest_sets_lr(0, lr(0));
    vgic_fold(v0);
    const struct sysreg_handler_row *iar = NULL;
    for (size_t i = 0; i < vgic_sysreg_table.row_count; i++)
        if (vgic_sysreg_table.rows[i].key == SYS_KEY(3, 0, 12, 12, 0))
            iar = &vgic_sysreg_table.rows[i];
    cr_assert_not_null(iar, "ICC_IAR1_EL1 has a row");
    uint64_t value = 0;
    cr_assert(iar->access(v0, iar->key, true, &value));
    cr_assert(v0->arch.retry, "the guest's read runs again");
    v0->arch.retry = false;
    vgic_flush(v0);                           /* line still high: delivered, no trap now */
    cr_assert_eq(lr(0) & LR_STATE, LR_PENDING);
    cr_assert_not(fake_sysreg_get("ich_hcr_el2") & HCR_TALL1);
    guest_sets_lr(0, lr(0));
    vgic_fold(v0);
    vgic_flush(v0);                           /* a later entry traps again */
    cr_assert(fake_sysreg_get("ich_hcr_el2") & HCR_TALL1);
    guest_sets_lr(0, lr(0));
    vgic_fold(v0);
    cr_assert(iar->access(v0, iar->key, true, &value));
    line_high[PT_SPI] = false;                /* the guest cleared the device meanwhile */
    vgic_flush(v0);
    cr_assert_eq(lr_holding(PT_SPI), -1, "its re-executed read finds nothing (1023)");
    cr_assert_not(irq->latch);
    cr_assert_eq(deactivated[PT_SPI], 1);
}

Test(vgic_lr, group1_registers_are_undefined_when_tall1_was_not_set)
{
    const struct sysreg_handler_row *iar = NULL;
    for (size_t i = 0; i < vgic_sysreg_table.row_count; i++)
        if (vgic_sysreg_table.rows[i].key == SYS_KEY(3, 0, 12, 12, 0))
            iar = &vgic_sysreg_table.rows[i];
    uint64_t value = 0;
    vgic_flush(v0);
    cr_assert_not(iar->access(v0, iar->key, true, &value));
    cr_assert_not(v0->arch.retry);
}

/* --- SGI writes on the fast tier (vgic_sysreg.c vgic_sgi_fast) ---------------------------- */

/* ESR_EL2 of a trapped MSR/MRS (EC 0x18, IL 1; Arm ARM D17.2.40): Op0 [21:20], Op2 [19:17],
 * Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1], Direction [0]. */
static uint64_t esr_sys(uint32_t op0, uint32_t op1, uint32_t crn, uint32_t crm, uint32_t op2, uint32_t rt, bool read)
{
    return 0x18ull << 26 | 1ull << 25 | op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 | read;
}
#define ESR_SGI1R(rt) esr_sys(3, 0, 12, 11, 5, rt, false)
#define ESR_SGI0R(rt) esr_sys(3, 2, 12, 11, 7, rt, false)

static void enable_sgi(struct vcpu *v, uint32_t intid, uint8_t group)
{
    v->arch.vgic.priv[intid].enabled = true;
    v->arch.vgic.priv[intid].group = group;
    v->arch.vgic.priv[intid].priority = 0x80;
}

/* The bench's echo: v0 acknowledged SGI 1 and, in its handler, sends SGI 2 to v1. */
Test(vgic_lr, sgi_write_in_a_handler_reenters_with_the_list_registers_as_the_guest_left_them)
{
    pend_edge(1, 0x80);
    enable_sgi(v1, 2, 1);
    vgic_flush(v0);
    guest_sets_lr(0, (lr(0) & ~LR_PENDING) | LR_ACTIVE);    /* acknowledged, not ended */
    uint64_t before = lr(0), hcr_writes = fake_sysreg_write_count("ich_hcr_el2");
    uint32_t lr_writes = fake_sysreg_write_count("ich_lr0_el2");
    v0->arch.x[3] = 2ull << 24 | 0x2;                        /* SGI 2 to Aff0 1 */
    v0->arch.pc = 0x1000;
    cr_assert_eq(vgic_sgi_fast(v0, ESR_SGI1R(3)), FAST_REENTER);
    cr_assert_eq(v0->arch.pc, 0x1004, "past the MSR");
    cr_assert_eq(fast_exits[EXIT_SYSREG], 1, "counted as a system-register exit, once");
    cr_assert(v1->arch.vgic.priv[2].latch, "the target's SGI is pending");
    cr_assert(v1->arch.vgic.track_priv & (1u << 2), "and tracked for its next entry");
    cr_assert_eq(lr(0), before, "the sender's list register is untouched");
    cr_assert_eq(fake_sysreg_write_count("ich_lr0_el2"), lr_writes);
    cr_assert_eq(fake_sysreg_write_count("ich_hcr_el2"), hcr_writes);
    cr_assert_eq(v0->arch.vgic.lr_used, 1);
    guest_sets_lr(0, lr(0) & ~LR_STATE);                     /* the guest's EOI, later */
    vgic_fold(v0);
    cr_assert_not(irq_of(1)->active || irq_of(1)->latch, "ended once folded");
}

Test(vgic_lr, sgi_to_the_sender_itself_takes_the_generic_entry_to_load_it)
{
    enable_sgi(v0, 4, 1);
    v0->arch.x[0] = 4ull << 24 | 0x1;                        /* Aff0 0: itself */
    cr_assert_eq(vgic_sgi_fast(v0, ESR_SGI1R(0)), FAST_HANDLED);
    cr_assert(irq_of(4)->latch);
    cr_assert_eq(v0->arch.pc, 4);
    cr_assert_eq(fast_exits[EXIT_SYSREG], 1);
    vgic_flush(v0);
    cr_assert_eq(lr_holding(4), 0, "the generic entry loads it");
}

Test(vgic_lr, sgi_write_with_a_forwarded_interrupt_loaded_takes_the_generic_entry)
{
    hw_spi_fired(true);
    enable_sgi(v1, 2, 1);
    vgic_flush(v0);
    v0->arch.x[1] = 2ull << 24 | 0x2;
    cr_assert_eq(vgic_sgi_fast(v0, ESR_SGI1R(1)), FAST_HANDLED, "its line is resampled on entry");
    cr_assert(v1->arch.vgic.priv[2].latch, "sent all the same");
}

Test(vgic_lr, sgi_write_with_work_waiting_takes_the_generic_entry)
{
    enable_sgi(v1, 2, 1);
    fast_exit_may_reenter = false;
    v0->arch.x[1] = 2ull << 24 | 0x2;
    cr_assert_eq(vgic_sgi_fast(v0, ESR_SGI1R(1)), FAST_HANDLED);
    cr_assert(v1->arch.vgic.priv[2].latch);
    cr_assert_eq(fast_exits[EXIT_SYSREG], 1);
}

Test(vgic_lr, sgi0r_write_gives_only_group_0_sgis_and_xzr_has_no_target)
{
    enable_sgi(v1, 2, 1);
    v0->arch.x[5] = 2ull << 24 | 0x2;
    cr_assert_eq(vgic_sgi_fast(v0, ESR_SGI0R(5)), FAST_REENTER);
    cr_assert_not(v1->arch.vgic.priv[2].latch, "a Group 1 SGI is not generated by SGI0R");
    enable_sgi(v0, 0, 1);
    enable_sgi(v1, 0, 1);
    cr_assert_eq(vgic_sgi_fast(v0, ESR_SGI1R(31)), FAST_REENTER, "XZR: an empty TargetList");
    cr_assert_not(irq_of(0)->latch || v1->arch.vgic.priv[0].latch);
    cr_assert_eq(v0->arch.pc, 8);
}

Test(vgic_lr, other_system_registers_and_sgi_reads_are_left_to_the_generic_path)
{
    v0->arch.x[1] = 2ull << 24 | 0x2;
    enable_sgi(v1, 2, 1);
    cr_assert_eq(vgic_sgi_fast(v0, esr_sys(3, 0, 12, 12, 0, 1, true)), FAST_NONE, "ICC_IAR1_EL1");
    cr_assert_eq(vgic_sgi_fast(v0, esr_sys(3, 0, 12, 11, 5, 1, true)), FAST_NONE, "a read of SGI1R: UNDEF there");
    cr_assert_eq(vgic_sgi_fast(v0, esr_sys(3, 0, 0, 4, 0, 1, true)), FAST_NONE, "ID_AA64PFR0_EL1");
    cr_assert_eq(v0->arch.pc, 0);
    cr_assert_eq(fast_exits[EXIT_SYSREG], 0);
    cr_assert_not(v1->arch.vgic.priv[2].latch);
}

/* vgic_fold drops the tracking of what the guest ended, so the WFI that follows finds the vGIC
 * idle without a gather; what is still active or pending stays tracked. */
Test(vgic_lr, fold_untracks_an_ended_interrupt_and_keeps_an_active_one_tracked)
{
    pend_edge(1, 0x80);
    pend_edge(2, 0x90);
    vgic_flush(v0);
    int l1 = lr_holding(1), l2 = lr_holding(2);
    cr_assert(l1 >= 0 && l2 >= 0);
    guest_sets_lr((uint32_t)l1, lr((uint32_t)l1) & ~LR_STATE);                    /* taken and ended */
    guest_sets_lr((uint32_t)l2, (lr((uint32_t)l2) & ~LR_PENDING) | LR_ACTIVE);    /* taken, not ended */
    vgic_fold(v0);
    cr_assert_eq(v0->arch.vgic.track_priv, 1u << 2, "only the active one is still tracked");
    cr_assert_not(vgic_track_idle(&vm, v0));
    vgic_flush(v0);
    cr_assert_eq(lr_holding(2), 0, "the active one is loaded again");
    guest_sets_lr(0, lr(0) & ~LR_STATE);
    vgic_fold(v0);
    cr_assert(vgic_track_idle(&vm, v0), "all ended: idle with no gather");
    cr_assert_not(vgic_vcpu_pending(v0));
}

/* An SPI ended by the vCPU whose list registers held it leaves the VM's SPI tracking too; a
 * level SPI whose line is still high stays tracked (it is pending again). */
Test(vgic_lr, fold_untracks_an_ended_spi_but_not_one_whose_line_is_high)
{
    struct vgic_irq *e = pend_edge(40, 0x80);
    struct vgic_irq *l = irq_of(41);
    l->enabled = true;
    l->group = 1;
    l->priority = 0x80;
    l->level = true;
    vgic_irq_track(l);
    vm.arch.vgic.track_spi[0] = (1ull << (40 - 32)) | (1ull << (41 - 32));
    vgic_flush(v0);
    for (uint32_t i = 0; i < v0->arch.vgic.lr_used; i++)
        guest_sets_lr(i, lr(i) & ~LR_STATE);
    vgic_fold(v0);
    cr_assert_eq(vm.arch.vgic.track_spi[0], 1ull << (41 - 32), "the edge SPI is untracked, the high line is not");
    cr_assert_not(e->latch);
}
