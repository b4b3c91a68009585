/* nested_ept.h: nested EPT's pure parts: the EPT-pointer checks of a vmcs12 and INVEPT (Intel SDM Vol. 3C,
 * 2016 numbering: 24.6.11, 26.2.1.1, 30.3 INVEPT) and the walk of L1's EPT paging structures for an L2
 * guest-physical address (28.2.2 translation, 28.2.3 misconfigurations and violations), with the
 * exit qualification an EPT violation reports (27.2.1, table 27-7). No hardware access: host-tested
 * (tests/unit/test_nested_ept.c). */
#ifndef VMX_NESTED_EPT_H
#define VMX_NESTED_EPT_H

#include <stdbool.h>
#include <stdint.h>

/* IA32_VMX_EPT_VPID_CAP bits (SDM Vol. 3D, A.10). */
#define EPT_CAP_EXEC_ONLY        (1ull << 0)
#define EPT_CAP_WALK4            (1ull << 6)
#define EPT_CAP_UC               (1ull << 8)
#define EPT_CAP_WB               (1ull << 14)
#define EPT_CAP_2M               (1ull << 16)
#define EPT_CAP_1G               (1ull << 17)
#define EPT_CAP_INVEPT           (1ull << 20)
#define EPT_CAP_AD               (1ull << 21)
#define EPT_CAP_INVEPT_SINGLE    (1ull << 25)
#define EPT_CAP_INVEPT_ALL       (1ull << 26)
#define VPID_CAP_INVVPID         (1ull << 32)
#define VPID_CAP_INDIVIDUAL      (1ull << 40)
#define VPID_CAP_SINGLE          (1ull << 41)
#define VPID_CAP_ALL             (1ull << 42)
#define VPID_CAP_SINGLE_GLOBALS  (1ull << 43)

/* The subset nested EPT implements (nested_ept.c and nested_shadow.c): 4-level walks, write-back
 * EPT-pointer memory type, 2 MiB and 1 GiB leaves, INVEPT single- and all-context, INVVPID single- and
 * all-context. Not offered: execute-only leaves, UC EPT pointers, accessed / dirty flags, INVVPID of
 * one address or keeping globals. nested_caps.c intersects it with the host's. */
#define NESTED_EPT_VPID_CAP_OFFERED (EPT_CAP_WALK4 | EPT_CAP_WB | EPT_CAP_2M | EPT_CAP_1G | EPT_CAP_INVEPT | \
                                     EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL | VPID_CAP_INVVPID |       \
                                     VPID_CAP_SINGLE | VPID_CAP_ALL)

/* 26.2.1.1 (with "enable EPT") and INVEPT single-context: the EPT pointer's memory type is one
 * cap offers, its page-walk length 4, no accessed / dirty enable without cap bit 21, bits 11:7 and
 * those beyond MAXPHYADDR clear. NULL when valid, else what is wrong. */
const char *nested_eptp_invalid(uint64_t eptp, uint64_t cap, uint32_t phys_bits);

/* Access types, as the exit qualification's bits 2:0 (table 27-7). */
#define NEPT_READ  1u
#define NEPT_WRITE 2u
#define NEPT_FETCH 4u

enum nept_result { NEPT_OK, NEPT_VIOLATION, NEPT_MISCONFIG };

struct nept_walk {
    uint64_t l1_gpa;     /* NEPT_OK: the L1 guest-physical address */
    uint32_t perms;      /* R / W / X (bits 0-2) of the logical AND over the entries used (table 27-7 bits 5:3) */
    uint32_t level;      /* the level the walk ended at (0: PML4E .. 3: PTE) */
    uint64_t entry;      /* that entry */
    const char *why;     /* NEPT_MISCONFIG: what is misconfigured */
};

/* Reads 8 bytes of L1's memory at gpa (its EPT paging structures); false when not L1's RAM. */
typedef bool (*nept_read_fn)(void *ctx, uint64_t gpa, uint64_t *value);

/* Translates L2's guest-physical address gpa through L1's EPT (eptp) for an access of type access
 * (NEPT_*). An entry that cannot be read is not present (as a paging-structure entry in no memory
 * reads as 0 here). cap: what L1 was offered (large pages, execute-only). */
enum nept_result nested_ept_walk(nept_read_fn read, void *ctx, uint64_t eptp, uint64_t cap, uint32_t phys_bits,
                                 uint64_t gpa, uint32_t access, struct nept_walk *out);

/* The exit qualification of an EPT violation reflected to L1 (table 27-7): the access (2:0) and the
 * "guest linear address valid" / "translation" (7, 8) and NMI-unblocking (12) bits from the hardware's
 * qualification, the permissions of L1's entries (5:3) from the walk. */
uint64_t nested_ept_violation_qual(uint64_t hw_qual, uint32_t perms);

#endif
