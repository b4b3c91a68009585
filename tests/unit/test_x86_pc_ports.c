/* Host unit tests for two PC port devices through a VM's port bus: PCI configuration mechanism #1
 * (arch/x86_64/vpci_conf1.c: CONFIG_ADDRESS read-back and enable bit, byte/word/dword CONFIG_DATA
 * offsets, the host bridge at 00:00.0, absent functions and other buses all ones, RST_CNT at 0xCF9
 * resetting the VM) and the 8042 (arch/x86_64/vi8042.c: status, self test, command byte, 0xFE and
 * the output port's reset line). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "x86_vcpu.h"

static struct vm vm;
static struct vcpu *vcpu = &vm.vcpu[0];
static unsigned resets;
static char reset_source[64];

int hv_printf(const char *fmt, ...) { (void)fmt; return 0; }

/* A VM without SMM: the host bridge has no SMRAM registers (test_x86_smram.c has them). */
bool x86_smram_config_read(struct vm *v, uint32_t offset, uint32_t size, uint32_t *value)
{
    (void)v, (void)offset, (void)size, (void)value;
    return false;
}
bool x86_smram_config_write(struct vm *v, uint32_t offset, uint32_t size, uint32_t value)
{
    (void)v, (void)offset, (void)size, (void)value;
    return false;
}

void x86_vm_reset(struct vm *v, const char *source)
{
    cr_assert_eq(v, &vm);
    resets++;
    snprintf(reset_source, sizeof reset_source, "%s", source);
}

static uint64_t in(uint16_t port, uint32_t size)
{
    uint64_t v = 0;
    cr_assert(mmio_bus_read(&vm.pio, vcpu, port, size, &v), "port 0x%x size %u unclaimed", port, size);
    return v;
}

static void out(uint16_t port, uint32_t size, uint64_t v)
{
    cr_assert(mmio_bus_write(&vm.pio, vcpu, port, size, v), "port 0x%x size %u unclaimed", port, size);
}

static void setup(void)
{
    memset(&vm, 0, sizeof vm);
    vm.name = "t";
    vcpu->vm = &vm;
    resets = 0;
    reset_source[0] = 0;
    cr_assert(vpci_conf1_init(&vm));
    cr_assert(vi8042_register(&vm));
}

TestSuite(pc_ports, .init = setup);

Test(pc_ports, config_address_reads_back_reserved_bits_zero)
{
    out(0xCF8, 4, 0x80000000u);
    cr_assert_eq(in(0xCF8, 4), 0x80000000u, "Linux's pci_check_type1 looks for exactly this");
    out(0xCF8, 4, 0xFFFFFFFFu);
    cr_assert_eq(in(0xCF8, 4), 0x80FFFFFCu, "bits 30:24 and 1:0 reserved");
}

Test(pc_ports, host_bridge_at_00_00_0)
{
    out(0xCF8, 4, 0x80000000u);
    cr_assert_eq(in(0xCFC, 4), VPCI_HOST_BRIDGE_ID);
    cr_assert_eq(in(0xCFC, 2), 0x8086);
    cr_assert_eq(in(0xCFE, 2), 0x29C0, "word at CONFIG_DATA + 2");
    cr_assert_eq(in(0xCFD, 1), 0x80);
    cr_assert_eq(in(0xCFF, 1), 0x29);
    out(0xCF8, 4, 0x80000008u);
    cr_assert_eq(in(0xCFC, 4) >> 8, 0x060000, "class: host bridge");
    out(0xCF8, 4, 0x8000000Eu);             /* bits 1:0 of the register are dropped */
    cr_assert_eq(in(0xCFE, 1), 0x00, "header type 0 (byte 0x0E)");
}

Test(pc_ports, absent_functions_other_buses_and_disabled_read_all_ones)
{
    out(0xCF8, 4, 0x8000FF00u);             /* 00:1f.7 */
    cr_assert_eq(in(0xCFC, 4), 0xFFFFFFFFu);
    cr_assert_eq(in(0xCFE, 2), 0xFFFF);
    out(0xCF8, 4, 0x80010000u);             /* 01:00.0: only bus 0 exists */
    cr_assert_eq(in(0xCFC, 4), 0xFFFFFFFFu);
    out(0xCF8, 4, 0x00000000u);             /* enable clear: the cycle goes nowhere */
    cr_assert_eq(in(0xCFC, 4), 0xFFFFFFFFu);
    cr_assert_eq(in(0xCFD, 1), 0xFF);
}

Test(pc_ports, config_writes_reach_the_function_only_when_enabled)
{
    out(0xCF8, 4, 0x8000003Cu);
    out(0xCFC, 1, 0x0B);                    /* interrupt line */
    cr_assert_eq(in(0xCFC, 1), 0x0B);
    out(0xCF8, 4, 0x0000003Cu);
    out(0xCFC, 1, 0x05);
    out(0xCF8, 4, 0x8000003Cu);
    cr_assert_eq(in(0xCFC, 1), 0x0B, "a write with enable clear went nowhere");
    cr_assert_eq(x86_pci_config_read(&vm, 0x3C, 1), 0x0B, "the same function through an ECAM offset");
}

Test(pc_ports, rst_cnt_resets_on_rst_cpu)
{
    cr_assert_eq(in(0xCF9, 1), 0);
    out(0xCF9, 1, 0x02);                    /* SYS_RST alone: nothing yet */
    cr_assert_eq(resets, 0);
    cr_assert_eq(in(0xCF9, 1), 0x02);
    out(0xCF9, 1, 0x06);                    /* RST_CPU: reset */
    cr_assert_eq(resets, 1);
    cr_assert_str_eq(reset_source, "port 0xCF9");
    out(0xCF8, 4, 0x80000000u);
    cr_assert_eq(in(0xCF8, 4), 0x80000000u, "a byte at 0xCF9 is not CONFIG_ADDRESS");
    vpci_conf1_reset(&vm);
    cr_assert_eq(in(0xCF9, 1), 0);
    cr_assert_eq(in(0xCF8, 4), 0);
}

Test(pc_ports, i8042_status_self_test_and_command_byte)
{
    uint8_t st = (uint8_t)in(0x64, 1);
    cr_assert_eq(st, 0x1C, "SYS, A2, not inhibited; input and output buffers empty");
    out(0x64, 1, 0xAA);
    cr_assert_eq(in(0x64, 1) & 0x01, 0x01, "OBF");
    cr_assert_eq(in(0x60, 1), 0x55, "self test passed");
    cr_assert_eq(in(0x64, 1) & 0x01, 0, "reading 0x60 emptied the buffer");
    out(0x64, 1, 0x20);
    uint8_t ccb = (uint8_t)in(0x60, 1);
    out(0x64, 1, 0x60);
    out(0x60, 1, 0x30);
    cr_assert_eq(in(0x64, 1) & 0x08, 0, "A2: the last write was data");
    out(0x64, 1, 0x20);
    cr_assert_eq(in(0x60, 1), 0x30);
    cr_assert_neq(ccb, 0x30);
    out(0x60, 1, 0xF4);                     /* a byte for a keyboard that is not there */
    cr_assert_eq(in(0x64, 1) & 0x01, 0);
    cr_assert_eq(resets, 0);
}

Test(pc_ports, i8042_reset_line)
{
    out(0x64, 1, 0xFF);                     /* pulse nothing: bit 0 set */
    cr_assert_eq(resets, 0);
    out(0x64, 1, 0xFE);
    cr_assert_eq(resets, 1);
    cr_assert_str_eq(reset_source, "8042 command 0xFE on port 0x64");
    out(0x64, 1, 0xD1);                     /* write output port: bit 0 low is the reset line */
    out(0x60, 1, 0xDE);
    cr_assert_eq(resets, 2);
    out(0x64, 1, 0xD1);
    out(0x60, 1, 0xDF);
    cr_assert_eq(resets, 2);
}
