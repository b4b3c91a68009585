/* vpl011.c: an emulated Arm PL011 (DDI 0183): TX to the VM's console line, RX from the console when
 * the VM has focus, interrupts, IDs for AMBA probing. */
#include "vm.h"
#include "vpl011.h"

enum {
    UARTDR = 0x000, UARTRSR = 0x004, UARTFR = 0x018, UARTILPR = 0x020, UARTIBRD = 0x024,
    UARTFBRD = 0x028, UARTLCR_H = 0x02c, UARTCR = 0x030, UARTIFLS = 0x034, UARTIMSC = 0x038,
    UARTRIS = 0x03c, UARTMIS = 0x040, UARTICR = 0x044, UARTDMACR = 0x048,
    UARTPERIPHID0 = 0xfe0,
};

#define FR_RXFE (1u << 4)
#define FR_RXFF (1u << 6)
#define FR_TXFE (1u << 7)
#define INT_RX  (1u << 4)
#define INT_TX  (1u << 5)
#define INT_RT  (1u << 6)   /* receive timeout: data waiting in the FIFO */

/* PL011 r1p5 peripheral and PrimeCell IDs (DDI 0183G 3.3.14-15): Linux's AMBA bus matches these. */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

void vpl011_init(struct vpl011 *u, struct vm *vm)
{
    *u = (struct vpl011){ .vm = vm, .cr = 0x300, .ifls = 0x12, .ris = INT_TX };
}

/* RX interrupts (DDI 0183 3.4): RXINTR while the FIFO holds data (the trigger level and
 * the timeout are not modelled: any waiting byte raises both RX and RT). Caller holds rx_lock. */
static void rx_update_locked(struct vpl011 *u)
{
    if (u->rx_count)
        u->ris |= INT_RX | INT_RT;
    else
        u->ris &= ~(INT_RX | INT_RT);
}

static uint64_t rx_pop(struct vpl011 *u)
{
    spin_lock(&u->rx_lock);
    uint64_t byte = 0;
    if (u->rx_count) {
        byte = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % VPL011_RX_FIFO;
        u->rx_count--;
    }
    rx_update_locked(u);
    spin_unlock(&u->rx_lock);
    vpl011_update_irq(u);
    return byte;
}

bool vpl011_rx_push(struct vpl011 *u, uint8_t byte)
{
    spin_lock(&u->rx_lock);
    bool room = u->rx_count < VPL011_RX_FIFO;
    if (room) {
        u->rx[(u->rx_head + u->rx_count) % VPL011_RX_FIFO] = byte;
        u->rx_count++;
    }
    rx_update_locked(u);
    spin_unlock(&u->rx_lock);
    vpl011_update_irq(u);
    return room;
}

static uint64_t vpl011_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu;
    (void)size;
    struct vpl011 *u = dev;
    switch (off) {
    case UARTDR: return rx_pop(u);
    case UARTFR: {                                  /* transmit is instantaneous */
        uint32_t n = __atomic_load_n(&u->rx_count, __ATOMIC_ACQUIRE);
        return FR_TXFE | (n ? 0 : FR_RXFE) | (n == VPL011_RX_FIFO ? FR_RXFF : 0);
    }
    case UARTIBRD: return u->ibrd;
    case UARTFBRD: return u->fbrd;
    case UARTLCR_H: return u->lcr_h;
    case UARTCR: return u->cr;
    case UARTIFLS: return u->ifls;
    case UARTIMSC: return u->imsc;
    case UARTRIS: return u->ris;
    case UARTMIS: return u->ris & u->imsc;
    case UARTDMACR: return u->dmacr;
    default:
        if (off >= UARTPERIPHID0 && off < UARTPERIPHID0 + 32 && !(off & 3))
            return pl011_id[(off - UARTPERIPHID0) / 4];
        return 0;                                   /* reserved: RAZ/WI */
    }
}

void vpl011_update_irq(struct vpl011 *u)
{
    if (u->set_irq)
        u->set_irq(u, (u->ris & u->imsc) != 0);
}

static void vpl011_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)vcpu;
    (void)size;
    struct vpl011 *u = dev;
    switch (off) {
    case UARTDR: vm_console_putc(u->vm, (char)(value & 0xff)); break;
    case UARTIBRD: u->ibrd = value & 0xffff; break;
    case UARTFBRD: u->fbrd = value & 0x3f; break;
    case UARTLCR_H: u->lcr_h = value & 0xff; break;
    case UARTCR: u->cr = value & 0xff87; break;
    case UARTIFLS: u->ifls = value & 0x3f; break;
    case UARTIMSC: u->imsc = value & 0x7ff; vpl011_update_irq(u); break;
    case UARTICR:                                   /* TX stays ready; RX stays while data waits */
        spin_lock(&u->rx_lock);
        u->ris &= ~(uint32_t)value | INT_TX;
        rx_update_locked(u);
        spin_unlock(&u->rx_lock);
        vpl011_update_irq(u);
        break;
    case UARTDMACR: u->dmacr = value & 7; break;
    default: break;                                 /* RSR/ECR clear, reserved: ignored */
    }
}

const struct mmio_ops vpl011_ops = { vpl011_read, vpl011_write };
