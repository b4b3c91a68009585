/* vlapic.c: the virtual local APIC of each vCPU (Intel SDM Vol. 3A, chapter 10): xAPIC MMIO page at
 * IA32_APIC_BASE and the x2APIC MSRs, priorities (TPR/PPR), IRR/ISR/TMR, EOI with the IOAPIC broadcast,
 * the ICR (fixed, lowest priority, NMI, INIT, start-up; physical, logical and shorthand destinations),
 * and the timer in one-shot, periodic and TSC-deadline modes, timed by the host TSC. */
#include <string.h>
#include "arch.h"
#include "arch_guest.h"
#include "x86.h"
#include "x86_vcpu.h"

/* Register offsets in the xAPIC page (SDM Vol. 3A, table 10-1); x2APIC MSR = 0x800 + offset / 16. */
enum {
    REG_ID = 0x020, REG_VERSION = 0x030, REG_TPR = 0x080, REG_APR = 0x090, REG_PPR = 0x0A0, REG_EOI = 0x0B0,
    REG_RRD = 0x0C0, REG_LDR = 0x0D0, REG_DFR = 0x0E0, REG_SVR = 0x0F0, REG_ISR = 0x100, REG_TMR = 0x180,
    REG_IRR = 0x200, REG_ESR = 0x280, REG_LVT_CMCI = 0x2F0, REG_ICR_LO = 0x300, REG_ICR_HI = 0x310,
    REG_LVT_TIMER = 0x320, REG_LVT_LINT0 = 0x350, REG_LVT_ERROR = 0x370, REG_TMICT = 0x380,
    REG_TMCCT = 0x390, REG_TDCR = 0x3E0, REG_SELF_IPI = 0x3F0,
};
#define LVT_INDEX(reg) (((reg) - REG_LVT_TIMER) >> 4)   /* timer, thermal, PMC, LINT0, LINT1, error */

/* Version 0x14 (integrated APIC), 6 LVT entries (max LVT entry 5), no EOI-broadcast suppression. */
#define APIC_VERSION      (0x14u | (VLAPIC_LVT_COUNT - 1u) << 16)
#define SVR_ENABLE        (1u << 8)
#define LVT_MASKED        (1u << 16)
#define LVT_TIMER_MODE    (3u << 17)
#define LVT_TIMER_PERIODIC (1u << 17)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define ICR_DM_SHIFT      8
#define ICR_LOGICAL       (1u << 11)
#define ICR_ASSERT        (1u << 14)
#define ICR_LEVEL         (1u << 15)
#define ICR_SHORTHAND_SHIFT 18
enum { SH_NONE, SH_SELF, SH_ALL, SH_OTHERS };

#define APIC_BASE_EXTD    (1ull << 10)
#define APIC_BASE_EN      (1ull << 11)
#define APIC_BASE_BSP     (1ull << 8)
#define APIC_BASE_ADDR    0x000FFFFFFFFFF000ull
#define MSR_TSC_DEADLINE  0x6E0u

static bool bit_test(const uint32_t *r, uint8_t v) { return r[v / 32] & (1u << (v % 32)); }
static void bit_set(uint32_t *r, uint8_t v) { r[v / 32] |= 1u << (v % 32); }
static void bit_clear(uint32_t *r, uint8_t v) { r[v / 32] &= ~(1u << (v % 32)); }

/* Highest set vector of a 256-bit register, -1 when none. */
static int highest(const uint32_t *r)
{
    for (int i = 7; i >= 0; i--)
        if (r[i])
            return i * 32 + 31 - __builtin_clz(r[i]);
    return -1;
}

static bool x2apic_mode(const struct vcpu *v) { return v->arch.apic_base & APIC_BASE_EXTD; }
static bool hw_enabled(const struct vcpu *v) { return v->arch.apic_base & APIC_BASE_EN; }

/* SDM 10.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4. */
static uint32_t ppr(const struct vlapic *l)
{
    int isrv = highest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
    return (l->tpr & 0xF0) >= isr_class ? l->tpr & 0xFF : isr_class;
}

/* x2APIC logical ID (SDM 10.12.10.2): cluster in 31:16, one bit of 16 in 15:0. */
static uint32_t x2apic_ldr(uint32_t id) { return (id >> 4) << 16 | 1u << (id & 0xF); }

static uint32_t timer_divisor(uint32_t tdcr)
{
    uint32_t v = (tdcr & 3) | ((tdcr & 8) >> 1);   /* SDM 10.5.4, figure 10-10 */
    return 1u << ((v + 1) & 7);
}

void vlapic_reset(struct vcpu *vcpu)
{
    struct vlapic *l = &vcpu->arch.lapic;
    spin_lock(&l->lock);
    struct spinlock keep = l->lock;
    memset(l, 0, sizeof(*l));
    l->lock = keep;
    l->dfr = 0xFFFFFFFFu;
    l->svr = 0xFF;
    for (int i = 0; i < VLAPIC_LVT_COUNT; i++)
        l->lvt[i] = LVT_MASKED;
    spin_unlock(&l->lock);
}

/* --- timer (SDM 10.5.4) ---------------------------------------------------------------------- */

static void timer_arm_count(struct vcpu *v, uint32_t count, uint64_t now)
{
    struct vlapic *l = &v->arch.lapic;
    l->tmict = count;
    if (!count) {
        l->timer_deadline = 0;
        return;
    }
    uint64_t period = x86_scale((uint64_t)count * timer_divisor(l->tdcr), x86_tsc_hz(), VLAPIC_TIMER_HZ);
    l->timer_period = period ? period : 1;
    l->timer_deadline = now + l->timer_period;
}

static uint32_t timer_current(const struct vlapic *l, uint64_t now)
{
    if (!l->timer_deadline || (l->lvt[0] & LVT_TIMER_MODE) == LVT_TIMER_TSC_DEADLINE || now >= l->timer_deadline)
        return 0;
    uint64_t c = x86_scale(l->timer_deadline - now, VLAPIC_TIMER_HZ, x86_tsc_hz()) / timer_divisor(l->tdcr);
    return c > l->tmict ? l->tmict : (uint32_t)c;
}

static void accept_locked(struct vlapic *l, uint8_t vector, bool level)
{
    bit_set(l->irr, vector);
    if (level)
        bit_set(l->tmr, vector);
    else
        bit_clear(l->tmr, vector);
    __atomic_store_n(&l->irr_pending, 1, __ATOMIC_RELEASE);
}

void vlapic_timer_update(struct vcpu *vcpu, uint64_t now)
{
    struct vlapic *l = &vcpu->arch.lapic;
    if (!__atomic_load_n(&l->timer_deadline, __ATOMIC_RELAXED))
        return;
    spin_lock(&l->lock);
    if (l->timer_deadline && now >= l->timer_deadline) {
        uint32_t lvt = l->lvt[0];
        if ((lvt & LVT_TIMER_MODE) == LVT_TIMER_PERIODIC) {
            /* Periods missed while the vCPU could not run merge into one IRR bit, as on hardware. */
            l->timer_deadline += l->timer_period;
            if (l->timer_deadline <= now)
                l->timer_deadline = now + l->timer_period;
        } else {
            l->timer_deadline = 0;
            if ((lvt & LVT_TIMER_MODE) == LVT_TIMER_TSC_DEADLINE)
                l->tsc_deadline = 0;       /* SDM 10.5.4.1: the MSR reads 0 once the timer fired */
        }
        if (!(lvt & LVT_MASKED) && (lvt & 0xFF) >= 16)
            accept_locked(l, (uint8_t)lvt, false);
    }
    spin_unlock(&l->lock);
}

uint64_t vlapic_next_deadline(struct vcpu *vcpu)
{
    return __atomic_load_n(&vcpu->arch.lapic.timer_deadline, __ATOMIC_RELAXED);
}

/* --- delivery --------------------------------------------------------------------------------- */

bool vlapic_pending(struct vcpu *vcpu, uint8_t *vector)
{
    struct vlapic *l = &vcpu->arch.lapic;
    if (!__atomic_load_n(&l->irr_pending, __ATOMIC_ACQUIRE))
        return false;
    spin_lock(&l->lock);
    int v = highest(l->irr);
    bool ok = v >= 0 && ((uint32_t)v & 0xF0) > (ppr(l) & 0xF0);   /* SDM 10.8.3.1 */
    if (v < 0)
        __atomic_store_n(&l->irr_pending, 0, __ATOMIC_RELAXED);
    spin_unlock(&l->lock);
    if (ok)
        *vector = (uint8_t)v;
    return ok;
}

/* The CPU acknowledged the interrupt (SDM 10.8.4): IRR -> ISR. */
void vlapic_ack(struct vcpu *vcpu, uint8_t vector)
{
    struct vlapic *l = &vcpu->arch.lapic;
    spin_lock(&l->lock);
    bit_clear(l->irr, vector);
    bit_set(l->isr, vector);
    spin_unlock(&l->lock);
}

/* SDM 10.8.5: EOI retires the highest ISR vector; level-triggered ones (TMR) are broadcast to the
 * IOAPIC, which clears Remote IRR (82093AA, 3.2.4). The lock is dropped before the IOAPIC is called. */
static void eoi(struct vcpu *v)
{
    struct vlapic *l = &v->arch.lapic;
    spin_lock(&l->lock);
    int isrv = highest(l->isr);
    bool level = false;
    if (isrv >= 0) {
        bit_clear(l->isr, (uint8_t)isrv);
        level = bit_test(l->tmr, (uint8_t)isrv);
        if (highest(l->irr) >= 0)
            __atomic_store_n(&l->irr_pending, 1, __ATOMIC_RELEASE);
    }
    spin_unlock(&l->lock);
    if (level)
        vioapic_eoi(v->vm, (uint8_t)isrv);
}

static bool matches(const struct vcpu *t, const struct apic_msg *m)
{
    uint32_t id = t->id;
    if (!m->x2dest && m->dest == 0xFF)
        return true;
    if (m->x2dest && m->dest == 0xFFFFFFFFu)
        return true;
    if (!m->logical)
        return m->dest == id;
    if (x2apic_mode(t)) {
        uint32_t ldr = x2apic_ldr(id);
        return (m->dest >> 16) == (ldr >> 16) && (m->dest & ldr & 0xFFFF);
    }
    const struct vlapic *l = &t->arch.lapic;
    uint32_t ldr = l->ldr >> 24;
    if ((l->dfr >> 28) == 0xF)                  /* flat model (SDM 10.6.2.2) */
        return ldr & m->dest;
    return (ldr >> 4) == ((m->dest >> 4) & 0xF) && (ldr & m->dest & 0xF);   /* cluster model */
}

static void accept(struct vcpu *t, const struct apic_msg *m)
{
    struct vlapic *l = &t->arch.lapic;
    switch (m->mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        /* A disabled APIC takes no fixed interrupts (SDM 10.4.3, 10.4.7.2); vectors 0-15 are illegal. */
        if (!hw_enabled(t) || !(l->svr & SVR_ENABLE) || m->vector < 16)
            return;
        spin_lock(&l->lock);
        accept_locked(l, m->vector, m->level);
        spin_unlock(&l->lock);
        break;
    case APIC_DM_NMI:
        __atomic_store_n(&l->nmi_pending, 1, __ATOMIC_RELEASE);
        break;
    case APIC_DM_INIT:
        x86_vcpu_init_signal(t);
        return;
    case APIC_DM_STARTUP:
        x86_vcpu_startup_ipi(t, m->vector);
        return;
    case APIC_DM_SMI:                           /* smm.c: pending, latched while in SMM */
        x86_smm_raise(t);
        return;
    default:                                    /* ExtINT: not modelled */
        return;
    }
    arch_vcpu_kick(t);
}

void vlapic_deliver(struct vm *vm, const struct apic_msg *m)
{
    for (uint32_t i = 0; i < vm->vcpu_count; i++) {
        struct vcpu *t = &vm->vcpu[i];
        if (!matches(t, m))
            continue;
        accept(t, m);
        if (m->mode == APIC_DM_LOWEST)          /* one target: the first that matches */
            return;
    }
}

/* SDM 10.6.1: an ICR write sends the message at once; delivery status reads back idle. */
static void send_icr(struct vcpu *v, uint32_t lo, uint32_t dest)
{
    struct apic_msg m = {
        .dest = dest, .x2dest = x2apic_mode(v), .logical = lo & ICR_LOGICAL, .level = lo & ICR_LEVEL,
        .mode = (uint8_t)((lo >> ICR_DM_SHIFT) & 7), .vector = (uint8_t)lo,
    };
    /* INIT level de-assert (INIT with level 0, trigger level) only synchronises arbitration IDs. */
    if (m.mode == APIC_DM_INIT && !(lo & ICR_ASSERT) && (lo & ICR_LEVEL))
        return;
    if (m.mode == APIC_DM_FIXED || m.mode == APIC_DM_LOWEST)
        m.level = false;                        /* IPIs are edge-triggered: not in the TMR */
    switch ((lo >> ICR_SHORTHAND_SHIFT) & 3) {
    case SH_SELF:
        accept(v, &m);
        return;
    case SH_ALL:
    case SH_OTHERS:
        for (uint32_t i = 0; i < v->vm->vcpu_count; i++)
            if (&v->vm->vcpu[i] != v || ((lo >> ICR_SHORTHAND_SHIFT) & 3) == SH_ALL)
                accept(&v->vm->vcpu[i], &m);
        return;
    default:
        vlapic_deliver(v->vm, &m);
    }
}

/* --- registers --------------------------------------------------------------------------------- */

/* Reads one 32-bit register by xAPIC offset; false for an offset with no register. */
static bool reg_read(struct vcpu *v, uint32_t reg, uint32_t *out)
{
    struct vlapic *l = &v->arch.lapic;
    bool x2 = x2apic_mode(v);
    uint32_t r = 0;
    spin_lock(&l->lock);
    switch (reg) {
    case REG_ID: r = x2 ? v->id : v->id << 24; break;
    case REG_VERSION: r = APIC_VERSION; break;
    case REG_TPR: r = l->tpr; break;
    case REG_APR: r = ppr(l) & 0xF0; break;
    case REG_PPR: r = ppr(l); break;
    case REG_LDR: r = x2 ? x2apic_ldr(v->id) : l->ldr; break;
    case REG_DFR: r = l->dfr; break;
    case REG_SVR: r = l->svr; break;
    case REG_ESR: r = l->esr; break;
    case REG_ICR_LO: r = l->icr_lo; break;
    case REG_ICR_HI: r = l->icr_hi; break;
    case REG_TMICT: r = l->tmict; break;
    case REG_TMCCT: r = timer_current(l, rdtsc()); break;
    case REG_TDCR: r = l->tdcr; break;
    default:
        if (reg >= REG_ISR && reg < REG_ISR + 0x80)
            r = l->isr[(reg - REG_ISR) >> 4];
        else if (reg >= REG_TMR && reg < REG_TMR + 0x80)
            r = l->tmr[(reg - REG_TMR) >> 4];
        else if (reg >= REG_IRR && reg < REG_IRR + 0x80)
            r = l->irr[(reg - REG_IRR) >> 4];
        else if (reg >= REG_LVT_TIMER && reg <= REG_LVT_ERROR)
            r = l->lvt[LVT_INDEX(reg)];
        else if (reg == REG_EOI || reg == REG_RRD || reg == REG_LVT_CMCI) {
            r = 0;
        } else {
            spin_unlock(&l->lock);
            return false;
        }
    }
    spin_unlock(&l->lock);
    *out = r;
    return true;
}

static const uint32_t lvt_writable[VLAPIC_LVT_COUNT] = {
    0x000700FFu,   /* timer: vector, mask, mode */
    0x000107FFu,   /* thermal: vector, delivery mode, mask */
    0x000107FFu,   /* performance counters */
    0x0001A7FFu,   /* LINT0: vector, delivery mode, polarity, trigger, mask */
    0x0001A7FFu,   /* LINT1 */
    0x000100FFu,   /* error: vector, mask */
};

/* Writes one 32-bit register; false for a read-only or absent one (x2APIC: #GP). */
static bool reg_write(struct vcpu *v, uint32_t reg, uint32_t val, uint32_t icr_dest)
{
    struct vlapic *l = &v->arch.lapic;
    bool x2 = x2apic_mode(v);
    uint64_t now = rdtsc();
    if (reg == REG_EOI) {
        eoi(v);
        return true;
    }
    if (reg == REG_ICR_LO) {
        spin_lock(&l->lock);
        l->icr_lo = val & ~(1u << 12);          /* delivery status: idle once sent */
        if (x2)
            l->icr_hi = icr_dest;
        uint32_t dest = x2 ? icr_dest : l->icr_hi >> 24;
        spin_unlock(&l->lock);
        send_icr(v, val, dest);
        return true;
    }
    if (reg == REG_SELF_IPI && x2) {
        struct apic_msg m = { .mode = APIC_DM_FIXED, .vector = (uint8_t)val };
        accept(v, &m);
        return true;
    }
    spin_lock(&l->lock);
    bool ok = true;
    switch (reg) {
    case REG_ID: ok = !x2; break;               /* xAPIC: read-only here (SDM 10.4.6: model specific);
                                                   x2APIC: read-only, a write #GPs (SDM 10.12.5.1) */
    case REG_TPR: l->tpr = val & 0xFF; break;
    case REG_LDR: if (x2) ok = false; else l->ldr = val & 0xFF000000u; break;
    case REG_DFR: if (x2) ok = false; else l->dfr = val | 0x0FFFFFFFu; break;
    case REG_SVR:
        l->svr = val & 0x13FFu;
        if (!(l->svr & SVR_ENABLE))             /* software disable masks every LVT (SDM 10.4.7.2) */
            for (int i = 0; i < VLAPIC_LVT_COUNT; i++)
                l->lvt[i] |= LVT_MASKED;
        break;
    case REG_ESR: l->esr = 0; break;
    case REG_ICR_HI: if (x2) ok = false; else l->icr_hi = val & 0xFF000000u; break;
    case REG_TMICT:
        if ((l->lvt[0] & LVT_TIMER_MODE) != LVT_TIMER_TSC_DEADLINE)   /* ignored in TSC-deadline mode */
            timer_arm_count(v, val, now);
        break;
    case REG_TDCR: l->tdcr = val & 0xBu; break;
    default:
        if (reg >= REG_LVT_TIMER && reg <= REG_LVT_ERROR) {
            uint32_t i = LVT_INDEX(reg), old = l->lvt[i];
            uint32_t nv = val & lvt_writable[i];
            if (!(l->svr & SVR_ENABLE))
                nv |= LVT_MASKED;
            l->lvt[i] = nv;
            /* Into or out of TSC-deadline mode the timer stops and TMICT clears (SDM 10.5.4.1); between
             * one-shot and periodic the count goes on, TMICT kept (as KVM's apic_update_lvtt). */
            bool tscd_old = (old & LVT_TIMER_MODE) == LVT_TIMER_TSC_DEADLINE;
            bool tscd_new = (nv & LVT_TIMER_MODE) == LVT_TIMER_TSC_DEADLINE;
            if (i == 0 && tscd_old != tscd_new) {
                l->timer_deadline = 0;
                l->tmict = 0;
                l->tsc_deadline = 0;
            }
        } else if (reg == REG_LVT_CMCI) {
            /* no CMCI: accepted and dropped */
        } else {
            ok = false;                         /* read-only: version, PPR, ISR, TMR, IRR, TMCCT, ... */
        }
    }
    spin_unlock(&l->lock);
    return ok;
}

/* --- the xAPIC page ------------------------------------------------------------------------------ */

/* The page at base answers only for a vCPU whose APIC is enabled in xAPIC mode there; any other
 * access reads all-ones (a floating bus), as with nothing mapped there. */
static bool xapic_live(const struct vcpu *v, uint64_t base)
{
    return hw_enabled(v) && !x2apic_mode(v) && (v->arch.apic_base & APIC_BASE_ADDR) == base;
}

/* A read of the page of a vCPU whose xAPIC is live there (xapic_live, checked by the caller). */
static inline __attribute__((always_inline)) uint64_t live_page_read(struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    uint32_t r;
    if (!reg_read(vcpu, (uint32_t)off & 0xFF0, &r))
        return ~0ull;
    /* Registers are 32 bits at 16-byte strides (SDM 10.4.1): narrower reads take their bytes. */
    uint32_t shift = 8 * ((uint32_t)off & 3);
    return (off & 0xC) ? 0 : (r >> shift) & (size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
}

static uint64_t page_read(struct vcpu *vcpu, uint64_t base, uint64_t off, uint32_t size)
{
    return xapic_live(vcpu, base) ? live_page_read(vcpu, off, size) : ~0ull;
}

static void page_write(struct vcpu *vcpu, uint64_t base, uint64_t off, uint32_t size, uint64_t value)
{
    if (!xapic_live(vcpu, base) || (off & 0xF) || size < 4)
        return;
    reg_write(vcpu, (uint32_t)off, (uint32_t)value, 0);
}

static uint64_t xapic_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)dev;
    return page_read(vcpu, VLAPIC_BASE_DEFAULT, off, size);
}

static void xapic_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)dev;
    page_write(vcpu, VLAPIC_BASE_DEFAULT, off, size, value);
}

/* A relocated xAPIC page (IA32_APIC_BASE moved off the default, SDM Vol. 3A 10.4.5) is this vCPU's
 * alone, so it is not a device on the VM's bus: guest.c offers each MMIO access here first. Where the
 * new base is RAM, RAM wins (no exit reaches here), as under KVM. */
bool vlapic_relocated_mmio(struct vcpu *v, uint64_t gpa, uint32_t size, bool write, uint64_t *data)
{
    uint64_t base = v->arch.apic_base & APIC_BASE_ADDR;
    if (base == VLAPIC_BASE_DEFAULT || !xapic_live(v, base) || gpa - base >= 0x1000)
        return false;
    if (write)
        page_write(v, base, gpa - base, size, *data);
    else
        *data = page_read(v, base, gpa - base, size);
    return true;
}

/* The exit path's fast tier (svm/svm_fast.c): a read of size 1, 2, 4 or 8 bytes inside this vCPU's
 * live xAPIC page, at its default or relocated base, answered as the VM's bus (default page, through
 * xapic_read) or vlapic_relocated_mmio would answer it, masked to the size as the bus does. False:
 * not such a read (the generic path decides). Register reads have no side effect. */
bool vlapic_xapic_read(struct vcpu *v, uint64_t gpa, uint32_t size, uint64_t *data)
{
    uint64_t base = v->arch.apic_base & APIC_BASE_ADDR, off = gpa - base;
    if ((size != 1 && size != 2 && size != 4 && size != 8) || off >= 0x1000 || 0x1000 - off < size ||
        !xapic_live(v, base))
        return false;
    uint64_t r = live_page_read(v, off, size);
    *data = size == 8 ? r : r & ((1ull << (8 * size)) - 1);
    return true;
}

static const struct mmio_ops xapic_ops = { xapic_read, xapic_write };

bool vlapic_register(struct vm *vm)
{
    return mmio_bus_register(&vm->mmio, VLAPIC_BASE_DEFAULT, 0x1000, &xapic_ops, vm, "lapic") == 0;
}

/* --- MSRs: IA32_APIC_BASE, x2APIC (SDM 10.12), IA32_TSC_DEADLINE -------------------------------- */

/* SDM 10.12.5, figure 10-27: disabled <-> xAPIC <-> x2APIC, x2APIC -> disabled; no other transition.
 * Disabling resets the APIC to its power-up state (10.4.3); the real MSR is never written (FACTS). */
bool vlapic_apic_base_write(struct vcpu *v, uint64_t value)
{
    uint64_t allowed = APIC_BASE_ADDR | APIC_BASE_EN | APIC_BASE_EXTD | APIC_BASE_BSP;
    if ((value & ~allowed) || (value & APIC_BASE_ADDR) >= (1ull << 36))
        return false;
    uint64_t old = v->arch.apic_base;
    bool en = value & APIC_BASE_EN, x2 = value & APIC_BASE_EXTD;
    if (x2 && !en)
        return false;                                         /* invalid state */
    if (x2 && !(old & APIC_BASE_EN))
        return false;                                         /* disabled -> x2APIC */
    if ((old & APIC_BASE_EXTD) && en && !x2)
        return false;                                         /* x2APIC -> xAPIC */
    if (!en && (old & APIC_BASE_EN))
        vlapic_reset(v);
    v->arch.apic_base = (value & ~APIC_BASE_BSP) | (old & APIC_BASE_BSP);
    return true;
}

bool vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    if (msr == MSR_TSC_DEADLINE) {
        struct vlapic *l = &v->arch.lapic;
        spin_lock(&l->lock);
        *value = (l->lvt[0] & LVT_TIMER_MODE) == LVT_TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
        spin_unlock(&l->lock);
        return true;
    }
    uint32_t reg = (msr - 0x800u) << 4, r;
    if (!x2apic_mode(v) || reg == REG_EOI || reg == REG_DFR || reg == REG_APR || reg == REG_RRD ||
        reg == REG_ICR_HI || reg == REG_SELF_IPI || !reg_read(v, reg, &r))
        return false;
    *value = reg == REG_ICR_LO ? (uint64_t)v->arch.lapic.icr_hi << 32 | r : r;
    return true;
}

bool vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    struct vlapic *l = &v->arch.lapic;
    if (msr == MSR_TSC_DEADLINE) {
        /* SDM 10.5.4.1: armed by a non-zero write in TSC-deadline mode, ignored in the other modes. */
        spin_lock(&l->lock);
        if ((l->lvt[0] & LVT_TIMER_MODE) == LVT_TIMER_TSC_DEADLINE) {
            l->tsc_deadline = value;
            uint64_t host = value - (uint64_t)v->arch.tsc_offset;
            l->timer_deadline = value ? (host ? host : 1) : 0;
        }
        spin_unlock(&l->lock);
        return true;
    }
    uint32_t reg = (msr - 0x800u) << 4;
    if (!x2apic_mode(v) || reg == REG_ICR_HI)
        return false;
    if (reg != REG_ICR_LO && (value >> 32))
        return false;
    if ((reg == REG_EOI || reg == REG_ESR) && value)
        return false;                           /* SDM 10.12.1.2: non-zero writes #GP */
    if (reg == REG_SELF_IPI)
        value &= 0xFF;
    return reg_write(v, reg, (uint32_t)value, (uint32_t)(value >> 32));
}
