/* arch_vm.h: aarch64 per-VM and per-vCPU state (EL1 guests under EL2). */
#ifndef ARCH_VM_H
#define ARCH_VM_H

/* Offsets world_switch.S uses. */
#define GUEST_REGS_PC     248
#define GUEST_REGS_PSTATE 256
/* The exit "vector index" of an HVC guest_hvc_light answered, for which the run loop still has
 * work (fast_exit.c); past the 16 real ones. */
#define FAST_KIND_HANDLED 16

#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "insn_decode.h"
#include "vgic_state.h"
#include "pmu.h"
#include "vgic_its.h"
#include "vpl011.h"
#include "vvirtio_mmio.h"

/* FP/SIMD registers saved lazily (fpsimd.S): q0-q31, FPSR, FPCR. */
struct fpsimd_state {
    __uint128_t q[32];
    uint64_t fpsr, fpcr;
};

struct arch_vm {
    uint16_t vmid;            /* VTTBR_EL2.VMID: vm->id + 1 (0 is never used for a guest) */
    uint64_t cntvoff;         /* CNTVOFF_EL2: the guest's virtual counter starts near 0 */
    uint64_t dtb_ipa;         /* where the DTB went (x0 of vCPU 0) */
    uint64_t dtb_size_bytes;
    bool at_abort_reported;   /* atomic: abort.c said once that an AT walk of this VM aborted */
    struct vpl011 uart;       /* PL011 at 0x09000000 */
    struct vvirtio_mmio virtio;   /* 32 virtio-mmio transports at 0x0a000000, no devices yet */
    struct vgic_dist vgic;    /* GICD at 0x08000000 (vgic.c) */
    struct vgic_its its;      /* emulated ITS at 0x08080000 (vgic_its.c) */
};

/* Only x[], pc and pstate are switched on every entry/exit. The EL1 system registers
 * (SP_EL1, ELR_EL1, SPSR_EL1, SCTLR_EL1, timers, ...) stay live in hardware: exactly one
 * vCPU runs on a pCPU and the hypervisor never uses EL1 state. */
struct arch_vcpu {
    uint64_t x[31];           /* x0-x30 (offset 0) */
    uint64_t pc;              /* ELR_EL2 */
    uint64_t pstate;          /* SPSR_EL2 */
    uint64_t mpidr;           /* VMPIDR_EL2: what MPIDR_EL1 reads in the guest */
    uint32_t kick;            /* atomic: arch_vcpu_kick happened, arch_vcpu_block returns */
    bool wfe;                 /* the last WFx exit was a WFE: do not block on it */
    uint64_t wfit_deadline;   /* the last WFx exit was a WFIT: block until this CNTPCT at most */
    bool injected;            /* the last exit ended with an exception given to the guest */
    bool retry;               /* the trapped instruction runs again as it is (sysreg_trap) */
    uint32_t fault_loop;      /* consecutive exits that only injected this same exception at EL1 */
    uint32_t fault_esr;       /* ... its syndrome */
    uint64_t fault_pc;        /* ... and the PC it was taken at */
    uint32_t insn_len;        /* length of the instruction behind the last exit (2 or 4) */
    struct a64_ldst mmio;     /* the access behind a pending EXIT_MMIO */
    uint64_t far;             /* FAR_EL2 of the last abort */
    struct vgic_cpu vgic;     /* its redistributor and list registers (vgic.c) */
    struct vpmu pmu;          /* the emulated PMU (pmu.c, pmu_sysreg.c) */
    /* The guest's FP/SIMD registers when they are not live in hardware (see fpsimd.c). */
    struct fpsimd_state fp __attribute__((aligned(16)));
};

_Static_assert(offsetof(struct arch_vcpu, pc) == GUEST_REGS_PC, "asm offset");
_Static_assert(offsetof(struct arch_vcpu, pstate) == GUEST_REGS_PSTATE, "asm offset");
#endif

#endif
