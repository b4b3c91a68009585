/* host_irq.c: physical interrupts at EL2. The hypervisor runs with PSTATE.I set: interrupts
 * reach it only as guest exits (HCR_EL2.IMO routes them to EL2 while a guest runs) or as WFI
 * wake-ups, and are acknowledged here by polling ICC_IAR1_EL1 (drivers/gicv3.c). */
#include <inttypes.h>
#include "arch.h"
#include "cpu_data.h"
#include "gicv3.h"
#include "assign.h"
#include "host_irq.h"
#include "smmu_s2.h"
#include "host_platform.h"
#include "kernel.h"
#include "sysreg.h"
#include "vgic.h"

#define TICK_HZ 100u                 /* preemption tick while a guest runs */
#define CNTHP_CTL_ENABLE 1ull
#define HANDLER_ROWS 12
#define DRAIN_LIMIT 64               /* interrupts taken per call, so a storm cannot hold us */

struct handler_row {
    uint32_t first, count;
    host_irq_fn fn;
};

/* Written by the boot CPU before the secondaries start (host_irq_init, host_irq_register),
 * read-only afterwards. */
static struct handler_row handlers[HANDLER_ROWS];
static uint32_t handler_count;
static bool ready;

/* Per CPU, touched only by that CPU: whether CNTHP_CTL_EL2 is armed. */
static bool tick_armed[HV_MAX_CPUS];

static enum host_irq_result irq_kick(struct vcpu *v, uint32_t intid)
{
    (void)v, (void)intid;            /* the exit itself was the point */
    return HOST_IRQ_DONE;
}

/* CNTHP fired: disarm it (its line drops); the run loop decides what next. */
static enum host_irq_result irq_hyp_timer(struct vcpu *v, uint32_t intid)
{
    (void)v, (void)intid;
    write_sysreg(cnthp_ctl_el2, 0);
    tick_armed[arch_cpu_index()] = false;
    smmu_s2_poll_events();           /* SMMU faults are polled, reported within a tick */
    kernel_tick();                   /* the run loop's periodic work (kernel/vcpu.c) */
    return HOST_IRQ_DONE;
}

/* The list registers are read back on every exit (vgic_fold), which is all the
 * maintenance interrupt asks for: underflow, no-pending and EOI conditions are resolved
 * by reloading them before the next entry. */
static enum host_irq_result irq_maintenance(struct vcpu *v, uint32_t intid)
{
    (void)v, (void)intid;
    return HOST_IRQ_DONE;
}

bool host_irq_register(uint32_t first, uint32_t count, host_irq_fn fn)
{
    if (handler_count == HANDLER_ROWS)
        return false;
    handlers[handler_count++] = (struct handler_row){ first, count, fn };
    return true;
}

void host_irq_init(void)
{
    const struct host_platform *p = &host_platform;
    struct gicv3_region r[HOST_MAX_GICR_REGIONS];
    for (uint32_t i = 0; i < p->gicr_count; i++)
        r[i] = (struct gicv3_region){ p->gicr[i].base, p->gicr[i].size_bytes };
    if (!p->gicd.size_bytes || !gicv3_init(p->gicd.base, r, p->gicr_count)) {
        hv_printf("gic: no GICv3 distributor: kicks by SEV, no preemption tick\n");
        return;
    }
    host_irq_register(HOST_SGI_KICK, 1, irq_kick);
    host_irq_register(HOST_INTID_VGIC_MAINT, 1, irq_maintenance);
    host_irq_register(HOST_INTID_HYP_TIMER, 1, irq_hyp_timer);
    host_irq_register(HOST_INTID_VTIMER, 1, vtimer_irq);
    host_irq_register(HOST_INTID_PTIMER, 1, vtimer_irq);
    host_irq_register(HOST_INTID_PMU, 1, pmu_host_irq);
    vgic_v4_register_doorbells();             /* GICv4 doorbell LPIs (vgic_v4.c) */
    pci_assign_register_irqs();               /* assigned PCI functions' MSIs on GICv3 (pci_assign.c) */
    ready = true;
    hv_printf("gic: host interrupts at EL2 (SGI %u kicks, hypervisor timer tick %u Hz, guest timers "
              "forwarded)\n", HOST_SGI_KICK, TICK_HZ);
}

void host_irq_cpu_init(void)
{
    if (!ready)
        return;
    struct cpu_data *c = this_cpu();
    uint32_t cpu = arch_cpu_index();
    write_sysreg(cnthp_ctl_el2, 0);
    if (!c || !gicv3_cpu_init(cpu, c->mpidr)) {
        hv_printf("gic: cpu %" PRIu32 ": no redistributor for MPIDR 0x%" PRIx64 "\n", cpu, c ? c->mpidr : 0);
        return;
    }
    static const uint32_t intids[] = { HOST_SGI_KICK, HOST_INTID_VGIC_MAINT, HOST_INTID_HYP_TIMER,
                                       HOST_INTID_VTIMER, HOST_INTID_PTIMER, HOST_INTID_PMU };
    for (uint32_t i = 0; i < sizeof(intids) / sizeof(intids[0]); i++)
        gicv3_ppi_enable(cpu, intids[i], GICV3_PRIO_DEFAULT);
}

bool host_irq_ready(void)
{
    return ready;
}

static host_irq_fn find_handler(uint32_t intid)
{
    for (uint32_t i = 0; i < handler_count; i++)
        if (intid - handlers[i].first < handlers[i].count)
            return handlers[i].fn;
    return NULL;
}

void host_irq_handle(struct vcpu *v)
{
    if (!ready)
        return;
    for (uint32_t n = 0; n < DRAIN_LIMIT; n++) {
        uint32_t intid = gicv3_ack();
        if (intid >= 1020 && intid < 1024)      /* special INTIDs: nothing (more) pending */
            return;
        host_irq_fn fn = find_handler(intid);
        enum host_irq_result r = fn ? fn(v, intid) : HOST_IRQ_DONE;
        gicv3_eoi(intid);                       /* priority drop (ICC_CTLR_EL1.EOImode = 1) */
        if (r == HOST_IRQ_DONE)
            gicv3_deactivate(intid);
    }
}

bool host_irq_kick(uint32_t pcpu)
{
    if (!ready || pcpu >= HV_MAX_CPUS)
        return false;
    if (pcpu != arch_cpu_index())
        gicv3_send_sgi(cpu_data[pcpu].mpidr, HOST_SGI_KICK);
    return true;
}

void host_tick_arm(void)
{
    uint32_t cpu = arch_cpu_index();
    if (!ready) {
        kernel_tick();               /* no tick without a GIC: the periodic work at every entry */
        return;
    }
    if (tick_armed[cpu])
        return;
    isb();
    write_sysreg(cnthp_cval_el2, read_sysreg(cntpct_el0) + read_sysreg(cntfrq_el0) / TICK_HZ);
    write_sysreg(cnthp_ctl_el2, CNTHP_CTL_ENABLE);
    tick_armed[cpu] = true;
}

void host_timer_wake_at(uint64_t cntpct)
{
    if (!ready)
        return;
    isb();
    uint64_t tick = read_sysreg(cntpct_el0) + read_sysreg(cntfrq_el0) / TICK_HZ;
    write_sysreg(cnthp_cval_el2, cntpct < tick ? cntpct : tick);
    write_sysreg(cnthp_ctl_el2, CNTHP_CTL_ENABLE);
    isb();
    tick_armed[arch_cpu_index()] = true;
}

void host_irq_cpu_off(void)
{
    if (!ready)
        return;
    write_sysreg(cnthp_ctl_el2, 0);
    write_sysreg(cntv_ctl_el0, 0);               /* the last guest's timers */
    write_sysreg(cntp_ctl_el0, 0);
    gicv3_cpu_disable();
}
