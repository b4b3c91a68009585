/* spinlock.h: a ticket lock over compiler atomics, fair across CPUs. */
#ifndef SPINLOCK_H
#define SPINLOCK_H

#include <stdint.h>
#include "arch.h"

struct spinlock {
    uint32_t next;
    uint32_t owner;
};

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(struct spinlock *l)
{
    uint32_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
        arch_cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

#endif
