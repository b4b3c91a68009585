/* test_fpsimd.c: lazy FP/SIMD switching (arch/aarch64/fpsimd.c): the CPTR_EL2 value a guest runs
 * with, and who owns the FP/SIMD registers across entries, EL2 traps and resets, over a fake
 * register file (fpsimd_save / fpsimd_load here copy to and from `hw`). */
#include <criterion/criterion.h>
#include <string.h>
#include "arch_vm.h"
#include "cpu_data.h"
#include "guest.h"
#include "vm.h"

/* CPTR_EL2 with HCR_EL2.E2H = 0 (Arm ARM D17.2.31). */
#define CPTR_TZ   (1ull << 8)
#define CPTR_TFP  (1ull << 10)
#define CPTR_TSM  (1ull << 12)
#define CPTR_TTA  (1ull << 20)
#define CPTR_TAM  (1ull << 30)
#define CPTR_TCPAC (1ull << 31)
#define CPTR_RES1 0x33ffull           /* bits 13, 12, 9, 8, 7:0 */

/* The FP/SIMD registers of the one pCPU, and what touched them. */
static struct fpsimd_state hw;
static uint32_t saves, loads;
void fpsimd_save(struct fpsimd_state *s)
{
    saves++;
    *s = hw;
}
void fpsimd_load(const struct fpsimd_state *s)
{
    loads++;
    hw = *s;
}

static struct cpu_data cpu;
static bool cpu_data_set;
struct cpu_data *this_cpu(void) { return cpu_data_set ? &cpu : NULL; }

/* Two vCPUs of two VMs: the lazy save is counted on the owner's VM (HV_STAT_FPU_LAZY_SAVES). */
static struct vm vm_a, vm_b;
static struct vcpu va, vb;
#define a (va.arch)
#define b (vb.arch)

static void setup(void)
{
    fake_sysreg_reset();
    memset(&hw, 0, sizeof(hw));
    memset(&cpu, 0, sizeof(cpu));
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    vm_a.fpu_lazy_saves = vm_b.fpu_lazy_saves = 0;
    va.vm = &vm_a;
    vb.vm = &vm_b;
    saves = loads = 0;
    cpu_data_set = true;
    a.fp.fpcr = 0xa;
    a.fp.q[31] = 0xa0;
    b.fp.fpcr = 0xb;
    b.fp.q[31] = 0xb0;
}

TestSuite(fpsimd, .init = setup);

/* What world_switch.S does after every exit: FP/SIMD traps at EL2 again. */
static void guest_exit(void) { fake_sysreg_set("cptr_el2", fake_sysreg_get("cptr_el2") | CPTR_TFP); }
/* The hypervisor's first FP/SIMD instruction after an exit (newlib's memcpy, say). */
static void hypervisor_uses_fp(void)
{
    cr_assert(fpsimd_trap(), "the trapped instruction is retried");
    cr_assert_eq(fake_sysreg_get("cptr_el2") & CPTR_TFP, 0, "no longer trapping");
    memset(&hw, 0x5c, sizeof(hw));            /* clobbered */
}

Test(fpsimd, guest_runs_with_fp_untrapped_and_hidden_features_trapped)
{
    uint64_t cptr = fpsimd_cptr_guest();
    cr_assert_eq(cptr & CPTR_TFP, 0, "the guest's own FP/SIMD registers are live");
    cr_assert_eq(cptr & (CPTR_TZ | CPTR_TSM | CPTR_TTA | CPTR_TAM), CPTR_TZ | CPTR_TSM | CPTR_TTA | CPTR_TAM,
                 "SVE, SME, trace and activity monitors trap");
    cr_assert_eq(cptr & CPTR_RES1, CPTR_RES1, "RES1 bits");
    cr_assert_eq(cptr & CPTR_TCPAC, 0);
    fpsimd_guest_enter(&a);
    cr_assert_eq(fake_sysreg_get("cptr_el2"), cptr);
}

Test(fpsimd, first_entry_loads_the_vcpus_registers)
{
    fpsimd_guest_enter(&a);
    cr_assert_eq(loads, 1);
    cr_assert_eq(cpu.fp_owner, &a);
    cr_assert_eq(hw.fpcr, 0xa);
}

Test(fpsimd, reentry_without_a_trap_loads_nothing)
{
    fpsimd_guest_enter(&a);
    hw.fpcr = 0x1a;                           /* the guest changed it */
    guest_exit();
    fpsimd_guest_enter(&a);
    cr_assert_eq(loads, 1);
    cr_assert_eq(saves, 0);
    cr_assert_eq(hw.fpcr, 0x1a, "still the guest's live value");
}

Test(fpsimd, trap_saves_the_owner_and_the_next_entry_restores_it)
{
    fpsimd_guest_enter(&a);
    hw.fpcr = 0x1a;
    hw.q[31] = 0xa1;
    guest_exit();
    hypervisor_uses_fp();
    cr_assert_eq(saves, 1);
    cr_assert_eq(vm_a.fpu_lazy_saves, 1, "counted on the owner's VM");
    cr_assert_eq(vm_b.fpu_lazy_saves, 0);
    cr_assert_null(cpu.fp_owner, "the registers are the hypervisor's now");
    cr_assert_eq(a.fp.fpcr, 0x1a);
    fpsimd_guest_enter(&a);
    cr_assert_eq(hw.fpcr, 0x1a, "the guest gets its registers back, not the clobbered ones");
    cr_assert(hw.q[31] == 0xa1);
}

Test(fpsimd, second_trap_before_an_entry_saves_nothing)
{
    fpsimd_guest_enter(&a);
    hw.fpcr = 0x1a;
    guest_exit();
    hypervisor_uses_fp();
    fake_sysreg_set("cptr_el2", CPTR_TFP);
    hypervisor_uses_fp();
    cr_assert_eq(saves, 1);
    cr_assert_eq(a.fp.fpcr, 0x1a, "not overwritten with the hypervisor's values");
}

Test(fpsimd, two_vcpus_on_one_pcpu_keep_their_own_registers)
{
    fpsimd_guest_enter(&a);
    hw.fpcr = 0x1a;
    guest_exit();
    hypervisor_uses_fp();
    fpsimd_guest_enter(&b);
    cr_assert_eq(hw.fpcr, 0xb);
    hw.fpcr = 0x1b;
    guest_exit();
    hypervisor_uses_fp();
    cr_assert_eq(b.fp.fpcr, 0x1b);
    cr_assert_eq(a.fp.fpcr, 0x1a, "a's copy untouched by b's save");
    fpsimd_guest_enter(&a);
    cr_assert_eq(hw.fpcr, 0x1a);
}

Test(fpsimd, reset_of_the_owner_drops_ownership_and_zeroes)
{
    fpsimd_guest_enter(&a);
    hw.fpcr = 0x1a;
    guest_exit();
    fpsimd_vcpu_reset(&a);
    cr_assert_null(cpu.fp_owner);
    cr_assert_eq(a.fp.fpcr, 0);
    fpsimd_guest_enter(&a);
    cr_assert_eq(hw.fpcr, 0, "the zeroed copy is loaded, not the stale live one");
}

Test(fpsimd, reset_of_another_vcpu_keeps_the_owner)
{
    fpsimd_guest_enter(&a);
    fpsimd_vcpu_reset(&b);
    cr_assert_eq(cpu.fp_owner, &a);
    cr_assert_eq(b.fp.fpcr, 0);
}

Test(fpsimd, trap_before_per_cpu_data_exists_only_untraps)
{
    cpu_data_set = false;
    fake_sysreg_set("cptr_el2", CPTR_RES1 | CPTR_TFP);
    cr_assert(fpsimd_trap());
    cr_assert_eq(fake_sysreg_get("cptr_el2"), CPTR_RES1);
    cr_assert_eq(saves, 0);
}
