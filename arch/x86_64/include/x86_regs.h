/* x86_regs.h: the architectural bits of CR0, CR4, EFER and RFLAGS, named as in the manuals, in one place
 * for the hypervisor's own code, the vCPU core and the pure parts unit-tested on the host. */
#ifndef X86_REGS_H
#define X86_REGS_H

/* CR0 (Intel SDM Vol. 3A, 2.5). */
#define CR0_PE      (1ull << 0)
#define CR0_MP      (1ull << 1)
#define CR0_EM      (1ull << 2)
#define CR0_TS      (1ull << 3)
#define CR0_ET      (1ull << 4)
#define CR0_NE      (1ull << 5)
#define CR0_WP      (1ull << 16)
#define CR0_NW      (1ull << 29)
#define CR0_CD      (1ull << 30)
#define CR0_PG      (1ull << 31)
#define CR0_RESET   0x60000010ull       /* CD, NW, ET: the INIT state (SDM Vol. 3A, 9.1.1, table 9-1) */

/* CR4 (SDM Vol. 3A, 2.5). */
#define CR4_PSE     (1ull << 4)
#define CR4_PAE     (1ull << 5)
#define CR4_PGE     (1ull << 7)
#define CR4_PCE     (1ull << 8)
#define CR4_LA57    (1ull << 12)
#define CR4_VMXE    (1ull << 13)
#define CR4_PCIDE   (1ull << 17)
#define CR4_OSXSAVE (1ull << 18)

/* IA32_EFER (SDM Vol. 3A, 2.2.1; AMD APM Vol. 2, 3.1.7). */
#define EFER_SCE    (1ull << 0)
#define EFER_LME    (1ull << 8)
#define EFER_LMA    (1ull << 10)
#define EFER_NXE    (1ull << 11)
#define EFER_SVME   (1ull << 12)

/* RFLAGS (SDM Vol. 1, 3.4.3). */
#define RFLAGS_FIXED1 (1ull << 1)
#define RFLAGS_IF   (1ull << 9)
#define RFLAGS_VM   (1ull << 17)

/* DR6 / DR7 at reset (SDM Vol. 3A, 9.1.1, table 9-1). */
#define DR6_RESET   0xFFFF0FF0ull
#define DR7_RESET   0x400ull

#endif
