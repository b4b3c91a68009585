/* test_x86_smram.c: SMRAM of a VM with SMM (arch/x86_64/smram.c) through the host bridge's configuration
 * space (ports 0xCF8/0xCFC): the q35 registers' reset values, write masks and lock (QEMU's
 * mch_update_smram), the extended TSEG size query, and the two memory views they open and close: the
 * non-SMM memslots and NPT lose closed SMRAM, the SMM view keeps all RAM. */
#include <criterion/criterion.h>
#include <string.h>
#include "fake_pt_env.h"
#include "stage2.h"
#include "x86_vcpu.h"

#define MIB (1ull << 20)
#define RAM_HPA 0x100000000ull       /* where the fake VM's RAM "is" (tables only; never dereferenced) */

static struct vm vm;
static struct config_vm cfg;
static struct fake_env env;
static unsigned tlbi_calls, kicks;

int hv_printf(const char *fmt, ...) { (void)fmt; return 0; }
void x86_vm_reset(struct vm *v, const char *source) { (void)v, (void)source; }
const struct pt_format *arch_stage2_format(void) { return &x86_npt_format; }
void arch_stage2_tlb_invalidate(struct vm *v, uint64_t ipa, uint64_t size) { (void)v, (void)ipa, (void)size; tlbi_calls++; }
void arch_vcpu_kick(struct vcpu *v) { (void)v; kicks++; }

static void out(uint16_t port, uint32_t size, uint64_t v)
{
    cr_assert(mmio_bus_write(&vm.pio, &vm.vcpu[0], port, size, v));
}
static uint64_t in(uint16_t port, uint32_t size)
{
    uint64_t v = 0;
    cr_assert(mmio_bus_read(&vm.pio, &vm.vcpu[0], port, size, &v));
    return v;
}
static void cfg_write(unsigned reg, uint32_t size, uint32_t v)
{
    out(0xCF8, 4, 0x80000000u | (reg & 0xFC));
    out((uint16_t)(0xCFC + (reg & 3)), size, v);
}
static uint32_t cfg_read(unsigned reg, uint32_t size)
{
    out(0xCF8, 4, 0x80000000u | (reg & 0xFC));
    return (uint32_t)in((uint16_t)(0xCFC + (reg & 3)), size);
}

/* Whether gpa is RAM outside SMM (memslots and NPT agree) and in SMM. */
static bool normal_ram(uint64_t gpa)
{
    uint64_t hpa, pa;
    uint32_t flags, perms;
    bool slot = memslot_translate(&vm.slots, gpa, &hpa, &flags), mapped = pt_lookup(&vm.stage2, gpa, &pa, &perms, NULL);
    cr_assert_eq(slot, mapped, "memslots and NPT disagree at 0x%lx", (unsigned long)gpa);
    cr_assert(!slot || (hpa == RAM_HPA + gpa && pa == hpa), "0x%lx maps where it should", (unsigned long)gpa);
    return slot;
}
static bool smm_ram(uint64_t gpa)
{
    uint64_t hpa, pa;
    uint32_t flags, perms;
    return memslot_translate(&vm.arch.smram.slots, gpa, &hpa, &flags) &&
           pt_lookup(&vm.arch.smram.stage2, gpa, &pa, &perms, NULL) && pa == RAM_HPA + gpa;
}

static void make_vm(uint64_t smram_bytes)
{
    memset(&vm, 0, sizeof vm);
    memset(&cfg, 0, sizeof cfg);
    cfg.smram_bytes = smram_bytes;
    vm.name = "t";
    vm.cfg = &cfg;
    vm.vcpu_count = 1;
    vm.vcpu[0].vm = &vm;
    vm.vcpu[0].pcpu = 0;
    env = (struct fake_env){ .fail_after = -1 };
    vm.stage2_env = (struct pt_env){ fake_alloc, fake_free, fake_ptr, fake_tlbi, &env };
    memslots_init(&vm.slots);
    cr_assert_eq(pt_init(&vm.stage2, &x86_npt_format, &vm.stage2_env), 0);
    cr_assert_eq(memslot_set(&vm.slots, 0, 0, 64 * MIB, RAM_HPA, MEMSLOT_RAM), MEMSLOT_OK);
    cr_assert_eq(pt_map(&vm.stage2, 0, RAM_HPA, 64 * MIB, PT_RWX, 0), 0);
    cr_assert(vpci_conf1_init(&vm));
    cr_assert(x86_smram_vm_init(&vm));
    cr_assert(x86_smram_load(&vm));
}

Test(smram, registers_at_reset_and_the_tseg_size_query)
{
    make_vm(8 * MIB);
    cr_assert_eq(cfg_read(0x9D, 1), 0x02, "SMRAM: C_BASE_SEG 010b");
    cr_assert_eq(cfg_read(0x9E, 1), 0x38, "ESMRAMC: SM_CACHE, SM_L1, SM_L2");
    cr_assert_eq(cfg_read(0x9C, 4), 0x00380200u, "the dword around them");
    cr_assert_eq(cfg_read(0x50, 2), 0, "0x50 before the query");
    cfg_write(0x50, 2, 0xFFFF);
    cr_assert_eq(cfg_read(0x50, 2), 8, "the extended TSEG size in MiB, hv.cfg's");
    cr_assert_eq(cfg_read(0x00, 4), 0x29C08086u, "the rest of the bridge unchanged");
}

Test(smram, legacy_window_closed_from_reset_open_with_d_open)
{
    make_vm(8 * MIB);
    cr_assert(normal_ram(0x9F000) && normal_ram(0xC0000) && normal_ram(63 * MIB));
    cr_assert(!normal_ram(0xA0000) && !normal_ram(0xBF000), "closed: D_OPEN clear at reset");
    cr_assert(smm_ram(0xA0000) && smm_ram(0xBF000) && smm_ram(63 * MIB), "SMM sees all RAM");
    cfg_write(0x9D, 1, 0x48);                          /* G_SMRAME | D_OPEN */
    cr_assert(normal_ram(0xA0000) && normal_ram(0xBF000));
    cfg_write(0x9E, 1, 0x80);                          /* H_SMRAME: the window closes again */
    cr_assert(!normal_ram(0xA0000));
    cfg_write(0x9E, 1, 0x00);
    cfg_write(0x9D, 1, 0x08);                          /* D_OPEN clear */
    cr_assert(!normal_ram(0xA0000) && normal_ram(0xC0000) && normal_ram(0x9F000));
    cr_assert(kicks == 0, "one vCPU, on this pCPU: nothing to kick");
}

Test(smram, tseg_sizes_closed_by_t_en)
{
    make_vm(8 * MIB);
    cr_assert(normal_ram(56 * MIB) && normal_ram(63 * MIB), "TSEG is RAM until T_EN");
    cfg_write(0x9E, 1, 0x01);                          /* T_EN, TSEG_SZ 00: 1 MiB */
    cr_assert(normal_ram(62 * MIB) && !normal_ram(63 * MIB) && !normal_ram(64 * MIB - 4096));
    cfg_write(0x9E, 1, 0x03);                          /* 2 MiB */
    cr_assert(normal_ram(61 * MIB) && !normal_ram(62 * MIB));
    cfg_write(0x9E, 1, 0x07);                          /* the extended size: 8 MiB */
    cr_assert(normal_ram(56 * MIB - 4096) && !normal_ram(56 * MIB));
    cr_assert(smm_ram(56 * MIB) && smm_ram(64 * MIB - 4096));
    cfg_write(0x9E, 1, 0x06);                          /* T_EN clear: back */
    cr_assert(normal_ram(56 * MIB) && normal_ram(63 * MIB));
    cr_assert(tlbi_calls > 0);
}

Test(smram, d_lck_freezes_everything_but_d_cls)
{
    make_vm(8 * MIB);
    cfg_write(0x9E, 1, 0x07);
    cfg_write(0x9D, 1, 0x58);                          /* G_SMRAME | D_OPEN | D_LCK */
    cr_assert_eq(cfg_read(0x9D, 1), 0x1A, "D_LCK clears D_OPEN");
    cfg_write(0x9D, 1, 0x68);                          /* D_OPEN, D_CLS, no D_LCK */
    cr_assert_eq(cfg_read(0x9D, 1), 0x3A, "only D_CLS changes");
    cfg_write(0x9E, 1, 0x00);
    cr_assert_eq(cfg_read(0x9E, 1), 0x3F, "ESMRAMC read-only once locked");
    cr_assert(!normal_ram(0xA0000) && !normal_ram(56 * MIB));
    cr_assert(x86_smram_load(&vm), "a reset of the VM");
    cr_assert_eq(cfg_read(0x9D, 1), 0x02, "unlocked by reset");
    cr_assert(normal_ram(56 * MIB) && !normal_ram(0xA0000));
}

Test(smram, absent_without_smram_in_hv_cfg)
{
    make_vm(0);
    uint32_t v;
    cr_assert_not(x86_smram_config_read(&vm, 0x9D, 1, &v));
    cr_assert_eq(cfg_read(0x9C, 4), 0, "no SMRAM registers: the bridge's zeros");
    cfg_write(0x9D, 1, 0x40);
    cr_assert(normal_ram(0xA0000), "nothing closed");
}
