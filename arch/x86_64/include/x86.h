/* x86.h: x86_64 instruction wrappers (CPUID, MSRs, control registers, port I/O) and their bit names.
 * Section numbers cited in arch/x86_64 follow the Intel SDM editions up to 2022 (325462-077). */
#ifndef X86_H
#define X86_H

#include <stdint.h>
#include "x86_regs.h"

/* MSR numbers (Intel SDM Vol. 4, chapter 2; AMD APM Vol. 2, appendix A). */
#define MSR_IA32_APIC_BASE          0x01Bu
#define MSR_IA32_FEATURE_CONTROL    0x03Au
#define MSR_IA32_VMX_BASIC          0x480u
#define MSR_IA32_VMX_PINBASED_CTLS  0x481u
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482u
#define MSR_IA32_VMX_CR0_FIXED0     0x486u
#define MSR_IA32_VMX_CR0_FIXED1     0x487u
#define MSR_IA32_VMX_CR4_FIXED0     0x488u
#define MSR_IA32_VMX_CR4_FIXED1     0x489u
#define MSR_IA32_VMX_EXIT_CTLS      0x483u
#define MSR_IA32_VMX_ENTRY_CTLS     0x484u
#define MSR_IA32_VMX_MISC           0x485u
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48Bu
#define MSR_IA32_VMX_EPT_VPID_CAP   0x48Cu
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS  0x48Du
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48Eu
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48Fu
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490u
#define MSR_IA32_X2APIC_APICID      0x802u
#define MSR_IA32_X2APIC_ICR         0x830u
#define MSR_IA32_EFER               0xC0000080u
#define MSR_IA32_GS_BASE            0xC0000101u

#define APIC_BASE_EXTD      (1ull << 10)    /* x2APIC mode enabled */

/* CPUID feature bits used here (Intel SDM Vol. 2A, CPUID; AMD APM Vol. 3, appendix E). */
#define CPUID_1_ECX_VMX             (1u << 5)
#define CPUID_80000001_ECX_SVM      (1u << 2)
#define CPUID_80000001_EDX_PAGE1GB  (1u << 26)

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static inline uint64_t xgetbv(uint32_t index)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
    return (uint64_t)hi << 32 | lo;
}

static inline void xsetbv(uint32_t index, uint64_t value)
{
    __asm__ volatile("xsetbv" :: "c"(index), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

#define X86_READ_CR(n) \
    static inline uint64_t read_cr##n(void) \
    { uint64_t v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; }
X86_READ_CR(0)
X86_READ_CR(2)
X86_READ_CR(3)
X86_READ_CR(4)
#undef X86_READ_CR

static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }

#endif
