/* test_vgic_pending.c: the vGIC's pending tracking (vgic_state.h track_priv / track_spi /
 * lpi_used, vgic_track_gather): an idle vGIC touches no list register, nothing raised is
 * missed across flush and fold whoever raises it and when, and the list registers always
 * hold the highest-priority pending interrupts (Arm IHI 0069, ICH_LR<n>_EL2, "Virtual
 * Interrupt Handling and Prioritization"). Over a fake ICH_* register file. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "vgic_internal.h"

#define LR_VINTID(lr)   ((uint32_t)BITS(lr, 31, 0))
#define LR_PRIORITY(lr) ((uint32_t)BITS(lr, 55, 48))
#define LR_PENDING      (1ull << 62)
#define LR_ACTIVE       (1ull << 63)
#define LR_STATE        (LR_PENDING | LR_ACTIVE)
#define LR_COUNT        4
#define NR_IRQS         (VGIC_NR_PRIVATE + VGIC_NR_SPIS)

/* What the vGIC uses from the rest of the hypervisor. */
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
void gicv3_deactivate(uint32_t intid) { (void)intid; }
bool gicv3_spi_line(uint32_t intid) { (void)intid; return false; }

static struct vm vm;
static struct vcpu *v0, *v1;

static const char *lr_name(uint32_t n)
{
    static char name[24];
    snprintf(name, sizeof(name), "ich_lr%u_el2", n);
    return name;
}
static uint64_t lr(uint32_t n) { return fake_sysreg_get(lr_name(n)); }
static void guest_sets_lr(uint32_t n, uint64_t value) { fake_sysreg_set(lr_name(n), value); }
static uint32_t lr_writes(void)
{
    uint32_t n = fake_sysreg_write_count("ich_hcr_el2");
    for (uint32_t i = 0; i < LR_COUNT; i++)
        n += fake_sysreg_write_count(lr_name(i));
    return n;
}

static struct vgic_irq *irq_of(uint32_t intid)
{
    return intid < VGIC_NR_PRIVATE ? &v0->arch.vgic.priv[intid] : &vm.arch.vgic.spi[intid - VGIC_NR_PRIVATE];
}

/* SGIs 0-15 and SPIs 32-127 of vCPU 0: enabled, Group 1, edge, priority (intid * 37) & 0xf8
 * (mixed, with ties); PPIs left alone (disabled). */
static uint8_t prio_of(uint32_t intid) { return (uint8_t)((intid * 37) & VGIC_PRIO_MASK); }

static void setup(void)
{
    memset(&vm, 0, sizeof(vm));
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
    vm.arch.vgic.ctlr = 3;
    fake_sysreg_set("ich_vtr_el2", (uint64_t)(LR_COUNT - 1) | 4ull << 26 | 4ull << 29);
    fake_sysreg_set("ich_vmcr_el2", 0xffull << 24 | 3);
    vgic_vcpu_hw_reset(v0);
    vgic_vcpu_hw_reset(v1);
    fake_sysreg_set("ich_vmcr_el2", 0xffull << 24 | 3);    /* the guest: PMR 0xff, both groups on */
    for (uint32_t id = 0; id < NR_IRQS; id++) {
        if (id >= 16 && id < VGIC_NR_PRIVATE)
            continue;
        struct vgic_irq *irq = irq_of(id);
        irq->enabled = true;
        irq->group = 1;
        irq->edge = true;
        irq->priority = prio_of(id);
        irq->target = 0;
    }
}

TestSuite(vgic_pending, .init = setup);

/* ICC_SGI1R_EL1 from vCPU 1 naming vCPU 0 (Aff0 0 in TargetList). */
static void sgi_from_v1(uint32_t intid) { vgic_send_sgi(v1, (uint64_t)intid << 24 | 1, true); }

/* An SPI made pending as GICD_ISPENDR does it. */
static void spi_pend(uint32_t intid)
{
    vgic_lock(&vm);
    vgic_irq_set_pending(irq_of(intid), true);
    vgic_unlock(&vm);
}

static void raise(uint32_t intid)
{
    if (intid < 16)
        sgi_from_v1(intid);
    else
        spi_pend(intid);
}

/* Every interrupt with state has its bit: the invariant the idle check relies on. */
static void assert_tracked(void)
{
    for (uint32_t id = 0; id < NR_IRQS; id++) {
        const struct vgic_irq *irq = irq_of(id);
        if (!(irq->latch || irq->active || irq->level || irq->req))
            continue;
        bool bit = id < VGIC_NR_PRIVATE ? v0->arch.vgic.track_priv >> id & 1
                                        : vm.arch.vgic.track_spi[(id - 32) / 64] >> ((id - 32) % 64) & 1;
        cr_assert(bit, "INTID %u has state but no tracking bit", id);
    }
}

Test(vgic_pending, an_idle_vgic_writes_no_list_register_on_entry_or_exit)
{
    vgic_flush(v0);                          /* after reset everything is looked at once */
    vgic_fold(v0);
    cr_assert_eq(v0->arch.vgic.track_priv, 0, "stale bits dropped: %#x", v0->arch.vgic.track_priv);
    cr_assert_eq(vm.arch.vgic.track_spi[0] | vm.arch.vgic.track_spi[1], 0);
    cr_assert(vgic_track_idle(&vm, v0));
    uint32_t before = lr_writes();
    for (int i = 0; i < 10; i++) {
        vgic_flush(v0);
        vgic_fold(v0);
    }
    cr_assert_eq(lr_writes(), before, "an idle entry and exit wrote ICH_LR/ICH_HCR");
    cr_assert_eq(v0->arch.vgic.lr_used, 0);
}

Test(vgic_pending, an_sgi_from_another_vcpu_to_an_idle_one_is_loaded_at_its_next_entry)
{
    vgic_flush(v0);
    vgic_fold(v0);
    cr_assert(vgic_track_idle(&vm, v0));
    sgi_from_v1(5);
    cr_assert_not(vgic_track_idle(&vm, v0), "the SGI left the idle state");
    cr_assert(vgic_vcpu_pending(v0), "and wakes a WFI");
    vgic_flush(v0);
    cr_assert_eq(v0->arch.vgic.lr_used, 1);
    cr_assert_eq(LR_VINTID(lr(0)), 5);
    cr_assert_eq(lr(0) & LR_STATE, LR_PENDING);
}

/* Raised again by another vCPU while the target's list register holds it active: the
 * request is applied at the read-back and the SGI comes back, active and pending. */
Test(vgic_pending, an_sgi_raised_while_in_a_list_register_is_delivered_again)
{
    sgi_from_v1(7);
    vgic_flush(v0);
    guest_sets_lr(0, (lr(0) & ~LR_STATE) | LR_ACTIVE);     /* acknowledged */
    sgi_from_v1(7);                                         /* meanwhile, from vCPU 1 */
    cr_assert(irq_of(7)->req & VGIC_REQ_PEND);
    vgic_fold(v0);
    assert_tracked();
    vgic_flush(v0);
    cr_assert_eq(LR_VINTID(lr(0)), 7);
    cr_assert_eq(lr(0) & LR_STATE, LR_STATE, "active and pending");
    guest_sets_lr(0, lr(0) & ~LR_STATE);                    /* EOI, then the second taken */
    vgic_fold(v0);
    vgic_flush(v0);
    cr_assert_eq(v0->arch.vgic.lr_used, 0, "both deliveries consumed");
}

/* A random mix of raises (before entry and while the guest runs), acknowledges and EOIs,
 * against a model of edge-triggered interrupts: each raise that finds the interrupt not
 * pending is one delivery, none is lost or doubled, and every entry loads the
 * highest-priority pending interrupts first. */
Test(vgic_pending, random_raises_and_acknowledges_lose_nothing_and_keep_priority_order)
{
    static uint32_t expected[NR_IRQS], delivered[NR_IRQS];
    static bool model_pending[NR_IRQS];
    memset(expected, 0, sizeof(expected));
    memset(delivered, 0, sizeof(delivered));
    memset(model_pending, 0, sizeof(model_pending));
    uint64_t seed = 0x2545f4914f6cdd1dull;
#define RAND() (seed = seed * 6364136223846793005ull + 1442695040888963407ull, (uint32_t)(seed >> 33))
#define PICK() ({ uint32_t r_ = RAND() % (16 + VGIC_NR_SPIS); r_ < 16 ? r_ : r_ + 16; })
    uint32_t late[8], late_n;
    for (int round = 0; round < 3000; round++) {
        bool drain = round >= 2900;          /* the last rounds raise nothing: all must come out */
        for (uint32_t k = drain ? 0 : RAND() % 4; k; k--) {
            uint32_t id = PICK();
            if (!model_pending[id])
                expected[id]++;
            model_pending[id] = true;
            raise(id);
        }
        assert_tracked();
        vgic_flush(v0);
        /* Priority order: no pending interrupt left out is of higher priority than a loaded
         * pending one (active ones go first and may take every list register). */
        uint32_t worst_loaded = 0, best_left = 0x100;
        bool loaded[NR_IRQS] = { false };
        for (uint32_t i = 0; i < v0->arch.vgic.lr_used; i++) {
            uint32_t id = LR_VINTID(lr(i));
            cr_assert_lt(id, NR_IRQS);
            cr_assert_not(loaded[id], "INTID %u in two list registers", id);
            loaded[id] = true;
            if ((lr(i) & LR_STATE) == LR_PENDING && LR_PRIORITY(lr(i)) > worst_loaded)
                worst_loaded = LR_PRIORITY(lr(i));
        }
        for (uint32_t id = 0; id < NR_IRQS; id++)
            if (model_pending[id] && !loaded[id] && !irq_of(id)->active && prio_of(id) < best_left)
                best_left = prio_of(id);
        if (v0->arch.vgic.lr_used == LR_COUNT && worst_loaded)
            cr_assert_leq(worst_loaded, best_left, "round %d: priority %#x loaded, %#x left out", round,
                          worst_loaded, best_left);
        if (v0->arch.vgic.lr_used < LR_COUNT)
            for (uint32_t id = 0; id < NR_IRQS; id++)
                cr_assert(!model_pending[id] || loaded[id] || irq_of(id)->active,
                          "round %d: INTID %u pending, a list register free, not loaded", round, id);
        /* The guest: acknowledges some pending ones, ends some active ones. */
        for (uint32_t i = 0; i < v0->arch.vgic.lr_used; i++) {
            uint64_t l = lr(i);
            uint32_t id = LR_VINTID(l);
            if ((l & LR_ACTIVE) && (drain || RAND() % 2)) {
                l &= ~LR_ACTIVE;                                /* EOI */
            } else if ((l & LR_PENDING) && !(l & LR_ACTIVE) && (drain || RAND() % 3)) {
                l = (l & ~LR_PENDING) | LR_ACTIVE;              /* IAR */
                delivered[id]++;
                model_pending[id] = false;
            }
            guest_sets_lr(i, l);
        }
        /* Raised by vCPU 1 while vCPU 0 runs: applied after the read-back. */
        late_n = drain ? 0 : RAND() % 3;
        for (uint32_t k = 0; k < late_n; k++) {
            late[k] = PICK();
            raise(late[k]);
        }
        vgic_fold(v0);
        for (uint32_t k = 0; k < late_n; k++) {
            if (!model_pending[late[k]])
                expected[late[k]]++;
            model_pending[late[k]] = true;
        }
        assert_tracked();
    }
    uint32_t total = 0;
    for (uint32_t id = 0; id < NR_IRQS; id++) {
        cr_assert_eq(delivered[id], expected[id], "INTID %u: %u raised, %u delivered", id, expected[id],
                     delivered[id]);
        cr_assert_not(model_pending[id]);
        total += delivered[id];
    }
    cr_assert_gt(total, 2000, "the mix exercised the path (%u deliveries)", total);
    vgic_flush(v0);
    cr_assert_eq(v0->arch.vgic.lr_used, 0);
    cr_assert(vgic_track_idle(&vm, v0), "all delivered and ended: idle again");
}
