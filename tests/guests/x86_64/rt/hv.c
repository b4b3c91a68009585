/* hv.c: detecting the hypervisor (CPUID 0x40000000), choosing VMCALL or VMMCALL, console writes by hypercall. */
#include "rt.h"
#include "internal.h"
#include "hypercall.h"

#define CPUID_HV_LEAF   0x40000000u

/* Boot CPU, before main(); read-only afterwards. */
static bool present, use_vmmcall;
static char signature[13];

void cpuid_vendor(char out[13])
{
    struct cpuid_regs r = cpuid(0, 0);
    memcpy(out, &r.ebx, 4);
    memcpy(out + 4, &r.edx, 4);
    memcpy(out + 8, &r.ecx, 4);
    out[12] = '\0';
}

struct hv_res hv_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
    struct hv_res r;
    if (use_vmmcall)
        hv_vmmcall(fn, a1, a2, a3, a4, &r);
    else
        hv_vmcall(fn, a1, a2, a3, a4, &r);
    return r;
}

static uint64_t call_version(uint64_t unused)
{
    (void)unused;
    return hypercall(HV_HC_VERSION, 0, 0, 0);
}

/* The vendor says which instruction the CPU has (Intel VMCALL, AMD and Hygon VMMCALL); if
 * the hypervisor is there but that one #UDs, the other is used. */
void hv_init(void)
{
    struct cpuid_regs r = cpuid(CPUID_HV_LEAF, 0);
    char sig[12], vendor[13];
    memcpy(sig, &r.ebx, 4);
    memcpy(sig + 4, &r.ecx, 4);
    memcpy(sig + 8, &r.edx, 4);
    present = r.eax >= CPUID_HV_LEAF && !memcmp(sig, HV_CPUID_SIGNATURE, 12);
    for (int i = 0; i < 12; i++)
        signature[i] = sig[i] >= 0x20 && sig[i] < 0x7f ? sig[i] : '.';
    cpuid_vendor(vendor);
    use_vmmcall = !strncmp(vendor, "AuthenticAMD", 12) || !strncmp(vendor, "HygonGenuine", 12);
    struct exc_record rec;
    if (present && exc_catch(call_version, 0, &rec) && rec.vector == EXC_UD)
        use_vmmcall = !use_vmmcall;
}

bool hv_present(void)
{
    return present;
}

const char *hv_signature(void)
{
    return signature;
}

const char *hv_insn_name(void)
{
    return use_vmmcall ? "vmmcall" : "vmcall";
}

const void *hv_insn(void)
{
    return use_vmmcall ? hv_vmmcall_insn : hv_vmcall_insn;
}

void console_write_fast(const char *s, size_t len)
{
    if (present) {
        hypercall(HV_HC_CONSOLE_WRITE, (uintptr_t)s, len, 0);
        return;
    }
    while (len--)
        outb(COM1_BASE, (uint8_t)*s++);
}
