/* Unit tests of the aarch64 migration save/load (arch/aarch64/migrate_save.c) over fake system
 * registers: every EL1 register, the PAuth keys, GPRs, FP/SIMD, SGI/PPI state and PMU round-trip
 * from one pCPU to another; CNTP_CVAL keeps its distance and CNTVOFF makes the guest's virtual
 * count resume where it paused; an off vCPU is saved without reading any register; what cannot
 * move is refused by name. The rest of the hypervisor is stubbed here. */
#include <criterion/criterion.h>
#include <string.h>

#include "arch_migrate.h"
#include "cpu_data.h"
#include "fake_sysreg.h"
#include "migrate_state.h"
#include "migrate_stream.h"
#include "vm.h"

/* ---- stubs of what migrate_save.c calls ---- */
static struct cpu_data cpu;
struct cpu_data *this_cpu(void) { return &cpu; }
static uint32_t fpsimd_traps, hw_resets, pmu_resets, track_all;
bool fpsimd_trap(void) { fpsimd_traps++; return true; }
/* As vgic_lr.c's: ends the active state of SPIs routed to this vCPU. */
void vgic_vcpu_hw_reset(struct vcpu *v)
{
    hw_resets++;
    for (uint32_t i = 0; i < VGIC_NR_SPIS; i++)
        if (v->vm->arch.vgic.spi[i].target == v->id)
            v->vm->arch.vgic.spi[i].active = false;
}
void pmu_vcpu_reset(struct vcpu *v) { pmu_resets++; memset(&v->arch.pmu.regs, 0, sizeof(v->arch.pmu.regs)); }
bool pmu_irq_level(const struct pmu *p) { return p->ovs != 0; }
void vgic_track_all_spis(struct vm *vm) { (void)vm; track_all++; }
void vpl011_update_irq(struct vpl011 *u) { (void)u; }
void arch_cpu_relax(void) {}

static struct vm src, dst;
static struct config_vm cfg = { .name = "m", .cpu_count = 1, .memory_bytes = 16 << 20 };
static uint8_t buf[ARCH_MIGRATE_STATE_MAX];

#define X(r) #r,
static const char *const el1_names[] = { A64_MIGRATE_EL1_REGS(X) };
static const char *const pac_names[] = { A64_MIGRATE_PAC_REGS(X) };
#undef X
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void setup(void)
{
    fake_sysreg_reset();
    memset(&src, 0, sizeof(src));
    memset(&dst, 0, sizeof(dst));
    memset(&cpu, 0, sizeof(cpu));
    for (struct vm *vm = &src; vm; vm = vm == &src ? &dst : NULL) {
        vm->name = "m";
        vm->cfg = &cfg;
        vm->vcpu_count = 1;
        vm->vcpu[0].vm = vm;
        vm->vcpu[0].id = 0;
    }
    fpsimd_traps = hw_resets = pmu_resets = track_all = 0;
}
TestSuite(a64_migrate_save, .init = setup);

/* The machine the state is taken on: EL1 registers, PAuth, a 5-bit-priority GIC. */
static void source_cpu(void)
{
    for (size_t i = 0; i < COUNT(el1_names); i++)
        fake_sysreg_set(el1_names[i], 0x1000 + i);
    for (size_t i = 0; i < COUNT(pac_names); i++)
        fake_sysreg_set(pac_names[i], 0xa000 + i);
    fake_sysreg_set("cntp_cval_el0", 1500);        /* 500 counts after the save below */
    fake_sysreg_set("cntpct_el0", 1000);
    fake_sysreg_set("id_aa64isar1_el1", 1 << 4);   /* APA */
    fake_sysreg_set("ich_vtr_el2", 4ull << 26);    /* PREbits 5: one ICH_AP<n>R */
    fake_sysreg_set("ich_ap1r0_el2", 0x80000000u);
    fake_sysreg_set("cntfrq_el0", 62500000);
}

Test(a64_migrate_save, vcpu_state_round_trips_between_pcpus)
{
    source_cpu();
    struct vcpu *v = &src.vcpu[0];
    v->power = VCPU_ON;
    for (int i = 0; i < 31; i++)
        v->arch.x[i] = 0x100 + (uint64_t)i;
    v->arch.pc = 0x40081234;
    v->arch.pstate = 0x3c5;
    v->arch.fp.q[7] = (__uint128_t)0x1122334455667788ull << 64 | 0x99aabbccddeeff00ull;
    v->arch.fp.fpcr = 0x3000000;
    v->arch.vgic.vmcr = 0xf0000001;
    v->arch.vgic.priv[27] = (struct vgic_irq){ .intid = 27, .priority = 0xa0, .group = 1, .enabled = true,
                                               .level = true, .hw = true, .hw_active = true };
    v->arch.pmu.regs.ccntr = 123456789;
    v->arch.pmu.regs.evcntr[5] = 42;
    v->arch.pmu.regs.pmcr = 1;
    uint32_t len = arch_migrate_vcpu_save(v, buf, sizeof(buf));
    cr_assert_eq(len, sizeof(struct a64_vcpu_state));
    cr_assert_eq(fpsimd_traps, 1, "live FP/SIMD registers saved first");

    /* The destination pCPU: other values everywhere, its counter far ahead. */
    fake_sysreg_reset();
    fake_sysreg_set("cntpct_el0", 90000);
    fake_sysreg_set("id_aa64isar1_el1", 1 << 4);
    fake_sysreg_set("ich_vtr_el2", 4ull << 26);
    cpu.loaded_vcpu = &dst.vcpu[0];
    cr_assert_null(arch_migrate_vcpu_check(&dst, buf, len));
    struct vcpu *w = &dst.vcpu[0];
    arch_migrate_vcpu_load(w, buf, len);
    for (size_t i = 0; i < COUNT(el1_names); i++) {
        uint64_t want = strcmp(el1_names[i], "cntp_cval_el0") == 0 ? 90500 : 0x1000 + i;
        cr_assert_eq(fake_sysreg_get(el1_names[i]), want, "%s", el1_names[i]);
        cr_assert_eq(fake_sysreg_write_count(el1_names[i]), 1, "%s written once", el1_names[i]);
    }
    for (size_t i = 0; i < COUNT(pac_names); i++)
        cr_assert_eq(fake_sysreg_get(pac_names[i]), 0xa000 + i, "%s", pac_names[i]);
    cr_assert_eq(fake_sysreg_get("ich_ap1r0_el2"), 0x80000000u, "active priorities carried");
    cr_assert_eq(fake_sysreg_get("ich_vmcr_el2"), 0xf0000001);
    cr_assert_eq(w->power, VCPU_ON);
    cr_assert_eq(memcmp(w->arch.x, v->arch.x, sizeof(w->arch.x)), 0);
    cr_assert_eq(w->arch.pc, 0x40081234);
    cr_assert_eq(w->arch.pstate, 0x3c5);
    cr_assert(w->arch.fp.q[7] == v->arch.fp.q[7]);
    cr_assert_eq(w->arch.fp.fpcr, 0x3000000);
    cr_assert_eq(w->arch.vgic.priv[27].priority, 0xa0);
    cr_assert(w->arch.vgic.priv[27].enabled && w->arch.vgic.priv[27].level && w->arch.vgic.priv[27].hw);
    cr_assert_not(w->arch.vgic.priv[27].hw_active);
    cr_assert_eq(w->arch.pmu.regs.ccntr, 123456789);
    cr_assert_eq(w->arch.pmu.regs.evcntr[5], 42);
    cr_assert_eq(w->arch.pmu.regs.pmcr, 1);
    cr_assert_eq(pmu_resets, 1);
    cr_assert_null(cpu.loaded_vcpu, "the next entry reloads CNTVOFF_EL2 and the EL2 controls");
}

Test(a64_migrate_save, spi_active_state_survives_the_vcpu_load)
{
    source_cpu();
    src.vcpu[0].power = VCPU_ON;
    uint32_t len = arch_migrate_vcpu_save(&src.vcpu[0], buf, sizeof(buf));
    dst.arch.vgic.spi[3] = (struct vgic_irq){ .intid = 35, .target = 0, .active = true, .enabled = true };
    arch_migrate_vcpu_load(&dst.vcpu[0], buf, len);
    cr_assert_eq(hw_resets, 1);
    cr_assert(dst.arch.vgic.spi[3].active, "the distributor's state (loaded first) keeps its active SPI");
}

Test(a64_migrate_save, an_off_vcpu_is_saved_without_reading_registers)
{
    source_cpu();
    fake_sysreg_set("sctlr_el1", 0x5ec7e7);        /* another VM's, on this pCPU */
    src.vcpu[0].power = VCPU_OFF;
    uint32_t len = arch_migrate_vcpu_save(&src.vcpu[0], buf, sizeof(buf));
    struct a64_vcpu_state s;
    cr_assert(a64_migrate_get_words(&s, A64_VCPU_WORDS, buf, len));
    cr_assert_eq(s.power, VCPU_OFF);
    cr_assert_eq(s.sctlr_el1, 0, "nothing of the pCPU's registers");
    cr_assert_eq(fpsimd_traps, 0);
    cr_assert_null(arch_migrate_vcpu_check(&dst, buf, len));
    fake_sysreg_reset();
    arch_migrate_vcpu_load(&dst.vcpu[0], buf, len);
    cr_assert_eq(dst.vcpu[0].power, VCPU_OFF);
    cr_assert_eq(fake_sysreg_write_count("sctlr_el1"), 0, "an off vCPU writes no register");
}

Test(a64_migrate_save, timer_resumes_the_guests_virtual_count)
{
    fake_sysreg_set("cntfrq_el0", 62500000);
    fake_sysreg_set("cntpct_el0", 10000);
    src.arch.cntvoff = 3000;                        /* the guest read 7000 at the pause */
    uint32_t len = arch_migrate_device_save(&src, MIGRATE_DEV_TIMER, buf, sizeof(buf));
    cr_assert_gt(len, 0);
    fake_sysreg_set("cntpct_el0", 50);              /* the destination's counter is behind */
    cr_assert_null(arch_migrate_device_check(&dst, MIGRATE_DEV_TIMER, buf, len));
    arch_migrate_device_load(&dst, MIGRATE_DEV_TIMER, buf, len);
    cr_assert_eq(50 - dst.arch.cntvoff, 7000, "CNTVCT = CNTPCT - CNTVOFF resumes at 7000");
    fake_sysreg_set("cntfrq_el0", 1000000000);
    cr_assert_str_eq(arch_migrate_device_check(&dst, MIGRATE_DEV_TIMER, buf, len),
                     "timer state: the source's counter frequency (CNTFRQ_EL0) is not this machine's");
}

Test(a64_migrate_save, pl011_and_distributor_round_trip)
{
    struct vpl011 *u = &src.arch.uart;
    u->cr = 0x301, u->imsc = 0x10, u->rx_head = 30, u->rx_count = 3;
    u->rx[30] = 'a', u->rx[31] = 'b', u->rx[0] = 'c';
    uint32_t len = arch_migrate_device_save(&src, MIGRATE_DEV_PL011, buf, sizeof(buf));
    cr_assert_null(arch_migrate_device_check(&dst, MIGRATE_DEV_PL011, buf, len));
    arch_migrate_device_load(&dst, MIGRATE_DEV_PL011, buf, len);
    cr_assert_eq(dst.arch.uart.cr, 0x301);
    cr_assert_eq(dst.arch.uart.rx_count, 3);
    cr_assert_eq(dst.arch.uart.rx[(dst.arch.uart.rx_head + 2) % VPL011_RX_FIFO], 'c', "FIFO order kept");
    src.arch.vgic.ctlr = 2;
    src.arch.vgic.spi[10] = (struct vgic_irq){ .intid = 42, .priority = 0x40, .target = 0, .enabled = true,
                                               .latch = true, .irouter = 0 };
    for (uint32_t i = 0; i < VGIC_NR_SPIS; i++)
        if (i != 10)
            src.arch.vgic.spi[i].target = VGIC_NO_TARGET;
    len = arch_migrate_device_save(&src, MIGRATE_DEV_VGIC, buf, sizeof(buf));
    cr_assert_null(arch_migrate_device_check(&dst, MIGRATE_DEV_VGIC, buf, len));
    arch_migrate_device_load(&dst, MIGRATE_DEV_VGIC, buf, len);
    cr_assert_eq(dst.arch.vgic.ctlr, 2);
    cr_assert(dst.arch.vgic.spi[10].latch && dst.arch.vgic.spi[10].enabled);
    cr_assert_eq(dst.arch.vgic.spi[10].priority, 0x40);
    cr_assert_eq(track_all, 1);
}

Test(a64_migrate_save, what_cannot_move_is_refused_by_name)
{
    cr_assert_null(arch_migrate_check(&src));
    src.arch.its.state.ctlr = 1;
    cr_assert_str_eq(arch_migrate_check(&src),
                     "it uses the ITS (GITS_CTLR.Enabled): migration of ITS tables and LPIs is not supported");
    src.arch.its.state.ctlr = 0;
    src.vcpu[0].arch.vgic.ctlr = 1;
    cr_assert_str_eq(arch_migrate_check(&src),
                     "it has LPIs enabled (GICR_CTLR.EnableLPIs): migration of LPIs is not supported");
    src.vcpu[0].arch.vgic.ctlr = 0;
    struct config_vm with_dev = cfg;
    with_dev.device_count = 1;
    src.cfg = &with_dev;
    cr_assert_str_eq(arch_migrate_check(&src), "it has passed-through devices (their state and DMA cannot move)");
    /* a source with PAuth keys, a destination without PAuth */
    src.cfg = &cfg;
    source_cpu();
    src.vcpu[0].power = VCPU_ON;
    uint32_t len = arch_migrate_vcpu_save(&src.vcpu[0], buf, sizeof(buf));
    fake_sysreg_set("id_aa64isar1_el1", 0);
    cr_assert_str_eq(arch_migrate_vcpu_check(&dst, buf, len),
                     "vcpu state: the source has pointer authentication, this CPU does not");
    cr_assert_str_eq(arch_migrate_vcpu_check(&dst, buf, len - 8), "vcpu state: wrong length");
}
