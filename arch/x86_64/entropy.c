/* entropy.c: the CPU's random number instructions (Intel SDM Vol. 2B RDRAND, RDSEED; AMD APM
 * Vol. 3). RDSEED (CPUID.(EAX=7,ECX=0):EBX[18]) reads the entropy source itself and is
 * preferred; RDRAND (CPUID.01H:ECX[30]) reads its DRBG. Both report success in CF; with CF = 0
 * the value is 0 and software retries: Intel's DRNG guide (5.2.1) advises 10 RDRAND retries,
 * RDSEED may need more with a PAUSE between (5.3.1). */
#include "arch.h"
#include "x86.h"

#define CPUID1_ECX_RDRAND   (1u << 30)
#define CPUID7_EBX_RDSEED   (1u << 18)
#define RDRAND_RETRIES 10
#define RDSEED_RETRIES 64

static bool rdseed(uint64_t *v)
{
    uint8_t ok;
    __asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
    return ok;
}

static bool rdrand(uint64_t *v)
{
    uint8_t ok;
    __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
    return ok;
}

bool arch_entropy(uint64_t *out, const char **name)
{
    bool has_seed = cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ebx & CPUID7_EBX_RDSEED);
    bool has_rand = cpuid(1, 0).ecx & CPUID1_ECX_RDRAND;
    if (name)
        *name = has_seed ? "RDSEED" : has_rand ? "RDRAND" : "none";
    for (int i = 0; has_seed && i < RDSEED_RETRIES; i++) {
        if (rdseed(out))
            return true;
        __asm__ volatile("pause");
    }
    for (int i = 0; has_rand && i < RDRAND_RETRIES; i++) {
        if (rdrand(out)) {
            if (name)
                *name = "RDRAND";
            return true;
        }
    }
    return false;
}
