/* vi8042.c: the PC's 8042 keyboard controller at 0x60 (data) / 0x64 (status, command) as the IBM PC/AT
 * Technical Reference describes it, with no keyboard or mouse attached: enough for an OS to find the
 * controller (self test, command byte) and to reset the machine through it (the output port's reset
 * line, pulsed by 0xFE). No IRQ 1 / IRQ 12. */
#include "kernel.h"
#include "x86_vcpu.h"

#define ST_OBF      0x01u           /* output buffer full */
#define ST_SYS      0x04u           /* system flag: the self test passed (firmware ran it) */
#define ST_A2       0x08u           /* the last byte written was a command (0x64) */
#define ST_INH      0x10u           /* keyboard inhibit switch: not inhibited */
#define CCB_DEFAULT 0x45u           /* keyboard interrupt, system flag, scan-code translation (as after POST) */
#define OUT_PORT    0xCFu           /* output port: reset line (bit 0) high, A20 (bit 1) on, buffers empty */
#define OUT_RESET   0x01u           /* bit 0 low resets the processor */

void vi8042_reset(struct vi8042 *k)
{
    *k = (struct vi8042){ .status = ST_SYS | ST_A2 | ST_INH, .ccb = CCB_DEFAULT };
}

static void put_output(struct vi8042 *k, uint8_t v)
{
    k->output = v;
    k->has_output = true;
}

uint8_t vi8042_read(struct vi8042 *k, struct vm *vm, uint16_t port)
{
    (void)vm;
    if (port == VI8042_CMD_PORT)
        return (uint8_t)(k->status | (k->has_output ? ST_OBF : 0));
    k->has_output = false;             /* reading 0x60 empties the output buffer */
    return k->output;
}

/* Commands 0xF0-0xFF pulse the output port's bits 0-3 that are 0 in the command's low nibble: with bit 0
 * among them, the reset line (0xFE is the usual one). */
static void command(struct vi8042 *k, struct vm *vm, uint8_t cmd)
{
    switch (cmd) {
    case 0x20: put_output(k, k->ccb); break;              /* read command byte */
    case 0x60: case 0xD1: k->pending = cmd; break;       /* their data byte follows at 0x60 */
    case 0xA7: k->ccb |= 0x20; break;                     /* disable, enable the auxiliary device */
    case 0xA8: k->ccb &= (uint8_t)~0x20; break;
    case 0xA9: put_output(k, 0x00); break;                /* auxiliary interface test: no error */
    case 0xAA: put_output(k, 0x55); k->status |= ST_SYS; break;   /* self test passed */
    case 0xAB: put_output(k, 0x00); break;                /* keyboard interface test: no error */
    case 0xAD: k->ccb |= 0x10; break;                     /* disable, enable the keyboard */
    case 0xAE: k->ccb &= (uint8_t)~0x10; break;
    case 0xC0: put_output(k, 0x00); break;                /* read input port */
    case 0xD0: put_output(k, OUT_PORT); break;            /* read output port */
    default:
        if (cmd >= 0xF0 && !(cmd & OUT_RESET))
            x86_vm_reset(vm, "8042 command 0xFE on port 0x64");
        break;                                            /* others: nothing attached to answer */
    }
}

void vi8042_write(struct vi8042 *k, struct vm *vm, uint16_t port, uint8_t value)
{
    if (port == VI8042_CMD_PORT) {
        k->status |= ST_A2;
        k->pending = 0;
        command(k, vm, value);
        return;
    }
    k->status &= (uint8_t)~ST_A2;
    uint8_t cmd = k->pending;
    k->pending = 0;
    if (cmd == 0x60) {
        k->ccb = value;
        k->status = (uint8_t)((k->status & ~ST_SYS) | (value & ST_SYS));   /* the SYS bit follows it */
    } else if (cmd == 0xD1 && !(value & OUT_RESET)) {
        x86_vm_reset(vm, "8042 output port write on port 0x60");
    }
    /* no command pending: a byte for the keyboard, and there is none */
}

static uint64_t port_read(struct vi8042 *k, struct vcpu *vcpu, uint16_t port)
{
    spin_lock(&k->lock);
    uint8_t v = vi8042_read(k, vcpu->vm, port);
    spin_unlock(&k->lock);
    return v;
}

static void port_write(struct vi8042 *k, struct vcpu *vcpu, uint16_t port, uint64_t value)
{
    spin_lock(&k->lock);
    vi8042_write(k, vcpu->vm, port, (uint8_t)value);
    spin_unlock(&k->lock);
}

static uint64_t data_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)off; (void)size;
    return port_read(dev, vcpu, VI8042_DATA_PORT);
}

static void data_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)off; (void)size;
    port_write(dev, vcpu, VI8042_DATA_PORT, value);
}

static uint64_t cmd_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)off; (void)size;
    return port_read(dev, vcpu, VI8042_CMD_PORT);
}

static void cmd_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)off; (void)size;
    port_write(dev, vcpu, VI8042_CMD_PORT, value);
}

static const struct mmio_ops data_ops = { data_read, data_write }, cmd_ops = { cmd_read, cmd_write };

/* Two one-byte ranges: 0x61 between them is the PIT's port B (vpit.c). */
bool vi8042_register(struct vm *vm)
{
    vi8042_reset(&vm->arch.i8042);
    return mmio_bus_register(&vm->pio, VI8042_DATA_PORT, 1, &data_ops, &vm->arch.i8042, "i8042-data") == 0 &&
           mmio_bus_register(&vm->pio, VI8042_CMD_PORT, 1, &cmd_ops, &vm->arch.i8042, "i8042-cmd") == 0;
}
