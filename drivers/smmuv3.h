/* smmuv3.h: the host's Arm SMMUv3 (Arm IHI 0070): linear stream table, command queue, event
 * queue, stage-2-only stream table entries and their invalidation. */
#ifndef SMMUV3_H
#define SMMUV3_H

#include <stdbool.h>
#include <stdint.h>

/* What SMMU_IDR0/IDR1/IDR5 say (IHI 0070 6.3.1, 6.3.2, 6.3.6). */
struct smmuv3_caps {
    bool s1p, s2p, vmid16;
    uint32_t sid_bits;             /* IDR1.SIDSIZE */
    uint32_t oas_bits;             /* IDR5.OAS as a number of bits */
    uint32_t oas_field;            /* IDR5.OAS as encoded (STE.S2PS uses the same encoding) */
};

/* One event record (IHI 0070 7.3), the fields a report needs. */
struct smmuv3_event {
    uint8_t type;                  /* 0x10 F_TRANSLATION, 0x13 F_PERMISSION, ... */
    uint32_t sid;
    uint64_t input_addr;           /* the transaction's address (an IPA for stage 2 only) */
    bool read;                     /* RnW */
    bool stage2;                   /* S2: the fault is in stage 2 */
};

/* Reads the ID registers; false when no SMMUv3 answers at base. */
bool smmuv3_probe(uint64_t base, struct smmuv3_caps *caps);
/* Boot CPU, once: stream table for StreamIDs below 1 << sid_bits (every entry abort, so an
 * unassigned device's DMA goes nowhere), queues, then SMMUEN. False on any failure (the SMMU
 * is then left disabled and reported unusable). */
bool smmuv3_init(uint64_t base, uint32_t sid_bits);
bool smmuv3_ready(void);
/* StreamIDs the stream table covers: [0, smmuv3_sid_limit()). */
uint32_t smmuv3_sid_limit(void);

/* STE of `sid`: stage 1 bypass, stage 2 translating through the 4 KiB-granule table at
 * s2ttb (level 0 first) for VMID vmid, faults recorded; then CMD_CFGI_STE + CMD_SYNC. */
bool smmuv3_ste_stage2(uint32_t sid, uint16_t vmid, uint64_t s2ttb);
/* STE of `sid`: abort every transaction. */
bool smmuv3_ste_abort(uint32_t sid);
bool smmuv3_ste_bypass(uint32_t sid);
/* CMD_TLBI_S2_IPA per 4 KiB page of [ipa, ipa+size) (CMD_TLBI_S12_VMALL above a limit),
 * then CMD_SYNC: complete when this returns. */
bool smmuv3_tlbi_s2(uint16_t vmid, uint64_t ipa, uint64_t size_bytes);
/* The next unread event record; false when the queue is empty. Overflow is reported in
 * *overflowed (the SMMU dropped records). */
bool smmuv3_next_event(struct smmuv3_event *ev, bool *overflowed);

#endif
