/* vmcs12_check.h: the checks VMLAUNCH / VMRESUME make on a vmcs12 before entering L2 (Intel SDM Vol. 3C,
 * 26.2 controls and host state: VMfailValid 7 / 8; 26.3.1 guest state: a VM-entry failure, exit reason
 * 33 with bit 31 set). Pure: host-tested (tests/unit/test_vmcs12_check.c). */
#ifndef VMX_VMCS12_CHECK_H
#define VMX_VMCS12_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include "vmcs12.h"
#include "x86_nested_caps.h"

/* What the checks need beyond the vmcs12: L1's capability MSRs and its state at the VMLAUNCH. */
struct vmcs12_check_env {
    struct nested_vmx_ctls caps;     /* the TRUE controls and fixed bits L1 was offered */
    uint32_t phys_bits;              /* MAXPHYADDR (CPUID.80000008H:EAX[7:0]) */
    bool l1_ia32e;                   /* L1 executes VMLAUNCH in IA-32e mode */
    uint32_t link_revision;          /* bits 31:0 at the VMCS link pointer (when it is not ~0) */
};

/* Each returns 0 when the state passes, else the architectural result; *why names the failed check. */
#define VMXERR_ENTRY_INVALID_CONTROL 7u
#define VMXERR_ENTRY_INVALID_HOST    8u
uint32_t vmcs12_check_controls(const struct vmcs12 *v, const struct vmcs12_check_env *e, const char **why);
uint32_t vmcs12_check_host(const struct vmcs12 *v, const struct vmcs12_check_env *e, const char **why);
/* Returns 0 or the basic exit reason 33 (invalid guest state); *qual the exit qualification (SDM 26.7:
 * 0 for most checks, 4 for the VMCS link pointer). */
#define VMCS12_EXIT_INVALID_GUEST_STATE 33u
uint32_t vmcs12_check_guest(const struct vmcs12 *v, const struct vmcs12_check_env *e, uint64_t *qual,
                            const char **why);

/* Controls the nested code tests by name (SDM 24.6-24.8). */
#define V12_PIN_EXT_INTR        (1u << 0)
#define V12_PIN_NMI_EXITING     (1u << 3)
#define V12_PIN_VIRTUAL_NMIS    (1u << 5)
#define V12_PIN_PREEMPT_TIMER   (1u << 6)
#define V12_CPU_INTR_WINDOW     (1u << 2)
#define V12_CPU_TSC_OFFSETTING  (1u << 3)
#define V12_CPU_HLT             (1u << 7)
#define V12_CPU_INVLPG          (1u << 9)
#define V12_CPU_MWAIT           (1u << 10)
#define V12_CPU_RDPMC           (1u << 11)
#define V12_CPU_RDTSC           (1u << 12)
#define V12_CPU_CR3_LOAD        (1u << 15)
#define V12_CPU_CR3_STORE       (1u << 16)
#define V12_CPU_CR8_LOAD        (1u << 19)
#define V12_CPU_CR8_STORE       (1u << 20)
#define V12_CPU_NMI_WINDOW      (1u << 22)
#define V12_CPU_MOV_DR          (1u << 23)
#define V12_CPU_UNCOND_IO       (1u << 24)
#define V12_CPU_IO_BITMAPS      (1u << 25)
#define V12_CPU_MSR_BITMAPS     (1u << 28)
#define V12_CPU_MONITOR         (1u << 29)
#define V12_CPU_PAUSE           (1u << 30)
#define V12_CPU_SECONDARY       (1u << 31)
#define V12_SEC_EPT             (1u << 1)
#define V12_SEC_VPID            (1u << 5)
#define V12_EXIT_SAVE_DEBUG     (1u << 2)
#define V12_EXIT_HOST_ADDR64    (1u << 9)
#define V12_EXIT_ACK_INTR       (1u << 15)
#define V12_EXIT_SAVE_PAT       (1u << 18)
#define V12_EXIT_LOAD_PAT       (1u << 19)
#define V12_EXIT_SAVE_EFER      (1u << 20)
#define V12_EXIT_LOAD_EFER      (1u << 21)
#define V12_EXIT_SAVE_PREEMPT   (1u << 22)
#define V12_ENTRY_LOAD_DEBUG    (1u << 2)
#define V12_ENTRY_IA32E         (1u << 9)
#define V12_ENTRY_LOAD_PAT      (1u << 14)
#define V12_ENTRY_LOAD_EFER     (1u << 15)

#endif
