/* trap.c: why the guest left: the lower-EL vector taken and, for synchronous exceptions,
 * ESR_EL2.EC, dispatched through one table row per exception class (Arm ARM D17.2.40). */
#include "cnt_deadline.h"
#include "guest.h"

typedef void (*ec_handler)(struct vcpu *v, struct vcpu_exit *exit, uint64_t esr);

/* WFI / WFE / WFIT / WFET (HCR_EL2.TWI/TWE): ISS.TI [1:0] 0b00 WFI, 0b01 WFE, 0b10 WFIT,
 * 0b11 WFET; with RV [2] set, RN [9:5] holds the register with the timeout, a CNTVCT_EL0 value
 * (Arm ARM D17.2.40, ISS encoding for WF* instructions; FEAT_WFxT). QEMU 10.0 reports a trapped
 * WFIT as a WFI (TI 0, no RV), so a WFI exit of an AArch64 guest whose ID registers show
 * FEAT_WFxT looks at the instruction itself (a stage-1 walk and a copy, ~120 instructions: not
 * for guests that cannot have a WFIT). The PC is at the instruction. A WFE (and WFET) returns
 * at once: guests spin with it (arch_vcpu_block). WFIT blocks like WFI until its deadline at
 * the latest. */
#define ISS_WFX_TI_WFIT 2u
#define ISS_WFX_RV      (1u << 2)
#define A64_WFIT_MASK   0xffffffe0u     /* WFIT <Xt>: 0xd5031020 | Rt (Arm ARM C6.2, WFIT) */
#define A64_WFIT        0xd5031020u

static void ec_wfx(struct vcpu *v, struct vcpu_exit *exit, uint64_t esr)
{
    uint32_t ti = (uint32_t)BITS(esr, 1, 0), insn, rt = 32;
    v->arch.wfe = ti & 1;
    v->arch.wfit_deadline = ~0ull;
    if (ti == ISS_WFX_TI_WFIT && (esr & ISS_WFX_RV))
        rt = (uint32_t)BITS(esr, 9, 5);
    else if (ti == 0 && !(v->arch.pstate & PSR_AARCH32) && sysreg_guest_wfxt() && guest_fetch_insn(v, &insn) &&
             (insn & A64_WFIT_MASK) == A64_WFIT)
        rt = insn & 31;
    if (rt < 32)
        v->arch.wfit_deadline = cnt_virt_to_phys_deadline(guest_reg(v, rt), v->vm->arch.cntvoff);
    guest_skip_insn(v);
    exit->reason = EXIT_WFX;
}

/* HVC: the preferred return address is already past the instruction. PSCI is ours; the
 * rest is the kernel's hypercall ABI (nr = x0, arguments x1-x4). */
static void ec_hvc(struct vcpu *v, struct vcpu_exit *exit, uint64_t esr)
{
    (void)esr;
    const uint64_t *x = v->arch.x;
    if (vpsci_is_psci(x[0])) {
        vpsci_call(v);
        exit->reason = EXIT_FIRMWARE;
        return;
    }
    exit->reason = EXIT_HYPERCALL;
    exit->hypercall.nr = x[0];
    for (int i = 0; i < 4; i++)
        exit->hypercall.arg[i] = x[1 + i];
}

/* SMC (HCR_EL2.TSC): ELR_EL2 is the SMC itself. PSCI works over SMC too; there is no
 * secure firmware behind the guest, so anything else is SMCCC NOT_SUPPORTED. */
static void ec_smc(struct vcpu *v, struct vcpu_exit *exit, uint64_t esr)
{
    (void)esr;
    guest_skip_insn(v);
    exit->reason = EXIT_FIRMWARE;
    if (vpsci_is_psci(v->arch.x[0]))
        vpsci_call(v);
    else
        v->arch.x[0] = (uint64_t)-1;
}

/* Classes that reach EL2 only for features hidden from the guest (SVE, SME, ...) or that
 * should not happen at all: the guest sees an UNDEFINED instruction. */
static void ec_undef(struct vcpu *v, struct vcpu_exit *exit, uint64_t esr)
{
    (void)esr;
    exit->reason = EXIT_ABORT;
    inject_undef(v);
}

static const ec_handler ec_handlers[64] = {
    [EC_WFX] = ec_wfx,
    [EC_HVC64] = ec_hvc,
    [EC_SMC64] = ec_smc,
    [EC_SYS64] = sysreg_trap,
    [EC_IABT_LOW] = abort_insn,
    [EC_DABT_LOW] = abort_data,
};

/* Vector index (vectors.S): 8-11 from AArch64, 12-15 from AArch32; sync, IRQ, FIQ, SError. */
void trap_dispatch(struct vcpu *v, struct vcpu_exit *exit, uint64_t kind)
{
    switch (kind & 3) {
    case 0: {
        uint64_t esr = read_sysreg(esr_el2);
        ec_handler h = ec_handlers[ESR_EC(esr)];
        v->arch.insn_len = (esr & ESR_IL) ? 4 : 2;
        (h ? h : ec_undef)(v, exit, esr);
        return;
    }
    case 1:
    case 2:
        exit->reason = EXIT_IRQ;        /* HCR_EL2.IMO/FMO: the host's interrupt */
        return;
    default:
        /* SError (HCR_EL2.AMO): a physical SError taken while this guest ran, or left pending
         * from the hypervisor (PSTATE.A masked at EL2) until this entry: the guest's. */
        exit->reason = EXIT_OTHER;
        inject_serror(v);
        return;
    }
}
