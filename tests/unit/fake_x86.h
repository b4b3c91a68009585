/* fake_x86.h: host-test surroundings of the x86 vCPU policy code (fake_x86.c). */
#ifndef FAKE_X86_H
#define FAKE_X86_H

#include "x86.h"
#include "x86_vcpu.h"

#define FAKE_CPUID_MAX 64
struct fake_cpuid_leaf {
    uint32_t leaf, subleaf;
    struct cpuid_regs r;
};
/* The host CPUID cpuid.c sees: leaves not set read 0. */
extern struct fake_cpuid_leaf fake_cpuid[FAKE_CPUID_MAX];
extern unsigned fake_cpuid_count;
void fake_cpuid_set(uint32_t leaf, uint32_t subleaf, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx);
struct cpuid_regs fake_host_cpuid(uint32_t leaf, uint32_t subleaf);

struct fake_backend { uint64_t efer, pat, cr4; int64_t tsc_offset; };
extern struct fake_backend fake_backend;
extern unsigned fake_kicks, fake_ioapic_eois;
extern uint64_t fake_tsc_hz;                     /* x86_tsc_hz() */
extern uint64_t fake_wallclock_boot_seconds;     /* vrtc_host_now_ns(): this, and 1 us */

void fake_x86_vm(struct vm *vm, struct config_vm *cfg, uint32_t n, enum config_cpuid_vendor vendor);

#endif
