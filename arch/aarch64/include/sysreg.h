/* sysreg.h: access to AArch64 system registers and the barriers around them (Arm DDI 0487). */
#ifndef AARCH64_SYSREG_H
#define AARCH64_SYSREG_H

#include <stdbool.h>
#include <stdint.h>

/* Host unit tests define HV_FAKE_SYSREG and get the same accessors over a register file in
 * memory (tests/unit/fake_sysreg.h); this is the only place where that choice is made. */
#ifdef HV_FAKE_SYSREG
#include "fake_sysreg.h"
#else
#define read_sysreg(reg) ({ uint64_t v_; __asm__ volatile("mrs %0, " #reg : "=r"(v_)); v_; })
#define write_sysreg(reg, val) __asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(val)) : "memory")
#define isb() __asm__ volatile("isb" : : : "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt : : : "memory")
/* Address translation by the guest's stage 1 (Arm ARM C5.5, AT S1E1R / S1E0R): the result
 * lands in PAR_EL1 (read it after an isb). The walk reads guest-controlled tables; a
 * synchronous External abort on that walk may be taken as a Data Abort at EL2 instead of being
 * reported in PAR_EL1 (Arm ARM, "Synchronous External abort on a translation table walk";
 * QEMU does so; KVM recovers from it). exception.c's fixup table turns it into a false
 * return: the translation failed (guest_at.S). */
bool guest_at_s1e1r(uint64_t va);
bool guest_at_s1e0r(uint64_t va);
#define at_s1e1r(va) guest_at_s1e1r((uint64_t)(va))
#define at_s1e0r(va) guest_at_s1e0r((uint64_t)(va))
#endif

/* Extracts bits [hi:lo] of v. */
#define BITS(v, hi, lo) ((uint64_t)(((uint64_t)(v) >> (lo)) & ((2ull << ((hi) - (lo))) - 1)))

/* MPIDR_EL1: Aff3 [39:32] and Aff2..Aff0 [23:0] name a CPU (DDI 0487, MPIDR_EL1); DT cpu reg uses the same bits. */
#define MPIDR_AFF_MASK 0xff00ffffffull

/* HCR_EL2.E2H (bit 34): the EL2 register formats used here assume it is 0. */
#define HCR_EL2_E2H (1ull << 34)

#endif
