/* vmcs.h: VMCS field encodings (Intel SDM Vol. 3C, appendix B), control bits (24.6-24.8), exit reasons
 * (appendix C), and the VMREAD / VMWRITE / INVEPT / INVVPID wrappers. */
#ifndef VMX_VMCS_H
#define VMX_VMCS_H

#include <stdbool.h>
#include <stdint.h>

enum vmcs_field {
    VIRTUAL_PROCESSOR_ID = 0x0000,
    GUEST_ES_SELECTOR = 0x0800, GUEST_CS_SELECTOR = 0x0802, GUEST_SS_SELECTOR = 0x0804,
    GUEST_DS_SELECTOR = 0x0806, GUEST_FS_SELECTOR = 0x0808, GUEST_GS_SELECTOR = 0x080A,
    GUEST_LDTR_SELECTOR = 0x080C, GUEST_TR_SELECTOR = 0x080E,
    HOST_ES_SELECTOR = 0x0C00, HOST_CS_SELECTOR = 0x0C02, HOST_SS_SELECTOR = 0x0C04,
    HOST_DS_SELECTOR = 0x0C06, HOST_FS_SELECTOR = 0x0C08, HOST_GS_SELECTOR = 0x0C0A,
    HOST_TR_SELECTOR = 0x0C0C,
    MSR_BITMAP = 0x2004, TSC_OFFSET = 0x2010, EPT_POINTER = 0x201A,
    GUEST_PHYSICAL_ADDRESS = 0x2400,
    VMCS_LINK_POINTER = 0x2800, GUEST_IA32_DEBUGCTL = 0x2802, GUEST_IA32_PAT = 0x2804, GUEST_IA32_EFER = 0x2806,
    HOST_IA32_PAT = 0x2C00, HOST_IA32_EFER = 0x2C02,
    PIN_BASED_VM_EXEC_CONTROL = 0x4000, CPU_BASED_VM_EXEC_CONTROL = 0x4002, EXCEPTION_BITMAP = 0x4004,
    CR3_TARGET_COUNT = 0x400A, VM_EXIT_CONTROLS = 0x400C, VM_EXIT_MSR_STORE_COUNT = 0x400E,
    VM_EXIT_MSR_LOAD_COUNT = 0x4010, VM_ENTRY_CONTROLS = 0x4012, VM_ENTRY_MSR_LOAD_COUNT = 0x4014,
    VM_ENTRY_INTR_INFO_FIELD = 0x4016, VM_ENTRY_EXCEPTION_ERROR_CODE = 0x4018,
    VM_ENTRY_INSTRUCTION_LEN = 0x401A, SECONDARY_VM_EXEC_CONTROL = 0x401E,
    VM_INSTRUCTION_ERROR = 0x4400, VM_EXIT_REASON = 0x4402, VM_EXIT_INTR_INFO = 0x4404, IDT_VECTORING_INFO_FIELD = 0x4408,
    IDT_VECTORING_ERROR_CODE = 0x440A, VM_EXIT_INSTRUCTION_LEN = 0x440C,
    GUEST_ES_LIMIT = 0x4800, GUEST_CS_LIMIT = 0x4802, GUEST_SS_LIMIT = 0x4804, GUEST_DS_LIMIT = 0x4806,
    GUEST_FS_LIMIT = 0x4808, GUEST_GS_LIMIT = 0x480A, GUEST_LDTR_LIMIT = 0x480C, GUEST_TR_LIMIT = 0x480E,
    GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812,
    GUEST_ES_AR_BYTES = 0x4814, GUEST_CS_AR_BYTES = 0x4816, GUEST_SS_AR_BYTES = 0x4818,
    GUEST_DS_AR_BYTES = 0x481A, GUEST_FS_AR_BYTES = 0x481C, GUEST_GS_AR_BYTES = 0x481E,
    GUEST_LDTR_AR_BYTES = 0x4820, GUEST_TR_AR_BYTES = 0x4822,
    GUEST_INTERRUPTIBILITY_INFO = 0x4824, GUEST_ACTIVITY_STATE = 0x4826, GUEST_SYSENTER_CS = 0x482A,
    HOST_IA32_SYSENTER_CS = 0x4C00,
    CR0_GUEST_HOST_MASK = 0x6000, CR4_GUEST_HOST_MASK = 0x6002, CR0_READ_SHADOW = 0x6004,
    CR4_READ_SHADOW = 0x6006,
    EXIT_QUALIFICATION = 0x6400,
    GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804,
    GUEST_ES_BASE = 0x6806, GUEST_CS_BASE = 0x6808, GUEST_SS_BASE = 0x680A, GUEST_DS_BASE = 0x680C,
    GUEST_FS_BASE = 0x680E, GUEST_GS_BASE = 0x6810, GUEST_LDTR_BASE = 0x6812, GUEST_TR_BASE = 0x6814,
    GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818, GUEST_DR7 = 0x681A, GUEST_RSP = 0x681C,
    GUEST_RIP = 0x681E, GUEST_RFLAGS = 0x6820, GUEST_PENDING_DBG_EXCEPTIONS = 0x6822,
    GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826,
    HOST_CR0 = 0x6C00, HOST_CR3 = 0x6C02, HOST_CR4 = 0x6C04, HOST_FS_BASE = 0x6C06, HOST_GS_BASE = 0x6C08,
    HOST_TR_BASE = 0x6C0A, HOST_GDTR_BASE = 0x6C0C, HOST_IDTR_BASE = 0x6C0E, HOST_IA32_SYSENTER_ESP = 0x6C10,
    HOST_IA32_SYSENTER_EIP = 0x6C12, HOST_RSP = 0x6C14, HOST_RIP = 0x6C16,
};

/* Pin-based (24.6.1), primary (24.6.2) and secondary (24.6.2 table 24-7) processor-based controls. */
#define PIN_EXTERNAL_INTERRUPT  (1u << 0)
#define PIN_NMI_EXITING         (1u << 3)
#define PIN_VIRTUAL_NMIS        (1u << 5)
#define CPU_INTR_WINDOW_EXITING (1u << 2)
#define CPU_USE_TSC_OFFSETTING  (1u << 3)
#define CPU_RDPMC_EXITING       (1u << 11)
#define CPU_NMI_WINDOW_EXITING  (1u << 22)
#define CPU_HLT_EXITING         (1u << 7)
#define CPU_CR8_LOAD_EXITING    (1u << 19)
#define CPU_CR8_STORE_EXITING   (1u << 20)
#define CPU_MWAIT_EXITING       (1u << 10)
#define CPU_UNCOND_IO_EXITING   (1u << 24)
#define CPU_USE_MSR_BITMAPS     (1u << 28)
#define CPU_MONITOR_EXITING     (1u << 29)
#define CPU_SECONDARY           (1u << 31)
#define SEC_ENABLE_EPT          (1u << 1)
#define SEC_ENABLE_RDTSCP       (1u << 3)
#define SEC_ENABLE_VPID         (1u << 5)
#define SEC_WBINVD_EXITING      (1u << 6)
#define SEC_UNRESTRICTED_GUEST  (1u << 7)
#define SEC_ENABLE_INVPCID      (1u << 12)
/* VM-exit (24.7.1) and VM-entry (24.8.1) controls. */
#define EXIT_SAVE_DEBUG_CONTROLS (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE (1u << 9)
#define EXIT_SAVE_IA32_PAT      (1u << 18)
#define EXIT_LOAD_IA32_PAT      (1u << 19)
#define EXIT_SAVE_IA32_EFER     (1u << 20)
#define EXIT_LOAD_IA32_EFER     (1u << 21)
#define ENTRY_LOAD_DEBUG_CONTROLS (1u << 2)
#define ENTRY_IA32E_MODE        (1u << 9)
#define ENTRY_LOAD_IA32_PAT     (1u << 14)
#define ENTRY_LOAD_IA32_EFER    (1u << 15)

/* VM-entry interruption information (24.8.3) and IDT-vectoring information (24.9.3). */
#define INTR_INFO_TYPE_EXT_INTR (0u << 8)
#define INTR_INFO_TYPE_NMI      (2u << 8)
#define INTR_INFO_TYPE_HW_EXCEPTION (3u << 8)
#define INTR_INFO_ERROR_VALID   (1u << 11)
#define INTR_INFO_VALID         (1u << 31)

/* Basic exit reasons (appendix C); bit 31 of the exit reason: VM-entry failure. */
#define EXIT_REASON_EXCEPTION_NMI    0
#define EXIT_REASON_EXTERNAL_INTERRUPT 1
#define EXIT_REASON_TRIPLE_FAULT     2
#define EXIT_REASON_INIT_SIGNAL      3
#define EXIT_REASON_SIPI             4
#define EXIT_REASON_INTERRUPT_WINDOW 7
#define EXIT_REASON_NMI_WINDOW       8
#define EXIT_REASON_CPUID            10
#define EXIT_REASON_GETSEC           11
#define EXIT_REASON_HLT              12
#define EXIT_REASON_INVD             13
#define EXIT_REASON_RDPMC            15
#define EXIT_REASON_VMCALL           18
#define EXIT_REASON_VMCLEAR          19
#define EXIT_REASON_VMXON            27
#define EXIT_REASON_CR_ACCESS        28
#define EXIT_REASON_IO_INSTRUCTION   30
#define EXIT_REASON_MSR_READ         31
#define EXIT_REASON_MSR_WRITE        32
#define EXIT_REASON_INVALID_STATE    33
#define EXIT_REASON_MSR_LOADING      34
#define EXIT_REASON_MWAIT            36
#define EXIT_REASON_MONITOR          39
#define EXIT_REASON_EPT_VIOLATION    48
#define EXIT_REASON_EPT_MISCONFIG    49
#define EXIT_REASON_INVEPT           50
#define EXIT_REASON_INVVPID          53
#define EXIT_REASON_WBINVD           54
#define EXIT_REASON_XSETBV           55
#define EXIT_REASON_ENTRY_FAILURE    (1u << 31)

/* Guest interruptibility state (24.4.2, table 24-3): blocking by STI, by MOV SS. */
#define INTERRUPTIBILITY_SHADOW 3u
#define INTERRUPTIBILITY_NMI    (1u << 3)   /* blocking by NMI (with virtual NMIs, 24.6.1) */

/* I/O exit qualification (table 27-5) and EPT-violation qualification (table 27-7). */
#define IO_QUAL_SIZE_MASK   7u
#define IO_QUAL_IN          (1u << 3)
#define IO_QUAL_STRING      (1u << 4)
#define IO_QUAL_REP         (1u << 5)
#define IO_QUAL_PORT_SHIFT  16
#define EPT_QUAL_WRITE      (1u << 1)
#define EPT_QUAL_FETCH      (1u << 2)
#define EPT_QUAL_LA_VALID   (1u << 7)
#define EPT_QUAL_FINAL      (1u << 8)       /* with LA_VALID: the access itself, not a guest walk */

static inline bool vmwrite(uint64_t field, uint64_t value)
{
    bool ok;   /* VMfailInvalid sets CF, VMfailValid ZF (SDM Vol. 3C, 30.2): "above" is success */
    __asm__ volatile("vmwrite %[v], %[f]" : "=@cca"(ok) : [v] "rm"(value), [f] "r"(field) : "memory");
    return ok;
}

static inline uint64_t vmread(uint64_t field)
{
    uint64_t v = 0;
    __asm__ volatile("vmread %[f], %[v]" : [v] "=rm"(v) : [f] "r"(field) : "cc");
    return v;
}

#endif
