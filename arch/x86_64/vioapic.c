/* vioapic.c: the virtual IOAPIC at 0xFEC00000 (Intel 82093AA datasheet): IOREGSEL/IOWIN, 24 redirection
 * entries, edge and level triggering, Remote IRR set on a level delivery and cleared by the local APICs'
 * EOI broadcast, a level still asserted then delivered again. */
#include "x86_vcpu.h"

#define IOREGSEL        0x00
#define IOWIN           0x10
#define REG_ID          0x00
#define REG_VERSION     0x01
#define REG_ARB         0x02
#define REG_RTE_BASE    0x10
#define IOAPIC_VERSION  (0x11u | (VIOAPIC_PINS - 1u) << 16)   /* 82093AA: version 0x11 */

/* Redirection entry (82093AA, 3.2.4). */
#define RTE_VECTOR      0xFFull
#define RTE_DM_SHIFT    8
#define RTE_LOGICAL     (1ull << 11)
#define RTE_ACTIVE_LOW  (1ull << 13)
#define RTE_REMOTE_IRR  (1ull << 14)
#define RTE_LEVEL       (1ull << 15)
#define RTE_MASKED      (1ull << 16)
#define RTE_RO_BITS     (RTE_REMOTE_IRR | (1ull << 12))      /* Remote IRR, delivery status */
#define RTE_DEST_SHIFT  56

static bool asserted(const struct vioapic *io, uint32_t pin)
{
    bool high = io->line & (1u << pin);
    return high != !!(io->rte[pin] & RTE_ACTIVE_LOW);
}

/* Sends pin's message; a level-triggered one sets Remote IRR until the EOI. Under io->lock: the local
 * APIC side only takes the target's own lock (the lock order is IOAPIC, then local APIC). */
static void deliver(struct vm *vm, struct vioapic *io, uint32_t pin)
{
    uint64_t rte = io->rte[pin];
    if (rte & RTE_MASKED)
        return;
    bool level = rte & RTE_LEVEL;
    if (level) {
        if (rte & RTE_REMOTE_IRR)
            return;
        io->rte[pin] |= RTE_REMOTE_IRR;
    }
    struct apic_msg m = {
        .dest = (uint32_t)(rte >> RTE_DEST_SHIFT), .logical = rte & RTE_LOGICAL, .level = level,
        .mode = (uint8_t)((rte >> RTE_DM_SHIFT) & 7), .vector = (uint8_t)(rte & RTE_VECTOR),
    };
    vlapic_deliver(vm, &m);
}

void vioapic_set_line(struct vm *vm, uint32_t pin, bool level)
{
    struct vioapic *io = &vm->arch.ioapic;
    if (pin >= VIOAPIC_PINS)
        return;
    spin_lock(&io->lock);
    bool was = asserted(io, pin);
    io->line = level ? io->line | 1u << pin : io->line & ~(1u << pin);
    bool now = asserted(io, pin);
    if (now && (io->rte[pin] & RTE_LEVEL ? true : !was))    /* level: while asserted; edge: on the rise */
        deliver(vm, io, pin);
    spin_unlock(&io->lock);
}

/* The local APICs' EOI broadcast for a level-triggered vector (82093AA, 3.2.4). */
void vioapic_eoi(struct vm *vm, uint8_t vector)
{
    struct vioapic *io = &vm->arch.ioapic;
    spin_lock(&io->lock);
    for (uint32_t pin = 0; pin < VIOAPIC_PINS; pin++) {
        uint64_t rte = io->rte[pin];
        if ((rte & RTE_VECTOR) != vector || !(rte & RTE_REMOTE_IRR))
            continue;
        io->rte[pin] &= ~RTE_REMOTE_IRR;
        if ((rte & RTE_LEVEL) && asserted(io, pin))
            deliver(vm, io, pin);
    }
    spin_unlock(&io->lock);
}

static uint32_t reg_read(struct vioapic *io, uint32_t reg)
{
    switch (reg) {
    case REG_ID: return io->id;
    case REG_VERSION: return IOAPIC_VERSION;
    case REG_ARB: return io->id;
    default:
        if (reg >= REG_RTE_BASE && reg < REG_RTE_BASE + 2 * VIOAPIC_PINS) {
            uint64_t rte = io->rte[(reg - REG_RTE_BASE) / 2];
            return (reg & 1) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
        }
        return 0;
    }
}

static void reg_write(struct vm *vm, struct vioapic *io, uint32_t reg, uint32_t val)
{
    if (reg == REG_ID) {
        io->id = val & 0x0F000000u;
        return;
    }
    if (reg < REG_RTE_BASE || reg >= REG_RTE_BASE + 2 * VIOAPIC_PINS)
        return;
    uint32_t pin = (reg - REG_RTE_BASE) / 2;
    uint64_t rte = io->rte[pin];
    if (reg & 1) {
        rte = (rte & 0xFFFFFFFFull) | (uint64_t)val << 32;
    } else {
        rte = (rte & ~0xFFFFFFFFull) | (val & ~RTE_RO_BITS) | (rte & RTE_RO_BITS);
        if (!(rte & RTE_LEVEL))
            rte &= ~RTE_REMOTE_IRR;            /* Remote IRR has no meaning for an edge entry */
    }
    io->rte[pin] = rte;
    /* Unmasking a level entry whose line is asserted delivers it. */
    if ((rte & RTE_LEVEL) && !(rte & RTE_MASKED) && asserted(io, pin))
        deliver(vm, io, pin);
}

static uint64_t ioapic_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu; (void)size;
    struct vm *vm = dev;
    struct vioapic *io = &vm->arch.ioapic;
    spin_lock(&io->lock);
    uint64_t r = off == IOREGSEL ? io->ioregsel : off == IOWIN ? reg_read(io, io->ioregsel) : 0;
    spin_unlock(&io->lock);
    return r;
}

static void ioapic_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)vcpu; (void)size;
    struct vm *vm = dev;
    struct vioapic *io = &vm->arch.ioapic;
    spin_lock(&io->lock);
    if (off == IOREGSEL)
        io->ioregsel = (uint32_t)value & 0xFF;
    else if (off == IOWIN)
        reg_write(vm, io, io->ioregsel, (uint32_t)value);
    spin_unlock(&io->lock);
}

static const struct mmio_ops ioapic_ops = { ioapic_read, ioapic_write };

/* Power-up state: every entry masked; the ID follows the vCPUs' APIC IDs, as in the MADT. */
void vioapic_reset(struct vm *vm)
{
    struct vioapic *io = &vm->arch.ioapic;
    spin_lock(&io->lock);
    for (uint32_t pin = 0; pin < VIOAPIC_PINS; pin++)
        io->rte[pin] = RTE_MASKED;
    io->id = vm->vcpu_count << 24;
    io->line = 0;
    io->ioregsel = 0;
    spin_unlock(&io->lock);
}

bool vioapic_register(struct vm *vm)
{
    return mmio_bus_register(&vm->mmio, VIOAPIC_BASE, 0x1000, &ioapic_ops, vm, "ioapic") == 0;
}
