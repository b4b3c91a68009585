/* vmcs12_reflect.c: L2 exits decided for L1 or L0 from vmcs12's controls (vmcs12_reflect.h). */
#include "vmcs12_reflect.h"
#include "vmcs12_check.h"

/* Basic exit reasons (SDM Vol. 3C, appendix C). */
enum {
    R_EXCEPTION_NMI = 0, R_EXTERNAL_INTERRUPT = 1, R_TRIPLE_FAULT = 2, R_INIT = 3, R_SIPI = 4,
    R_INTERRUPT_WINDOW = 7, R_NMI_WINDOW = 8, R_TASK_SWITCH = 9, R_CPUID = 10, R_GETSEC = 11, R_HLT = 12,
    R_INVD = 13, R_INVLPG = 14, R_RDPMC = 15, R_RDTSC = 16, R_VMCALL = 18, R_VMCLEAR = 19, R_VMXON = 27,
    R_CR_ACCESS = 28, R_DR_ACCESS = 29, R_IO = 30, R_RDMSR = 31, R_WRMSR = 32, R_MWAIT = 36, R_MTF = 37,
    R_MONITOR = 39, R_PAUSE = 40, R_EPT_VIOLATION = 48, R_EPT_MISCONFIG = 49, R_INVEPT = 50, R_RDTSCP = 51,
    R_PREEMPTION_TIMER = 52, R_INVVPID = 53, R_WBINVD = 54, R_XSETBV = 55, R_RDRAND = 57, R_INVPCID = 58,
    R_VMFUNC = 59, R_RDSEED = 61, R_XSAVES = 63, R_XRSTORS = 64,
};

#define PF_VECTOR 14
#define INTR_TYPE_NMI 2

static bool cpu(const struct vmcs12 *v, uint32_t bit) { return v12(v, V12_CPU_BASED_VM_EXEC_CONTROL) & bit; }
static bool pin(const struct vmcs12 *v, uint32_t bit) { return v12(v, V12_PIN_BASED_VM_EXEC_CONTROL) & bit; }

/* 24.6.3: the exception bitmap; a #PF exits when its bit is set iff the error code matches
 * (PFEC & PFEC_MASK == PFEC_MATCH). */
static bool exception_for_l1(const struct vmcs12 *v, const struct nested_exit *e)
{
    uint32_t type = (e->intr_info >> 8) & 7, vector = e->intr_info & 0xFF;
    if (type == INTR_TYPE_NMI)
        return false;       /* a physical NMI is the host's; L1's virtual NMIs come from its vLAPIC */
    bool bit = (v12(v, V12_EXCEPTION_BITMAP) >> (vector & 31)) & 1;
    if (vector == PF_VECTOR) {
        bool match = (e->intr_error & v12(v, V12_PAGE_FAULT_ERROR_CODE_MASK)) ==
                     (v12(v, V12_PAGE_FAULT_ERROR_CODE_MATCH) & 0xFFFFFFFFu);
        return match ? bit : !bit;
    }
    return bit;
}

/* 24.6.4 and 25.1.3: unconditional I/O exiting, or the I/O bitmaps when used (A: 0-7FFF, B: 8000-FFFF);
 * an access that wraps past 0xFFFF or touches a set bit exits. */
static bool io_for_l1(const struct vmcs12 *v, const struct nested_exit *e, nested_read_gpa_fn read, void *ctx)
{
    if (!cpu(v, V12_CPU_IO_BITMAPS))
        return cpu(v, V12_CPU_UNCOND_IO);
    uint32_t port = (uint32_t)(e->qual >> 16) & 0xFFFF, size = (uint32_t)(e->qual & 7) + 1;
    if (port + size > 0x10000)
        return true;
    for (uint32_t p = port; p < port + size; p++) {
        uint64_t base = p < 0x8000 ? v12(v, V12_IO_BITMAP_A) : v12(v, V12_IO_BITMAP_B);
        uint8_t byte;
        if (!read(ctx, base + (p & 0x7FFF) / 8, &byte, 1) || ((byte >> (p % 8)) & 1))
            return true;
    }
    return false;
}

/* 24.6.9: MSR bitmaps: read low (0-1FFF), read high (C0000000-C0001FFF), then the write halves;
 * an MSR outside both ranges always exits. */
static bool msr_for_l1(const struct vmcs12 *v, const struct nested_exit *e, bool write, nested_read_gpa_fn read,
                       void *ctx)
{
    if (!cpu(v, V12_CPU_MSR_BITMAPS))
        return true;
    uint32_t off;
    if (e->msr < 0x2000)
        off = 0;
    else if (e->msr - 0xC0000000u < 0x2000)
        off = 1024;
    else
        return true;
    off += write ? 2048 : 0;
    uint32_t bit = e->msr & 0x1FFF;
    uint8_t byte;
    return !read(ctx, v12(v, V12_MSR_BITMAP) + off + bit / 8, &byte, 1) || ((byte >> (bit % 8)) & 1);
}

/* 25.1.3 / 24.6.6: MOV to CR0 / CR4 exits when it would change a bit L1 owns (mask set) away from
 * its read shadow; CLTS when L1 owns CR0.TS with shadow TS = 1; LMSW when it changes an owned bit
 * of CR0[3:0] (PE only set); CR3 / CR8 by their exiting controls. */
static bool cr_for_l1(const struct vmcs12 *v, const struct nested_exit *e)
{
    uint32_t cr = e->qual & 0xF, type = (e->qual >> 4) & 3;
    uint64_t mask0 = v12(v, V12_CR0_GUEST_HOST_MASK), shadow0 = v12(v, V12_CR0_READ_SHADOW);
    switch (type) {
    case 0:     /* MOV to CR */
        if (cr == 0)
            return ((e->cr_value ^ shadow0) & mask0) != 0;
        if (cr == 4)
            return ((e->cr_value ^ v12(v, V12_CR4_READ_SHADOW)) & v12(v, V12_CR4_GUEST_HOST_MASK)) != 0;
        if (cr == 3)
            return cpu(v, V12_CPU_CR3_LOAD);      /* no CR3-target values are offered (count 0) */
        return cr == 8 && cpu(v, V12_CPU_CR8_LOAD);
    case 1:     /* MOV from CR */
        return cr == 3 ? cpu(v, V12_CPU_CR3_STORE) : cr == 8 && cpu(v, V12_CPU_CR8_STORE);
    case 2:     /* CLTS */
        return (mask0 & 8) && (shadow0 & 8);
    default: {  /* LMSW: source data in qualification bits 31:16 */
        uint64_t src = (e->qual >> 16) & 0xF;
        return (((src ^ shadow0) & mask0 & 0xE) != 0) || ((mask0 & 1) && (src & 1) && !(shadow0 & 1));
    }
    }
}

bool nested_vmx_exit_for_l1(const struct vmcs12 *v, const struct nested_exit *e, nested_read_gpa_fn read, void *ctx)
{
    if (e->entry_failure)
        return true;                          /* vmcs02 refused an L2 state the checks let through */
    switch (e->reason) {
    case R_EXCEPTION_NMI:
        return exception_for_l1(v, e);
    case R_EXTERNAL_INTERRUPT:
        return false;                         /* the host's interrupt (L1's own arrive through its vLAPIC) */
    case R_TRIPLE_FAULT: case R_TASK_SWITCH: case R_CPUID: case R_GETSEC: case R_INVD: case R_VMCALL:
    case R_VMCLEAR: case 20: case 21: case 22: case 23: case 24: case 25: case 26: case R_VMXON:
    case R_INVEPT: case R_INVVPID: case R_XSETBV: case R_VMFUNC:
        return true;                          /* these always exit (25.1.2) */
    case R_INIT: case R_SIPI:
        return false;                         /* signals to the vCPU: L0's */
    case R_INTERRUPT_WINDOW:
        return cpu(v, V12_CPU_INTR_WINDOW);
    case R_NMI_WINDOW:
        return cpu(v, V12_CPU_NMI_WINDOW);
    case R_HLT:
        return cpu(v, V12_CPU_HLT);
    case R_INVLPG:
        return cpu(v, V12_CPU_INVLPG);
    case R_RDPMC:
        return cpu(v, V12_CPU_RDPMC);
    case R_RDTSC:
        return cpu(v, V12_CPU_RDTSC);
    case R_CR_ACCESS:
        return cr_for_l1(v, e);
    case R_DR_ACCESS:
        return cpu(v, V12_CPU_MOV_DR);
    case R_IO:
        return io_for_l1(v, e, read, ctx);
    case R_RDMSR:
        return msr_for_l1(v, e, false, read, ctx);
    case R_WRMSR:
        return msr_for_l1(v, e, true, read, ctx);
    case R_MWAIT:
        return cpu(v, V12_CPU_MWAIT);
    case R_MONITOR:
        return cpu(v, V12_CPU_MONITOR);
    case R_PAUSE:
        return cpu(v, V12_CPU_PAUSE);
    case R_PREEMPTION_TIMER:
        return !e->l0_timer && pin(v, V12_PIN_PREEMPT_TIMER);
    case R_EPT_VIOLATION: case R_EPT_MISCONFIG:
        return false;                         /* L1 has no EPT (not offered): L0's stage 2 */
    default:
        return false;                         /* controls L1 cannot set (secondary ones): L0's */
    }
}
