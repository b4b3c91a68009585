/* vuart16550.c: an emulated 16550A UART (National PC16550D data sheet): THR to the VM's console line,
 * input from the console when the VM has focus, the transmitter always empty (a byte leaves at once), the
 * four interrupt sources with their IIR priorities, MCR.OUT2 gating the interrupt line, local loopback. */
#include "vm.h"
#include "vuart16550.h"

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define LCR_DLAB     0x80u
#define IER_ERBFI    0x01u          /* received data available */
#define IER_ETBEI    0x02u          /* transmitter holding register empty */
#define IER_ELSI     0x04u          /* receiver line status */
#define IER_EDSSI    0x08u          /* modem status */
#define LSR_DR       0x01u          /* data ready */
#define LSR_OE       0x02u          /* overrun error */
#define LSR_THRE     0x20u          /* transmit holding register empty */
#define LSR_TEMT     0x40u          /* transmitter empty */
#define IIR_NO_INT   0x01u
#define IIR_RLS      0x06u          /* Table IV, highest priority first */
#define IIR_RDA      0x04u
#define IIR_CTI      0x0Cu          /* character timeout: data below the trigger level */
#define IIR_THRE     0x02u
#define IIR_MSR      0x00u
#define IIR_FIFO_ON  0xC0u
#define FCR_ENABLE   0x01u
#define FCR_CLEAR_RX 0x02u
#define MCR_OUT2     0x08u
#define MCR_LOOP     0x10u
#define MSR_NO_LOOP  0xB0u          /* DCD, DSR, CTS: a terminal is attached */

void vuart16550_init(struct vuart16550 *u, struct vm *vm, void (*set_irq)(struct vm *vm, bool level))
{
    *u = (struct vuart16550){ .vm = vm, .set_irq = set_irq };
    vuart16550_reset(u);
}

/* Table III's reset values (IER, IIR, FCR, MCR 0; LSR 0x60), the divisor and LCR as firmware left them
 * (8N1 at 115200, as QEMU's). The line is low again: the platform resets its interrupt controller too. */
void vuart16550_reset(struct vuart16550 *u)
{
    spin_lock(&u->lock);
    u->ier = u->mcr = u->scr = u->fcr = u->dlm = u->msr_delta = 0;
    u->lcr = 0x03;
    u->dll = 0x01;
    u->overrun = u->thre_pending = u->irq_level = false;
    spin_unlock(&u->lock);
}

/* Modem status bits 7:4. In loopback DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD (MCR bit 4). */
static uint8_t modem_lines(const struct vuart16550 *u)
{
    if (!(u->mcr & MCR_LOOP))
        return MSR_NO_LOOP;
    return (uint8_t)(((u->mcr & 0x01) << 5) | ((u->mcr & 0x02) << 3) | ((u->mcr & 0x04) << 4) |
                     ((u->mcr & 0x08) << 4));
}

static uint32_t rx_trigger(const struct vuart16550 *u)
{
    static const uint8_t level[4] = { 1, 4, 8, 14 };
    return (u->fcr & FCR_ENABLE) ? level[u->fcr >> 6] : 1;
}

/* The highest-priority enabled interrupt (Table IV), IIR_NO_INT when none. A FIFO below its trigger
 * level reports the character timeout at once (the hardware waits four character times). */
static uint8_t pending_id(const struct vuart16550 *u)
{
    if ((u->ier & IER_ELSI) && u->overrun)
        return IIR_RLS;
    if ((u->ier & IER_ERBFI) && u->rx_count)
        return u->rx_count >= rx_trigger(u) ? IIR_RDA : IIR_CTI;
    if ((u->ier & IER_ETBEI) && u->thre_pending)
        return IIR_THRE;
    if ((u->ier & IER_EDSSI) && u->msr_delta)
        return IIR_MSR;
    return IIR_NO_INT;
}

/* INTR reaches the PC's interrupt line only while MCR.OUT2 is set (the IBM PC/AT asynchronous adapter
 * gates it so; Super I/O UARTs gate it by the MCR bit, loopback or not). Under u->lock. */
static void update_irq(struct vuart16550 *u)
{
    bool level = pending_id(u) != IIR_NO_INT && (u->mcr & MCR_OUT2);
    if (level == u->irq_level)
        return;
    u->irq_level = level;
    if (u->set_irq)
        u->set_irq(u->vm, level);
}

static bool rx_put(struct vuart16550 *u, uint8_t byte)
{
    if (u->rx_count >= VUART16550_RX_FIFO)
        return false;
    u->rx[(u->rx_head + u->rx_count) % VUART16550_RX_FIFO] = byte;
    u->rx_count++;
    return true;
}

bool vuart16550_rx_push(struct vuart16550 *u, uint8_t byte)
{
    spin_lock(&u->lock);
    bool taken = !(u->mcr & MCR_LOOP) && rx_put(u, byte);
    update_irq(u);
    spin_unlock(&u->lock);
    return taken;
}

static uint8_t rx_pop(struct vuart16550 *u)
{
    uint8_t byte = 0;
    if (u->rx_count) {
        byte = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % VUART16550_RX_FIFO;
        u->rx_count--;
    }
    return byte;
}

static uint8_t read_reg(struct vuart16550 *u, uint64_t off)
{
    bool dlab = u->lcr & LCR_DLAB;
    uint8_t r;
    switch (off) {
    case RBR_THR: return dlab ? u->dll : rx_pop(u);
    case IER: return dlab ? u->dlm : u->ier;
    case IIR_FCR:
        r = pending_id(u);
        if (r == IIR_THRE)              /* reading IIR clears a THRE interrupt it reports */
            u->thre_pending = false;
        return r | ((u->fcr & FCR_ENABLE) ? IIR_FIFO_ON : 0);
    case LCR: return u->lcr;
    case MCR: return u->mcr;
    case LSR:                           /* reading LSR clears OE */
        r = LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0) | (u->overrun ? LSR_OE : 0);
        u->overrun = false;
        return r;
    case MSR:                           /* reading MSR clears the delta bits */
        r = modem_lines(u) | u->msr_delta;
        u->msr_delta = 0;
        return r;
    case SCR: return u->scr;
    default: return 0xFF;
    }
}

static uint64_t vuart16550_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu;
    (void)size;
    struct vuart16550 *u = dev;
    spin_lock(&u->lock);
    uint8_t r = read_reg(u, off);
    update_irq(u);
    spin_unlock(&u->lock);
    return r;
}

/* Delta bits for a change of the modem lines: DCTS, DDSR, DDCD on any change, TERI when RI falls. */
static void modem_change(struct vuart16550 *u, uint8_t before, uint8_t after)
{
    uint8_t changed = before ^ after;
    u->msr_delta |= (uint8_t)(((changed & 0x10) ? 0x01 : 0) | ((changed & 0x20) ? 0x02 : 0) |
                              ((before & 0x40) && !(after & 0x40) ? 0x04 : 0) | ((changed & 0x80) ? 0x08 : 0));
}

/* A byte written to THR: THRE falls, the byte leaves (to the console, or into the receiver in loopback),
 * THRE rises again. The line drops and rises around it, so an edge-triggered input sees a new interrupt
 * when THRE was the only one pending. Returns whether the console gets the byte. */
static bool transmit(struct vuart16550 *u, uint8_t v)
{
    u->thre_pending = false;
    update_irq(u);
    bool out = !(u->mcr & MCR_LOOP);
    if (!out && !rx_put(u, v))
        u->overrun = true;              /* FIFO full: the character is lost (LSR.OE) */
    u->thre_pending = true;
    return out;
}

static void vuart16550_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)vcpu;
    (void)size;
    struct vuart16550 *u = dev;
    uint8_t v = (uint8_t)value;
    bool to_console = false;
    spin_lock(&u->lock);
    bool dlab = u->lcr & LCR_DLAB;
    switch (off) {
    case RBR_THR:
        if (dlab)
            u->dll = v;
        else
            to_console = transmit(u, v);
        break;
    case IER:
        if (dlab) {
            u->dlm = v;
            break;
        }
        /* Enabling ETBEI with THR empty raises THRE: not in the data sheet, but QEMU and Bochs do it
         * on the rising edge of the bit, and Linux's 8250 probe for a working THRE relies on it. */
        if ((v & IER_ETBEI) && !(u->ier & IER_ETBEI))
            u->thre_pending = true;
        u->ier = v & 0x0F;
        break;
    case IIR_FCR:
        if ((v & FCR_CLEAR_RX) || ((v ^ u->fcr) & FCR_ENABLE))
            u->rx_count = 0;            /* changing FCR0 clears both FIFOs too */
        u->fcr = v & 0xC9;
        break;
    case LCR: u->lcr = v; break;
    case MCR: {
        uint8_t before = modem_lines(u);
        u->mcr = v & 0x1F;
        modem_change(u, before, modem_lines(u));
        break;
    }
    case SCR: u->scr = v; break;
    default: break;                     /* LSR, MSR: read-only */
    }
    update_irq(u);
    spin_unlock(&u->lock);
    if (to_console)
        vm_console_putc(u->vm, (char)v);
}

const struct mmio_ops vuart16550_ops = { vuart16550_read, vuart16550_write };
