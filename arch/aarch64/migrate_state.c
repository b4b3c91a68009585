/* migrate_state.c: the aarch64 migration state's encoding and the checks a received state passes
 * before any of it reaches a vCPU (pure: host unit test tests/unit/test_a64_migrate_state.c). */
#include <string.h>

#include "guest.h"
#include "migrate_state.h"
#include "vgic_internal.h"
#include "vm.h"

void a64_migrate_put_words(uint8_t *out, const void *state, uint32_t words)
{
    const uint8_t *s = state;
    for (uint32_t i = 0; i < words; i++) {
        uint64_t w;
        memcpy(&w, s + 8 * i, 8);
        for (int b = 0; b < 8; b++)
            out[8 * i + b] = (uint8_t)(w >> (8 * b));
    }
}

bool a64_migrate_get_words(void *state, uint32_t words, const uint8_t *in, uint32_t len)
{
    if (len != words * 8)
        return false;
    uint8_t *s = state;
    for (uint32_t i = 0; i < words; i++) {
        uint64_t w = 0;
        for (int b = 7; b >= 0; b--)
            w = w << 8 | in[8 * i + b];
        memcpy(s + 8 * i, &w, 8);
    }
    return true;
}

/* Packed vgic_irq: priority [7:0], group [8], enabled [9], edge [10], level [11], latch [12],
 * active [13], hw [14], target [23:16]. hw_active is not carried: the physical PPI behind a
 * forwarded timer interrupt is active only on the source; on the destination the restored timer
 * raises it again while its condition holds (vtimer.c). */
#define IRQ_KNOWN_BITS 0xff7fffull

uint64_t a64_migrate_irq_pack(const struct vgic_irq *irq)
{
    return (uint64_t)irq->priority | (uint64_t)(irq->group & 1) << 8 | (uint64_t)irq->enabled << 9 |
           (uint64_t)irq->edge << 10 | (uint64_t)irq->level << 11 | (uint64_t)irq->latch << 12 |
           (uint64_t)irq->active << 13 | (uint64_t)irq->hw << 14 | (uint64_t)irq->target << 16;
}

void a64_migrate_irq_unpack(struct vgic_irq *irq, uint64_t w)
{
    irq->priority = (uint8_t)(w & VGIC_PRIO_MASK);
    irq->group = (uint8_t)(w >> 8 & 1);
    irq->enabled = w >> 9 & 1;
    irq->edge = w >> 10 & 1;
    irq->level = w >> 11 & 1;
    irq->latch = w >> 12 & 1;
    irq->active = w >> 13 & 1;
    irq->hw = w >> 14 & 1;
    irq->hw_active = false;
    irq->target = (uint8_t)(w >> 16);
    irq->lr_owner = 0;
    irq->req = 0;
}

static bool irq_word_ok(uint64_t w, uint32_t vcpu_count, bool spi)
{
    if (w & ~IRQ_KNOWN_BITS)
        return false;
    if ((w & 0xff) & ~(uint64_t)VGIC_PRIO_MASK)
        return false;
    uint32_t target = (uint32_t)(w >> 16 & 0xff);
    return !spi || target == VGIC_NO_TARGET || target < vcpu_count;
}

const char *a64_migrate_vcpu_check(const struct a64_vcpu_state *s, uint32_t vcpu_count)
{
    (void)vcpu_count;
    if (s->layout != A64_VCPU_LAYOUT)
        return "vcpu state: layout or version differs from this hypervisor's";
    /* Arm ARM C5.2.19, SPSR_EL2.M: the state must resume in AArch64 (M[4] = 0) at EL1 or EL0;
     * anything else would be an ERET to EL2 or to AArch32 with the guest's registers. */
    uint64_t mode = s->pstate & PSR_MODE_MASK;
    if (mode != PSR_MODE_EL0t && mode != PSR_MODE_EL1t && mode != PSR_MODE_EL1h)
        return "vcpu state: PSTATE is not AArch64 EL0t, EL1t or EL1h";
    if (s->power != VCPU_OFF && s->power != VCPU_ON_PENDING && s->power != VCPU_ON)
        return "vcpu state: bad PSCI power state";
    if (s->has_pac > 1)
        return "vcpu state: bad has_pac";
    for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++)
        if (!irq_word_ok(s->priv[i], vcpu_count, false))
            return "vcpu state: bad SGI/PPI state";
    if (s->gicr_ctlr & ~1ull)
        return "vcpu state: GICR_CTLR has bits other than EnableLPIs";
    if (s->gicr_ctlr)
        return "vcpu state: LPIs enabled (migration of the ITS and LPIs is not supported)";
    if (s->pmselr > 31 || s->pmccnt_prescale > 63)
        return "vcpu state: bad PMU state";
    return NULL;
}

const char *a64_migrate_vgic_check(const struct a64_vgic_state *s, uint32_t vcpu_count)
{
    if (s->layout != A64_VGIC_LAYOUT)
        return "vgic state: layout or version differs from this hypervisor's";
    if (s->gicd_ctlr & ~0x3ull)
        return "vgic state: GICD_CTLR has bits other than EnableGrp0/EnableGrp1";
    for (uint32_t i = 0; i < VGIC_NR_SPIS; i++) {
        if (!irq_word_ok(s->spi[i], vcpu_count, true))
            return "vgic state: bad SPI state";
        if (s->spi[i] >> 14 & 1)
            return "vgic state: SPI forwarded from hardware (a passed-through device)";
    }
    return NULL;
}

const char *a64_migrate_pl011_check(const struct a64_pl011_state *s)
{
    if (s->layout != A64_PL011_LAYOUT)
        return "pl011 state: layout or version differs from this hypervisor's";
    if (s->rx_count > VPL011_RX_FIFO)
        return "pl011 state: receive FIFO count over its depth";
    for (uint32_t i = 0; i < VPL011_RX_FIFO; i++)
        if (s->rx[i] > 0xff)
            return "pl011 state: receive FIFO entry is not a byte";
    if ((s->cr | s->lcr_h | s->ibrd | s->fbrd | s->ifls | s->imsc | s->ris | s->dmacr) >> 32)
        return "pl011 state: register over 32 bits";
    return NULL;
}

const char *a64_migrate_timer_check(const struct a64_timer_state *s, uint64_t cntfrq_here)
{
    if (s->layout != A64_TIMER_LAYOUT)
        return "timer state: layout or version differs from this hypervisor's";
    if (s->cntfrq != cntfrq_here)
        return "timer state: the source's counter frequency (CNTFRQ_EL0) is not this machine's";
    return NULL;
}

uint64_t a64_migrate_cval_rebase(uint64_t cval, uint64_t from, uint64_t to)
{
    if (cval <= from) {
        uint64_t late = from - cval;
        return late > to ? 0 : to - late;
    }
    uint64_t left = cval - from;
    return left > ~0ull - to ? ~0ull : to + left;
}
