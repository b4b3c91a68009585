/* cnt_deadline.h: a guest's virtual-counter deadline as a physical-counter one, saturating
 * (pure, host-tested). */
#ifndef AARCH64_CNT_DEADLINE_H
#define AARCH64_CNT_DEADLINE_H

#include <stdint.h>

/* CNTVCT = CNTPCT - CNTVOFF (Arm ARM D11.2.4): a virtual count v is reached at physical count
 * v + CNTVOFF. When that sum wraps, the physical counter never gets there before it wraps
 * itself: ~0, "never" (a wrapped small deadline would be in the past, and a pCPU waiting on
 * it would spin). */
static inline uint64_t cnt_virt_to_phys_deadline(uint64_t virtual_count, uint64_t cntvoff)
{
    uint64_t d = virtual_count + cntvoff;
    return d < virtual_count ? ~0ull : d;
}

#endif
