/* guest.h: what the aarch64 guest-side files share: EL2 control values, syndrome fields,
 * exception injection, the trap handlers and the guest's devices. */
#ifndef AARCH64_GUEST_H
#define AARCH64_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include "sysreg.h"
#include "vm.h"

/* ESR_ELx (Arm ARM D17.2.40): EC [31:26], IL [25], ISS [24:0]. */
#define ESR_EC(esr)  ((uint32_t)BITS(esr, 31, 26))
#define ESR_IL       (1u << 25)
#define ESR_ISS(esr) ((uint32_t)BITS(esr, 24, 0))

#define EC_UNKNOWN     0x00
#define EC_WFX         0x01
#define EC_FP_ASIMD    0x07
#define EC_HVC64       0x16
#define EC_SMC64       0x17
#define EC_SYS64       0x18
#define EC_SVE         0x19
#define EC_SME         0x1d
#define EC_IABT_LOW    0x20
#define EC_IABT_CUR    0x21
#define EC_DABT_LOW    0x24
#define EC_DABT_CUR    0x25

/* Fault status codes (ISS DFSC/IFSC). */
#define FSC_SEA        0x10     /* synchronous external abort, not on a table walk */

/* PSTATE / SPSR_ELx (Arm ARM C5.2.19). */
#define PSR_MODE_MASK  0x1full
#define PSR_MODE_EL0t  0x0ull
#define PSR_MODE_EL1t  0x4ull
#define PSR_MODE_EL1h  0x5ull
#define PSR_AARCH32    (1ull << 4)
#define PSR_DAIF       (0xfull << 6)
#define PSR_I          (1ull << 7)
#define PSR_BTYPE      (3ull << 10)     /* AArch64 only (AArch32: IT bits) */
#define PSR_SS         (1ull << 21)     /* software step */
#define PSR_SSBS       (1ull << 12)
#define PSR_PAN        (1ull << 22)
#define PSR_DIT        (1ull << 24)
#define PSR_NZCV       (0xfull << 28)
#define PSR_AARCH32_DIT (1ull << 21)    /* SPSR_ELx from AArch32 keeps DIT here */

/* SCTLR_EL1 (Arm ARM D17.2.118). */
#define SCTLR_EL1_M     (1ull << 0)
#define SCTLR_EL1_SPAN  (1ull << 23)
#define SCTLR_EL1_DSSBS (1ull << 44)
#define SCTLR_EL1_RESET 0x30d00800ull   /* RES1 bits (29, 28, 23, 22, 20, 11); MMU and caches off */

/* After this many exits in a row that only gave the guest's EL1 the same exception at the
 * same PC, it is looping (inject.c). */
#define FAULT_LOOP_LIMIT 10000u

/* Guest GPR n as an operand: 31 is XZR. */
static inline uint64_t guest_reg(const struct vcpu *v, uint32_t n) { return n < 31 ? v->arch.x[n] : 0; }
static inline void guest_set_reg(struct vcpu *v, uint32_t n, uint64_t val) { if (n < 31) v->arch.x[n] = val; }
/* Past an instruction the hypervisor emulated (its PC on by insn_len): for a guest stepping
 * itself (MDSCR_EL1.SS) that instruction has been stepped, so PSTATE.SS is cleared and the
 * step exception comes before the next one (Arm ARM D2.12, "Software Step exceptions": the
 * active-pending state); PSTATE.BTYPE too (FEAT_BTI): the next instruction is not reached by
 * a branch. KVM's kvm_skip_instr does both. */
static inline void guest_skip_insn(struct vcpu *v)
{
    v->arch.pc += v->arch.insn_len;
    v->arch.pstate &= ~(PSR_SS | ((v->arch.pstate & PSR_AARCH32) ? 0 : PSR_BTYPE));
}
static inline bool guest_at_el0(const struct vcpu *v) { return (v->arch.pstate & 0xc) == 0; }

/* inject.c: exceptions given to the guest at EL1 (Arm ARM D1.10.2). */
void inject_undef(struct vcpu *v);
void inject_data_abort(struct vcpu *v, uint64_t far);
void inject_prefetch_abort(struct vcpu *v, uint64_t far);
void inject_sysreg_trap(struct vcpu *v, uint32_t iss);   /* EC 0x18 to EL1 (e.g. PMUSERENR) */
void inject_serror(struct vcpu *v);                      /* a virtual SError (HCR_EL2.VSE) */

/* The exit path's fast tier (fast_exit.c), right after guest_enter returns with vector index
 * kind: FAST_NONE, the generic path handles the exit; FAST_REENTER, handled and the vCPU may
 * enter again at once; FAST_HANDLED, handled but the generic entry must run first. */
enum fast_result { FAST_NONE, FAST_REENTER, FAST_HANDLED };
enum fast_result fast_exit(struct vcpu *v, uint64_t kind);
enum fast_result vgic_sgi_fast(struct vcpu *v, uint64_t esr);   /* vgic_sysreg.c: SGI writes */
int fast_hvc_light(struct arch_vcpu *a);   /* world_switch.S guest_hvc_light */
int fast_dabt_light(struct arch_vcpu *a);  /* world_switch.S guest_dabt_light */

/* Trap handlers for the exception classes of ESR_EL2 (trap.c dispatches to them). */
void sysreg_trap(struct vcpu *v, struct vcpu_exit *exit, uint64_t esr);      /* sysreg_trap.c */
void sysreg_init(void);
bool sysreg_hcrx(uint64_t *value);   /* HCRX_EL2 for guests; false: the register does not exist */
bool sysreg_guest_wfxt(void);        /* the guest's ID_AA64ISAR2_EL1 shows FEAT_WFxT */
void abort_data(struct vcpu *v, struct vcpu_exit *exit, uint64_t esr);       /* abort.c */
void abort_insn(struct vcpu *v, struct vcpu_exit *exit, uint64_t esr);
bool guest_fetch_insn(struct vcpu *v, uint32_t *insn);   /* the A64 instruction at the guest's PC */
bool vpsci_is_psci(uint64_t x0);                                             /* vpsci.c */
void vpsci_call(struct vcpu *v);
void trap_dispatch(struct vcpu *v, struct vcpu_exit *exit, uint64_t kind);   /* trap.c */

/* pmu_sysreg.c: the emulated PMU's vCPU side. */
bool pmu_host_has_pmuv3(void);
void pmu_vcpu_load(void);
void pmu_vcpu_reset(struct vcpu *v);
void pmu_guest_enter(struct vcpu *v);
void pmu_guest_exit(struct vcpu *v);
bool pmu_guest_counting(const struct vcpu *v);   /* the two above have work to do */

/* fpsimd.c / fpsimd.S: lazy FP/SIMD switching. */
struct fpsimd_state;
void fpsimd_save(struct fpsimd_state *s);
void fpsimd_load(const struct fpsimd_state *s);
void fpsimd_guest_enter(struct arch_vcpu *a);      /* before the ERET: guest state live, no traps */
void fpsimd_vcpu_reset(struct arch_vcpu *a);       /* zeroed state, loaded on the next entry */
bool fpsimd_trap(void);                            /* exception.c: EC 0x07 taken from EL2 */
uint64_t fpsimd_cptr_guest(void);

/* world_switch.S */
uint64_t guest_enter(struct arch_vcpu *a);

/* VTTBR_EL2 (Arm ARM D17.2.158): VMID in bits [55:48] (8-bit VMIDs), stage-2 root below. */
static inline uint64_t guest_vttbr(const struct vm *vm)
{
    return (uint64_t)vm->arch.vmid << 48 | vm->stage2.root_pa;
}

#endif
