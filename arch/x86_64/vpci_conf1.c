/* vpci_conf1.c: ports 0xCF8-0xCFF of a VM: PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2:
 * CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at 0xCFC-0xCFF) over the VM's vpci bus (kernel/vpci.c), whose
 * 00:00.0 is a host bridge as QEMU q35's; and, inside CONFIG_ADDRESS's dword, the Reset Control Register
 * at 0xCF9 (Intel ICH9 datasheet, 13.7.5 RST_CNT), which only a byte access reaches. */
#include "kernel.h"
#include "x86_vcpu.h"

#define CONFIG_ENABLE     0x80000000u
#define CONFIG_ADDR_MASK  0x80FFFFFCu   /* enable, bus, device, function, register; 30:24 and 1:0 read 0 */
#define RST_CNT_OFF       1u
#define RST_SYS_RST       0x02u         /* the next RST_CPU is a hard reset */
#define RST_CPU           0x04u         /* writing 1 resets */
#define RST_FULL_RST      0x08u

/* The host bridge's configuration space: Intel 82G33/P35 DRAM controller IDs (QEMU q35's 00:00.0, device
 * 0x29C0), class 06 00 00, header type 0, QEMU's subsystem IDs; no BARs, no capabilities, nothing to set. */
static uint32_t bridge_read(void *ctx, uint32_t offset, uint32_t size)
{
    (void)ctx;
    uint32_t d;
    switch (offset & ~3u) {
    case PCI_VENDOR_ID: d = VPCI_HOST_BRIDGE_ID; break;
    case PCI_CLASS_REVISION: d = 0x06000000u; break;
    case PCI_SUBSYSTEM: d = 0x11001AF4u; break;
    default: d = 0; break;
    }
    d >>= 8 * (offset & 3);
    return size == 4 ? d : d & ((1u << (8 * size)) - 1);
}

static void bridge_write(void *ctx, uint32_t offset, uint32_t size, uint32_t value)
{
    (void)ctx; (void)offset; (void)size; (void)value;
}

static bool bridge_msi_route(void *ctx, uint64_t guest_address, uint32_t guest_data, uint64_t *host_address,
                             uint32_t *host_data)
{
    (void)ctx; (void)guest_address; (void)guest_data; (void)host_address; (void)host_data;
    return false;
}

static const struct vpci_host_ops bridge_ops = { bridge_read, bridge_write, bridge_msi_route };

/* ECAM offsets below 0x100 are the host bridge's (bus 0, device 0, function 0): its SMRAM controls are
 * smram.c's (the generic bus has no device-specific registers). */
uint64_t x86_pci_config_read(struct vm *vm, uint64_t ecam_offset, uint32_t size)
{
    uint32_t smram;
    if (ecam_offset < 0x100 && size <= 4 && x86_smram_config_read(vm, (uint32_t)ecam_offset, size, &smram))
        return smram;
    struct vpci_conf1 *p = &vm->arch.pci;
    spin_lock(&p->lock);
    uint64_t v = vpci_ecam_read(&p->bus, ecam_offset, size);    /* past bus 0: all ones */
    spin_unlock(&p->lock);
    return v;
}

void x86_pci_config_write(struct vm *vm, uint64_t ecam_offset, uint32_t size, uint64_t value)
{
    if (ecam_offset < 0x100 && size <= 4 && x86_smram_config_write(vm, (uint32_t)ecam_offset, size, (uint32_t)value))
        return;
    struct vpci_conf1 *p = &vm->arch.pci;
    spin_lock(&p->lock);
    vpci_ecam_write(&p->bus, ecam_offset, size, value);
    spin_unlock(&p->lock);
}

/* CONFIG_DATA byte `off` (0-3) of the function CONFIG_ADDRESS selects, as an ECAM offset; false when
 * the enable bit is clear (the access then goes nowhere: reads float to all ones) or the access would
 * leave the dword. */
static bool data_target(uint32_t address, uint64_t off, uint32_t size, uint64_t *ecam)
{
    if (!(address & CONFIG_ENABLE) || off + size > 4)
        return false;
    uint32_t bus = (address >> 16) & 0xFF, devfn = (address >> 8) & 0xFF;
    *ecam = (uint64_t)bus << 20 | (uint64_t)devfn << 12 | ((address & 0xFC) + off);
    return true;
}

static uint64_t size_ones(uint32_t size) { return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1; }

static uint64_t conf1_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu;
    struct vm *vm = dev;
    struct vpci_conf1 *p = &vm->arch.pci;
    uint64_t ecam;
    uint32_t address = __atomic_load_n(&p->address, __ATOMIC_RELAXED);
    if (off == 0 && size == 4)
        return address;
    if (off == RST_CNT_OFF && size == 1)
        return __atomic_load_n(&p->rst_cnt, __ATOMIC_RELAXED);
    if (off >= 4 && data_target(address, off - 4, size, &ecam))
        return x86_pci_config_read(vm, ecam, size) & size_ones(size);
    return size_ones(size);
}

static void conf1_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    (void)vcpu;
    struct vm *vm = dev;
    struct vpci_conf1 *p = &vm->arch.pci;
    uint64_t ecam;
    if (off == 0 && size == 4) {
        __atomic_store_n(&p->address, (uint32_t)value & CONFIG_ADDR_MASK, __ATOMIC_RELAXED);
    } else if (off == RST_CNT_OFF && size == 1) {
        /* RST_CPU resets: hard with SYS_RST (firmware, Linux's reboot=pci write 0x06), else soft (INIT
         * only). The VM is reset whole either way, as QEMU does. */
        __atomic_store_n(&p->rst_cnt, (uint8_t)(value & (RST_SYS_RST | RST_FULL_RST)), __ATOMIC_RELAXED);
        if (value & RST_CPU)
            x86_vm_reset(vm, "port 0xCF9");
    } else if (off >= 4 && data_target(__atomic_load_n(&p->address, __ATOMIC_RELAXED), off - 4, size, &ecam)) {
        x86_pci_config_write(vm, ecam, size, value);
    }
    /* byte and word accesses to 0xCF8, 0xCFA, 0xCFB: not CONFIG_ADDRESS (dword only), nothing there */
}

static const struct mmio_ops conf1_ops = { conf1_read, conf1_write };

bool vpci_conf1_init(struct vm *vm)
{
    struct vpci_conf1 *p = &vm->arch.pci;
    *p = (struct vpci_conf1){ 0 };
    if (vpci_add(&p->bus, &bridge_ops, NULL, 0x00, NULL) != VPCI_OK)
        return false;
    return mmio_bus_register(&vm->pio, VPCI_CONF1_PORT, VPCI_CONF1_PORT_COUNT, &conf1_ops, vm, "pci-conf1") == 0;
}

void vpci_conf1_reset(struct vm *vm)
{
    struct vpci_conf1 *p = &vm->arch.pci;
    spin_lock(&p->lock);
    p->address = 0;
    p->rst_cnt = 0;
    vpci_reset(&p->bus);
    spin_unlock(&p->lock);
}
