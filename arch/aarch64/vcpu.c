/* vcpu.c: an EL1 guest vCPU on its physical CPU: EL2 trap controls, architectural reset,
 * entry and exit, finishing emulated instructions, WFI blocking and kicks. */
#include <string.h>
#include "arch_guest.h"
#include "cpu_data.h"
#include "kernel.h"
#include "guest.h"
#include "host_irq.h"
#include "vgic.h"

/* HCR_EL2 for a guest (Arm ARM D17.2.48; the set KVM uses, HCR_GUEST_FLAGS). */
#define HCR_VM    (1ull << 0)     /* stage 2 on */
#define HCR_SWIO  (1ull << 1)     /* DC ISW acts as DC CISW */
#define HCR_PTW   (1ull << 2)     /* stage-1 walks to Device memory fault */
#define HCR_FMO   (1ull << 3)     /* physical FIQ, IRQ, SError to EL2 */
#define HCR_IMO   (1ull << 4)
#define HCR_AMO   (1ull << 5)
#define HCR_FB    (1ull << 9)     /* TLB and cache maintenance broadcast inner shareable */
#define HCR_BSU_IS (1ull << 10)   /* barriers upgraded to inner shareable */
#define HCR_TWI   (1ull << 13)    /* WFI traps (EC 0x01) */
#define HCR_TWE   (1ull << 14)    /* WFE traps */
#define HCR_TID3  (1ull << 18)    /* ID group 3 reads trap: sanitised (sysreg_trap.c) */
#define HCR_TSC   (1ull << 19)    /* SMC traps (EC 0x17) */
#define HCR_TIDCP (1ull << 20)    /* IMPLEMENTATION DEFINED registers trap: UNDEF */
#define HCR_TACR  (1ull << 21)    /* ACTLR_EL1 traps */
#define HCR_TSW   (1ull << 22)    /* set/way cache maintenance traps */
#define HCR_RW    (1ull << 31)    /* EL1 is AArch64 */
#define HCR_TLOR  (1ull << 35)    /* LORegions registers trap: UNDEF (hidden) */
#define HCR_TERR  (1ull << 36)    /* RAS error records trap: UNDEF (hidden) */
#define HCR_APK   (1ull << 40)    /* pointer authentication keys and instructions do */
#define HCR_API   (1ull << 41)    /* not trap: EL1 state stays live, we never use it */
#define HCR_GUEST (HCR_VM | HCR_SWIO | HCR_PTW | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | \
                   HCR_TWI | HCR_TWE | HCR_TID3 | HCR_TSC | HCR_TIDCP | HCR_TACR | HCR_TSW | HCR_RW | \
                   HCR_TLOR | HCR_TERR | HCR_APK | HCR_API)

/* VTCR_EL2 (D17.2.157): 48-bit IPA (T0SZ 16) walked from level 0 (SL0 2), 4 KiB granule,
 * walks inner shareable write-back; PS from ID_AA64MMFR0_EL1.PARange, at most 48 bits. */
#define VTCR_T0SZ_48  16ull
#define VTCR_SL0_L0   (2ull << 6)
#define VTCR_IRGN0_WB (1ull << 8)
#define VTCR_ORGN0_WB (1ull << 10)
#define VTCR_SH0_IS   (3ull << 12)
#define VTCR_PS_SHIFT 16
#define VTCR_RES1     (1ull << 31)

/* CNTHCTL_EL2 with E2H=0 (D17.2.27): EL1 reads the physical counter and uses the physical
 * timer directly; an event stream every 2^(EVNTI+1) counts so WFE wakes periodically
 * (bit 9 at QEMU's 62.5 MHz: about every 16 us). */
#define CNTHCTL_EL1PCTEN (1ull << 0)
#define CNTHCTL_EL1PCEN  (1ull << 1)
#define CNTHCTL_EVNTEN   (1ull << 2)
#define CNTHCTL_EVNTI(n) ((uint64_t)(n) << 4)
#define CNTHCTL_GUEST (CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN | CNTHCTL_EVNTEN | CNTHCTL_EVNTI(9))

/* MDCR_EL2 (D17.2.86): PMU (TPM, TPMCR) accesses trap and are emulated (pmu_sysreg.c);
 * statistical profiling (TPMS, E2PB = 0) and trace filter (TTRF) accesses trap and are UNDEF.
 * HPMN keeps its reset value; pmu_vcpu_load sets it, HPMD and HCCD for the physical counters
 * that back the guest's. */
#define MDCR_HPMN_MASK 0x1full
#define MDCR_TPMCR (1ull << 5)
#define MDCR_TPM   (1ull << 6)
#define MDCR_TPMS  (1ull << 14)
#define MDCR_TTRF  (1ull << 19)

/* VMPIDR_EL2: bit 31 RES1, U (bit 30) 0: part of a multiprocessor system; Aff0 = vCPU id. */
#define MPIDR_RES1 (1ull << 31)

/* ISR_EL1.A (Arm ARM D17.2.75): a physical SError is pending. */
#define ISR_EL1_A (1ull << 8)

#define CNT_CTL_FIRED 0x5ull      /* CNTx_CTL_EL0: ENABLE and ISTATUS, IMASK clear */
#define CNT_CTL_MASK  0x7ull

/* EL1 and EL0 system registers at reset (Arm ARM D1.9: UNKNOWN mostly; these are the
 * values QEMU's reset gives): MMU, caches and alignment checks off, no traps, timers off. */
#define EL1_RESET_REGS(X) \
    X(sctlr_el1, SCTLR_EL1_RESET) X(ttbr0_el1, 0) X(ttbr1_el1, 0) X(tcr_el1, 0) X(mair_el1, 0) \
    X(amair_el1, 0) X(vbar_el1, 0) X(cpacr_el1, 0) X(contextidr_el1, 0) X(tpidr_el1, 0) \
    X(tpidr_el0, 0) X(tpidrro_el0, 0) X(sp_el0, 0) X(sp_el1, 0) X(elr_el1, 0) X(spsr_el1, 0) \
    X(esr_el1, 0) X(far_el1, 0) X(par_el1, 0) X(afsr0_el1, 0) X(afsr1_el1, 0) X(cntkctl_el1, 0) \
    X(cntv_ctl_el0, 0) X(cntv_cval_el0, 0) X(cntp_ctl_el0, 0) X(cntp_cval_el0, 0) \
    X(mdscr_el1, 0) X(csselr_el1, 0)

static uint64_t vtcr_guest(void)
{
    uint64_t ps = BITS(read_sysreg(id_aa64mmfr0_el1), 3, 0);
    if (ps > 5)
        ps = 5;
    return VTCR_T0SZ_48 | VTCR_SL0_L0 | VTCR_IRGN0_WB | VTCR_ORGN0_WB | VTCR_SH0_IS |
           ps << VTCR_PS_SHIFT | VTCR_RES1;
}

/* Loads the EL2 controls for the vCPU placed on this pCPU. They stay loaded between
 * exits: one vCPU per pCPU. */
static void vcpu_load(struct vcpu *vcpu)
{
    struct cpu_data *c = this_cpu();
    if (c->loaded_vcpu == vcpu)
        return;
    const struct vm *vm = vcpu->vm;
    write_sysreg(vtcr_el2, vtcr_guest());
    write_sysreg(vttbr_el2, guest_vttbr(vm));
    write_sysreg(cntvoff_el2, vm->arch.cntvoff);
    write_sysreg(cnthctl_el2, CNTHCTL_GUEST);
    write_sysreg(mdcr_el2, (read_sysreg(mdcr_el2) & MDCR_HPMN_MASK) | MDCR_TPM | MDCR_TPMCR |
                           MDCR_TPMS | MDCR_TTRF);
    pmu_vcpu_load();
    write_sysreg(vpidr_el2, read_sysreg(midr_el1));
    write_sysreg(vmpidr_el2, vcpu->arch.mpidr);
    write_sysreg(hcr_el2, HCR_GUEST);
    uint64_t hcrx;
    if (sysreg_hcrx(&hcrx))
        write_sysreg(S3_4_C1_C2_2, hcrx);        /* HCRX_EL2 (FEAT_HCX): MSCEn for MOPS */
    isb();
    c->loaded_vcpu = vcpu;
}

/* Runs on the vCPU's own pCPU (kernel/vcpu.c wait_until_on), so the EL1 registers written
 * here are the guest's. */
void arch_vcpu_reset(struct vcpu *vcpu, uint64_t entry, uint64_t context)
{
    struct arch_vcpu *a = &vcpu->arch;
    for (int i = 0; i < 31; i++)
        a->x[i] = 0;
    a->x[0] = context;
    a->pc = entry;
    a->pstate = PSR_MODE_EL1h | PSR_DAIF;
    a->mpidr = MPIDR_RES1 | vcpu->id;
    a->wfe = a->injected = false;
    a->wfit_deadline = ~0ull;
    a->fault_loop = 0;
#define X(reg, value) write_sysreg(reg, value);
    EL1_RESET_REGS(X)
#undef X
    isb();
    fpsimd_vcpu_reset(a);
    vgic_vcpu_hw_reset(vcpu);
    pmu_vcpu_reset(vcpu);         /* no lock held here: see pmu_vcpu_reset */
    this_cpu()->loaded_vcpu = NULL;
}

void arch_vcpu_run(struct vcpu *vcpu, struct vcpu_exit *exit)
{
    struct arch_vcpu *a = &vcpu->arch;
    bool was_injected = a->injected;
    if (!a->injected)
        a->fault_loop = 0;
    a->injected = false;
    vcpu_load(vcpu);
    host_tick_arm();
    /* Interrupts into the list registers while FP/SIMD still traps (the vGIC may call
     * newlib's memcpy/memset, which use vector registers). */
    vtimer_sync(vcpu);
    vgic_flush(vcpu);
    vgic_v4_load(vcpu);           /* GICv4: its vPE resident (stays so across exits) */
    uint64_t kind;
    for (;;) {
        fpsimd_guest_enter(a);
        pmu_guest_enter(vcpu);    /* CPU_CYCLES count the time between these two */
        kind = guest_enter(a);
        pmu_guest_exit(vcpu);
        enum fast_result f = fast_exit(vcpu, kind);    /* fast_exit.c: the hot exits */
        if (f == FAST_NONE)
            break;
        if (f == FAST_HANDLED) {
            vgic_fold(vcpu);
            exit->reason = EXIT_HANDLED;
            return;
        }
        a->fault_loop = 0;        /* that exit made progress, as the next run would note */
    }
    vgic_fold(vcpu);
    trap_dispatch(vcpu, exit, kind);
    if (exit->reason == EXIT_IRQ) {
        host_irq_handle(vcpu);
        a->injected = was_injected;   /* an interrupt is no progress for a guest in a fault loop */
    }
}

/* The stack pointer the guest's instruction used as base register 31. */
static uint64_t guest_sp_read(const struct vcpu *v)
{
    return (v->arch.pstate & PSR_MODE_MASK) == PSR_MODE_EL1h ? read_sysreg(sp_el1) : read_sysreg(sp_el0);
}

static void guest_sp_write(struct vcpu *v, uint64_t val)
{
    if ((v->arch.pstate & PSR_MODE_MASK) == PSR_MODE_EL1h)
        write_sysreg(sp_el1, val);
    else
        write_sysreg(sp_el0, val);
}

/* Finishes an emulated load or store: the loaded value into Rt (extended as the
 * instruction says), the base register's writeback, and the PC past it. */
static void complete_mmio(struct vcpu *v, const struct vcpu_exit *exit)
{
    struct arch_vcpu *a = &v->arch;
    const struct a64_ldst *m = &a->mmio;
    if (!m->store)
        guest_set_reg(v, m->rt, a64_load_value(m, exit->mmio.data));
    if (m->writeback && m->rn == 31)
        guest_sp_write(v, guest_sp_read(v) + (uint64_t)m->imm);
    else if (m->writeback)
        a->x[m->rn] += (uint64_t)m->imm;
    guest_skip_insn(v);
}

void arch_vcpu_complete(struct vcpu *vcpu, const struct vcpu_exit *exit, bool handled)
{
    struct arch_vcpu *a = &vcpu->arch;
    if (exit->reason == EXIT_HYPERCALL) {
        for (int i = 0; i < 4; i++)
            a->x[i] = exit->hypercall.ret[i];     /* the PC is already past the HVC */
    } else if (exit->reason == EXIT_MMIO) {
        if (handled)
            complete_mmio(vcpu, exit);
        else
            inject_data_abort(vcpu, a->far);      /* nothing there: Arm ARM D1.10 */
    }
}

static uint64_t counter_now(void)
{
    isb();
    return read_sysreg(cntpct_el0);
}

/* The guest's EL1 timers are live in the registers: one whose condition is met and
 * that is not masked ends a WFI. */
static bool timer_fired(void)
{
    return (read_sysreg(cntv_ctl_el0) & CNT_CTL_MASK) == CNT_CTL_FIRED ||
           (read_sysreg(cntp_ctl_el0) & CNT_CTL_MASK) == CNT_CTL_FIRED;
}

/* With the host GIC: wait in WFI (woken by a kick SGI, the guest's timers or the hypervisor
 * timer at their deadline) until the vCPU has an interrupt to take, is kicked, or its VM
 * stops. WFI wakes on a pending interrupt whatever PSTATE.I says (Arm DDI 0487, "Wait For
 * Interrupt"), and one left pending is never lost: it is acknowledged in the loop. */
void arch_vcpu_block(struct vcpu *vcpu)
{
    struct arch_vcpu *a = &vcpu->arch;
    uint64_t wfit = a->wfit_deadline;      /* WFIT: its timeout ends the wait too */
    a->wfit_deadline = ~0ull;
    if (a->wfe) {
        a->wfe = false;
        return;
    }
    while (host_irq_ready()) {
        host_irq_handle(vcpu);
        if (__atomic_exchange_n(&a->kick, 0, __ATOMIC_ACQ_REL) ||
            __atomic_load_n(&vcpu->vm->shutdown, __ATOMIC_ACQUIRE) != VM_SHUTDOWN_NONE ||
            (__atomic_load_n(&vcpu->power, __ATOMIC_ACQUIRE) == VCPU_ON && vgic_vcpu_pending(vcpu)) ||
            vgic_v4_put(vcpu) ||      /* GICv4: non-resident now (doorbells wake it), or vLPIs pending */
            counter_now() >= wfit ||
            (read_sysreg(isr_el1) & ISR_EL1_A))   /* a physical SError, masked at EL2, wakes WFI: */
            return;                               /* the guest entry takes it (trap.c) */
        uint64_t deadline = vtimer_deadline(vcpu);
        host_timer_wake_at(wfit < deadline ? wfit : deadline);   /* at the latest the next tick (100 Hz) */
        __asm__ volatile("dsb sy\n\twfi" ::: "memory");
        __atomic_fetch_add(&vcpu->vm->idle_wakeups, 1, __ATOMIC_RELAXED);
        kernel_poll();                /* idle vCPUs drain guest consoles and serve the management interface */
    }
    while (!__atomic_exchange_n(&a->kick, 0, __ATOMIC_ACQ_REL)) {
        if (__atomic_load_n(&vcpu->vm->shutdown, __ATOMIC_ACQUIRE) != VM_SHUTDOWN_NONE || timer_fired() ||
            counter_now() >= wfit)
            return;
        __asm__ volatile("wfe" ::: "memory");     /* SEV from arch_vcpu_kick, or the event stream */
    }
}

/* An SGI to the vCPU's pCPU: it leaves the guest at once, or its WFI returns. */
void arch_vcpu_kick(struct vcpu *vcpu)
{
    __atomic_store_n(&vcpu->arch.kick, 1, __ATOMIC_RELEASE);
    if (host_irq_kick(vcpu->pcpu))
        return;
    dsb(ish);
    __asm__ volatile("sev" ::: "memory");
}
