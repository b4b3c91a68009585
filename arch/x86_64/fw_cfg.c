/* fw_cfg.c: QEMU's firmware configuration interface, traditional port I/O form (QEMU docs/specs/fw_cfg.txt):
 * a 16-bit selector at 0x510, a byte-wide data port at 0x511 reading the selected item from offset 0 up.
 * Items: signature "QEMU", interface ID (no DMA), RAM size (64-bit little-endian), CPU counts, and an
 * empty file directory. Unknown items read as 0. */
#include "boot_info.h"
#include "x86_vcpu.h"

#define FW_CFG_PORT         0x510
#define FW_CFG_SIGNATURE    0x0000
#define FW_CFG_ID           0x0001
#define FW_CFG_RAM_SIZE     0x0003
#define FW_CFG_NB_CPUS      0x0005
#define FW_CFG_MAX_CPUS     0x000F
#define FW_CFG_FILE_DIR     0x0019

/* Item bytes at offset, 0 past the end. */
static uint8_t item_byte(struct vm *vm, uint16_t sel, uint32_t off)
{
    uint64_t v;
    uint32_t len;
    switch (sel) {
    case FW_CFG_SIGNATURE: v = 'Q' | 'E' << 8 | 'M' << 16 | (uint64_t)'U' << 24; len = 4; break;
    case FW_CFG_ID: v = 1; len = 4; break;                     /* traditional interface, no DMA */
    case FW_CFG_RAM_SIZE: v = vm->boot->ram.size_bytes; len = 8; break;
    case FW_CFG_NB_CPUS:
    case FW_CFG_MAX_CPUS: v = vm->vcpu_count; len = 2; break;
    case FW_CFG_FILE_DIR: v = 0; len = 4; break;               /* big-endian count: no files */
    default: return 0;
    }
    return off < len ? (uint8_t)(v >> (8 * off)) : 0;
}

static uint64_t fw_cfg_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu;
    struct vm *vm = dev;
    struct fw_cfg *f = &vm->arch.fw_cfg;
    if (off != 1)
        return 0;
    uint64_t r = 0;
    spin_lock(&vm->arch.pit.lock);                 /* one small lock for the VM's legacy ports */
    for (uint32_t i = 0; i < size; i++)            /* wider reads take consecutive bytes */
        r |= (uint64_t)item_byte(vm, f->selector, f->offset++) << (8 * i);
    spin_unlock(&vm->arch.pit.lock);
    return r;
}

static void fw_cfg_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)vcpu; (void)size;
    struct vm *vm = dev;
    if (off != 0)
        return;                                    /* data writes are ignored (read-only items) */
    spin_lock(&vm->arch.pit.lock);
    vm->arch.fw_cfg.selector = (uint16_t)value;
    vm->arch.fw_cfg.offset = 0;
    spin_unlock(&vm->arch.pit.lock);
}

static const struct mmio_ops fw_cfg_ops = { fw_cfg_read, fw_cfg_write };

bool fw_cfg_register(struct vm *vm)
{
    return mmio_bus_register(&vm->pio, FW_CFG_PORT, 2, &fw_cfg_ops, vm, "fw_cfg") == 0;
}
