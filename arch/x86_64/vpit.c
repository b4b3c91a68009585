/* vpit.c: the legacy timer ports of a PC: the 8254 PIT at 0x40-0x43 (Intel 8254 datasheet) timed by the
 * host TSC, channel 0's OUT driving IOAPIC pin 2 (ISA IRQ 0 after the MADT override), channel 2's gate
 * and output on port 0x61; and the 8259 pair at 0x20/0x21 and 0xA0/0xA1, which takes its ICWs and mask
 * but never delivers (guests that use the IOAPIC mask it). */
#include "x86.h"
#include "x86_vcpu.h"

#define PIT_HZ        1193182u
#define PORT61_GATE2  0x01u
#define PORT61_SPKR   0x02u
#define PORT61_REFRESH 0x10u
#define PORT61_OUT2   0x20u

static uint64_t ticks_since(const struct vpit_channel *c, uint64_t now)
{
    return now > c->start ? x86_scale(now - c->start, PIT_HZ, x86_tsc_hz()) : 0;
}

/* Host TSC after n PIT clocks from start, rounded up: the output never changes early. */
static uint64_t tsc_after(const struct vpit_channel *c, uint64_t n)
{
    uint64_t hz = x86_tsc_hz();
    return c->start + (uint64_t)(((unsigned __int128)n * hz + PIT_HZ - 1) / PIT_HZ);
}

/* OUT of a counting channel (8254 datasheet, "Modes"); before counting, mode 0 holds it low. */
static bool out_level(const struct vpit_channel *c, uint64_t now)
{
    if (!c->start)
        return c->mode != 0;
    uint64_t t = ticks_since(c, now), n = c->count;
    switch (c->mode) {
    case 0: case 1: return t >= n;                 /* interrupt on terminal count, one-shot */
    case 2: return t % n != n - 1;                 /* rate generator: low for the last clock */
    case 3: return t % n < (n + 1) / 2;            /* square wave */
    default: return t != n;                        /* strobes: low for one clock */
    }
}

static uint16_t current_count(const struct vpit_channel *c, uint64_t now)
{
    if (!c->start)
        return (uint16_t)c->count;
    uint64_t t = ticks_since(c, now), n = c->count;
    if (c->mode == 2 || c->mode == 3)
        return (uint16_t)(n - t % n);
    return (uint16_t)(n - t);                      /* wraps past 0 and keeps counting (mode 0) */
}

static bool gate(const struct vpit *p, int ch) { return ch != 2 || (p->port61 & PORT61_GATE2); }

/* Channel 0 -> IOAPIC pin 2. Periodic modes give one pulse per period that has passed since the last
 * update (periods the VM could not observe merge, like a latched edge). Under pit->lock. */
static void drive_irq0(struct vm *vm, struct vpit *p, uint64_t now)
{
    struct vpit_channel *c = &p->ch[0];
    bool level = out_level(c, now);
    p->next_event = 0;
    if (c->start && (c->mode == 2 || c->mode == 3)) {
        uint64_t periods = ticks_since(c, now) / c->count;
        if (periods > c->periods) {
            c->periods = periods;
            vioapic_set_line(vm, VPIT_GSI, false);
            p->out0 = false;
        }
        level = true;
        p->next_event = tsc_after(c, (periods + 1) * c->count);
    } else if (c->start && !level && c->mode <= 1) {
        p->next_event = tsc_after(c, c->count);
    }
    if (level != p->out0) {
        p->out0 = level;
        vioapic_set_line(vm, VPIT_GSI, level);
    }
}

void vpit_update(struct vm *vm, uint64_t now)
{
    struct vpit *p = &vm->arch.pit;
    uint64_t next = __atomic_load_n(&p->next_event, __ATOMIC_RELAXED);
    if (!next || now < next)
        return;
    spin_lock(&p->lock);
    drive_irq0(vm, p, now);
    spin_unlock(&p->lock);
}

static void load_count(struct vpit *p, int ch, uint32_t v, uint64_t now)
{
    struct vpit_channel *c = &p->ch[ch];
    c->count = v ? v : 0x10000;
    c->periods = 0;
    c->start = gate(p, ch) ? now : 0;
}

static void control_word(struct vpit *p, uint8_t v, uint64_t now)
{
    int ch = v >> 6;
    if (ch == 3) {                                  /* read-back command (8254 datasheet) */
        for (int i = 0; i < 3; i++) {
            struct vpit_channel *c = &p->ch[i];
            if (!(v & (2u << i)))
                continue;
            if (!(v & 0x10) && !c->status_latched) {
                c->status = (uint8_t)(out_level(c, now) << 7 | (!c->start) << 6 | c->access << 4 |
                                      c->mode << 1 | c->bcd);
                c->status_latched = true;
            }
            if (!(v & 0x20) && !c->latched) {
                c->latch = current_count(c, now);
                c->latched = true;
            }
        }
        return;
    }
    struct vpit_channel *c = &p->ch[ch];
    uint8_t access = (v >> 4) & 3;
    if (!access) {                                  /* counter latch */
        if (!c->latched) {
            c->latch = current_count(c, now);
            c->latched = true;
        }
        return;
    }
    c->access = access;
    c->mode = (v >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4;                               /* 6, 7 are modes 2, 3 */
    c->bcd = v & 1;
    c->write_hi = c->read_hi = c->latched = c->status_latched = false;
    c->start = 0;                                   /* a new mode waits for its count */
    c->count = 0;
}

static void data_write(struct vpit *p, int ch, uint8_t v, uint64_t now)
{
    struct vpit_channel *c = &p->ch[ch];
    switch (c->access) {
    case 1: load_count(p, ch, v, now); break;
    case 2: load_count(p, ch, (uint32_t)v << 8, now); break;
    default:
        if (!c->write_hi) {
            c->write_lo = v;
            c->write_hi = true;
        } else {
            c->write_hi = false;
            load_count(p, ch, c->write_lo | (uint32_t)v << 8, now);
        }
    }
}

static uint8_t data_read(struct vpit_channel *c, uint64_t now)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v = c->latched ? c->latch : current_count(c, now);
    uint8_t r;
    if (c->access == 1) {
        r = (uint8_t)v;
        c->latched = false;
    } else if (c->access == 2) {
        r = (uint8_t)(v >> 8);
        c->latched = false;
    } else {
        r = c->read_hi ? (uint8_t)(v >> 8) : (uint8_t)v;
        if (c->read_hi)
            c->latched = false;
        c->read_hi = !c->read_hi;
    }
    return r;
}

static uint64_t pit_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu; (void)size;
    struct vm *vm = dev;
    struct vpit *p = &vm->arch.pit;
    uint64_t now = rdtsc();
    spin_lock(&p->lock);
    uint8_t r = off < 3 ? data_read(&p->ch[off], now) : 0xFF;
    spin_unlock(&p->lock);
    return r;
}

static void pit_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)vcpu; (void)size;
    struct vm *vm = dev;
    struct vpit *p = &vm->arch.pit;
    uint64_t now = rdtsc();
    spin_lock(&p->lock);
    if (off == 3)
        control_word(p, (uint8_t)value, now);
    else
        data_write(p, (int)off, (uint8_t)value, now);
    drive_irq0(vm, p, now);
    spin_unlock(&p->lock);
}

/* Port 0x61 (system control port B): gate 2 and speaker in bits 0-1, refresh toggle in 4, OUT2 in 5. */
static uint64_t port61_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu; (void)off; (void)size;
    struct vm *vm = dev;
    struct vpit *p = &vm->arch.pit;
    uint64_t now = rdtsc();
    spin_lock(&p->lock);
    uint8_t r = (uint8_t)((p->port61 & 0x0F) | (out_level(&p->ch[2], now) ? PORT61_OUT2 : 0) |
                          (x86_scale(now, 66667, x86_tsc_hz()) & 1 ? PORT61_REFRESH : 0));   /* ~15 us */
    spin_unlock(&p->lock);
    return r;
}

static void port61_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)vcpu; (void)off; (void)size;
    struct vm *vm = dev;
    struct vpit *p = &vm->arch.pit;
    uint64_t now = rdtsc();
    spin_lock(&p->lock);
    bool rise = !(p->port61 & PORT61_GATE2) && (value & PORT61_GATE2);
    p->port61 = (uint8_t)value & (PORT61_GATE2 | PORT61_SPKR);
    struct vpit_channel *c = &p->ch[2];
    /* A rising gate starts a loaded count, and retriggers modes 1, 2, 3 and 5. */
    if (rise && c->count && (!c->start || c->mode == 1 || c->mode == 2 || c->mode == 3 || c->mode == 5))
        c->start = now;
    spin_unlock(&p->lock);
}

/* 8259A: ICW1 on the command port starts the ICW2-4 sequence on the data port; afterwards data-port
 * writes are OCW1 (the mask) and read back. It never raises an interrupt. */
static uint64_t pic_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu; (void)size;
    struct vpic8259 *pic = dev;
    return off ? pic->imr : 0;                     /* IRR/ISR: nothing pending or in service */
}

static void pic_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)size;
    struct vpic8259 *pic = dev;
    struct vpit *lock_owner = &vcpu->vm->arch.pit;
    uint8_t v = (uint8_t)value;
    spin_lock(&lock_owner->lock);
    if (!off) {
        if (v & 0x10) {                            /* ICW1 */
            pic->icw_step = 2;
            pic->icw4_wanted = v & 1;
            pic->single = (v >> 1) & 1;
            pic->imr = 0;
        }
    } else if (pic->icw_step == 2) {               /* ICW2: vector base */
        pic->icw_step = pic->single ? (pic->icw4_wanted ? 4 : 0) : 3;
    } else if (pic->icw_step == 3) {               /* ICW3: cascade */
        pic->icw_step = pic->icw4_wanted ? 4 : 0;
    } else if (pic->icw_step == 4) {               /* ICW4 */
        pic->icw_step = 0;
    } else {
        pic->imr = v;                              /* OCW1 */
    }
    spin_unlock(&lock_owner->lock);
}

static uint64_t elcr_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)dev; (void)vcpu; (void)off; (void)size;
    return 0;                                      /* every ISA IRQ edge-triggered */
}

static const struct mmio_ops pit_ops = { pit_read, pit_write };
static const struct mmio_ops port61_ops = { port61_read, port61_write };
static const struct mmio_ops pic_ops = { pic_read, pic_write };
static const struct mmio_ops elcr_ops = { elcr_read, NULL };

void vpit_reset(struct vm *vm)
{
    struct vpit *p = &vm->arch.pit;
    spin_lock(&p->lock);
    for (int i = 0; i < 3; i++)
        p->ch[i] = (struct vpit_channel){ .access = 3 };
    p->port61 = 0;
    p->out0 = false;
    p->next_event = 0;
    vm->arch.pic[0] = vm->arch.pic[1] = (struct vpic8259){ .imr = 0xFF };
    spin_unlock(&p->lock);
}

bool vpit_register(struct vm *vm)
{
    struct mmio_bus *b = &vm->pio;
    return mmio_bus_register(b, 0x40, 4, &pit_ops, vm, "pit") == 0 &&
           mmio_bus_register(b, 0x61, 1, &port61_ops, vm, "port61") == 0 &&
           mmio_bus_register(b, 0x20, 2, &pic_ops, &vm->arch.pic[0], "pic-master") == 0 &&
           mmio_bus_register(b, 0xA0, 2, &pic_ops, &vm->arch.pic[1], "pic-slave") == 0 &&
           mmio_bus_register(b, 0x4D0, 2, &elcr_ops, vm, "elcr") == 0;
}
