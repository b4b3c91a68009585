/* migrate_state.h: the aarch64 vCPU and device state of a live migration as plain 64-bit words
 * (migrate_state.c: layout, encoding and the checks a received state must pass; migrate_save.c:
 * taking it from and putting it into a running VM). */
#ifndef MIGRATE_STATE_H
#define MIGRATE_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include "pmu.h"
#include "vgic_state.h"
#include "vpl011.h"

/* EL1/EL0 system registers the guest owns and the hypervisor leaves live in hardware (vcpu.c):
 * the same set vcpu.c resets, which is everything a guest can change with HCR_EL2 as it is. */
#define A64_MIGRATE_EL1_REGS(X) \
    X(sctlr_el1) X(ttbr0_el1) X(ttbr1_el1) X(tcr_el1) X(mair_el1) X(amair_el1) X(vbar_el1) \
    X(cpacr_el1) X(contextidr_el1) X(tpidr_el1) X(tpidr_el0) X(tpidrro_el0) X(sp_el0) X(sp_el1) \
    X(elr_el1) X(spsr_el1) X(esr_el1) X(far_el1) X(par_el1) X(afsr0_el1) X(afsr1_el1) \
    X(cntkctl_el1) X(cntv_ctl_el0) X(cntv_cval_el0) X(cntp_ctl_el0) X(cntp_cval_el0) X(mdscr_el1) \
    X(csselr_el1)

/* Pointer-authentication keys (FEAT_PAuth; HCR_EL2.APK/API leave them to the guest), by
 * encoding: APIAKeyLo_EL1 ... APGAKeyHi_EL1 (Arm ARM D17.2). Only where the CPU has PAuth. */
#define A64_MIGRATE_PAC_REGS(X) \
    X(S3_0_C2_C1_0) X(S3_0_C2_C1_1) X(S3_0_C2_C1_2) X(S3_0_C2_C1_3) X(S3_0_C2_C2_0) \
    X(S3_0_C2_C2_1) X(S3_0_C2_C2_2) X(S3_0_C2_C2_3) X(S3_0_C2_C3_0) X(S3_0_C2_C3_1)

/* One vCPU, as the stream carries it: every field one little-endian u64, in this order. */
struct a64_vcpu_state {
    uint64_t layout;                 /* A64_VCPU_LAYOUT */
    uint64_t x[31], pc, pstate;
    uint64_t power, on_entry, on_context;   /* enum vcpu_power; CPU_ON's arguments while pending */
#define X(r) uint64_t r;
    A64_MIGRATE_EL1_REGS(X)
    A64_MIGRATE_PAC_REGS(X)
#undef X
    uint64_t has_pac;
    uint64_t cntpct;                 /* the source's CNTPCT_EL0 when this was taken (CNTP_CVAL) */
    uint64_t fpsr, fpcr, q[64];      /* q0..q31, low then high half */
    uint64_t ich_vmcr, ich_ap0r[4], ich_ap1r[4];
    uint64_t gicr_ctlr, gicr_waker, gicr_propbaser, gicr_pendbaser;
    uint64_t priv[VGIC_NR_PRIVATE];  /* a64_migrate_irq_pack */
    uint64_t pmcr, pmcnten, pminten, pmovs, pmselr, pmuserenr, pmccnt_prescale, pmccfiltr, pmccntr;
    uint64_t pmevtyper[PMU_COUNTER_COUNT], pmevcntr[PMU_COUNTER_COUNT];
};
#define A64_VCPU_WORDS (sizeof(struct a64_vcpu_state) / 8)
/* The layout's tag: its size and a version, so a layout change is refused, not misread. */
#define A64_VCPU_LAYOUT (0xa64c0000ull << 32 | 1ull << 16 | A64_VCPU_WORDS)

/* The distributor: GICD_CTLR and every SPI. */
struct a64_vgic_state {
    uint64_t layout;
    uint64_t gicd_ctlr;
    uint64_t spi[VGIC_NR_SPIS];      /* a64_migrate_irq_pack */
    uint64_t irouter[VGIC_NR_SPIS];
};
#define A64_VGIC_LAYOUT (0xa64d0000ull << 32 | 1ull << 16 | sizeof(struct a64_vgic_state) / 8)

/* The PL011's registers and its receive FIFO in order. */
struct a64_pl011_state {
    uint64_t layout;
    uint64_t cr, lcr_h, ibrd, fbrd, ifls, imsc, ris, dmacr;
    uint64_t rx_count;
    uint64_t rx[VPL011_RX_FIFO];
};
#define A64_PL011_LAYOUT (0xa64e0000ull << 32 | 1ull << 16 | sizeof(struct a64_pl011_state) / 8)

/* The generic timer of the VM: guest virtual time continues from cntvct on the destination. */
struct a64_timer_state {
    uint64_t layout;
    uint64_t cntfrq;                 /* CNTFRQ_EL0: must be the destination's */
    uint64_t cntvct;                 /* the guest's virtual count when the VM was paused */
};
#define A64_TIMER_LAYOUT (0xa64f0000ull << 32 | 1ull << 16 | sizeof(struct a64_timer_state) / 8)

/* Words to little-endian bytes and back (len must be words * 8: false otherwise). */
void a64_migrate_put_words(uint8_t *out, const void *state, uint32_t words);
bool a64_migrate_get_words(void *state, uint32_t words, const uint8_t *in, uint32_t len);

/* One vgic_irq's architectural state (priority, group, enable, trigger, line, latch, active,
 * HW forwarding, SPI target) as a word, and back into irq (its intid and list-register
 * bookkeeping untouched). */
uint64_t a64_migrate_irq_pack(const struct vgic_irq *irq);
void a64_migrate_irq_unpack(struct vgic_irq *irq, uint64_t w);

/* Checks of a decoded state against the destination VM: NULL or what is wrong. */
const char *a64_migrate_vcpu_check(const struct a64_vcpu_state *s, uint32_t vcpu_count);
const char *a64_migrate_vgic_check(const struct a64_vgic_state *s, uint32_t vcpu_count);
const char *a64_migrate_pl011_check(const struct a64_pl011_state *s);
const char *a64_migrate_timer_check(const struct a64_timer_state *s, uint64_t cntfrq_here);

/* CNTVOFF_EL2 that makes the guest's virtual count read cntvct when the physical count reads
 * cntpct (CNTVCT = CNTPCT - CNTVOFF, Arm ARM D11.1.2): the guest's time resumes where it
 * paused and never goes back. */
static inline uint64_t a64_migrate_cntvoff(uint64_t cntvct, uint64_t cntpct) { return cntpct - cntvct; }
/* A physical-timer compare value taken at physical count `from`, moved to count `to` so the same
 * time is left until it fires (already due stays due; saturating: "never" stays never). */
uint64_t a64_migrate_cval_rebase(uint64_t cval, uint64_t from, uint64_t to);

#endif
