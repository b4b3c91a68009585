/* vuart16550.c: an emulated 16550A UART (NS16550A / TI TL16C550 data sheet): THR to the VM's console
 * line, input from the console when the VM has focus (polled: no RX interrupt), transmitter always empty, the control registers stored, modem loopback reflected. */
#include "vm.h"
#include "vuart16550.h"

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define LCR_DLAB     0x80u
#define LSR_DR       0x01u          /* data ready */
#define LSR_THRE     0x20u          /* transmit holding register empty */
#define LSR_TEMT     0x40u          /* transmitter empty */
#define IIR_NO_INT   0x01u
#define IIR_FIFO_ON  0xC0u
#define FCR_ENABLE   0x01u
#define MCR_LOOP     0x10u
#define MSR_NO_LOOP  0xB0u          /* DCD, DSR, CTS: a terminal is attached */

void vuart16550_init(struct vuart16550 *u, struct vm *vm)
{
    *u = (struct vuart16550){ .vm = vm, .lcr = 0x03, .dll = 0x01 };   /* 8N1, 115200 */
}

/* Modem status in loopback mode: DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD (data sheet 8.6.4). */
static uint8_t modem_status(const struct vuart16550 *u)
{
    if (!(u->mcr & MCR_LOOP))
        return MSR_NO_LOOP;
    return (uint8_t)(((u->mcr & 0x01) << 5) | ((u->mcr & 0x02) << 3) | ((u->mcr & 0x04) << 4) |
                     ((u->mcr & 0x08) << 4));
}

bool vuart16550_rx_push(struct vuart16550 *u, uint8_t byte)
{
    spin_lock(&u->rx_lock);
    bool room = u->rx_count < VUART16550_RX_FIFO;
    if (room) {
        u->rx[(u->rx_head + u->rx_count) % VUART16550_RX_FIFO] = byte;
        u->rx_count++;
    }
    spin_unlock(&u->rx_lock);
    return room;
}

static uint8_t rx_pop(struct vuart16550 *u)
{
    uint8_t byte = 0;
    spin_lock(&u->rx_lock);
    if (u->rx_count) {
        byte = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % VUART16550_RX_FIFO;
        u->rx_count--;
    }
    spin_unlock(&u->rx_lock);
    return byte;
}

static uint64_t vuart16550_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu;
    (void)size;
    struct vuart16550 *u = dev;
    bool dlab = u->lcr & LCR_DLAB;
    switch (off) {
    case RBR_THR: return dlab ? u->dll : rx_pop(u);
    case IER: return dlab ? u->dlm : u->ier;
    case IIR_FCR: return IIR_NO_INT | ((u->fcr & FCR_ENABLE) ? IIR_FIFO_ON : 0);
    case LCR: return u->lcr;
    case MCR: return u->mcr;
    case LSR:                                        /* transmission is instantaneous */
        return LSR_THRE | LSR_TEMT | (__atomic_load_n(&u->rx_count, __ATOMIC_ACQUIRE) ? LSR_DR : 0);
    case MSR: return modem_status(u);
    case SCR: return u->scr;
    default: return 0xFF;
    }
}

static void vuart16550_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)vcpu;
    (void)size;
    struct vuart16550 *u = dev;
    uint8_t v = (uint8_t)value;
    bool dlab = u->lcr & LCR_DLAB;
    switch (off) {
    case RBR_THR:
        if (dlab)
            u->dll = v;
        else if (!(u->mcr & MCR_LOOP))
            vm_console_putc(u->vm, (char)v);
        break;
    case IER:
        if (dlab)
            u->dlm = v;
        else
            u->ier = v & 0x0F;
        break;
    case IIR_FCR: u->fcr = v & 0xC9; break;
    case LCR: u->lcr = v; break;
    case MCR: u->mcr = v & 0x1F; break;
    case SCR: u->scr = v; break;
    default: break;                                  /* LSR, MSR: read-only */
    }
}

const struct mmio_ops vuart16550_ops = { vuart16550_read, vuart16550_write };
