/* nested.c: nested VMX on the VMX backend: L1's VMX instructions emulated over a vmcs12 cached in
 * hypervisor memory (Intel SDM Vol. 3C chapter 30 and Vol. 2B instruction pages; 2016 numbering), the
 * vmcs12 -> vmcs02 merge that runs L2, and L2's exits either reflected to L1 as VM exits of its own
 * (vmcs12_reflect.c decides) or handled by L0. The pure parts: vmcs12.c (fields), vmcs12_check.c
 * (VM-entry checks), vmcs12_reflect.c (exit decisions), nested_caps.c (capability MSRs). */
#include <inttypes.h>
#include <string.h>
#include "kernel.h"
#include "page_alloc.h"
#include "vmcs.h"
#include "vmcs12.h"
#include "vmcs12_check.h"
#include "vmcs12_reflect.h"
#include "x86.h"
#include "x86_guest_walk.h"
#include "x86_nested_caps.h"
#include "x86_vcpu.h"
#include "nested.h"
#include "nested_ept.h"
#include "nested_shadow.h"
#include "nested_vmcs_shadow.h"
#include "dirty_log.h"

#define CR0_PE (1ull << 0)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_VMXE (1ull << 13)
#define EFER_LME (1ull << 8)
#define EFER_LMA_BIT (1ull << 10)
#define RFLAGS_CF (1ull << 0)
#define RFLAGS_ZF (1ull << 6)
#define RFLAGS_VM (1ull << 17)
#define RFLAGS_ARITH 0x8D5ull          /* CF PF AF ZF SF OF (SDM Vol. 3C, 30.2) */
#define AR_CS_L (1u << 13)
#define AR_UNUSABLE (1u << 16)
#define X86_EXC_PF 14

/* VMX instruction exits (appendix C) and the VM-exit instruction-information field (27.2.4, table 27-13
 * for VMCLEAR, VMPTRLD, VMPTRST, VMXON; table 27-14 for VMREAD, VMWRITE). */
enum {
    R_VMCLEAR = 19, R_VMLAUNCH = 20, R_VMPTRLD = 21, R_VMPTRST = 22, R_VMREAD = 23, R_VMRESUME = 24,
    R_VMWRITE = 25, R_VMXOFF = 26, R_VMXON = 27, R_INVEPT = 50, R_INVVPID = 53,
};
#define VMX_INSTRUCTION_INFO 0x440Eu
#define VMX_PREEMPTION_TIMER_VALUE 0x482Eu
#define GUEST_PDPTR0 0x280Au
#define PIN_PREEMPT_TIMER (1u << 6)
#define EXIT_SAVE_PREEMPT_TIMER (1u << 22)

/* VMfail error numbers (30.4). */
enum {
    VMXERR_VMCLEAR_INVALID_ADDR = 2, VMXERR_VMCLEAR_VMXON_PTR = 3, VMXERR_VMLAUNCH_NOT_CLEAR = 4,
    VMXERR_VMRESUME_NOT_LAUNCHED = 5, VMXERR_VMPTRLD_INVALID_ADDR = 9, VMXERR_VMPTRLD_VMXON_PTR = 10,
    VMXERR_VMPTRLD_BAD_REVISION = 11, VMXERR_VMXON_IN_ROOT = 15, VMXERR_ENTRY_MOV_SS = 26,
};


uint64_t x86_vmx_host_msr(uint32_t msr) { return rdmsr(msr); }

/* --- state: the vmcs12 cache and L1's memory ------------------------------------------------------ */

bool nested_vmx_vcpu_init(struct vcpu *v)
{
    struct nested_vmx *n = &v->arch.nvmx;
    memset(n, 0, sizeof(*n));
    n->current_ptr = ~0ull;
    if (!x86_nested_vmx(v->vm))
        return true;
    n->vmcs12 = (struct vmcs12 *)(uintptr_t)hv_page_alloc(1, PAGE_SIZE);
    n->vmcs02_pa = hv_page_alloc(1, PAGE_SIZE);
    n->msr_bitmap02_pa = hv_page_alloc(1, PAGE_SIZE);
    n->shadow = (struct nested_shadow *)(uintptr_t)hv_page_alloc(1, PAGE_SIZE);
    uint64_t pool = hv_page_alloc(NESTED_SHADOW_PAGES, PAGE_SIZE);
    if (!n->vmcs12 || !n->vmcs02_pa || !n->msr_bitmap02_pa || !n->shadow || !pool)
        return false;
    _Static_assert(sizeof(struct nested_shadow) <= PAGE_SIZE, "the shadow's bookkeeping fits one page");
    uint64_t pages[NESTED_SHADOW_PAGES];
    for (uint32_t i = 0; i < NESTED_SHADOW_PAGES; i++)
        pages[i] = pool + (uint64_t)i * PAGE_SIZE;
    nested_shadow_init(n->shadow, pages);
    if (!nested_vmcs_shadow_init(v))
        return false;
    *(uint32_t *)(uintptr_t)n->vmcs02_pa = (uint32_t)rdmsr(MSR_IA32_VMX_BASIC) & 0x7FFFFFFFu;
    return true;
}

/* A vCPU reset leaves VMX operation (INIT does, SDM 23.8 / 34: RESET clears it). */
void nested_vmx_vcpu_reset(struct vcpu *v)
{
    struct nested_vmx *n = &v->arch.nvmx;
    n->vmxon = false;
    n->guest_mode = false;
    n->current_ptr = ~0ull;
    n->vmcs_shadow_on = false;               /* vmx.c's reset writes vmcs01 without the link */
}

static bool read_l1(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    return guest_read(&((struct vcpu *)ctx)->vm->slots, gpa, buf, len) == 0;
}

/* The cache back to L1's VMCS region (24.11.1: a VMCS's data may live in memory or on the processor;
 * VMCLEAR and VMPTRLD of another make it memory's). */
static void vmcs12_flush(struct vcpu *v)
{
    struct nested_vmx *n = &v->arch.nvmx;
    if (n->current_ptr != ~0ull)
        guest_write(&v->vm->slots, n->current_ptr, n->vmcs12, sizeof(*n->vmcs12));
}

static uint32_t phys_bits(struct vcpu *v)
{
    uint32_t r[4];
    x86_cpuid_policy(v, 0x80000008, 0, r);
    return (r[0] & 0xFF) ? (r[0] & 0xFF) : 36;
}

/* --- instruction results (30.2) -------------------------------------------------------------------- */

static void set_flags(struct vcpu *v, uint64_t flags)
{
    v->arch.rflags = (v->arch.rflags & ~RFLAGS_ARITH) | flags;
}

static void succeed(struct vcpu *v, const struct x86_exit *x)
{
    set_flags(v, 0);
    x86_vcpu_advance(v, v->arch.rip + x->insn_len);
}

/* VMfailValid with the error in the current VMCS, or VMfailInvalid when there is none. */
static void fail(struct vcpu *v, const struct x86_exit *x, uint32_t error)
{
    struct nested_vmx *n = &v->arch.nvmx;
    if (n->current_ptr == ~0ull) {
        set_flags(v, RFLAGS_CF);
    } else {
        v12_set(n->vmcs12, V12_VM_INSTRUCTION_ERROR, error);
        set_flags(v, RFLAGS_ZF);
    }
    x86_vcpu_advance(v, v->arch.rip + x->insn_len);
}

static void fail_invalid(struct vcpu *v, const struct x86_exit *x)
{
    set_flags(v, RFLAGS_CF);
    x86_vcpu_advance(v, v->arch.rip + x->insn_len);
}

static void inject(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    x86_vcpu_backend()->set_event(v, vector | X86_EVENT_TYPE_EXCEPTION | X86_EVENT_VALID |
                                  (has_error ? X86_EVENT_ERROR_VALID : 0), error);
}

/* --- operands (27.2.4) ----------------------------------------------------------------------------- */

struct operand {
    bool reg;               /* a register operand (bit 10) */
    uint8_t reg1, reg2;     /* bits 6:3 and 31:28 */
    uint64_t la;            /* a memory operand's linear address */
    uint32_t size;          /* operand size: 8 in 64-bit mode, 4 otherwise */
};

static void decode_operand(struct vcpu *v, const struct x86_exit *x, const struct x86_guest_mode *m,
                           struct operand *o)
{
    uint32_t info = (uint32_t)vmread(VMX_INSTRUCTION_INFO);
    uint64_t *g = v->arch.gpr;
    o->reg = info & (1u << 10);
    o->reg1 = (info >> 3) & 0xF;
    o->reg2 = (info >> 28) & 0xF;
    o->size = m->cs_l ? 8 : 4;
    uint32_t asize = (info >> 7) & 7, seg = (info >> 15) & 7;
    uint64_t ea = x->info1;                                   /* the displacement, sign-extended */
    if (!(info & (1u << 27)))
        ea += g[(info >> 23) & 0xF];
    if (!(info & (1u << 22)))
        ea += g[(info >> 18) & 0xF] << (info & 3);
    ea &= asize == 0 ? 0xFFFFull : asize == 1 ? 0xFFFFFFFFull : ~0ull;
    /* In 64-bit mode only FS and GS have a base (SDM Vol. 3A, 3.4.4); elsewhere every segment's. */
    o->la = ea + ((!m->cs_l || seg >= 4) && seg < 6 ? m->seg_base[seg] : 0);
}

/* Reads / writes a memory operand; a translation failure is L1's #PF at that address (CR2, error code
 * with the write and user bits) and the instruction does nothing more. */
static bool operand_access(struct vcpu *v, const struct x86_guest_mode *m, uint64_t la, void *buf, size_t len,
                           bool write)
{
    struct x86_paging_regs pr = { m->cr0, m->cr3, m->cr4, m->efer };
    uint32_t access = (write ? X86_ACCESS_WRITE : 0) | (m->cpl == 3 ? X86_ACCESS_USER : 0);
    if (x86_guest_access_linear(&v->vm->slots, &pr, la, buf, len, access))
        return true;
    __asm__ volatile("mov %0, %%cr2" :: "r"(la));          /* CR2 is the guest's live register under VMX */
    inject(v, X86_EXC_PF, true, (write ? 2u : 0u) | (m->cpl == 3 ? 4u : 0u));
    return false;
}

/* --- VMXON .. VMWRITE ------------------------------------------------------------------------------- */

/* The #UD and #GP checks every VMX instruction starts with (Vol. 2B, each instruction's "Operation"):
 * #UD outside VMX operation (VMXON: with CR4.VMXE clear), in real or virtual-8086 mode, in compatibility
 * mode; #GP(0) at CPL > 0. False: an exception was injected. */
static bool common_checks(struct vcpu *v, const struct x86_guest_mode *m, bool vmxon)
{
    bool ud = !(m->cr0 & CR0_PE) || (v->arch.rflags & RFLAGS_VM) || ((m->efer & EFER_LMA_BIT) && !m->cs_l);
    if (vmxon ? !(m->cr4 & CR4_VMXE) : !v->arch.nvmx.vmxon)
        ud = true;
    if (ud) {
        inject(v, X86_EXC_UD, false, 0);
        return false;
    }
    if (m->cpl > 0) {
        inject(v, X86_EXC_GP, true, 0);
        return false;
    }
    return true;
}

/* A VMCS / VMXON region address: 4 KiB aligned, within MAXPHYADDR (30.3 VMXON, VMCLEAR, VMPTRLD). */
static bool region_addr_ok(struct vcpu *v, uint64_t pa)
{
    uint32_t bits = phys_bits(v);
    return !(pa & 0xFFF) && (bits >= 64 || !(pa >> bits));
}

static bool read_pointer(struct vcpu *v, const struct x86_exit *x, const struct x86_guest_mode *m, uint64_t *pa)
{
    struct operand o;
    decode_operand(v, x, m, &o);
    if (o.reg) {
        inject(v, X86_EXC_UD, false, 0);
        return false;
    }
    return operand_access(v, m, o.la, pa, 8, false);
}

static void vmxon(struct vcpu *v, const struct x86_exit *x, const struct x86_guest_mode *m)
{
    struct nested_vmx *n = &v->arch.nvmx;
    if (!common_checks(v, m, true))
        return;
    if (n->vmxon) {
        fail(v, x, VMXERR_VMXON_IN_ROOT);
        return;
    }
    /* The CR0 / CR4 fixed bits (23.8): under unrestricted guest L0 lets CR0.PE and PG float, L1 may not. */
    uint64_t f0 = x86_vmx_host_msr(MSR_IA32_VMX_CR0_FIXED0_NR), f1 = x86_vmx_host_msr(MSR_IA32_VMX_CR0_FIXED1_NR);
    uint64_t g0 = x86_vmx_host_msr(MSR_IA32_VMX_CR4_FIXED0_NR), g1 = x86_vmx_host_msr(MSR_IA32_VMX_CR4_FIXED1_NR);
    if ((m->cr0 & f0) != f0 || (m->cr0 & ~f1) || (m->cr4 & g0) != g0 || (m->cr4 & ~g1)) {
        inject(v, X86_EXC_GP, true, 0);
        return;
    }
    uint64_t pa;
    if (!read_pointer(v, x, m, &pa))
        return;
    uint32_t rev;
    if (!region_addr_ok(v, pa) || guest_read(&v->vm->slots, pa, &rev, 4) || (rev & 0x7FFFFFFFu) != NESTED_VMCS12_REVISION ||
        (rev >> 31)) {
        fail_invalid(v, x);
        return;
    }
    n->vmxon = true;
    n->vmxon_ptr = pa;
    n->current_ptr = ~0ull;
    succeed(v, x);
}

static void vmxoff(struct vcpu *v, const struct x86_exit *x, const struct x86_guest_mode *m)
{
    struct nested_vmx *n = &v->arch.nvmx;
    if (!common_checks(v, m, false))
        return;
    vmcs12_flush(v);
    n->vmxon = false;
    n->current_ptr = ~0ull;
    succeed(v, x);
}

/* VMCLEAR / VMPTRLD's operand (SDM Vol. 3C, 31.3): a page-aligned address within the physical-address
 * width, not the VMXON region; else VMfailValid with that instruction's error number. */
static bool vmcs_operand(struct vcpu *v, const struct x86_exit *x, const struct x86_guest_mode *m, uint64_t *pa,
                         uint32_t invalid_addr, uint32_t vmxon_ptr)
{
    if (!common_checks(v, m, false) || !read_pointer(v, x, m, pa))
        return false;
    if (!region_addr_ok(v, *pa)) {
        fail(v, x, invalid_addr);
        return false;
    }
    if (*pa == v->arch.nvmx.vmxon_ptr) {
        fail(v, x, vmxon_ptr);
        return false;
    }
    return true;
}

static void vmclear(struct vcpu *v, const struct x86_exit *x, const struct x86_guest_mode *m)
{
    struct nested_vmx *n = &v->arch.nvmx;
    uint64_t pa;
    if (!vmcs_operand(v, x, m, &pa, VMXERR_VMCLEAR_INVALID_ADDR, VMXERR_VMCLEAR_VMXON_PTR))
        return;
    uint32_t clear = VMCS12_CLEAR;
    if (pa == n->current_ptr) {
        n->vmcs12->launch_state = clear;
        vmcs12_flush(v);
        n->current_ptr = ~0ull;
    } else {
        guest_write(&v->vm->slots, pa + offsetof(struct vmcs12, launch_state), &clear, 4);
    }
    succeed(v, x);
}

static void vmptrld(struct vcpu *v, const struct x86_exit *x, const struct x86_guest_mode *m)
{
    struct nested_vmx *n = &v->arch.nvmx;
    uint64_t pa;
    if (!vmcs_operand(v, x, m, &pa, VMXERR_VMPTRLD_INVALID_ADDR, VMXERR_VMPTRLD_VMXON_PTR))
        return;
    uint32_t rev = ~0u;
    guest_read(&v->vm->slots, pa, &rev, 4);
    if ((rev & 0x7FFFFFFFu) != NESTED_VMCS12_REVISION || (rev >> 31)) {   /* no shadow VMCS offered */
        fail(v, x, VMXERR_VMPTRLD_BAD_REVISION);
        return;
    }
    if (pa != n->current_ptr) {
        vmcs12_flush(v);
        if (guest_read(&v->vm->slots, pa, n->vmcs12, sizeof(*n->vmcs12))) {
            fail(v, x, VMXERR_VMPTRLD_INVALID_ADDR);          /* not RAM of this VM */
            return;
        }
        n->current_ptr = pa;
    }
    succeed(v, x);
}

static void vmptrst(struct vcpu *v, const struct x86_exit *x, const struct x86_guest_mode *m)
{
    struct operand o;
    if (!common_checks(v, m, false))
        return;
    decode_operand(v, x, m, &o);
    if (o.reg) {
        inject(v, X86_EXC_UD, false, 0);
        return;
    }
    uint64_t ptr = v->arch.nvmx.current_ptr;
    if (operand_access(v, m, o.la, &ptr, 8, true))
        succeed(v, x);
}

static void vmread_insn(struct vcpu *v, const struct x86_exit *x, const struct x86_guest_mode *m)
{
    struct nested_vmx *n = &v->arch.nvmx;
    struct operand o;
    if (!common_checks(v, m, false))
        return;
    if (n->current_ptr == ~0ull) {
        fail_invalid(v, x);
        return;
    }
    decode_operand(v, x, m, &o);
    uint64_t enc = v->arch.gpr[o.reg2], value;
    if (!m->cs_l)
        enc = (uint32_t)enc;
    uint32_t err = vmcs12_read(n->vmcs12, enc, &value);
    if (err) {
        fail(v, x, err);
        return;
    }
    if (o.size == 4)
        value = (uint32_t)value;
    if (o.reg)
        v->arch.gpr[o.reg1] = value;
    else if (!operand_access(v, m, o.la, &value, o.size, true))
        return;
    succeed(v, x);
}

static void vmwrite_insn(struct vcpu *v, const struct x86_exit *x, const struct x86_guest_mode *m)
{
    struct nested_vmx *n = &v->arch.nvmx;
    struct operand o;
    if (!common_checks(v, m, false))
        return;
    if (n->current_ptr == ~0ull) {
        fail_invalid(v, x);
        return;
    }
    decode_operand(v, x, m, &o);
    uint64_t value = 0, enc = v->arch.gpr[o.reg2];
    if (o.reg)
        value = v->arch.gpr[o.reg1];
    else if (!operand_access(v, m, o.la, &value, o.size, false))
        return;
    if (!m->cs_l) {
        value = (uint32_t)value;
        enc = (uint32_t)enc;
    }
    uint32_t err = vmcs12_write(n->vmcs12, enc, value);
    if (err) {
        fail(v, x, err);
        return;
    }
    succeed(v, x);
}

/* --- VM entry: checks, vmcs12 -> vmcs02, L2 runs -------------------------------------------------- */

static void switch_to_vmcs01(struct vcpu *v);

/* The exit-information fields are read-only to L1 (vmcs12_write refuses them); a VM exit writes them. */
static void force_write(struct vmcs12 *c, uint32_t encoding, uint64_t value)
{
    int i = vmcs12_field_index(encoding);
    if (i >= 0)
        c->field[i] = value;
}

/* L2's VPID: never one of an L1's (vm->id + 1 <= CONFIG_MAX_VMS), flushed at every entry to L2, since
 * L1 has no VPID of its own to tag L2's translations with (27.5.5 / 26.3.2.5 without VPID). */
static uint16_t nested_l2_vpid(const struct vcpu *v) { return (uint16_t)(v->vm->arch.asid + 0x100); }

static void nested_flush_l2_vpid(struct vcpu *v)
{
    struct { uint64_t vpid, zero; } desc = { nested_l2_vpid(v), 0 };
    __asm__ volatile("invvpid %0, %1" :: "m"(desc), "r"(1ull) : "cc", "memory");
}

/* The fields a VM exit to L1 records (27.2), from the exit the hardware just took with vmcs02. */
static const uint32_t exit_info_fields[] = {
    0x4402, 0x4404, 0x4406, 0x4408, 0x440A, 0x440C, 0x440E, 0x6400, 0x6402, 0x6404, 0x6406, 0x6408, 0x640A, 0x2400,
};

/* Segment state, one row per register: selector, base, limit, access rights (24.4.1). */
static const struct { enum vmcs12_index sel, base, limit, ar; uint32_t hw_sel; } segs[] = {
    { V12_GUEST_ES_SELECTOR, V12_GUEST_ES_BASE, V12_GUEST_ES_LIMIT, V12_GUEST_ES_AR_BYTES, GUEST_ES_SELECTOR },
    { V12_GUEST_CS_SELECTOR, V12_GUEST_CS_BASE, V12_GUEST_CS_LIMIT, V12_GUEST_CS_AR_BYTES, GUEST_CS_SELECTOR },
    { V12_GUEST_SS_SELECTOR, V12_GUEST_SS_BASE, V12_GUEST_SS_LIMIT, V12_GUEST_SS_AR_BYTES, GUEST_SS_SELECTOR },
    { V12_GUEST_DS_SELECTOR, V12_GUEST_DS_BASE, V12_GUEST_DS_LIMIT, V12_GUEST_DS_AR_BYTES, GUEST_DS_SELECTOR },
    { V12_GUEST_FS_SELECTOR, V12_GUEST_FS_BASE, V12_GUEST_FS_LIMIT, V12_GUEST_FS_AR_BYTES, GUEST_FS_SELECTOR },
    { V12_GUEST_GS_SELECTOR, V12_GUEST_GS_BASE, V12_GUEST_GS_LIMIT, V12_GUEST_GS_AR_BYTES, GUEST_GS_SELECTOR },
    { V12_GUEST_LDTR_SELECTOR, V12_GUEST_LDTR_BASE, V12_GUEST_LDTR_LIMIT, V12_GUEST_LDTR_AR_BYTES, GUEST_LDTR_SELECTOR },
    { V12_GUEST_TR_SELECTOR, V12_GUEST_TR_BASE, V12_GUEST_TR_LIMIT, V12_GUEST_TR_AR_BYTES, GUEST_TR_SELECTOR },
};
/* The hardware field of the same register: GUEST_ES_* + 2 * index, as vmx.c's guest_seg_at. */
static uint32_t hw_field(uint32_t es_field, uint32_t sel_field) { return es_field + (sel_field - GUEST_ES_SELECTOR); }

/* vmcs02's MSR bitmap (24.6.9): an access exits when L0's bitmap or L1's says so; without L1's MSR
 * bitmaps every access exits. An MSR both pass through (FS / GS base, SYSENTER, the SYSCALL MSRs) is
 * L2's in hardware, as it would be on a CPU running L1. */
static void merge_msr_bitmaps(struct vcpu *v, uint64_t l0_bitmap_pa, uint64_t cpu12)
{
    uint64_t *out = (uint64_t *)(uintptr_t)v->arch.nvmx.msr_bitmap02_pa;
    const uint64_t *l0 = (const uint64_t *)(uintptr_t)l0_bitmap_pa;
    if (!(cpu12 & V12_CPU_MSR_BITMAPS) ||
        guest_read(&v->vm->slots, v12(v->arch.nvmx.vmcs12, V12_MSR_BITMAP), out, PAGE_SIZE)) {
        memset(out, 0xFF, PAGE_SIZE);
        return;
    }
    for (size_t i = 0; i < PAGE_SIZE / 8; i++)
        out[i] |= l0[i];
}

/* vmcs12's host state into vmcs01's guest state: what a VM exit loads into L1 (27.5). vmcs01 is current. */
static void load_l1_host_state(struct vcpu *v)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    struct vmcs12 *c = v->arch.nvmx.vmcs12;
    uint64_t exit = v12(c, V12_VM_EXIT_CONTROLS);
    bool host64 = exit & V12_EXIT_HOST_ADDR64;
    ops->set_cr0(v, v12(c, V12_HOST_CR0));
    ops->set_cr4(v, v12(c, V12_HOST_CR4));
    vmwrite(GUEST_CR3, v12(c, V12_HOST_CR3));
    uint64_t efer = (exit & V12_EXIT_LOAD_EFER) ? v12(c, V12_HOST_IA32_EFER)
                  : (vmread(GUEST_IA32_EFER) & ~(EFER_LME | EFER_LMA_BIT)) | (host64 ? EFER_LME | EFER_LMA_BIT : 0);
    ops->set_efer(v, efer);
    if (exit & V12_EXIT_LOAD_PAT) {
        v->arch.pat = v12(c, V12_HOST_IA32_PAT);
        ops->set_pat(v, v->arch.pat);
    }
    vmwrite(GUEST_DR7, 0x400);
    vmwrite(GUEST_IA32_DEBUGCTL, 0);
    vmwrite(GUEST_SYSENTER_CS, v12(c, V12_HOST_IA32_SYSENTER_CS));
    vmwrite(GUEST_SYSENTER_ESP, v12(c, V12_HOST_IA32_SYSENTER_ESP));
    vmwrite(GUEST_SYSENTER_EIP, v12(c, V12_HOST_IA32_SYSENTER_EIP));
    /* 27.5.2: CS a 64-bit (or 32-bit) flat code segment, the data segments flat or unusable when null,
     * TR a busy TSS of limit 0x67, LDTR unusable. */
    static const struct { uint32_t sel_field; enum vmcs12_index host_sel; } data_segs[] = {
        { GUEST_ES_SELECTOR, V12_HOST_ES_SELECTOR }, { GUEST_SS_SELECTOR, V12_HOST_SS_SELECTOR },
        { GUEST_DS_SELECTOR, V12_HOST_DS_SELECTOR }, { GUEST_FS_SELECTOR, V12_HOST_FS_SELECTOR },
        { GUEST_GS_SELECTOR, V12_HOST_GS_SELECTOR },
    };
    vmwrite(GUEST_CS_SELECTOR, v12(c, V12_HOST_CS_SELECTOR));
    vmwrite(GUEST_CS_BASE, 0);
    vmwrite(GUEST_CS_LIMIT, 0xFFFFFFFF);
    vmwrite(GUEST_CS_AR_BYTES, host64 ? 0xA09B : 0xC09B);
    for (size_t i = 0; i < sizeof(data_segs) / sizeof(data_segs[0]); i++) {
        uint64_t sel = v12(c, data_segs[i].host_sel);
        vmwrite(data_segs[i].sel_field, sel);
        vmwrite(hw_field(GUEST_ES_BASE, data_segs[i].sel_field), 0);
        vmwrite(hw_field(GUEST_ES_LIMIT, data_segs[i].sel_field), 0xFFFFFFFF);
        vmwrite(hw_field(GUEST_ES_AR_BYTES, data_segs[i].sel_field), sel ? 0xC093 : AR_UNUSABLE | 0xC093);
    }
    vmwrite(GUEST_FS_BASE, v12(c, V12_HOST_FS_BASE));
    vmwrite(GUEST_GS_BASE, v12(c, V12_HOST_GS_BASE));
    vmwrite(GUEST_TR_SELECTOR, v12(c, V12_HOST_TR_SELECTOR));
    vmwrite(GUEST_TR_BASE, v12(c, V12_HOST_TR_BASE));
    vmwrite(GUEST_TR_LIMIT, 0x67);
    vmwrite(GUEST_TR_AR_BYTES, 0x8B);
    vmwrite(GUEST_LDTR_SELECTOR, 0);
    vmwrite(GUEST_LDTR_AR_BYTES, AR_UNUSABLE);
    vmwrite(GUEST_GDTR_BASE, v12(c, V12_HOST_GDTR_BASE));
    vmwrite(GUEST_GDTR_LIMIT, 0xFFFF);
    vmwrite(GUEST_IDTR_BASE, v12(c, V12_HOST_IDTR_BASE));
    vmwrite(GUEST_IDTR_LIMIT, 0xFFFF);
    vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
    vmwrite(GUEST_ACTIVITY_STATE, 0);
    vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
    vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
    v->arch.rip = v12(c, V12_HOST_RIP);
    v->arch.gpr[GPR_RSP] = v12(c, V12_HOST_RSP);
    v->arch.rflags = 2;                       /* 27.5.3: RFLAGS cleared but for bit 1 */
    v->arch.flush_on_entry = true;            /* 27.5.5: L1 runs without VPID: its mappings are flushed */
}

/* A VM exit to L1 (27.1-27.5): the exit information, L2's state saved when it ran, L1's host state. */
static void exit_to_l1(struct vcpu *v, uint32_t reason, uint64_t qual, uint32_t intr_info, bool from_l2,
                       bool hw_info)
{
    struct nested_vmx *n = &v->arch.nvmx;
    struct vmcs12 *c = n->vmcs12;
    uint64_t exitc = v12(c, V12_VM_EXIT_CONTROLS);
    if (from_l2) {
        /* 27.2: the exit information the hardware recorded (an exit L0 makes up has its own). */
        for (size_t i = 0; i < sizeof(exit_info_fields) / sizeof(exit_info_fields[0]); i++)
            force_write(c, exit_info_fields[i], hw_info ? vmread(exit_info_fields[i]) : 0);
        /* 27.3: L2's guest state, read from vmcs02 (current). */
        for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
            v12_set(c, segs[i].sel, vmread(segs[i].hw_sel));
            v12_set(c, segs[i].base, vmread(hw_field(GUEST_ES_BASE, segs[i].hw_sel)));
            v12_set(c, segs[i].limit, vmread(hw_field(GUEST_ES_LIMIT, segs[i].hw_sel)));
            v12_set(c, segs[i].ar, vmread(hw_field(GUEST_ES_AR_BYTES, segs[i].hw_sel)));
        }
        v12_set(c, V12_GUEST_CR0, vmread(GUEST_CR0));
        v12_set(c, V12_GUEST_CR3, vmread(GUEST_CR3));
        v12_set(c, V12_GUEST_CR4, vmread(GUEST_CR4));
        v12_set(c, V12_GUEST_GDTR_BASE, vmread(GUEST_GDTR_BASE));
        v12_set(c, V12_GUEST_GDTR_LIMIT, vmread(GUEST_GDTR_LIMIT));
        v12_set(c, V12_GUEST_IDTR_BASE, vmread(GUEST_IDTR_BASE));
        v12_set(c, V12_GUEST_IDTR_LIMIT, vmread(GUEST_IDTR_LIMIT));
        v12_set(c, V12_GUEST_RIP, v->arch.rip);
        v12_set(c, V12_GUEST_RSP, v->arch.gpr[GPR_RSP]);
        v12_set(c, V12_GUEST_RFLAGS, v->arch.rflags);
        v12_set(c, V12_GUEST_SYSENTER_CS, vmread(GUEST_SYSENTER_CS));
        v12_set(c, V12_GUEST_SYSENTER_ESP, vmread(GUEST_SYSENTER_ESP));
        v12_set(c, V12_GUEST_SYSENTER_EIP, vmread(GUEST_SYSENTER_EIP));
        v12_set(c, V12_GUEST_INTERRUPTIBILITY_INFO, vmread(GUEST_INTERRUPTIBILITY_INFO));
        v12_set(c, V12_GUEST_PENDING_DBG_EXCEPTIONS, vmread(GUEST_PENDING_DBG_EXCEPTIONS));
        v12_set(c, V12_GUEST_ACTIVITY_STATE, 0);
        if (exitc & V12_EXIT_SAVE_DEBUG) {
            v12_set(c, V12_GUEST_DR7, vmread(GUEST_DR7));
            v12_set(c, V12_GUEST_IA32_DEBUGCTL, vmread(GUEST_IA32_DEBUGCTL));
        }
        uint64_t efer = vmread(GUEST_IA32_EFER);
        if (exitc & V12_EXIT_SAVE_EFER)
            v12_set(c, V12_GUEST_IA32_EFER, efer);
        if (exitc & V12_EXIT_SAVE_PAT)
            v12_set(c, V12_GUEST_IA32_PAT, vmread(GUEST_IA32_PAT));
        if (exitc & V12_EXIT_SAVE_PREEMPT)
            v12_set(c, V12_VMX_PREEMPTION_TIMER_VALUE, n->l0_timer_armed ? n->l1_timer_saved
                                                                          : vmread(VMX_PREEMPTION_TIMER_VALUE));
        /* IA32_VMX_MISC[5]: the IA-32e mode guest control follows EFER.LMA. */
        uint64_t entry = v12(c, V12_VM_ENTRY_CONTROLS) & ~(uint64_t)V12_ENTRY_IA32E;
        v12_set(c, V12_VM_ENTRY_CONTROLS, entry | ((efer & EFER_LMA_BIT) ? V12_ENTRY_IA32E : 0));
        switch_to_vmcs01(v);
    }
    if (!from_l2) {
        static const enum vmcs12_index cleared[] = { V12_EXIT_QUALIFICATION, V12_VM_EXIT_INTR_INFO,
            V12_VM_EXIT_INTR_ERROR_CODE, V12_IDT_VECTORING_INFO_FIELD, V12_VM_EXIT_INSTRUCTION_LEN,
            V12_VMX_INSTRUCTION_INFO };
        for (size_t i = 0; i < sizeof(cleared) / sizeof(cleared[0]); i++)
            v12_set(c, cleared[i], 0);
    }
    if (!hw_info) {
        v12_set(c, V12_VM_EXIT_REASON, reason);
        v12_set(c, V12_EXIT_QUALIFICATION, qual);
        v12_set(c, V12_VM_EXIT_INTR_INFO, intr_info);
    }
    /* 27.2: every VM exit clears the valid bit of the VM-entry interruption information. */
    v12_set(c, V12_VM_ENTRY_INTR_INFO_FIELD, v12(c, V12_VM_ENTRY_INTR_INFO_FIELD) & ~(1ull << 31));
    load_l1_host_state(v);
    nested_vmcs_shadow_push(v);               /* what L1 VMREADs without an exit */
}

/* --- nested EPT: the shadow EPT L2 runs on (nested_shadow.c) over L1's EPT (nested_ept.c) ------------ */

static bool ept12(const struct vmcs12 *c)
{
    return (v12(c, V12_CPU_BASED_VM_EXEC_CONTROL) & V12_CPU_SECONDARY) &&
           (v12(c, V12_SECONDARY_VM_EXEC_CONTROL) & V12_SEC_EPT);
}

static bool read_l1_u64(void *ctx, uint64_t gpa, uint64_t *value)
{
    return guest_read(&((struct vcpu *)ctx)->vm->slots, gpa, value, 8) == 0;
}

/* Before L2 runs on the shadow (vmcs02 current): it must shadow vmcs12's EPT pointer and L0's stage 2
 * as it is now (any change L0 makes to it bumps vm->arch.tlb_gen: the shadow, which holds host
 * addresses from it, is dropped then); a changed present entry is flushed with INVEPT (30.3). */
static void shadow_sync(struct vcpu *v)
{
    struct nested_vmx *n = &v->arch.nvmx;
    struct nested_shadow *s = n->shadow;
    uint64_t l1_eptp = v12(n->vmcs12, V12_EPT_POINTER);
    uint32_t gen = __atomic_load_n(&v->vm->arch.tlb_gen, __ATOMIC_ACQUIRE);
    if (s->l1_eptp != l1_eptp || s->l0_gen != gen) {
        nested_shadow_drop(s);
        s->l1_eptp = l1_eptp;
        s->l0_gen = gen;
    }
    if (s->flush) {
        struct { uint64_t eptp, zero; } desc = { nested_shadow_eptp(s), 0 };
        __asm__ volatile("invept %0, %1" :: "m"(desc), "r"(1ull) : "cc", "memory");
        s->flush = false;
    }
    vmwrite(EPT_POINTER, nested_shadow_eptp(s));
}

/* An EPT violation of the shadow while L2 ran (28.2.3.2): L1's EPT decides. A miss or a permission
 * L1's entries do not give becomes L1's EPT violation (reason 48, qualification as table 27-7, the
 * guest-physical and linear addresses as the hardware recorded them), a misconfigured entry L1's EPT
 * misconfiguration (49, 28.2.3.1); otherwise the page is mapped in the shadow to the host page L0's
 * stage 2 has for L1's address, with the permissions both give. Tightening L1's entries takes L1's
 * INVEPT (as on hardware, which caches translations: 28.3.3.1); loosening is picked up here, on the
 * violation the stale entry causes. */
static bool ept_fault(struct vcpu *v, struct x86_exit *x, uint32_t reason, uint64_t hw_qual)
{
    struct nested_vmx *n = &v->arch.nvmx;
    struct nested_shadow *s = n->shadow;
    struct vmcs12 *c = n->vmcs12;
    uint64_t gpa = vmread(GUEST_PHYSICAL_ADDRESS);
    x->kind = X86_EXIT_NONE;
    if (reason == EXIT_REASON_EPT_MISCONFIG) {
        nested_shadow_drop(s);                 /* never built so: start over */
        shadow_sync(v);
        return true;
    }
    uint32_t access = (uint32_t)hw_qual & (NEPT_READ | NEPT_WRITE | NEPT_FETCH);
    struct nept_walk w = { 0 };
    enum nept_result r = nested_ept_walk(read_l1_u64, v, v12(c, V12_EPT_POINTER), nested_ept_vpid_cap(x86_vmx_host_msr),
                                         phys_bits(v), gpa, access ? access : NEPT_READ, &w);
    if (r != NEPT_OK) {
        exit_to_l1(v, 0, 0, 0, true, true);
        if (r == NEPT_MISCONFIG) {
            force_write(c, 0x4402, EXIT_REASON_EPT_MISCONFIG);
            force_write(c, 0x6400, 0);
        } else {
            force_write(c, 0x6400, nested_ept_violation_qual(hw_qual, w.perms));
        }
        nested_vmcs_shadow_push(v);            /* the fields just changed, for L1's VMREAD */
        return true;
    }
    uint64_t hpa = 0;
    uint32_t p0 = 0, level;
    spin_lock(&v->vm->slots.lock);
    bool mapped = pt_lookup(&v->vm->stage2, w.l1_gpa, &hpa, &p0, &level);
    spin_unlock(&v->vm->slots.lock);
    if (mapped && (access & NEPT_WRITE) && !(p0 & PT_W) &&
        dirty_log_write_fault(&v->vm->slots, &v->vm->stage2, w.l1_gpa) == DIRTY_FAULT_HANDLED) {
        spin_lock(&v->vm->slots.lock);          /* a logged page: marked dirty and writable in L0's stage 2 */
        mapped = pt_lookup(&v->vm->stage2, w.l1_gpa, &hpa, &p0, &level);
        spin_unlock(&v->vm->slots.lock);
    }
    uint32_t perms = (w.perms & p0 & PT_RWX) | (p0 & PT_DEVICE);
    if (!mapped || (access & ~perms) || !nested_shadow_map(s, gpa, hpa, perms)) {
        hv_printf("vm %s: vcpu %" PRIu32 ": nested EPT: L2's access (type %" PRIu32 ") to guest-physical 0x%" PRIx64
                  " reaches L1's 0x%" PRIx64 ", which L0 does not map as RAM for that access: not supported (no "
                  "device emulation for L2 under nested EPT)\n", v->vm->name, v->id, access, gpa, w.l1_gpa);
        x->kind = X86_EXIT_UNKNOWN;
        x->code = reason;
        x->info1 = gpa;
        return true;
    }
    shadow_sync(v);
    return true;
}

/* vmcs02 from L0's vmcs01 (controls L0 needs, host state, EPT, TSC offset) and vmcs12 (L2's state and
 * the controls L1 asked for). Leaves vmcs02 current. */
static void load_vmcs02(struct vcpu *v, bool launch)
{
    struct nested_vmx *n = &v->arch.nvmx;
    struct vmcs12 *c = n->vmcs12;
    static const uint32_t host_fields[] = {
        HOST_CR0, HOST_CR3, HOST_CR4, HOST_ES_SELECTOR, HOST_CS_SELECTOR, HOST_SS_SELECTOR, HOST_DS_SELECTOR,
        HOST_FS_SELECTOR, HOST_GS_SELECTOR, HOST_TR_SELECTOR, HOST_FS_BASE, HOST_GS_BASE, HOST_TR_BASE,
        HOST_GDTR_BASE, HOST_IDTR_BASE, HOST_IA32_SYSENTER_CS, HOST_IA32_SYSENTER_ESP, HOST_IA32_SYSENTER_EIP,
        HOST_IA32_EFER, HOST_IA32_PAT,
    };
    uint64_t host[sizeof(host_fields) / sizeof(host_fields[0])];
    for (size_t i = 0; i < sizeof(host_fields) / sizeof(host_fields[0]); i++)
        host[i] = vmread(host_fields[i]);
    uint64_t pin0 = vmread(PIN_BASED_VM_EXEC_CONTROL), cpu0 = vmread(CPU_BASED_VM_EXEC_CONTROL);
    uint64_t sec0 = vmread(SECONDARY_VM_EXEC_CONTROL), exit0 = vmread(VM_EXIT_CONTROLS);
    uint64_t entry0 = vmread(VM_ENTRY_CONTROLS), eptp = vmread(EPT_POINTER), vmread_msr_bitmap01 = vmread(MSR_BITMAP);
    uint64_t cr0_mask0 = vmread(CR0_GUEST_HOST_MASK), cr4_mask0 = vmread(CR4_GUEST_HOST_MASK);
    uint64_t l1_dr7 = vmread(GUEST_DR7), l1_debugctl = vmread(GUEST_IA32_DEBUGCTL), l1_efer = vmread(GUEST_IA32_EFER);
    n->l1_launched = v->arch.vmx.launched;

    uint64_t pa = n->vmcs02_pa;
    if (launch || !n->vmcs02_launched) {
        __asm__ volatile("vmclear %0" :: "m"(pa) : "cc", "memory");
        n->vmcs02_launched = false;
    }
    __asm__ volatile("vmptrld %0" :: "m"(pa) : "cc", "memory");
    v->arch.vmx.launched = n->vmcs02_launched;

    uint64_t pin12 = v12(c, V12_PIN_BASED_VM_EXEC_CONTROL), cpu12 = v12(c, V12_CPU_BASED_VM_EXEC_CONTROL);
    uint64_t entry12 = v12(c, V12_VM_ENTRY_CONTROLS);
    /* Controls: L0's own (its exits stay its own), plus the exits L1 asked for that L0 does not take. */
    const uint64_t cpu_from_l1 = V12_CPU_INTR_WINDOW | V12_CPU_NMI_WINDOW | V12_CPU_HLT | V12_CPU_INVLPG |
                                 V12_CPU_MWAIT | V12_CPU_RDPMC | V12_CPU_RDTSC | V12_CPU_CR3_LOAD | V12_CPU_CR3_STORE |
                                 V12_CPU_CR8_LOAD | V12_CPU_CR8_STORE | V12_CPU_MOV_DR | V12_CPU_MONITOR | V12_CPU_PAUSE;
    bool timer = pin12 & V12_PIN_PREEMPT_TIMER;
    vmwrite(PIN_BASED_VM_EXEC_CONTROL, pin0 | (timer ? PIN_PREEMPT_TIMER : 0));
    vmwrite(CPU_BASED_VM_EXEC_CONTROL, (cpu0 & ~(uint64_t)(CPU_INTR_WINDOW_EXITING | CPU_NMI_WINDOW_EXITING)) |
                                       (cpu12 & cpu_from_l1));
    vmwrite(SECONDARY_VM_EXEC_CONTROL, sec0 & ~(uint64_t)(1u << 14));   /* no VMCS shadowing for L2 */
    vmwrite(VM_EXIT_CONTROLS, exit0 | (timer ? EXIT_SAVE_PREEMPT_TIMER : 0));
    vmwrite(VM_ENTRY_CONTROLS, (entry0 & ~(uint64_t)ENTRY_IA32E_MODE) | (entry12 & V12_ENTRY_IA32E));
    vmwrite(EXCEPTION_BITMAP, X86_EXC_INTERCEPTED | v12(c, V12_EXCEPTION_BITMAP));
    vmwrite(0x4006, v12(c, V12_PAGE_FAULT_ERROR_CODE_MASK));
    vmwrite(0x4008, v12(c, V12_PAGE_FAULT_ERROR_CODE_MATCH));
    vmwrite(CR3_TARGET_COUNT, 0);
    vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
    vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
    vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
    merge_msr_bitmaps(v, vmread_msr_bitmap01, cpu12);
    vmwrite(MSR_BITMAP, n->msr_bitmap02_pa);
    uint64_t off = (uint64_t)v->arch.tsc_offset + ((cpu12 & V12_CPU_TSC_OFFSETTING) ? v12(c, V12_TSC_OFFSET) : 0);
    vmwrite(TSC_OFFSET, off);
    vmwrite(EPT_POINTER, ept12(c) ? nested_shadow_eptp(n->shadow) : eptp);
    vmwrite(VIRTUAL_PROCESSOR_ID, nested_l2_vpid(v));
    for (size_t i = 0; i < sizeof(host_fields) / sizeof(host_fields[0]); i++)
        vmwrite(host_fields[i], host[i]);
    /* CR0 / CR4: bits either L0 or L1 owns exit; the shadow shows L1's shadow for L1's bits and L2's
     * own value for the rest (25.3). */
    uint64_t m0 = v12(c, V12_CR0_GUEST_HOST_MASK), m4 = v12(c, V12_CR4_GUEST_HOST_MASK);
    vmwrite(CR0_GUEST_HOST_MASK, cr0_mask0 | m0);
    vmwrite(CR0_READ_SHADOW, (v12(c, V12_CR0_READ_SHADOW) & m0) | (v12(c, V12_GUEST_CR0) & ~m0));
    vmwrite(GUEST_CR0, v12(c, V12_GUEST_CR0));
    vmwrite(CR4_GUEST_HOST_MASK, cr4_mask0 | m4);
    vmwrite(CR4_READ_SHADOW, (v12(c, V12_CR4_READ_SHADOW) & m4) | (v12(c, V12_GUEST_CR4) & ~m4));
    vmwrite(GUEST_CR4, v12(c, V12_GUEST_CR4) | CR4_VMXE);
    vmwrite(GUEST_CR3, v12(c, V12_GUEST_CR3));
    /* PAE paging outside IA-32e mode: with EPT the CPU takes the PDPTEs from the VMCS (26.3.2.4); L1
     * has no EPT, so they are L2's, read from its CR3 as a CPU without EPT would at entry. */
    uint64_t pdpte[4] = { 0, 0, 0, 0 };
    if (ept12(c)) {
        for (int i = 0; i < 4; i++)               /* with nested EPT: vmcs12's (26.3.2.4) */
            pdpte[i] = v12(c, (enum vmcs12_index)(V12_GUEST_PDPTR0 + i));
    } else if ((v12(c, V12_GUEST_CR0) & CR0_PG) && (v12(c, V12_GUEST_CR4) & CR4_PAE) && !(entry12 & V12_ENTRY_IA32E)) {
        guest_read(&v->vm->slots, v12(c, V12_GUEST_CR3) & ~0x1Full, pdpte, sizeof(pdpte));
    }
    for (int i = 0; i < 4; i++)
        vmwrite(GUEST_PDPTR0 + 2 * (uint32_t)i, pdpte[i]);
    for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
        vmwrite(segs[i].hw_sel, v12(c, segs[i].sel));
        vmwrite(hw_field(GUEST_ES_BASE, segs[i].hw_sel), v12(c, segs[i].base));
        vmwrite(hw_field(GUEST_ES_LIMIT, segs[i].hw_sel), v12(c, segs[i].limit));
        vmwrite(hw_field(GUEST_ES_AR_BYTES, segs[i].hw_sel), v12(c, segs[i].ar));
    }
    vmwrite(GUEST_GDTR_BASE, v12(c, V12_GUEST_GDTR_BASE));
    vmwrite(GUEST_GDTR_LIMIT, v12(c, V12_GUEST_GDTR_LIMIT));
    vmwrite(GUEST_IDTR_BASE, v12(c, V12_GUEST_IDTR_BASE));
    vmwrite(GUEST_IDTR_LIMIT, v12(c, V12_GUEST_IDTR_LIMIT));
    bool load_debug = entry12 & V12_ENTRY_LOAD_DEBUG;
    vmwrite(GUEST_DR7, load_debug ? v12(c, V12_GUEST_DR7) : l1_dr7);
    vmwrite(GUEST_IA32_DEBUGCTL, load_debug ? v12(c, V12_GUEST_IA32_DEBUGCTL) : l1_debugctl);
    /* 26.3.2.1: without "load IA32_EFER", LMA and LME follow the IA-32e mode guest control. */
    uint64_t efer = (entry12 & V12_ENTRY_LOAD_EFER) ? v12(c, V12_GUEST_IA32_EFER)
                  : (l1_efer & ~(EFER_LME | EFER_LMA_BIT)) | ((entry12 & V12_ENTRY_IA32E) ? EFER_LME | EFER_LMA_BIT : 0);
    vmwrite(GUEST_IA32_EFER, efer);
    vmwrite(GUEST_IA32_PAT, (entry12 & V12_ENTRY_LOAD_PAT) ? v12(c, V12_GUEST_IA32_PAT) : v->arch.pat);
    vmwrite(GUEST_SYSENTER_CS, v12(c, V12_GUEST_SYSENTER_CS));
    vmwrite(GUEST_SYSENTER_ESP, v12(c, V12_GUEST_SYSENTER_ESP));
    vmwrite(GUEST_SYSENTER_EIP, v12(c, V12_GUEST_SYSENTER_EIP));
    vmwrite(GUEST_INTERRUPTIBILITY_INFO, v12(c, V12_GUEST_INTERRUPTIBILITY_INFO));
    vmwrite(GUEST_ACTIVITY_STATE, 0);
    vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, v12(c, V12_GUEST_PENDING_DBG_EXCEPTIONS));
    vmwrite(VMCS_LINK_POINTER, ~0ull);
    vmwrite(VM_ENTRY_INTR_INFO_FIELD, v12(c, V12_VM_ENTRY_INTR_INFO_FIELD));
    vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, v12(c, V12_VM_ENTRY_EXCEPTION_ERROR_CODE));
    vmwrite(VM_ENTRY_INSTRUCTION_LEN, v12(c, V12_VM_ENTRY_INSTRUCTION_LEN));
    if (timer)
        vmwrite(VMX_PREEMPTION_TIMER_VALUE, (uint32_t)v12(c, V12_VMX_PREEMPTION_TIMER_VALUE));
    n->l0_timer_armed = false;
    v->arch.rip = v12(c, V12_GUEST_RIP);
    v->arch.gpr[GPR_RSP] = v12(c, V12_GUEST_RSP);
    v->arch.rflags = v12(c, V12_GUEST_RFLAGS);
    v->arch.window_requested = false;
    v->arch.nmi_window_requested = false;
    n->guest_mode = true;
    nested_flush_l2_vpid(v);
    if (ept12(c))
        shadow_sync(v);
}

/* Back to L1's VMCS (vmcs02 abandoned until L1's next VMRESUME / VMLAUNCH rebuilds it). */
static void switch_to_vmcs01(struct vcpu *v)
{
    struct nested_vmx *n = &v->arch.nvmx;
    n->vmcs02_launched = v->arch.vmx.launched;
    uint64_t pa = v->arch.vmx.vmcs_pa;
    __asm__ volatile("vmptrld %0" :: "m"(pa) : "cc", "memory");
    v->arch.vmx.launched = n->l1_launched;
    /* guest.c asks for the windows again as vmcs01 needs them. */
    uint64_t cpu = vmread(CPU_BASED_VM_EXEC_CONTROL) & ~(uint64_t)(CPU_INTR_WINDOW_EXITING | CPU_NMI_WINDOW_EXITING);
    vmwrite(CPU_BASED_VM_EXEC_CONTROL, cpu);
    v->arch.window_requested = false;
    v->arch.nmi_window_requested = false;
    n->guest_mode = false;
}

static void vmentry(struct vcpu *v, const struct x86_exit *x, const struct x86_guest_mode *m, bool launch)
{
    struct nested_vmx *n = &v->arch.nvmx;
    if (!common_checks(v, m, false))
        return;
    if (n->current_ptr == ~0ull) {
        fail_invalid(v, x);
        return;
    }
    struct vmcs12 *c = n->vmcs12;
    if (vmread(GUEST_INTERRUPTIBILITY_INFO) & 2) {
        fail(v, x, VMXERR_ENTRY_MOV_SS);
        return;
    }
    if (launch && c->launch_state != VMCS12_CLEAR) {
        fail(v, x, VMXERR_VMLAUNCH_NOT_CLEAR);
        return;
    }
    if (!launch && c->launch_state != VMCS12_LAUNCHED) {
        fail(v, x, VMXERR_VMRESUME_NOT_LAUNCHED);
        return;
    }
    struct vmcs12_check_env env;
    nested_vmx_ctls(x86_vmx_host_msr, &env.caps);
    env.phys_bits = phys_bits(v);
    env.l1_ia32e = m->efer & EFER_LMA_BIT;
    env.link_revision = 0;
    uint64_t link = v12(c, V12_VMCS_LINK_POINTER);
    if (link != ~0ull && guest_read(&v->vm->slots, link & ~0xFFFull, &env.link_revision, 4))
        env.link_revision = ~0u;
    const char *why = NULL;
    uint32_t err = vmcs12_check_controls(c, &env, &why);
    if (!err)
        err = vmcs12_check_host(c, &env, &why);
    if (err) {
        hv_printf("vm %s: vcpu %" PRIu32 ": nested %s: VMfailValid(%" PRIu32 "): %s\n", v->vm->name, v->id,
                  launch ? "VMLAUNCH" : "VMRESUME", err, why);
        fail(v, x, err);
        return;
    }
    /* From here the instruction is past its VMfail checks: a failure is a VM exit to L1 (26.7). */
    set_flags(v, 0);
    v->arch.rip += x->insn_len;
    uint64_t qual = 0;
    uint32_t reason = vmcs12_check_guest(c, &env, &qual, &why);
    if (!reason && (v12(c, V12_VM_ENTRY_MSR_LOAD_COUNT) || v12(c, V12_VM_EXIT_MSR_STORE_COUNT) ||
                    v12(c, V12_VM_EXIT_MSR_LOAD_COUNT))) {
        /* MSR lists are not implemented: refused as an MSR-loading entry failure at entry 1 (26.4). */
        reason = EXIT_REASON_MSR_LOADING;
        qual = 1;
        why = "VM-entry / VM-exit MSR lists are not supported by this nested VMX";
    }
    if (reason) {
        hv_printf("vm %s: vcpu %" PRIu32 ": nested VM entry failed (exit reason %" PRIu32 ", qualification %" PRIu64
                  "): %s\n", v->vm->name, v->id, reason, qual, why);
        exit_to_l1(v, reason | EXIT_REASON_ENTRY_FAILURE, qual, 0, false, false);
        return;
    }
    n->launch_pending = launch;
    load_vmcs02(v, launch);
}

/* INVEPT / INVVPID (Vol. 2B; 30.3): the type in the register operand (instruction information 31:28),
 * a 128-bit descriptor in memory. A type the capability MSR does not offer, an invalid EPT pointer
 * (single-context INVEPT), descriptor bits 63:16 or VPID 0 (single-context INVVPID) fail with
 * VMfail(28, invalid operand to INVEPT/INVVPID). INVEPT drops the whole shadow EPT whatever its type
 * (a superset of what was asked, as 28.3.3.1 allows); INVVPID flushes L2's VPID. */
#define VMXERR_INVALID_INVEPT_INVVPID 28u
static void invalidate(struct vcpu *v, const struct x86_exit *x, const struct x86_guest_mode *m, bool ept)
{
    struct nested_vmx_ctls ctls;
    nested_vmx_ctls(x86_vmx_host_msr, &ctls);
    uint64_t cap = ctls.ept_vpid_cap;
    if (!((ctls.proc2 >> 32) & (ept ? V12_SEC_EPT : V12_SEC_VPID))) {
        if (common_checks(v, m, false))
            inject(v, X86_EXC_UD, false, 0);   /* not offered: the instruction does not exist for L1 */
        return;
    }
    if (!common_checks(v, m, false))
        return;
    struct operand o;
    decode_operand(v, x, m, &o);
    if (o.reg) {
        inject(v, X86_EXC_UD, false, 0);
        return;
    }
    uint64_t type = v->arch.gpr[o.reg2];
    if (!m->cs_l)
        type = (uint32_t)type;
    bool type_ok = ept ? (type == 1 && (cap & EPT_CAP_INVEPT_SINGLE)) || (type == 2 && (cap & EPT_CAP_INVEPT_ALL))
                       : (type == 1 && (cap & VPID_CAP_SINGLE)) || (type == 2 && (cap & VPID_CAP_ALL));
    if (!type_ok) {
        fail(v, x, VMXERR_INVALID_INVEPT_INVVPID);
        return;
    }
    uint64_t desc[2];
    if (!operand_access(v, m, o.la, desc, sizeof(desc), false))
        return;
    if (ept) {
        if (type == 1 && nested_eptp_invalid(desc[0], cap, phys_bits(v))) {
            fail(v, x, VMXERR_INVALID_INVEPT_INVVPID);
            return;
        }
        nested_shadow_drop(v->arch.nvmx.shadow);   /* flushed with INVEPT before L2 runs on it again */
    } else {
        if ((desc[0] >> 16) || (type == 1 && !(desc[0] & 0xFFFF))) {
            fail(v, x, VMXERR_INVALID_INVEPT_INVVPID);
            return;
        }
        nested_flush_l2_vpid(v);
    }
    succeed(v, x);
}

/* --- dispatch ------------------------------------------------------------------------------------- */

void nested_vmx_instruction(struct vcpu *v, struct x86_exit *x)
{
    struct x86_guest_mode m;
    x86_vcpu_backend()->get_mode(v, &m);
    x->kind = X86_EXIT_NONE;
    if (!x86_nested_vmx(v->vm) || !v->arch.nvmx.vmcs12) {
        x->kind = X86_EXIT_UD;                 /* no 'nested = vmx': VMX instructions do not exist */
        return;
    }
    nested_vmcs_shadow_pull(v);                /* L1's VMWRITEs that did not exit */
    switch ((uint32_t)x->code & 0xFFFF) {
    case R_VMXON: vmxon(v, x, &m); break;
    case R_VMXOFF: vmxoff(v, x, &m); break;
    case R_VMCLEAR: vmclear(v, x, &m); break;
    case R_VMPTRLD: vmptrld(v, x, &m); break;
    case R_VMPTRST: vmptrst(v, x, &m); break;
    case R_VMREAD: vmread_insn(v, x, &m); break;
    case R_VMWRITE: vmwrite_insn(v, x, &m); break;
    case R_VMLAUNCH: vmentry(v, x, &m, true); break;
    case R_VMRESUME: vmentry(v, x, &m, false); break;
    case R_INVEPT: invalidate(v, x, &m, true); break;
    case R_INVVPID: invalidate(v, x, &m, false); break;
    default: break;
    }
    if (!v->arch.nvmx.guest_mode)
        nested_vmcs_shadow_push(v);            /* L1 runs on: the current vmcs12 as L0 left it */
}

/* An exit while L2 ran (vmcs02 current): to L1 when vmcs12 says so, else false and vmx.c decodes it
 * for L0 as for any guest. */
static bool l2_exit(struct vcpu *v, struct x86_exit *x, uint32_t reason)
{
    struct nested_vmx *n = &v->arch.nvmx;
    struct nested_exit e = {
        .reason = reason & 0xFFFF, .entry_failure = reason & EXIT_REASON_ENTRY_FAILURE,
        .qual = vmread(EXIT_QUALIFICATION), .intr_info = (uint32_t)vmread(VM_EXIT_INTR_INFO),
        .intr_error = (uint32_t)vmread(0x4406), .msr = (uint32_t)v->arch.gpr[GPR_RCX],
        .l0_timer = n->l0_timer_armed,
    };
    if (e.reason == EXIT_REASON_CR_ACCESS)
        e.cr_value = v->arch.gpr[(e.qual >> 8) & 0xF];
    if (n->launch_pending) {
        /* 26.7: an entry that fails leaves the launch state as it was (vmcs12's and vmcs02's). */
        n->launch_pending = false;
        if (e.entry_failure)
            v->arch.vmx.launched = false;
        else
            n->vmcs12->launch_state = VMCS12_LAUNCHED;
    }
    if (e.reason == 52 && n->l0_timer_armed) {
        /* L0's immediate exit: L1's own timer (if any) goes on from where it was. */
        n->l0_timer_armed = false;
        if (vmread(PIN_BASED_VM_EXEC_CONTROL) & PIN_PREEMPT_TIMER)
            vmwrite(VMX_PREEMPTION_TIMER_VALUE, n->l1_timer_saved);
        if (!(v12(n->vmcs12, V12_PIN_BASED_VM_EXEC_CONTROL) & V12_PIN_PREEMPT_TIMER)) {
            vmwrite(PIN_BASED_VM_EXEC_CONTROL, vmread(PIN_BASED_VM_EXEC_CONTROL) & ~(uint64_t)PIN_PREEMPT_TIMER);
            vmwrite(VM_EXIT_CONTROLS, vmread(VM_EXIT_CONTROLS) & ~(uint64_t)EXIT_SAVE_PREEMPT_TIMER);
        }
        x->kind = X86_EXIT_NONE;
        return true;
    }
    /* An exit of L2's own (an instruction or event of L2's) shows it made progress; a host interrupt
     * (the host timer, a kick) does not, and must not reset the throttle's count. */
    if (e.reason != EXIT_REASON_EXTERNAL_INTERRUPT)
        n->immediate_exits = 0;
    if ((e.reason == EXIT_REASON_EPT_VIOLATION || e.reason == EXIT_REASON_EPT_MISCONFIG) && ept12(n->vmcs12))
        return ept_fault(v, x, e.reason, e.qual);
    if (!nested_vmx_exit_for_l1(n->vmcs12, &e, read_l1, v))
        return false;
    exit_to_l1(v, 0, 0, 0, true, true);
    x->kind = X86_EXIT_NONE;
    return true;
}

/* The event an exit of L2's interrupted (x->vectoring) is L1's to deliver again once the exit went to
 * L1 (in vmcs12's IDT-vectoring information); event.c queues it into vmcs02 again only when L0 handled
 * the exit and L2 resumes (a shadow EPT fill, L0's immediate exit). */
bool nested_vmx_l2_exit(struct vcpu *v, struct x86_exit *x, uint32_t reason)
{
    bool taken = l2_exit(v, x, reason);
    if (taken && !v->arch.nvmx.guest_mode)
        x->vectoring = 0;
    return taken;
}

/* --- L1's interrupts and NMIs while L2 runs; L0's immediate exits ---------------------------------- */

bool nested_vmx_l2_takes_l1_interrupts(const struct vcpu *v)
{
    return !(v12(v->arch.nvmx.vmcs12, V12_PIN_BASED_VM_EXEC_CONTROL) & V12_PIN_EXT_INTR);
}

bool x86_nested_l2_exits_on_l1_interrupt(const struct vcpu *v)
{
    return v->arch.nvmx.guest_mode && !nested_vmx_l2_takes_l1_interrupts(v);
}

bool nested_vmx_l2_takes_l1_nmis(const struct vcpu *v)
{
    return !(v12(v->arch.nvmx.vmcs12, V12_PIN_BASED_VM_EXEC_CONTROL) & V12_PIN_NMI_EXITING);
}

bool x86_nested_l2_exits_on_l1_nmi(const struct vcpu *v)
{
    return v->arch.nvmx.guest_mode && !nested_vmx_l2_takes_l1_nmis(v);
}

/* L0 wants a window for an event of L1's (event.c x86_request_window: L2 cannot take it now). Where L1 takes
 * its interrupts (NMIs) as VM exits, the window is not what gates them: nested_vmx_before_l2_entry
 * makes that exit before L2 is entered, or the armed preemption timer right after an injection into L2
 * is delivered. A window exit there would only stop L2 at each instruction boundary with IF set (as
 * after the IRET of the injected event's handler) for L0 to re-enter it, the throttled entries'
 * delay passing in those slivers of non-root time. L1's own window request (vmcs12) stays. */
bool x86_nested_window(const struct vcpu *v, bool nmi, bool on)
{
    if (!v->arch.nvmx.guest_mode)
        return on;
    const struct vmcs12 *c = v->arch.nvmx.vmcs12;
    bool l1_wants = v12(c, V12_CPU_BASED_VM_EXEC_CONTROL) & (nmi ? V12_CPU_NMI_WINDOW : V12_CPU_INTR_WINDOW);
    bool l0_injects = nmi ? nested_vmx_l2_takes_l1_nmis(v) : nested_vmx_l2_takes_l1_interrupts(v);
    return l1_wants || (on && l0_injects);
}

/* The immediate-exit throttle. Policy: at most NESTED_IMMEDIATE_MAX immediate exits from L2 in a row
 * with L2 making no progress between them (no exit of L2's own, no delayed exit after L2 ran); the next
 * one is not immediate but due NESTED_IMMEDIATE_DELAY_US later (the preemption timer set to that), so L2
 * runs meanwhile and the event still reaches L1 soon after. Each such refusal counts in
 * 'nested_immediate_throttled' and the first one of a vCPU is logged. A guest that keeps an event
 * pending that L2 must first take (an injection into L2 that L1 keeps re-queuing while its own
 * interrupt waits) therefore cannot hold its pCPU in entry / exit round trips, and L2 makes progress. */
#define NESTED_IMMEDIATE_MAX 16u
#define NESTED_IMMEDIATE_DELAY_US 1000u

/* The preemption-timer value for an exit after delay_tsc host TSC ticks (24.6.1 / A.6: the timer
 * counts down once every 2^IA32_VMX_MISC[4:0] TSC ticks). */
static uint32_t timer_ticks(uint64_t delay_tsc)
{
    uint64_t t = delay_tsc >> (rdmsr(MSR_IA32_VMX_MISC) & 0x1F);
    return t > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)t;
}

/* The timer value L0 arms: 0 (an immediate exit) or, throttled, the delay. */
static uint32_t immediate_exit_delay(struct vcpu *v)
{
    struct nested_vmx *n = &v->arch.nvmx;
    if (n->immediate_exits < NESTED_IMMEDIATE_MAX) {
        n->immediate_exits++;
        __atomic_fetch_add(&n->immediate_total, 1, __ATOMIC_RELAXED);
        return 0;
    }
    if (__atomic_fetch_add(&n->throttled, 1, __ATOMIC_RELAXED) == 0)
        hv_printf("vm %s: vcpu %" PRIu32 ": nested: %u immediate exits from L2 in a row without progress: "
                  "the next ones delayed by %u us\n", v->vm->name, v->id, NESTED_IMMEDIATE_MAX, NESTED_IMMEDIATE_DELAY_US);
    n->immediate_exits = 0;              /* L2 runs for the delay: progress */
    return timer_ticks(x86_tsc_hz() / 1000000 * NESTED_IMMEDIATE_DELAY_US);
}

/* An exit from L2 after the event being injected is delivered: a VMX-preemption-timer value of 0 exits
 * before L2's first instruction (25.5.1), never a self-IPI; a throttled one later. L1's own timer value
 * is kept for after it. */
static void arm_l0_timer(struct vcpu *v, uint32_t value)
{
    struct nested_vmx *n = &v->arch.nvmx;
    uint64_t pin = vmread(PIN_BASED_VM_EXEC_CONTROL);
    n->l1_timer_saved = (pin & PIN_PREEMPT_TIMER) ? (uint32_t)vmread(VMX_PREEMPTION_TIMER_VALUE) : 0;
    if ((pin & PIN_PREEMPT_TIMER) && n->l1_timer_saved < value)
        value = n->l1_timer_saved;         /* L1's own timer comes first: its exit, which is L1's anyway */
    vmwrite(PIN_BASED_VM_EXEC_CONTROL, pin | PIN_PREEMPT_TIMER);
    vmwrite(VM_EXIT_CONTROLS, vmread(VM_EXIT_CONTROLS) | EXIT_SAVE_PREEMPT_TIMER);
    vmwrite(VMX_PREEMPTION_TIMER_VALUE, value);
    n->l0_timer_armed = true;
}

bool nested_vmx_before_l2_entry(struct vcpu *v, struct x86_exit *x)
{
    struct nested_vmx *n = &v->arch.nvmx;
    const struct vmcs12 *c = n->vmcs12;
    uint8_t vector = 0;
    if (ept12(c))
        shadow_sync(v);
    bool nmi = !nested_vmx_l2_takes_l1_nmis(v) && __atomic_load_n(&v->arch.lapic.nmi_pending, __ATOMIC_ACQUIRE);
    bool intr = !nested_vmx_l2_takes_l1_interrupts(v) && vlapic_pending(v, &vector);
    if (!nmi && !intr)
        return false;
    /* The exit to L1 is armed already (at once, or throttled): it comes when the timer fires. An exit
     * L0 took meanwhile (a host interrupt: one that became pending in the round trips before is taken
     * as soon as L2 is entered without an immediate exit) re-enters L2 with the timer's value saved on
     * that exit (24.6.1 / 27.3.2), so a throttled entry still lets L2 run for the whole delay. */
    if (n->l0_timer_armed)
        return false;
    if (vmread(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) {
        /* An event is on its way into L2: deliver it first, then exit to L1 at once. */
        arm_l0_timer(v, immediate_exit_delay(v));
        return false;
    }
    if (n->launch_pending) {
        n->launch_pending = false;             /* the entry succeeded; the exit comes before L2's first instruction */
        n->vmcs12->launch_state = VMCS12_LAUNCHED;
    }
    if (nmi) {
        __atomic_store_n(&v->arch.lapic.nmi_pending, 0, __ATOMIC_RELAXED);
        exit_to_l1(v, EXIT_REASON_EXCEPTION_NMI, 0, 2 | INTR_INFO_TYPE_NMI | INTR_INFO_VALID, true, false);
    } else {
        /* 27.2.2: with "acknowledge interrupt on exit" the vector is taken from L1's LAPIC now. */
        uint32_t info = 0;
        if (v12(c, V12_VM_EXIT_CONTROLS) & V12_EXIT_ACK_INTR) {
            vlapic_ack(v, vector);
            info = vector | INTR_INFO_TYPE_EXT_INTR | INTR_INFO_VALID;
        }
        exit_to_l1(v, EXIT_REASON_EXTERNAL_INTERRUPT, 0, info, true, false);
    }
    x->kind = X86_EXIT_NONE;
    return true;
}
