/* nested_shadow.h: the shadow EPT L2 runs on under nested EPT: L2's guest-physical addresses mapped
 * straight to host-physical ones (L1's EPT composed with L0's stage 2), built one 4 KiB page at a time
 * on L0's EPT violations (nested.c) from a bounded pool of table pages per vCPU. Pure (pgtable.h
 * over the EPT format): host-tested (tests/unit/test_nested_ept.c). */
#ifndef VMX_NESTED_SHADOW_H
#define VMX_NESTED_SHADOW_H

#include <stdbool.h>
#include <stdint.h>
#include "pgtable.h"

/* Table pages per vCPU: a hostile L1 cannot make the hypervisor allocate more. When the pool runs out
 * the whole shadow is dropped and built again from the faults that follow (as KVM zaps its shadow
 * pages when it reaches its limit). 64 pages map at least 61 distinct 2 MiB regions of L2. */
#define NESTED_SHADOW_PAGES 64u

struct nested_shadow {
    struct pgtable pt;
    struct pt_env env;
    uint64_t page[NESTED_SHADOW_PAGES];   /* the pool, physical addresses (identity-mapped) */
    uint32_t free[NESTED_SHADOW_PAGES];   /* indices into page[] not in use, free[0 .. nfree) */
    uint32_t nfree;
    bool flush;                           /* a present entry changed: INVEPT before L2 runs again */
    uint64_t l1_eptp;                     /* the vmcs12 EPT pointer it shadows; ~0: none */
    uint32_t l0_gen;                      /* L0's stage-2 generation (vm->arch.tlb_gen) it was built at */
    uint64_t drops;                       /* times it was dropped whole (stats, tests) */
};

/* pages: NESTED_SHADOW_PAGES page addresses. Starts empty (a root table only). */
void nested_shadow_init(struct nested_shadow *s, const uint64_t *pages);
/* Drops every mapping (INVEPT, a new EPT pointer, a change of L0's stage 2, an empty pool). */
void nested_shadow_drop(struct nested_shadow *s);
/* Maps L2's page gpa to host page hpa with perms (PT_R / PT_W / PT_X); drops the shadow and starts
 * over when the pool is empty. False only if even an empty shadow cannot hold one page. */
bool nested_shadow_map(struct nested_shadow *s, uint64_t gpa, uint64_t hpa, uint32_t perms);
/* The EPT pointer of the shadow (write-back, 4-level walk; 24.6.11). */
uint64_t nested_shadow_eptp(const struct nested_shadow *s);

#endif
