/* vmx.c: the VMX backend of the x86 vCPU interface (Intel SDM Vol. 3C, chapters 23-29): VMXON per pCPU,
 * a VMCS per vCPU with EPT, VPID and unrestricted guest, controls adjusted to the capability MSRs,
 * and the exit decoding. */
#include <inttypes.h>
#include <string.h>
#include "arch.h"
#include "kernel.h"
#include "page_alloc.h"
#include "stage2.h"
#include "nested.h"
#include "vmcs.h"
#include "x86.h"
#include "x86_vcpu.h"
#include "x86_internal.h"
#include "x86_regs.h"

#define MSR_IA32_PAT              0x277u
#define MSR_IA32_FS_BASE          0xC0000100u
#define FEATURE_CONTROL_LOCK      (1ull << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)
#define VMX_BASIC_TRUE_CTLS       (1ull << 55)
#define EPT_CAP_WALK4             (1ull << 6)
#define EPT_CAP_WB                (1ull << 14)
#define EPT_CAP_1G                (1ull << 17)
#define EPTP_WB_WALK4             (6ull | 3ull << 3)   /* memory type WB, walk length 4 - 1 (24.6.11) */
/* Access rights (24.4.1, table 24-2): the neutral layout (X86_AR_*) and unusable in bit 16. */
#define AR_UNUSABLE   (1u << 16)

int vmx_enter(uint64_t *gpr, int launched);

struct vmx_caps {
    uint32_t revision;
    uint32_t pin, cpu, sec, exit, entry;    /* the controls this hypervisor uses, adjusted */
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t ept_vpid;
};

/* Filled once by CPU 0 (vmx_caps_read from the first stage2_format / vm_init call), read-only after. */
static struct vmx_caps caps;
static bool caps_ok;
static uint64_t msr_bitmap_pa;
/* Per pCPU: its VMXON region, written once by that CPU. */
static uint64_t vmxon_pa[HV_MAX_CPUS];

/* SDM Vol. 3D, A.3-A.5: bits clear in the low word must be 1, bits set in the high word may be 1.
 * Returns the adjusted value, or 0 with *ok cleared when a required bit is not allowed. */
static uint32_t adjust(uint32_t msr, uint32_t true_msr, uint32_t want, uint32_t required, bool *ok)
{
    uint64_t v = rdmsr((rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CTLS) && true_msr ? true_msr : msr);
    uint32_t ctl = (want | (uint32_t)v) & (uint32_t)(v >> 32);
    if ((ctl & required) != required)
        *ok = false;
    return ctl;
}

static bool vmx_caps_read(void)
{
    if (caps.revision)
        return caps_ok;
    caps.revision = (uint32_t)rdmsr(MSR_IA32_VMX_BASIC) & 0x7FFFFFFFu;
    bool ok = true;
    /* Virtual NMIs: the CPU tracks the guest's NMI blocking (set by an injected NMI, cleared by its
     * IRET) and offers NMI-window exiting (24.6.1, 25.3); required here (Bochs and every CPU with
     * EPT have them). */
    uint32_t pin_req = PIN_EXTERNAL_INTERRUPT | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS;
    caps.pin = adjust(MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED_CTLS, pin_req, pin_req, &ok);
    /* TSC offsetting: the guest's IA32_TSC writes move RDTSC too (cr.c's sibling msr.c keeps the offset);
     * RDPMC exiting: no virtual PMU, never the host's counters. */
    uint32_t cpu_req = CPU_HLT_EXITING | CPU_UNCOND_IO_EXITING | CPU_USE_MSR_BITMAPS | CPU_SECONDARY |
                       CPU_USE_TSC_OFFSETTING | CPU_RDPMC_EXITING;
    /* CR8 exiting: without a TPR shadow, MOV CR8 would reach the host's own TPR (SDM 25.1.3). */
    cpu_req |= CPU_INTR_WINDOW_EXITING | CPU_NMI_WINDOW_EXITING | CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING;
    caps.cpu = adjust(MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_PROCBASED_CTLS,
                      cpu_req | CPU_MWAIT_EXITING | CPU_MONITOR_EXITING, cpu_req, &ok);
    caps.cpu &= ~(CPU_INTR_WINDOW_EXITING | CPU_NMI_WINDOW_EXITING);   /* allowed; set while a window is wanted */
    uint32_t sec_req = SEC_ENABLE_EPT | SEC_ENABLE_VPID | SEC_UNRESTRICTED_GUEST;
    caps.sec = adjust(MSR_IA32_VMX_PROCBASED_CTLS2, 0,
                      sec_req | SEC_ENABLE_RDTSCP | SEC_ENABLE_INVPCID | SEC_WBINVD_EXITING, sec_req, &ok);
    /* Save / load debug controls: DR7 and IA32_DEBUGCTL are the guest's across exits (the TRUE
     * controls let them be 0, which would reset the guest's DR7 to 0x400 on every exit, 27.5.1). */
    uint32_t exit_req = EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER |
                        EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT | EXIT_SAVE_DEBUG_CONTROLS;
    caps.exit = adjust(MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS, exit_req, exit_req, &ok);
    uint32_t entry_req = ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_PAT | ENTRY_LOAD_DEBUG_CONTROLS;
    caps.entry = adjust(MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS, entry_req, entry_req, &ok);
    caps.entry &= ~ENTRY_IA32E_MODE;
    caps.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    caps.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    caps.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    caps.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    caps.ept_vpid = ok ? rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) : 0;
    if (!(caps.ept_vpid & EPT_CAP_WALK4) || !(caps.ept_vpid & EPT_CAP_WB))
        ok = false;
    if (!ok)
        hv_printf("vmx: this CPU lacks a control the VMX backend needs (EPT, VPID, unrestricted guest, "
                  "EFER/PAT switching, 4-level WB EPT)\n");
    caps_ok = ok;
    return ok;
}

static const struct pt_format *vmx_stage2_format(void)
{
    vmx_caps_read();
    return (caps.ept_vpid & EPT_CAP_1G) ? &x86_ept_format : &x86_ept_format_2m;
}

/* SDM Vol. 3C, 23.7 and 23.8: IA32_FEATURE_CONTROL (locked with VMX outside SMX when the firmware left
 * it unlocked, as Bochs does), the CR0/CR4 fixed bits, then VMXON with this pCPU's region. */
static const struct x86_exit_table vmx_exit_table;

static bool vmx_cpu_enable(void)
{
    if (!vmx_caps_read())
        return false;
    x86_exit_table_build(&vmx_exit_table);
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCK)) {
        fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
    }
    if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
        hv_printf("vmx: IA32_FEATURE_CONTROL is locked with VMX disabled\n");
        return false;
    }
    uint32_t cpu = arch_cpu_index();
    vmxon_pa[cpu] = hv_page_alloc(1, PAGE_SIZE);
    if (!vmxon_pa[cpu])
        return false;
    *(uint32_t *)(uintptr_t)vmxon_pa[cpu] = caps.revision;
    uint64_t cr0 = (read_cr0() | caps.cr0_fixed0) & caps.cr0_fixed1;
    uint64_t cr4 = (read_cr4() | caps.cr4_fixed0 | CR4_VMXE) & caps.cr4_fixed1;
    __asm__ volatile("mov %0, %%cr0" :: "r"(cr0) : "memory");
    write_cr4(cr4);
    bool ok;
    __asm__ volatile("vmxon %1" : "=@cca"(ok) : "m"(vmxon_pa[cpu]) : "memory");
    if (!ok)
        hv_printf("vmx: VMXON failed on cpu %" PRIu32 "\n", cpu);
    return ok;
}

/* MSR bitmap (24.6.9): read bitmaps for 0-1FFF and C0000000-C0001FFF, then the write bitmaps. */
static const struct x86_msr_map msr_bitmap = { PAGE_SIZE, { { 0, 0 }, { 0xC0000000u, 1024 } }, 2, 1, 2048 * 8 };

static bool vmx_vm_init(struct vm *vm)
{
    if (!vmx_caps_read())
        return false;
    if (!msr_bitmap_pa) {
        msr_bitmap_pa = hv_page_alloc(1, PAGE_SIZE);
        if (!msr_bitmap_pa)
            return false;
        /* FS/GS base and SYSENTER are guest-state fields; the SYSCALL MSRs and KernelGSbase stay live
         * in hardware (one vCPU per pCPU at a time). */
        x86_msr_map_fill(&msr_bitmap, (uint8_t *)(uintptr_t)msr_bitmap_pa);
    }
    vm->arch.eptp = vm->stage2.root_pa | EPTP_WB_WALK4;
    return true;
}

static bool vmx_vcpu_init(struct vcpu *vcpu)
{
    vcpu->arch.vmx.vmcs_pa = hv_page_alloc(1, PAGE_SIZE);
    if (!vcpu->arch.vmx.vmcs_pa)
        return false;
    *(uint32_t *)(uintptr_t)vcpu->arch.vmx.vmcs_pa = caps.revision;
    return nested_vmx_vcpu_init(vcpu);
}

struct __attribute__((packed)) dtr { uint16_t limit; uint64_t base; };

/* The host state VM exits return to (27.5): this pCPU's own GDT, IDT, TSS, GS base and page tables. */
static void write_host_state(void)
{
    struct dtr gdtr, idtr;
    __asm__ volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
    const uint64_t *gdt = (const uint64_t *)(uintptr_t)gdtr.base;
    uint64_t lo = gdt[GDT_TSS / 8], hi = gdt[GDT_TSS / 8 + 1];
    uint64_t tr_base = ((lo >> 16) & 0xFFFFFF) | ((lo >> 56) & 0xFF) << 24 | (hi & 0xFFFFFFFF) << 32;
    vmwrite(HOST_CR0, read_cr0() | CR0_TS);   /* fpu.c: the guest's x87/SSE state stays guarded */
    vmwrite(HOST_CR3, read_cr3());
    vmwrite(HOST_CR4, read_cr4());
    vmwrite(HOST_CS_SELECTOR, GDT_CODE64);
    vmwrite(HOST_SS_SELECTOR, GDT_DATA);
    vmwrite(HOST_DS_SELECTOR, GDT_DATA);
    vmwrite(HOST_ES_SELECTOR, GDT_DATA);
    vmwrite(HOST_FS_SELECTOR, GDT_DATA);
    vmwrite(HOST_GS_SELECTOR, GDT_DATA);
    vmwrite(HOST_TR_SELECTOR, GDT_TSS);
    vmwrite(HOST_FS_BASE, rdmsr(MSR_IA32_FS_BASE));
    vmwrite(HOST_GS_BASE, rdmsr(MSR_IA32_GS_BASE));
    vmwrite(HOST_TR_BASE, tr_base);
    vmwrite(HOST_GDTR_BASE, gdtr.base);
    vmwrite(HOST_IDTR_BASE, idtr.base);
    vmwrite(HOST_IA32_SYSENTER_CS, 0);
    vmwrite(HOST_IA32_SYSENTER_ESP, 0);
    vmwrite(HOST_IA32_SYSENTER_EIP, 0);
    vmwrite(HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
    vmwrite(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
}

/* The VMCS with this hypervisor's controls and host state, and the guest state no struct x86_cpu_state
 * names at its reset value; the rest comes from cpu_state.c (guest.c). CR0 and CR4 bits that VMX operation
 * fixes (NE, VMXE) stay set in hardware but are masked: the guest reads and writes its own view through
 * the read shadows without exits (25.3). */
static void vmx_vcpu_reset(struct vcpu *vcpu)
{
    struct arch_vcpu *a = &vcpu->arch;
    uint64_t pa = a->vmx.vmcs_pa;
    nested_vmx_vcpu_reset(vcpu);
    __asm__ volatile("vmclear %0" :: "m"(pa) : "cc", "memory");
    __asm__ volatile("vmptrld %0" :: "m"(pa) : "cc", "memory");
    a->vmx.launched = false;

    vmwrite(PIN_BASED_VM_EXEC_CONTROL, caps.pin);
    vmwrite(CPU_BASED_VM_EXEC_CONTROL, caps.cpu);
    vmwrite(SECONDARY_VM_EXEC_CONTROL, caps.sec);
    vmwrite(VM_EXIT_CONTROLS, caps.exit);
    vmwrite(VM_ENTRY_CONTROLS, caps.entry);
    vmwrite(CR3_TARGET_COUNT, 0);
    vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
    vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
    vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
    vmwrite(MSR_BITMAP, msr_bitmap_pa);
    vmwrite(EPT_POINTER, vcpu->vm->arch.eptp);
    vmwrite(VIRTUAL_PROCESSOR_ID, vcpu->vm->arch.asid);
    write_host_state();
    vmwrite(CR0_GUEST_HOST_MASK, caps.cr0_fixed0 & ~(CR0_PE | CR0_PG));   /* unrestricted guest frees PE, PG */
    vmwrite(CR4_GUEST_HOST_MASK, caps.cr4_fixed0);
    vmwrite(GUEST_IA32_DEBUGCTL, 0);
    vmwrite(GUEST_SYSENTER_CS, 0);
    vmwrite(GUEST_SYSENTER_ESP, 0);
    vmwrite(GUEST_SYSENTER_EIP, 0);
    vmwrite(GUEST_ACTIVITY_STATE, 0);
    vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
    vmwrite(VMCS_LINK_POINTER, ~0ull);
}

/* VM-entry interruption information (24.8.3) is the X86_EVENT_* layout. */
static void vmx_set_event(struct vcpu *vcpu, uint32_t info, uint32_t error)
{
    (void)vcpu;
    vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
    if (info & INTR_INFO_ERROR_VALID)
        vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
}

static uint32_t vmx_get_event(struct vcpu *vcpu)
{
    (void)vcpu;
    return (uint32_t)vmread(VM_ENTRY_INTR_INFO_FIELD);
}

/* The guest interruptibility state (24.4.2) is the X86_BLOCKED_* layout; with virtual NMIs its NMI
 * blocking is the guest's (set by an injected NMI, cleared by its IRET, 25.3). */
static uint32_t vmx_get_interruptibility(struct vcpu *vcpu)
{
    (void)vcpu;
    return (uint32_t)vmread(GUEST_INTERRUPTIBILITY_INFO);
}

static void vmx_set_interruptibility(struct vcpu *vcpu, uint32_t blocked)
{
    (void)vcpu;
    vmwrite(GUEST_INTERRUPTIBILITY_INFO, blocked);
}

/* Interrupt-window exiting: an exit before the first instruction the guest could be interrupted at;
 * NMI-window exiting: one once no NMI blocking is in effect (24.6.2). */
static void vmx_set_window(struct vcpu *vcpu, bool nmi, bool on)
{
    (void)vcpu;
    uint32_t control = nmi ? CPU_NMI_WINDOW_EXITING : CPU_INTR_WINDOW_EXITING;
    uint64_t c = vmread(CPU_BASED_VM_EXEC_CONTROL);
    vmwrite(CPU_BASED_VM_EXEC_CONTROL, on ? c | control : c & ~(uint64_t)control);
}

/* --- exit decoding: one row per basic exit reason ---------------------------- */

static void decode_ept_gpa(struct vcpu *v, struct x86_exit *x)
{
    (void)v;
    x->npf.gpa = vmread(GUEST_PHYSICAL_ADDRESS);
}

/* CR accesses (table 27-3: CR number 3:0, access type 5:4 (0 MOV to, 1 MOV from), GPR 11:8): MOV to
 * CR0 / CR4 changing a bit of the guest/host masks, MOV to / from CR8 (CR8 exiting: no TPR shadow).
 * CLTS and LMSW (types 2, 3) touch no masked bit here. */
static void decode_cr(struct vcpu *v, struct x86_exit *x)
{
    (void)v;
    x->cr.n = (uint8_t)(x->info1 & 0xF);
    x->cr.gpr = (int8_t)((x->info1 >> 8) & 0xF);
    x->cr.read = ((x->info1 >> 4) & 3) == 1;
    if (((x->info1 >> 4) & 3) > 1)
        x->kind = X86_EXIT_UNKNOWN;
}

/* Exception or NMI (24.9.2, VM-exit interruption information): an NMI is the host's (X86_EXIT_INTR);
 * an intercepted exception goes to exception.c with the IDT-vectoring information and, for #DB, the
 * DR6 bits the exit qualification carries instead of DR6 (27.2.1: B0-B3, BD, BS). */
static void decode_exception(struct vcpu *v, struct x86_exit *x)
{
    (void)v;
    uint32_t info = (uint32_t)vmread(VM_EXIT_INTR_INFO);
    if (((info >> 8) & 7) == 2) {
        x->kind = X86_EXIT_INTR;
        return;
    }
    x->exc.vector = (uint8_t)info;
    x->exc.dr6 = 0xFFFF0FF0ull | (x->info1 & 0x600F);
}

static const struct x86_exit_row vmx_exits[] = {
    { EXIT_REASON_EXCEPTION_NMI, X86_EXIT_EXCEPTION, decode_exception, 0 },
    { EXIT_REASON_RDPMC, X86_EXIT_RDPMC, NULL, 0 },
    { EXIT_REASON_EXTERNAL_INTERRUPT, X86_EXIT_INTR, NULL, 0 },
    { EXIT_REASON_TRIPLE_FAULT, X86_EXIT_SHUTDOWN, NULL, 0 },
    { EXIT_REASON_INIT_SIGNAL, X86_EXIT_INIT, NULL, 0 },
    { EXIT_REASON_INTERRUPT_WINDOW, X86_EXIT_NONE, NULL, 0 },   /* guest.c injects */
    { EXIT_REASON_NMI_WINDOW, X86_EXIT_NONE, NULL, 0 },
    { EXIT_REASON_CR_ACCESS, X86_EXIT_CR_ACCESS, decode_cr, 0 },
    { EXIT_REASON_SIPI, X86_EXIT_NONE, NULL, 0 },
    { EXIT_REASON_CPUID, X86_EXIT_CPUID, NULL, 0 },
    { EXIT_REASON_GETSEC, X86_EXIT_UD, NULL, 0 },
    { EXIT_REASON_HLT, X86_EXIT_HLT, NULL, 0 },
    { EXIT_REASON_INVD, X86_EXIT_CACHE_FLUSH, NULL, 0 },
    { EXIT_REASON_VMCALL, X86_EXIT_HYPERCALL, NULL, 0 },
    /* VMX instructions: nested.c (#UD without 'nested = vmx') */
    { 19, X86_EXIT_NONE, nested_vmx_instruction, 0 }, { 20, X86_EXIT_NONE, nested_vmx_instruction, 0 },
    { 21, X86_EXIT_NONE, nested_vmx_instruction, 0 }, { 22, X86_EXIT_NONE, nested_vmx_instruction, 0 },
    { 23, X86_EXIT_NONE, nested_vmx_instruction, 0 }, { 24, X86_EXIT_NONE, nested_vmx_instruction, 0 },
    { 25, X86_EXIT_NONE, nested_vmx_instruction, 0 }, { 26, X86_EXIT_NONE, nested_vmx_instruction, 0 },
    { EXIT_REASON_VMXON, X86_EXIT_NONE, nested_vmx_instruction, 0 },
    { EXIT_REASON_IO_INSTRUCTION, X86_EXIT_IO, NULL, 0 },
    { EXIT_REASON_MSR_READ, X86_EXIT_RDMSR, NULL, 0 },
    { EXIT_REASON_MSR_WRITE, X86_EXIT_WRMSR, NULL, 0 },
    { EXIT_REASON_MWAIT, X86_EXIT_MONITOR_MWAIT, NULL, 0 },
    { EXIT_REASON_MONITOR, X86_EXIT_MONITOR_MWAIT, NULL, 0 },
    { EXIT_REASON_EPT_VIOLATION, X86_EXIT_NPF, decode_ept_gpa, 0 },
    { EXIT_REASON_INVEPT, X86_EXIT_NONE, nested_vmx_instruction, 0 },
    { EXIT_REASON_INVVPID, X86_EXIT_NONE, nested_vmx_instruction, 0 },
    { EXIT_REASON_WBINVD, X86_EXIT_CACHE_FLUSH, NULL, 0 },
    { EXIT_REASON_XSETBV, X86_EXIT_XSETBV, NULL, 0 },
    /* Reasons only a failed VM entry reports (with bit 31, appendix C): invalid guest state, MSR
     * loading, a machine check during entry. */
    { 33, X86_EXIT_FAILED_ENTRY, NULL, 0 }, { 34, X86_EXIT_FAILED_ENTRY, NULL, 0 }, { 41, X86_EXIT_FAILED_ENTRY, NULL, 0 },
};
/* Exit qualifications of I/O instructions (table 28-5: size - 1 in 2:0) and EPT violations (table 28-7:
 * a guest linear address that is not the access's own, bits 7 and 8, is a guest page-table access). */
static const struct x86_exit_quals vmx_quals = {
    .io_in = IO_QUAL_IN, .io_string = IO_QUAL_STRING, .io_rep = IO_QUAL_REP, .io_size_add = 1,
    .npf_write = EPT_QUAL_WRITE, .npf_fetch = EPT_QUAL_FETCH, .npf_walk = EPT_QUAL_LA_VALID, .npf_walk_not = EPT_QUAL_FINAL,
};
/* Indexed by basic exit reason (SDM Vol. 3D, appendix C). */
_Static_assert(sizeof(vmx_exits) / sizeof(vmx_exits[0]) < 255, "the index holds row + 1 in a byte");
static uint8_t vmx_exit_index[128];
static const struct x86_exit_table vmx_exit_table = {
    vmx_exits, sizeof(vmx_exits) / sizeof(vmx_exits[0]), vmx_exit_index, sizeof(vmx_exit_index), &vmx_quals
};

static void vmx_decode(struct vcpu *v, struct x86_exit *x, uint32_t reason)
{
    x->code = reason;
    x->info1 = vmread(EXIT_QUALIFICATION);
    x->insn_len = (uint32_t)vmread(VM_EXIT_INSTRUCTION_LEN);
    x86_exit_table_decode(&vmx_exit_table, v, x, reason & 0xFFFF);
}

/* INVEPT / INVVPID single-context (30.3): this VM's EPT and VPID translations on this pCPU. */
static void vmx_flush(struct vcpu *vcpu)
{
    struct { uint64_t eptp, zero; } ept_desc = { vmread(EPT_POINTER), 0 };   /* vm->stage2's or SMM's */
    struct { uint64_t vpid, zero; } vpid_desc = { vcpu->vm->arch.asid, 0 };
    __asm__ volatile("invept %0, %1" :: "m"(ept_desc), "r"(1ull) : "cc", "memory");
    __asm__ volatile("invvpid %0, %1" :: "m"(vpid_desc), "r"(1ull) : "cc", "memory");
}

static void vmx_run(struct vcpu *vcpu, struct x86_exit *x)
{
    struct arch_vcpu *a = &vcpu->arch;
    vmwrite(GUEST_RSP, a->gpr[GPR_RSP]);
    vmwrite(GUEST_RIP, a->rip);
    vmwrite(GUEST_RFLAGS, a->rflags);
    /* IA-32e mode guest must equal EFER.LMA, which the guest changes itself by turning paging on. */
    uint64_t entry = vmread(VM_ENTRY_CONTROLS) & ~(uint64_t)ENTRY_IA32E_MODE;
    vmwrite(VM_ENTRY_CONTROLS, entry | ((vmread(GUEST_IA32_EFER) & EFER_LMA) ? ENTRY_IA32E_MODE : 0));
    if (a->nvmx.guest_mode && nested_vmx_before_l2_entry(vcpu, x))
        return;                               /* an exit to L1 instead of entering L2 */
    if (vmx_enter(a->gpr, a->vmx.launched)) {
        x->kind = X86_EXIT_FAILED_ENTRY;
        x->code = ~0ull;
        x->info1 = vmread(VM_INSTRUCTION_ERROR);
        return;
    }
    a->vmx.launched = true;
    a->gpr[GPR_RSP] = vmread(GUEST_RSP);
    a->rip = vmread(GUEST_RIP);
    a->rflags = vmread(GUEST_RFLAGS);
    uint32_t reason = (uint32_t)vmread(VM_EXIT_REASON);
    x->vectoring = (uint32_t)vmread(IDT_VECTORING_INFO_FIELD);      /* vmcs02's, before nested.c switches */
    if ((x->vectoring & INTR_INFO_VALID) && (x->vectoring & INTR_INFO_ERROR_VALID))
        x->vectoring_error = (uint32_t)vmread(IDT_VECTORING_ERROR_CODE);
    /* Without "acknowledge interrupt on exit" the interrupt is still pending in the host LAPIC: open IF
     * for one instruction so the host IDT takes it (idt.c: EOI only), or the next entry exits again. */
    if ((reason & 0xFFFF) == EXIT_REASON_EXTERNAL_INTERRUPT)
        __asm__ volatile("sti; nop; cli" ::: "memory");
    if (a->nvmx.guest_mode && nested_vmx_l2_exit(vcpu, x, reason))
        return;                               /* reflected to L1 */
    vmx_decode(vcpu, x, reason);
}

/* The guest's view: masked bits from the read shadows (25.3). */
static uint64_t shadowed(uint32_t field, uint32_t mask_field, uint32_t shadow_field)
{
    uint64_t mask = vmread(mask_field);
    return (vmread(field) & ~mask) | (vmread(shadow_field) & mask);
}

static void vmx_get_mode(struct vcpu *vcpu, struct x86_guest_mode *m)
{
    (void)vcpu;
    uint32_t ar = (uint32_t)vmread(GUEST_CS_AR_BYTES);
    uint64_t efer = vmread(GUEST_IA32_EFER);
    *m = (struct x86_guest_mode){
        .cr0 = shadowed(GUEST_CR0, CR0_GUEST_HOST_MASK, CR0_READ_SHADOW), .cr3 = vmread(GUEST_CR3),
        .cr4 = shadowed(GUEST_CR4, CR4_GUEST_HOST_MASK, CR4_READ_SHADOW), .efer = efer,
        .cpl = (uint8_t)((vmread(GUEST_SS_AR_BYTES) >> 5) & 3),      /* SS.DPL is the CPL (24.4.1) */
        .cs_base = vmread(GUEST_CS_BASE), .cs_l = (ar & X86_AR_L) && (efer & EFER_LMA), .cs_db = ar & X86_AR_DB,
        .seg_base = { vmread(GUEST_ES_BASE), vmread(GUEST_CS_BASE), vmread(GUEST_SS_BASE), vmread(GUEST_DS_BASE),
                      vmread(GUEST_FS_BASE), vmread(GUEST_GS_BASE) },
        .idtr_base = vmread(GUEST_IDTR_BASE), .idtr_limit = (uint32_t)vmread(GUEST_IDTR_LIMIT),
    };
}

/* cr.c's CR0 / CR4: the guest's value in the read shadow, the hardware value with the bits VMX
 * operation fixes (CR0.NE, CR4.VMXE; unrestricted guest frees PE and PG) (23.8, 25.3). */
static void vmx_set_cr0(struct vcpu *vcpu, uint64_t value)
{
    (void)vcpu;
    uint64_t fixed = caps.cr0_fixed0 & ~(CR0_PE | CR0_PG);
    vmwrite(CR0_READ_SHADOW, value);
    vmwrite(GUEST_CR0, (value | fixed) & caps.cr0_fixed1);
}

static void vmx_set_cr4(struct vcpu *vcpu, uint64_t value)
{
    (void)vcpu;
    vmwrite(CR4_READ_SHADOW, value);
    vmwrite(GUEST_CR4, (value | caps.cr4_fixed0) & caps.cr4_fixed1);
}

static void vmx_trap_cr4_writes(struct vcpu *vcpu, uint64_t trapped)
{
    (void)vcpu;
    vmwrite(CR4_GUEST_HOST_MASK, caps.cr4_fixed0 | trapped);
}

static void vmx_set_exception_intercepts(struct vcpu *vcpu, uint32_t vectors)
{
    (void)vcpu;
    vmwrite(EXCEPTION_BITMAP, vectors);
}

/* DR6 is not in the VMCS: the guest's is the live register (the hypervisor never uses it). */
static uint64_t vmx_get_dr(struct vcpu *vcpu, unsigned n)
{
    (void)vcpu;
    uint64_t dr6;
    if (n == 7)
        return vmread(GUEST_DR7);
    __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
    return dr6;
}

static void vmx_set_dr(struct vcpu *vcpu, unsigned n, uint64_t value)
{
    (void)vcpu;
    if (n == 7)
        vmwrite(GUEST_DR7, value);
    else
        __asm__ volatile("mov %0, %%dr6" :: "r"(value));
}

/* --- segments: ES..GS, LDTR, TR have their fields at GUEST_ES_* + 2 * index, GDTR and IDTR continue
 * the base and limit fields (appendix B); an unusable segment is one without P (24.4.1) ------------- */

static void vmx_get_segment(struct vcpu *vcpu, unsigned seg, struct x86_segment *g)
{
    (void)vcpu;
    *g = (struct x86_segment){ 0, 0, (uint32_t)vmread(GUEST_ES_LIMIT + 2 * seg), vmread(GUEST_ES_BASE + 2 * seg) };
    if (seg >= X86_SEG_GDTR)
        return;
    uint32_t ar = (uint32_t)vmread(GUEST_ES_AR_BYTES + 2 * seg);
    g->sel = (uint16_t)vmread(GUEST_ES_SELECTOR + 2 * seg);
    g->ar = (uint16_t)((ar & AR_UNUSABLE) ? ar & ~0x80u : ar);
}

static void vmx_set_segment(struct vcpu *vcpu, unsigned seg, const struct x86_segment *g)
{
    (void)vcpu;
    vmwrite(GUEST_ES_BASE + 2 * seg, g->base);
    vmwrite(GUEST_ES_LIMIT + 2 * seg, g->limit);
    if (seg >= X86_SEG_GDTR)
        return;
    uint32_t ar = g->ar & 0xF0FFu;                      /* bits 11:8 reserved */
    vmwrite(GUEST_ES_SELECTOR + 2 * seg, g->sel);
    vmwrite(GUEST_ES_AR_BYTES + 2 * seg, (ar & 0x80) ? ar : ar | AR_UNUSABLE);
}

static void vmx_set_cr3(struct vcpu *vcpu, uint64_t cr3) { (void)vcpu; vmwrite(GUEST_CR3, cr3); }

static void vmx_set_stage2(struct vcpu *vcpu, const struct pgtable *pt)
{
    vmwrite(EPT_POINTER, pt->root_pa | EPTP_WB_WALK4);
    vcpu->arch.flush_on_entry = true;
}

static uint64_t vmx_get_efer(struct vcpu *vcpu) { (void)vcpu; return vmread(GUEST_IA32_EFER); }
static void vmx_set_efer(struct vcpu *vcpu, uint64_t efer) { (void)vcpu; vmwrite(GUEST_IA32_EFER, efer); }
static void vmx_set_pat(struct vcpu *vcpu, uint64_t pat) { (void)vcpu; vmwrite(GUEST_IA32_PAT, pat); }
static void vmx_set_tsc_offset(struct vcpu *vcpu, int64_t off) { (void)vcpu; vmwrite(TSC_OFFSET, (uint64_t)off); }

const struct x86_vcpu_ops vmx_vcpu_ops = {
    .name = "vmx",
    .rsm_raises_ud = true,             /* smm.c: RSM in VMX non-root operation raises #UD */
    .stage2_format = vmx_stage2_format,
    .cpu_enable = vmx_cpu_enable,
    .vm_init = vmx_vm_init,
    .vcpu_init = vmx_vcpu_init,
    .vcpu_reset = vmx_vcpu_reset,
    .run = vmx_run,
    .get_mode = vmx_get_mode,
    .get_efer = vmx_get_efer,
    .set_efer = vmx_set_efer,
    .set_pat = vmx_set_pat,
    .set_tsc_offset = vmx_set_tsc_offset,
    .set_event = vmx_set_event,
    .get_event = vmx_get_event,
    .get_interruptibility = vmx_get_interruptibility,
    .set_interruptibility = vmx_set_interruptibility,
    .set_window = vmx_set_window,
    .set_cr0 = vmx_set_cr0,
    .set_cr4 = vmx_set_cr4,
    .trap_cr4_writes = vmx_trap_cr4_writes,
    .set_exception_intercepts = vmx_set_exception_intercepts,
    .get_dr = vmx_get_dr,
    .set_dr = vmx_set_dr,
    .get_segment = vmx_get_segment,
    .set_segment = vmx_set_segment,
    .set_cr3 = vmx_set_cr3,
    .set_stage2 = vmx_set_stage2,
    .flush_tlb = vmx_flush,
};
