/* vmcs12.h: the VMCS an L1 hypervisor sees (nested VMX): the fields this implementation supports, one
 * row each with its architectural encoding (Intel SDM Vol. 3C, 24.11.2 and appendix B), and the pure
 * VMREAD / VMWRITE semantics over them (SDM Vol. 2B "VMREAD", "VMWRITE"). No hardware access:
 * host-tested (tests/unit/test_vmcs12.c) and fuzzed (tests/fuzz/fuzz_vmcs12.c). */
#ifndef VMX_VMCS12_H
#define VMX_VMCS12_H

#include <stdbool.h>
#include <stdint.h>

/* X(name, encoding). The layout of a vmcs12 in L1's memory is ours (SDM 24.2: implementation-specific):
 * revision, abort indicator, launch state, then one 64-bit slot per row in this order. */
#define VMCS12_FIELDS(X) \
    X(VIRTUAL_PROCESSOR_ID, 0x0000) \
    X(GUEST_ES_SELECTOR, 0x0800) X(GUEST_CS_SELECTOR, 0x0802) X(GUEST_SS_SELECTOR, 0x0804) \
    X(GUEST_DS_SELECTOR, 0x0806) X(GUEST_FS_SELECTOR, 0x0808) X(GUEST_GS_SELECTOR, 0x080A) \
    X(GUEST_LDTR_SELECTOR, 0x080C) X(GUEST_TR_SELECTOR, 0x080E) \
    X(HOST_ES_SELECTOR, 0x0C00) X(HOST_CS_SELECTOR, 0x0C02) X(HOST_SS_SELECTOR, 0x0C04) \
    X(HOST_DS_SELECTOR, 0x0C06) X(HOST_FS_SELECTOR, 0x0C08) X(HOST_GS_SELECTOR, 0x0C0A) \
    X(HOST_TR_SELECTOR, 0x0C0C) \
    X(IO_BITMAP_A, 0x2000) X(IO_BITMAP_B, 0x2002) X(MSR_BITMAP, 0x2004) \
    X(VM_EXIT_MSR_STORE_ADDR, 0x2006) X(VM_EXIT_MSR_LOAD_ADDR, 0x2008) X(VM_ENTRY_MSR_LOAD_ADDR, 0x200A) \
    X(TSC_OFFSET, 0x2010) X(VIRTUAL_APIC_PAGE_ADDR, 0x2012) X(EPT_POINTER, 0x201A) \
    X(GUEST_PHYSICAL_ADDRESS, 0x2400) \
    X(VMCS_LINK_POINTER, 0x2800) X(GUEST_IA32_DEBUGCTL, 0x2802) X(GUEST_IA32_PAT, 0x2804) \
    X(GUEST_IA32_EFER, 0x2806) X(GUEST_PDPTR0, 0x280A) X(GUEST_PDPTR1, 0x280C) X(GUEST_PDPTR2, 0x280E) \
    X(GUEST_PDPTR3, 0x2810) \
    X(HOST_IA32_PAT, 0x2C00) X(HOST_IA32_EFER, 0x2C02) \
    X(PIN_BASED_VM_EXEC_CONTROL, 0x4000) X(CPU_BASED_VM_EXEC_CONTROL, 0x4002) X(EXCEPTION_BITMAP, 0x4004) \
    X(PAGE_FAULT_ERROR_CODE_MASK, 0x4006) X(PAGE_FAULT_ERROR_CODE_MATCH, 0x4008) X(CR3_TARGET_COUNT, 0x400A) \
    X(VM_EXIT_CONTROLS, 0x400C) X(VM_EXIT_MSR_STORE_COUNT, 0x400E) X(VM_EXIT_MSR_LOAD_COUNT, 0x4010) \
    X(VM_ENTRY_CONTROLS, 0x4012) X(VM_ENTRY_MSR_LOAD_COUNT, 0x4014) X(VM_ENTRY_INTR_INFO_FIELD, 0x4016) \
    X(VM_ENTRY_EXCEPTION_ERROR_CODE, 0x4018) X(VM_ENTRY_INSTRUCTION_LEN, 0x401A) X(TPR_THRESHOLD, 0x401C) \
    X(SECONDARY_VM_EXEC_CONTROL, 0x401E) \
    X(VM_INSTRUCTION_ERROR, 0x4400) X(VM_EXIT_REASON, 0x4402) X(VM_EXIT_INTR_INFO, 0x4404) \
    X(VM_EXIT_INTR_ERROR_CODE, 0x4406) X(IDT_VECTORING_INFO_FIELD, 0x4408) X(IDT_VECTORING_ERROR_CODE, 0x440A) \
    X(VM_EXIT_INSTRUCTION_LEN, 0x440C) X(VMX_INSTRUCTION_INFO, 0x440E) \
    X(GUEST_ES_LIMIT, 0x4800) X(GUEST_CS_LIMIT, 0x4802) X(GUEST_SS_LIMIT, 0x4804) X(GUEST_DS_LIMIT, 0x4806) \
    X(GUEST_FS_LIMIT, 0x4808) X(GUEST_GS_LIMIT, 0x480A) X(GUEST_LDTR_LIMIT, 0x480C) X(GUEST_TR_LIMIT, 0x480E) \
    X(GUEST_GDTR_LIMIT, 0x4810) X(GUEST_IDTR_LIMIT, 0x4812) \
    X(GUEST_ES_AR_BYTES, 0x4814) X(GUEST_CS_AR_BYTES, 0x4816) X(GUEST_SS_AR_BYTES, 0x4818) \
    X(GUEST_DS_AR_BYTES, 0x481A) X(GUEST_FS_AR_BYTES, 0x481C) X(GUEST_GS_AR_BYTES, 0x481E) \
    X(GUEST_LDTR_AR_BYTES, 0x4820) X(GUEST_TR_AR_BYTES, 0x4822) \
    X(GUEST_INTERRUPTIBILITY_INFO, 0x4824) X(GUEST_ACTIVITY_STATE, 0x4826) X(GUEST_SYSENTER_CS, 0x482A) \
    X(VMX_PREEMPTION_TIMER_VALUE, 0x482E) \
    X(HOST_IA32_SYSENTER_CS, 0x4C00) \
    X(CR0_GUEST_HOST_MASK, 0x6000) X(CR4_GUEST_HOST_MASK, 0x6002) X(CR0_READ_SHADOW, 0x6004) \
    X(CR4_READ_SHADOW, 0x6006) X(CR3_TARGET_VALUE0, 0x6008) X(CR3_TARGET_VALUE1, 0x600A) \
    X(CR3_TARGET_VALUE2, 0x600C) X(CR3_TARGET_VALUE3, 0x600E) \
    X(EXIT_QUALIFICATION, 0x6400) X(IO_RCX, 0x6402) X(IO_RSI, 0x6404) X(IO_RDI, 0x6406) X(IO_RIP, 0x6408) \
    X(GUEST_LINEAR_ADDRESS, 0x640A) \
    X(GUEST_CR0, 0x6800) X(GUEST_CR3, 0x6802) X(GUEST_CR4, 0x6804) \
    X(GUEST_ES_BASE, 0x6806) X(GUEST_CS_BASE, 0x6808) X(GUEST_SS_BASE, 0x680A) X(GUEST_DS_BASE, 0x680C) \
    X(GUEST_FS_BASE, 0x680E) X(GUEST_GS_BASE, 0x6810) X(GUEST_LDTR_BASE, 0x6812) X(GUEST_TR_BASE, 0x6814) \
    X(GUEST_GDTR_BASE, 0x6816) X(GUEST_IDTR_BASE, 0x6818) X(GUEST_DR7, 0x681A) X(GUEST_RSP, 0x681C) \
    X(GUEST_RIP, 0x681E) X(GUEST_RFLAGS, 0x6820) X(GUEST_PENDING_DBG_EXCEPTIONS, 0x6822) \
    X(GUEST_SYSENTER_ESP, 0x6824) X(GUEST_SYSENTER_EIP, 0x6826) \
    X(HOST_CR0, 0x6C00) X(HOST_CR3, 0x6C02) X(HOST_CR4, 0x6C04) X(HOST_FS_BASE, 0x6C06) X(HOST_GS_BASE, 0x6C08) \
    X(HOST_TR_BASE, 0x6C0A) X(HOST_GDTR_BASE, 0x6C0C) X(HOST_IDTR_BASE, 0x6C0E) \
    X(HOST_IA32_SYSENTER_ESP, 0x6C10) X(HOST_IA32_SYSENTER_EIP, 0x6C12) X(HOST_RSP, 0x6C14) X(HOST_RIP, 0x6C16)

#define VMCS12_INDEX(name, enc) V12_##name,
enum vmcs12_index { VMCS12_FIELDS(VMCS12_INDEX) VMCS12_FIELD_COUNT };
#undef VMCS12_INDEX

/* Launch state (SDM 24.1): "clear" after VMCLEAR, "launched" after a successful VMLAUNCH. */
enum vmcs12_launch_state { VMCS12_CLEAR = 0, VMCS12_LAUNCHED = 1 };

struct vmcs12 {
    uint32_t revision;          /* bits 30:0 the VMCS revision identifier; bit 31 shadow-VMCS indicator */
    uint32_t abort;             /* VMX-abort indicator (SDM 27.7) */
    uint32_t launch_state;      /* enum vmcs12_launch_state */
    uint32_t reserved;
    uint64_t field[VMCS12_FIELD_COUNT];
};
_Static_assert(sizeof(struct vmcs12) <= 4096, "a vmcs12 fits its 4 KiB VMCS region");

/* The field's row, or -1 when the encoding names no component this implementation supports (reserved
 * bits set, a high access to a field that is not 64-bit, an unknown index). */
int vmcs12_field_index(uint64_t encoding);
/* The encoding of row i (0 <= i < VMCS12_FIELD_COUNT). */
uint32_t vmcs12_field_encoding(int i);

/* Field encoding (SDM Vol. 3C, 24.11.2): bit 0 access type (high half of a 64-bit field), 11:10 type,
 * 14:13 width. */
enum vmcs12_width { VMCS12_W16 = 0, VMCS12_W64 = 1, VMCS12_W32 = 2, VMCS12_WNAT = 3 };
#define VMCS12_TYPE_EXIT_INFO 1u     /* read-only VM-exit information fields */
static inline uint32_t vmcs12_field_width(uint64_t enc) { return (uint32_t)(enc >> 13) & 3; }
static inline uint32_t vmcs12_field_type(uint64_t enc) { return (uint32_t)(enc >> 10) & 3; }

/* VMREAD / VMWRITE results as VMfailValid error numbers (SDM Vol. 3C, 30.4): 0 success. */
#define VMXERR_UNSUPPORTED_COMPONENT 12u
#define VMXERR_WRITE_READ_ONLY       13u

/* VMREAD: the field's value zero-extended, or the high 32 bits of a 64-bit field for a high access. */
uint32_t vmcs12_read(const struct vmcs12 *v, uint64_t encoding, uint64_t *value);
/* VMWRITE: value truncated to the field's width (a high access sets bits 63:32 only); read-only
 * fields refuse (IA32_VMX_MISC bit 29 is not offered). */
uint32_t vmcs12_write(struct vmcs12 *v, uint64_t encoding, uint64_t value);

static inline uint64_t v12(const struct vmcs12 *v, enum vmcs12_index i) { return v->field[i]; }
static inline void v12_set(struct vmcs12 *v, enum vmcs12_index i, uint64_t value) { v->field[i] = value; }

#endif
