/* test_vgic.c: the vGICv3's distributor and redistributor registers, SGI routing, level and
 * latch pending state, LPIs from a fake configuration table, and the WFI wake-up decision
 * (arch/aarch64/vgic*.c over fake guest memory; the list registers: test_vgic_lr.c). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "vgic_internal.h"

#define RAM_BASE  0x40000000ull
#define RAM_BYTES 0x40000ull
#define PROP_GPA  (RAM_BASE + 0x10000)
#define PEND_GPA  (RAM_BASE + 0x20000)
#define GICR_SGI  0x10000u

/* What the vGIC uses from the rest of the hypervisor. */
static uint8_t ram[RAM_BYTES];
static uint32_t kicks[4];
int guest_read(struct memslots *ms, uint64_t gpa, void *buf, size_t len)
{
    (void)ms;
    if (gpa < RAM_BASE || gpa - RAM_BASE + len > RAM_BYTES)
        return -1;
    memcpy(buf, ram + (gpa - RAM_BASE), len);
    return 0;
}
int guest_write(struct memslots *ms, uint64_t gpa, const void *buf, size_t len)
{
    (void)ms;
    if (gpa < RAM_BASE || gpa - RAM_BASE + len > RAM_BYTES)
        return -1;
    memcpy(ram + (gpa - RAM_BASE), buf, len);
    return 0;
}
void arch_vcpu_kick(struct vcpu *v) { kicks[v->id]++; }
void gicv3_deactivate(uint32_t intid) { (void)intid; }
bool gicv3_spi_line(uint32_t intid) { (void)intid; return true; }

static struct vm vm;

/* The caller is pCPU 0 (fake_arch); the vCPUs run on pCPUs 1-3, so each raise kicks. */
static void setup(void)
{
    memset(&vm, 0, sizeof(vm));
    memset(ram, 0, sizeof(ram));
    memset(kicks, 0, sizeof(kicks));
    vm.vcpu_count = 3;
    for (uint32_t i = 0; i < 3; i++) {
        vm.vcpu[i].vm = &vm;
        vm.vcpu[i].id = i;
        vm.vcpu[i].pcpu = i + 1;
        vm.vcpu[i].power = VCPU_ON;
    }
    cr_assert(vgic_vm_init(&vm));
}

TestSuite(vgic, .init = setup);

static uint64_t gicd_read(uint64_t off, uint32_t size) { return vgic_dist_ops.read(&vm, &vm.vcpu[0], off, size); }
static void gicd_write(uint64_t off, uint32_t size, uint64_t v) { vgic_dist_ops.write(&vm, &vm.vcpu[0], off, size, v); }
static uint64_t gicr_read(uint32_t cpu, uint64_t off, uint32_t size)
{
    return vgic_redist_ops.read(&vm, &vm.vcpu[0], cpu * VGIC_GICR_STRIDE + off, size);
}
static void gicr_write(uint32_t cpu, uint64_t off, uint32_t size, uint64_t v)
{
    vgic_redist_ops.write(&vm, &vm.vcpu[0], cpu * VGIC_GICR_STRIDE + off, size, v);
}

Test(vgic, distributor_identifies_as_gicv3_with_lpis)
{
    uint32_t typer = (uint32_t)gicd_read(0x0004, 4);
    cr_assert_eq(typer & 0x1f, 3, "ITLinesNumber 3: 128 INTIDs, 96 SPIs");
    cr_assert(typer & (1u << 17), "LPIS");
    cr_assert_eq((typer >> 19) & 0x1f, 15, "16 INTID bits");
    cr_assert_eq((gicd_read(0xffe8, 4) >> 4) & 0xf, 3, "PIDR2.ArchRev 3");
    cr_assert_eq(gicd_read(0x0000, 4) & 0x50, 0x50, "ARE and DS read as one");
    gicd_write(0x0000, 4, 0x2);
    cr_assert_eq(gicd_read(0x0000, 4) & 0x3, 0x2, "EnableGrp1 sticks");
    cr_assert_eq(gicd_read(0x0004, 2), 0, "a 16-bit access is RAZ");
}

Test(vgic, enable_registers_are_write_one_to_act_and_private_bits_raz_in_gicd)
{
    gicd_write(0x0100 + 4, 4, 0x5);                           /* ISENABLER1: INTIDs 32, 34 */
    cr_assert_eq(gicd_read(0x0100 + 4, 4), 0x5);
    gicd_write(0x0180 + 4, 4, 0x1);                           /* ICENABLER1: 32 */
    cr_assert_eq(gicd_read(0x0100 + 4, 4), 0x4, "zeros in the write change nothing");
    gicd_write(0x0100, 4, ~0u);
    cr_assert_eq(gicd_read(0x0100, 4), 0, "SGI/PPI enables are RAZ/WI in GICD with ARE");
    gicr_write(1, GICR_SGI + 0x0100, 4, 1u << 27);
    cr_assert_eq(gicr_read(1, GICR_SGI + 0x0100, 4), 1u << 27, "GICR_ISENABLER0 is per vCPU");
    cr_assert_eq(gicr_read(0, GICR_SGI + 0x0100, 4), 0);
}

Test(vgic, priority_bytes_keep_the_implemented_bits)
{
    gicd_write(0x0400 + 33, 1, 0xff);
    cr_assert_eq(gicd_read(0x0400 + 32, 4), 0xf800, "byte write, 5 priority bits");
    gicr_write(2, GICR_SGI + 0x0400 + 4, 4, 0x11223344);
    cr_assert_eq(gicr_read(2, GICR_SGI + 0x0400 + 4, 4), 0x10203040);
}

Test(vgic, irouter_halves_and_targets)
{
    gicd_write(0x6000 + 8 * 40, 8, 2);
    cr_assert_eq(vm.arch.vgic.spi[8].target, 2);
    gicd_write(0x6000 + 8 * 40 + 4, 4, 0x1);                  /* Aff3 = 1: no such vCPU */
    cr_assert_eq(gicd_read(0x6000 + 8 * 40, 8), 0x100000002ull);
    cr_assert_eq(vm.arch.vgic.spi[8].target, VGIC_NO_TARGET);
    gicd_write(0x6000 + 8 * 40, 8, 0x80000001ull);            /* IRM is RAZ/WI (No1N) */
    cr_assert_eq(gicd_read(0x6000 + 8 * 40, 4), 1);
    cr_assert_eq(vm.arch.vgic.spi[8].target, 1);
}

Test(vgic, sgi_config_is_edge_and_read_only)
{
    cr_assert_eq(gicr_read(0, GICR_SGI + 0x0c00, 4), 0xaaaaaaaa);
    gicr_write(0, GICR_SGI + 0x0c00, 4, 0);
    cr_assert_eq(gicr_read(0, GICR_SGI + 0x0c00, 4), 0xaaaaaaaa);
    gicr_write(0, GICR_SGI + 0x0c04, 4, 0x2 << 2);             /* PPI 17 edge */
    cr_assert_eq(gicr_read(0, GICR_SGI + 0x0c04, 4), 0x8);
}

Test(vgic, redistributor_typer_waker_and_lpi_bases)
{
    for (uint32_t i = 0; i < 3; i++) {
        uint64_t t = gicr_read(i, 0x0008, 8);
        cr_assert_eq(t >> 32, i, "affinity = MPIDR Aff0 = vCPU id");
        cr_assert_eq((t >> 8) & 0xffff, i, "processor number");
        cr_assert_eq((t >> 4) & 1, i == 2, "Last only on the final frame");
        cr_assert_eq(t & 1, 1, "PLPIS");
        cr_assert_eq(gicr_read(i, 0x000c, 4), i, "upper half alone");
    }
    cr_assert_eq(gicr_read(0, 0x0014, 4), 0x6, "asleep at reset");
    gicr_write(0, 0x0014, 4, 0);
    cr_assert_eq(gicr_read(0, 0x0014, 4), 0, "awake: ChildrenAsleep clears");
    gicr_write(0, 0x0070, 8, PROP_GPA | 15);
    cr_assert_eq(gicr_read(0, 0x0070, 8), PROP_GPA | 15);
    gicr_write(0, 0x0000, 4, 1);
    gicr_write(0, 0x0070, 8, 0);
    cr_assert_eq(gicr_read(0, 0x0070, 8), PROP_GPA | 15, "PROPBASER is fixed once LPIs are on");
}

Test(vgic, level_interrupt_stays_pending_while_the_line_is_high)
{
    gicd_write(0x0000, 4, 0x2);
    gicd_write(0x0100 + 4, 4, 1u << 1);                       /* enable SPI 33 (routed to vCPU 0) */
    vgic_set_spi_level(&vm, 33, true);
    cr_assert_eq(gicd_read(0x0200 + 4, 4) & 2, 2, "pending while high");
    cr_assert_eq(kicks[0], 1, "the target vCPU is kicked");
    gicd_write(0x0280 + 4, 4, 1u << 1);                       /* ICPENDR */
    cr_assert_eq(gicd_read(0x0200 + 4, 4) & 2, 2, "ICPENDR cannot clear a high level");
    vgic_set_spi_level(&vm, 33, false);
    cr_assert_eq(gicd_read(0x0200 + 4, 4) & 2, 0);
    gicd_write(0x0200 + 4, 4, 1u << 1);                       /* ISPENDR latches */
    cr_assert_eq(gicd_read(0x0200 + 4, 4) & 2, 2, "ISPENDR latches with the line low");
}

Test(vgic, sgis_go_to_the_target_list_or_everyone_else_in_their_group)
{
    for (uint32_t i = 0; i < 3; i++)
        gicr_write(i, GICR_SGI + 0x0080, 4, ~0u);             /* Group 1 */
    gicr_write(2, GICR_SGI + 0x0080, 4, 0);                   /* vCPU 2: Group 0 */
    vgic_send_sgi(&vm.vcpu[0], 5ull << 24 | 0x2, true);       /* SGI 5 to Aff0 1 */
    cr_assert(vm.vcpu[1].arch.vgic.priv[5].latch);
    cr_assert(!vm.vcpu[0].arch.vgic.priv[5].latch && !vm.vcpu[2].arch.vgic.priv[5].latch);
    vgic_send_sgi(&vm.vcpu[1], 6ull << 24 | 1ull << 40, true); /* IRM: all but the sender */
    cr_assert(vm.vcpu[0].arch.vgic.priv[6].latch);
    cr_assert(!vm.vcpu[1].arch.vgic.priv[6].latch, "not to the sender");
    cr_assert(!vm.vcpu[2].arch.vgic.priv[6].latch, "Group 0 target: SGI1R does not reach it");
    vgic_send_sgi(&vm.vcpu[1], 7ull << 24 | 1ull << 40, false); /* SGI0R */
    cr_assert(vm.vcpu[2].arch.vgic.priv[7].latch && !vm.vcpu[0].arch.vgic.priv[7].latch);
    vgic_send_sgi(&vm.vcpu[0], 8ull << 24 | 1ull << 16 | 0x2, true); /* Aff1 = 1: nobody */
    cr_assert(!vm.vcpu[1].arch.vgic.priv[8].latch);
}

/* RS (range selector) and the returned "the sender was a target" (vgic_sgi_fast needs it). */
Test(vgic, sgi_range_selector_names_vcpus_rs_times_16_plus_n_and_the_sender_is_reported)
{
    for (uint32_t i = 0; i < 3; i++)
        gicr_write(i, GICR_SGI + 0x0080, 4, ~0u);             /* Group 1 */
    cr_assert_not(vgic_send_sgi(&vm.vcpu[0], 9ull << 24 | 1ull << 44 | 0x6, true), "RS 1: vCPUs 17, 18");
    for (uint32_t i = 0; i < 3; i++)
        cr_assert_not(vm.vcpu[i].arch.vgic.priv[9].latch, "RS 1 names no vCPU of three");
    cr_assert(vgic_send_sgi(&vm.vcpu[2], 10ull << 24 | 0x5, true), "vCPU 2 sent to 0 and 2: itself included");
    cr_assert(vm.vcpu[0].arch.vgic.priv[10].latch && vm.vcpu[2].arch.vgic.priv[10].latch);
    cr_assert_not(vm.vcpu[1].arch.vgic.priv[10].latch);
    cr_assert_not(vgic_send_sgi(&vm.vcpu[1], 11ull << 24 | 0x5, true), "vCPU 1 sent to 0 and 2");
    cr_assert_not(vgic_send_sgi(&vm.vcpu[1], 12ull << 24 | 1ull << 40, true), "IRM never includes the sender");
    gicr_write(1, GICR_SGI + 0x0080, 4, 0);                   /* vCPU 1: Group 0 */
    cr_assert_not(vgic_send_sgi(&vm.vcpu[1], 13ull << 24 | 0x2, true), "its Group 0 SGI: not given");
    cr_assert_not(vm.vcpu[1].arch.vgic.priv[13].latch);
    cr_assert_not(vgic_send_sgi(&vm.vcpu[0], 14ull << 24 | 0xfff8, true), "bits past the last vCPU: nobody");
}

Test(vgic, a_running_vcpus_list_registers_win_until_it_applies_the_request)
{
    struct vgic_irq *irq = &vm.vcpu[1].arch.vgic.priv[3];
    gicr_write(1, GICR_SGI + 0x0080, 4, ~0u);
    irq->lr_owner = 2;                                        /* vCPU 1's list registers hold it */
    vgic_send_sgi(&vm.vcpu[0], 3ull << 24 | 0x2, true);
    cr_assert(!irq->latch && (irq->req & VGIC_REQ_PEND), "queued, not applied");
    cr_assert_eq(gicr_read(1, GICR_SGI + 0x0200, 4) & 8, 8, "but ISPENDR already shows it");
}

Test(vgic, lpis_follow_the_configuration_table)
{
    struct vcpu *v = &vm.vcpu[1];
    gicd_write(0x0000, 4, 0x2);
    vgic_inject_lpi(v, 8192);
    cr_assert_null(vgic_irq_lookup(&vm, v, 8192), "EnableLPIs 0: ignored");
    ram[PROP_GPA - RAM_BASE + 1] = 0xa0;                      /* LPI 8193: priority 0xa0, disabled */
    gicr_write(1, 0x0070, 8, PROP_GPA | 13);                  /* 14 bits: LPIs 8192-16383 */
    gicr_write(1, 0x0078, 8, PEND_GPA | 1ull << 62);
    gicr_write(1, 0x0000, 4, 1);
    vgic_inject_lpi(v, 16384);
    cr_assert_null(vgic_irq_lookup(&vm, v, 16384), "beyond PROPBASER.IDbits: ignored");
    vgic_inject_lpi(v, 8193);
    struct vgic_irq *irq = vgic_irq_lookup(&vm, v, 8193);
    cr_assert_not_null(irq);
    cr_assert(irq->latch && !irq->enabled && irq->priority == 0xa0, "pending but disabled");
    cr_assert(!vgic_irq_deliverable(&vm, irq));
    ram[PROP_GPA - RAM_BASE + 1] = 0xa1;
    vgic_lpi_config_changed(&vm, 0);
    cr_assert(vgic_irq_deliverable(&vm, irq), "INVALL: now enabled and delivered");
    cr_assert(vgic_clear_lpi(v, 8193));
    cr_assert(!vgic_clear_lpi(v, 8193), "cleared once");
    vgic_inject_lpi(v, 8193);
    gicr_write(2, 0x0070, 8, PROP_GPA | 13);
    gicr_write(2, 0x0000, 4, 1);
    vgic_move_lpi(v, &vm.vcpu[2], 8193);
    cr_assert(!vgic_irq_lookup(&vm, v, 8193)->latch);
    cr_assert(vgic_irq_lookup(&vm, &vm.vcpu[2], 8193)->latch, "MOVI moved the pending state");
}

Test(vgic, lpis_beyond_the_slots_wait_in_the_pending_table)
{
    struct vcpu *v = &vm.vcpu[0];
    gicr_write(0, 0x0070, 8, PROP_GPA | 13);
    gicr_write(0, 0x0078, 8, PEND_GPA | 1ull << 62);
    gicr_write(0, 0x0000, 4, 1);
    for (uint32_t i = 0; i <= VGIC_LPI_SLOTS; i++)
        vgic_inject_lpi(v, 8192 + i);
    uint32_t last = 8192 + VGIC_LPI_SLOTS;
    cr_assert_null(vgic_irq_lookup(&vm, v, last));
    cr_assert(ram[PEND_GPA - RAM_BASE + last / 8] & (1u << (last % 8)), "in the guest's pending table");
    cr_assert(v->arch.vgic.lpi_overflow);
    vgic_clear_lpi(v, 8192);
    v->arch.vgic.lpi[0].intid = 0;                            /* vgic_flush frees consumed slots */
    v->arch.vgic.lpi_used &= ~1ull;
    vgic_lock(&vm);
    vgic_lpi_pull_pending(v);
    vgic_unlock(&vm);
    cr_assert_not_null(vgic_irq_lookup(&vm, v, last), "pulled back into a free slot");
    cr_assert_eq(ram[PEND_GPA - RAM_BASE + last / 8] & (1u << (last % 8)), 0);
}

Test(vgic, wfi_wakes_only_for_what_the_cpu_interface_would_signal)
{
    struct vcpu *v = &vm.vcpu[0];
    gicd_write(0x0000, 4, 0x2);
    gicr_write(0, GICR_SGI + 0x0080, 4, ~0u);
    gicr_write(0, GICR_SGI + 0x0400 + 27, 1, 0x80);
    gicr_write(0, GICR_SGI + 0x0100, 4, 1u << 27);
    vgic_set_ppi_level(v, 27, true);
    v->arch.vgic.vmcr = 0;
    cr_assert(!vgic_vcpu_pending(v), "Group 1 disabled in ICH_VMCR_EL2");
    v->arch.vgic.vmcr = 2 | 0x80ull << 24;
    cr_assert(!vgic_vcpu_pending(v), "ICV_PMR_EL1 0x80 masks priority 0x80");
    v->arch.vgic.vmcr = 2 | 0x90ull << 24;
    cr_assert(vgic_vcpu_pending(v));
    gicr_write(0, GICR_SGI + 0x0180, 4, 1u << 27);
    cr_assert(!vgic_vcpu_pending(v), "disabled");
}
