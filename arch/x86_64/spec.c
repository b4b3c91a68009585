/* spec.c: speculative-execution hygiene at the guest boundary, all in one place (docs/architecture.md).
 * The return stack buffer is refilled on every VM exit (guest_gprs.h FILL_RSB, both world switches), so
 * no return of the hypervisor predicts into a guest-chosen target. The rest follows what the CPU reports
 * (CPUID.7.EDX, IA32_ARCH_CAPABILITIES), as KVM decides it:
 *  - IBPB (IA32_PRED_CMD) when a pCPU starts running a vCPU of another VM than before;
 *  - MDS: VERW with a memory operand clears the CPU buffers before each VM entry, where MD_CLEAR is
 *    offered and ARCH_CAPABILITIES does not say MDS_NO;
 *  - L1TF (VMX only): IA32_FLUSH_CMD.L1D_FLUSH before each VM entry, where offered and the CPU is not
 *    RDCL_NO and does not say SKIP_L1DFL_VMENTRY; it also clears the buffers, so VERW is skipped then. */
#include <inttypes.h>
#include "arch.h"
#include "kernel.h"
#include "x86.h"
#include "x86_spec.h"

#define MSR_IA32_PRED_CMD      0x049u
#define MSR_IA32_ARCH_CAPABILITIES 0x10Au
#define MSR_IA32_FLUSH_CMD     0x10Bu

/* Written once by CPU 0 before any guest runs, read-only afterwards. */
static struct x86_spec_policy policy;
/* Per pCPU: the VM whose vCPU it ran last (+1; 0 none), written only by that pCPU. */
static uint32_t last_vm[HV_MAX_CPUS];

void x86_spec_init(bool vmx)
{
    struct x86_spec_cpu c = { .vmx = vmx };
    if (cpuid(0, 0).eax >= 7)
        c.cpuid7_edx = cpuid(7, 0).edx;
    if (cpuid(0x80000000, 0).eax >= 0x80000008)
        c.cpuid80000008_ebx = cpuid(0x80000008, 0).ebx;
    if (c.cpuid7_edx & CPUID_7_EDX_ARCH_CAPS)
        c.arch_caps = rdmsr(MSR_IA32_ARCH_CAPABILITIES);
    policy = x86_spec_decide(&c);
    hv_printf("x86: speculation: rsb_fill=yes ibpb=%s verw=%s l1d_flush=%s (cpuid7.edx 0x%" PRIx32
              ", arch_capabilities 0x%" PRIx64 ")\n", policy.ibpb ? "yes" : "no", policy.verw ? "yes" : "no",
              policy.l1d_flush ? "yes" : "no", c.cpuid7_edx, c.arch_caps);
}

void x86_spec_vm_entry(void)
{
    if (policy.l1d_flush) {
        wrmsr(MSR_IA32_FLUSH_CMD, 1);
    } else if (policy.verw) {
        static const uint16_t ds = 0x10;      /* any valid writable data selector (the host's) */
        __asm__ volatile("verw %0" :: "m"(ds) : "cc");
    }
}

void x86_spec_vm_switch(uint32_t cpu, uint32_t vm_id)
{
    if (cpu >= HV_MAX_CPUS || last_vm[cpu] == vm_id + 1)
        return;
    if (last_vm[cpu] && policy.ibpb)
        wrmsr(MSR_IA32_PRED_CMD, 1);
    last_vm[cpu] = vm_id + 1;
}
