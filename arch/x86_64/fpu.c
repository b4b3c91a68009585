/* fpu.c: lazy switching of the guest's x87/SSE/AVX state and its XCR0. The hypervisor's own C code never
 * uses those registers (-mgeneral-regs-only) but newlib's may (FACTS.md). While a guest's state is live
 * in the registers, the host runs with CR0.TS set, so the first x87/SSE instruction of the hypervisor
 * raises #NM (SDM Vol. 3A, 2.5 and 13.4): the handler saves the guest's state and clears TS; the next VM
 * entry restores it and sets TS again.
 * With XSAVE (SDM Vol. 1, ch. 13) the image is XSAVE's standard form for every component guests may use
 * (x87, SSE, AVX at most: x86_xcr0_supported), saved and restored under that XCR0 so a guest whose own
 * XCR0 leaves SSE out still gets its XMM registers back; without XSAVE, FXSAVE's image. The guest's XCR0
 * is loaded last before entry and stays while the hypervisor runs (each vCPU owns its pCPU; the
 * hypervisor's SSE does not depend on XCR0, which governs XSAVE and AVX only). XSETBV exits (guest.c)
 * and lands here.
 * Cost: nothing on exits that stay out of newlib's vector code (TS comes back set with the VMX host CR0
 * and with the CR0 SVM saved at VMRUN); one #NM, an XSAVE, an XRSTOR and a MOV to CR0 on those that do. */
#include <inttypes.h>
#include <string.h>
#include "arch.h"
#include "kernel.h"
#include "x86.h"
#include "x86_cpuid.h"
#include "x86_internal.h"
#include "x86_vcpu.h"
#include "x86_regs.h"

#define FXSAVE_FCW   0          /* FXSAVE layout (SDM Vol. 1, 10.5.1, table 10-2) */
#define FXSAVE_MXCSR 24
#define FCW_RESET    0x037Fu    /* FNINIT state (SDM Vol. 1, 8.1.x) */
#define MXCSR_RESET  0x1F80u

/* The vCPU whose state is live in this pCPU's registers, NULL when none: written by that pCPU only. */
static struct vcpu *fpu_owner[HV_MAX_CPUS];
/* The XCR0 each pCPU runs with (0: not known yet); and whether XSAVE is in use at all, set by CPU 0 in
 * x86_fpu_host_init before the others start. */
static uint64_t pcpu_xcr0[HV_MAX_CPUS];
static uint64_t xcr0_supported;

/* RFBM = XCR0 & EDX:EAX: every component the current XCR0 enables. */
static void xsave(uint8_t *area) { __asm__ volatile("xsave64 %0" : "+m"(*(uint8_t (*)[X86_FPU_AREA_BYTES])area) : "a"(~0u), "d"(~0u)); }
static void xrstor(const uint8_t *area) { __asm__ volatile("xrstor64 %0" :: "m"(*(const uint8_t (*)[X86_FPU_AREA_BYTES])area), "a"(~0u), "d"(~0u)); }

/* CPU 0, before the others start (they copy its CR4 and XCR0, smp.c): CR4.OSXSAVE on and XCR0 at the
 * components guests may use, so XSETBV and XSAVE work in the hypervisor. */
void x86_fpu_host_init(void)
{
    xcr0_supported = x86_xcr0_supported();
    if (!xcr0_supported) {
        hv_printf("fpu: no XSAVE: guests get x87 and SSE state (FXSAVE)\n");
        return;
    }
    write_cr4(read_cr4() | CR4_OSXSAVE);
    xsetbv(0, xcr0_supported);
    hv_printf("fpu: XSAVE, guests may enable XCR0 0x%" PRIx64 "\n", xcr0_supported);
}

static void load_xcr0(uint32_t cpu, uint64_t xcr0)
{
    if (pcpu_xcr0[cpu] != xcr0) {
        xsetbv(0, xcr0);
        pcpu_xcr0[cpu] = xcr0;
    }
}

static void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }

/* Power-up state: x87 as after FNINIT, SSE registers zero, MXCSR with every exception masked. */
void x86_fpu_reset(struct vcpu *vcpu)
{
    /* Disowned first: memset below may itself take #NM, which must not save over the new image. */
    uint32_t cpu = arch_cpu_index();
    if (fpu_owner[cpu] == vcpu)
        fpu_owner[cpu] = NULL;
    vcpu->arch.fpu.in_memory = true;
    vcpu->arch.fpu.xcr0 = XCR0_X87;            /* XSTATE_BV 0 below: every component at its init state */
    uint8_t *a = vcpu->arch.fpu.area;
    memset(a, 0, sizeof(vcpu->arch.fpu.area));
    uint16_t fcw = FCW_RESET;
    uint32_t mxcsr = MXCSR_RESET;
    memcpy(a + FXSAVE_FCW, &fcw, sizeof(fcw));
    memcpy(a + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
}

/* Before VM entry: make the guest's state live, leave TS set for the hypervisor. */
void x86_fpu_enter(struct vcpu *vcpu)
{
    uint32_t cpu = arch_cpu_index();
    if (vcpu->arch.fpu.in_memory) {
        __asm__ volatile("clts");
        if (xcr0_supported) {
            load_xcr0(cpu, xcr0_supported);
            xrstor(vcpu->arch.fpu.area);
        } else {
            __asm__ volatile("fxrstor64 %0" :: "m"(vcpu->arch.fpu.area));
        }
        vcpu->arch.fpu.in_memory = false;
        fpu_owner[cpu] = vcpu;
        write_cr0(read_cr0() | CR0_TS);
    }
    if (xcr0_supported)
        load_xcr0(cpu, vcpu->arch.fpu.xcr0);
}

/* #NM in the hypervisor: save the owner's state; the registers are the hypervisor's from here on. */
void x86_fpu_nm(void)
{
    __asm__ volatile("clts");
    uint32_t cpu = arch_cpu_index();
    struct vcpu *v = fpu_owner[cpu];
    if (v && !v->arch.fpu.in_memory) {
        if (xcr0_supported) {
            load_xcr0(cpu, xcr0_supported);
            xsave(v->arch.fpu.area);
        } else
            __asm__ volatile("fxsave64 %0" : "=m"(v->arch.fpu.area));
        v->arch.fpu.in_memory = true;
        vm_count_fpu_save(v->vm);
    }
    fpu_owner[cpu] = NULL;
}

/* After an exit: an XCR0 the guest set without an XSETBV exit is its own. QEMU's TCG runs a guest's
 * XSETBV without checking the SVM intercept (FACTS.md), with its own checks; the state switch must still
 * follow it. */
void x86_fpu_exit(struct vcpu *vcpu)
{
    if (!xcr0_supported)
        return;
    uint32_t cpu = arch_cpu_index();
    uint64_t now = xgetbv(0);
    if (now != pcpu_xcr0[cpu]) {
        pcpu_xcr0[cpu] = now;
        vcpu->arch.fpu.xcr0 = now;
    }
}

/* XSETBV from the guest (SDM Vol. 2C, XSETBV), CPL and CR4.OSXSAVE checked by the caller: false for
 * #GP(0). The new XCR0 goes to the pCPU at once, as the instruction would have done it; the registers
 * (live, or restored from the image at the next entry) are not touched. */
bool x86_fpu_xsetbv(struct vcpu *vcpu, uint32_t index, uint64_t value)
{
    if (!x86_xsetbv_valid(index, value, xcr0_supported))
        return false;
    vcpu->arch.fpu.xcr0 = value;
    load_xcr0(arch_cpu_index(), value);
    return true;
}
