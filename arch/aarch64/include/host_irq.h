/* host_irq.h: physical interrupts at EL2 (host_irq.c): the host GIC per CPU, their dispatch
 * while a guest runs or a vCPU waits, kicks between pCPUs, and the EL2 hypervisor timer. */
#ifndef AARCH64_HOST_IRQ_H
#define AARCH64_HOST_IRQ_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

#define HOST_SGI_KICK        0      /* a vCPU on the target pCPU should leave the guest / wake */
#define HOST_INTID_VGIC_MAINT 25    /* the virtual CPU interface's maintenance interrupt */
#define HOST_INTID_HYP_TIMER 26     /* CNTHP: EL2 physical timer */
#define HOST_INTID_VTIMER    27     /* CNTV: the guest's virtual timer */
#define HOST_INTID_PTIMER    30     /* CNTP: the guest's physical timer */
#define HOST_INTID_PMU       23     /* PMU overflow: a guest's backed counter (pmu_sysreg.c) */

/* What a handler did with the interrupt: ended it (the dispatcher deactivates it), or
 * forwarded it to a guest, which deactivates it through a HW list register. */
enum host_irq_result { HOST_IRQ_DONE, HOST_IRQ_FORWARDED };
/* v: the vCPU placed on this pCPU, or NULL. */
typedef enum host_irq_result (*host_irq_fn)(struct vcpu *v, uint32_t intid);

/* Boot CPU, once (arch_early_init): the distributor; host_irq_cpu_init on every CPU. */
void host_irq_init(void);
void host_irq_cpu_init(void);
/* Handler for INTIDs [first, first + count) (e.g. LPIs of the physical ITS, GICv4
 * doorbells). Before the secondaries start; false when the table is full. */
bool host_irq_register(uint32_t first, uint32_t count, host_irq_fn fn);
/* Acknowledges, dispatches and ends every interrupt pending on this CPU. */
void host_irq_handle(struct vcpu *v);
/* Makes pCPU `pcpu` take an interrupt (HOST_SGI_KICK); false without a GIC. */
bool host_irq_kick(uint32_t pcpu);
/* The preemption tick while a guest runs (armed before each entry if it is not already),
 * and a wake-up at physical count `cntpct` (or the tick, whichever is first) for WFI. */
void host_tick_arm(void);
void host_timer_wake_at(uint64_t cntpct);
/* True when this CPU's WFI is woken by interrupts (a GIC is in use). */
bool host_irq_ready(void);
/* Before parking: nothing will interrupt this CPU any more. */
void host_irq_cpu_off(void);

/* vtimer.c: the guest's EL1 timers as forwarded PPIs. */
enum host_irq_result vtimer_irq(struct vcpu *v, uint32_t intid);
enum host_irq_result pmu_host_irq(struct vcpu *v, uint32_t intid);     /* pmu_sysreg.c */
void vtimer_sync(struct vcpu *v);              /* on entry: the lines as the registers say */
uint64_t vtimer_deadline(struct vcpu *v);      /* physical count of the next guest timer event */

#endif
