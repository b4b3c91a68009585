/* x86_smm.h: System Management Mode for guests: the vendor-neutral CPU state SMM saves and RSM restores,
 * the SMRAM state-save map (smm_state.c), the RSM checks (rsm_check.c), and the per-vCPU / per-VM SMM
 * state the hypervisor keeps (smm.c). Pure types and functions: host-tested (tests/unit/x86_smm.mk). */
#ifndef X86_SMM_H
#define X86_SMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A segment register as a descriptor cache: AR in the VMX access-rights layout (SDM Vol. 3C 24.4.1,
 * table 24-2): type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15. P clear = unusable. */
struct x86_segment {
    uint16_t sel;
    uint16_t ar;
    uint32_t limit;
    uint64_t base;
};
#define X86_AR_TYPE(ar)  ((ar) & 0xFu)
#define X86_AR_S         (1u << 4)
#define X86_AR_DPL(ar)   (((ar) >> 5) & 3u)
#define X86_AR_L         (1u << 13)     /* 64-bit code segment */
#define X86_AR_DB        (1u << 14)     /* default operation size 32 */
#define X86_AR_P         (1u << 7)
#define X86_AR_L         (1u << 13)
#define X86_AR_DB        (1u << 14)
#define X86_AR_G         (1u << 15)

struct x86_dtable { uint64_t base; uint32_t limit; };

/* Segment registers in their encoding order (SDM Vol. 2A, 3.4.2). */
enum x86_sreg { SREG_ES, SREG_CS, SREG_SS, SREG_DS, SREG_FS, SREG_GS, SREG_COUNT };

/* What SMM entry saves and RSM restores (SDM Vol. 3C 34.4.1; APM Vol. 2 10.2.3), both backends. */
struct x86_cpu_state {
    uint64_t gpr[16];                 /* RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 */
    uint64_t rip, rflags;
    uint64_t cr0, cr3, cr4, efer;     /* CR0 / CR4 as the guest sees them */
    uint64_t dr6, dr7;
    struct x86_segment seg[SREG_COUNT], ldtr, tr;
    struct x86_dtable gdtr, idtr;
};

/* The state-save map: the top 512 bytes of the 64 KiB SMRAM at SMBASE (SMBASE + 0xFE00..0xFFFF). */
#define SMM_SAVE_OFFSET   0xFE00u
#define SMM_SAVE_BYTES    0x200u
#define SMM_HANDLER_OFFSET 0x8000u       /* EIP at SMM entry, CS base SMBASE */
#define SMM_DEFAULT_SMBASE 0x30000u
/* SMM revision identifiers (SDM Vol. 3C 34.5.2, bit 17: SMBASE relocation supported; APM Vol. 2
 * 10.2.3: 0x00020064 for the AMD64 map); the values KVM and QEMU report. */
#define SMM_REVISION_32   0x00020000u
#define SMM_REVISION_64   0x00020064u

/* Writes the state-save map for state s into area (SMBASE + 0xFE00): the AMD64 layout when long_mode
 * (a vCPU whose CPUID offers long mode), the 32-bit (P6) layout otherwise. */
void smm_save_build(const struct x86_cpu_state *s, uint32_t smbase, bool long_mode,
                    uint8_t area[SMM_SAVE_BYTES]);
/* Reads state and SMBASE back from a (guest-written, untrusted) map. cur supplies what the 32-bit
 * layout does not hold (EFER, upper halves). Never fails: rsm_check judges the result. */
void smm_save_parse(const uint8_t area[SMM_SAVE_BYTES], bool long_mode, const struct x86_cpu_state *cur,
                    struct x86_cpu_state *out, uint32_t *smbase);
/* The state SMM entry loads (SDM Vol. 3C 34.5.1, table 34-4; APM Vol. 2 10.3.1): CS = SMBASE >> 4 with
 * base SMBASE, EIP 0x8000, flat 4 GiB data segments, CR0 PE/EM/TS/PG clear, CR4 0, EFER 0 (long mode
 * vCPUs), DR7 0x400, IDT limit 0; the rest as in from. */
void smm_entry_state(const struct x86_cpu_state *from, uint32_t smbase, bool long_mode, struct x86_cpu_state *out);

/* What the vCPU may hold, for rsm_check: the CR4 and EFER bits CPUID offers, MAXPHYADDR. */
struct rsm_limits {
    uint64_t cr4_supported;
    uint64_t efer_supported;
    uint32_t maxphyaddr;
};
/* Checks the state RSM is about to load (SDM Vol. 3C 34.11 "RSM" and the MOV to CR / segment-load
 * rules it implies; VMX guest-state checks 26.3.1 that would otherwise fail VM entry). Fixes up what
 * hardware would (RFLAGS fixed bits, accessed bits, EFER.LMA from LME and PG). NULL when the state is
 * valid, else the name of the failing check (the vCPU then shuts down, as hardware does). */
const char *rsm_check(struct x86_cpu_state *s, const struct rsm_limits *lim);

#endif
