/* hypercall.h: the guest-facing hypercall ABI (HVC on aarch64, VMCALL/VMMCALL on x86_64).
 * Shared by the hypervisor and the test payloads; documented in docs/hypercalls.md. */
#ifndef HYPERCALL_H
#define HYPERCALL_H

/* SMCCC function IDs (Arm DEN 0028): fast call, SMC64, owning entity 6 =
 * vendor-specific hypervisor service. On x86 the same numbers go in RAX. */
#define HV_HC_BASE            0xC6000000u
#define HV_HC_VERSION         (HV_HC_BASE | 0x00)  /* -> r0 = major << 16 | minor */
#define HV_HC_CONSOLE_WRITE   (HV_HC_BASE | 0x01)  /* r1 = gpa, r2 = length (<= 4096) -> r0 = bytes or error */
#define HV_HC_VM_STAT         (HV_HC_BASE | 0x02)  /* r1 = HV_STAT_* -> r0 = value or error */
#define HV_HC_MEMSLOT_INFO    (HV_HC_BASE | 0x03)  /* r1 = slot index -> r0 = 0 or error, r1 = gpa,
                                                      r2 = size in bytes, r3 = HV_MEMSLOT_* flags */

#define HV_ABI_VERSION        0x00010000u          /* 1.0 */

/* Return values (SMCCC: negative values in r0). */
#define HV_HC_SUCCESS         0
#define HV_HC_NOT_SUPPORTED   (-1)
#define HV_HC_INVALID         (-2)                 /* bad argument */
#define HV_HC_NOT_FOUND       (-3)                 /* e.g. no memslot with that index */
#define HV_HC_DENIED          (-4)                 /* x86: called from CPL > 0 (KVM: -KVM_EPERM) */

/* HV_HC_VM_STAT identifiers. */
#define HV_STAT_EXITS_TOTAL   0                    /* all exits of this VM so far */
#define HV_STAT_EXITS_HVC     1                    /* hypercalls (HVC / VMCALL) */
#define HV_STAT_EXITS_MMIO    2                    /* emulated MMIO accesses */
#define HV_STAT_EXITS_SYSREG  3                    /* trapped system-register / MSR accesses */
#define HV_STAT_EXITS_WFX     4                    /* WFI/WFE / HLT */
#define HV_STAT_EXITS_IRQ     5                    /* physical interrupts taken while the VM ran */
#define HV_STAT_EXITS_ABORT   6                    /* aborts reflected to the guest */
#define HV_STAT_MEMSLOT_MAX   16                   /* the maximum memslot count */
#define HV_STAT_VCPU_COUNT    17
#define HV_STAT_LPI_INJECTED  18                   /* aarch64: LPIs the hypervisor injected (emulated ITS) */
#define HV_STAT_LPI_DIRECT    19                   /* aarch64: LPIs made pending by the physical ITS (GICv4) */
#define HV_STAT_FPU_LAZY_SAVES 20                  /* the guest's FP/SIMD state saved because the
                                                      hypervisor used FP/SIMD after an exit */
#define HV_STAT_CONSOLE_DROPPED 21                 /* console bytes dropped: the VM's output ring
                                                      was full (kernel/vm_console.c) */
#define HV_STAT_IDLE_WAKEUPS  22                   /* aarch64: wake-ups of the pCPUs of this VM's
                                                      blocked vCPUs (WFI in the hypervisor); 0 on x86 */

/* HV_HC_MEMSLOT_INFO flags. */
#define HV_MEMSLOT_READONLY   (1u << 0)
#define HV_MEMSLOT_RAM        (1u << 1)            /* the VM's main RAM */

#endif
