/* vmcb.h: the SVM virtual machine control block (AMD APM Vol. 2, appendix B, tables B-1 and B-2). */
#ifndef SVM_VMCB_H
#define SVM_VMCB_H

#include <stddef.h>
#include <stdint.h>

/* Intercept vector 3, offset 0x00C (table B-1). */
#define INTERCEPT_INTR      (1u << 0)
#define INTERCEPT_NMI       (1u << 1)
#define INTERCEPT_SMI       (1u << 2)
#define INTERCEPT_INIT      (1u << 3)
#define INTERCEPT_VINTR     (1u << 4)
#define INTERCEPT_RDPMC     (1u << 15)
#define INTERCEPT_CPUID     (1u << 18)
#define INTERCEPT_RSM       (1u << 19)
#define INTERCEPT_IRET      (1u << 20)
#define INTERCEPT_INVD      (1u << 22)
#define INTERCEPT_HLT       (1u << 24)
#define INTERCEPT_INVLPGA   (1u << 26)
#define INTERCEPT_IOIO_PROT (1u << 27)
#define INTERCEPT_MSR_PROT  (1u << 28)
#define INTERCEPT_SHUTDOWN  (1u << 31)
/* Intercept vector 4, offset 0x010. */
#define INTERCEPT_VMRUN     (1u << 0)
#define INTERCEPT_VMMCALL   (1u << 1)
#define INTERCEPT_VMLOAD    (1u << 2)
#define INTERCEPT_VMSAVE    (1u << 3)
#define INTERCEPT_STGI      (1u << 4)
#define INTERCEPT_CLGI      (1u << 5)
#define INTERCEPT_SKINIT    (1u << 6)
#define INTERCEPT_WBINVD    (1u << 9)
#define INTERCEPT_MONITOR   (1u << 10)
#define INTERCEPT_MWAIT     (1u << 11)
#define INTERCEPT_MWAIT_ARMED (1u << 12)
#define INTERCEPT_XSETBV    (1u << 13)

#define TLB_CONTROL_NONE        0
#define TLB_CONTROL_FLUSH_ASID  3       /* flush this guest's ASID (15.16.1) */
#define V_TPR_MASK              0xFull
#define V_IRQ                   (1ull << 8)
#define V_INTR_PRIO_SHIFT       16
#define V_IGN_TPR               (1ull << 20)
#define V_INTR_MASKING          (1ull << 24)
#define INT_SHADOW              (1ull << 0)
#define NP_ENABLE               (1ull << 0)

/* EVENTINJ (15.20): vector 7:0, type 10:8, EV 11, V 31, error code 63:32. */
#define EVENTINJ_TYPE_INTR      (0ull << 8)
#define EVENTINJ_TYPE_NMI       (2ull << 8)
#define EVENTINJ_TYPE_EXCEPTION (3ull << 8)
#define EVENTINJ_EV             (1ull << 11)
#define EVENTINJ_VALID          (1ull << 31)

/* EXITCODE values (appendix C). */
#define INTERCEPT_CR_WRITE(n) (1u << (16 + (n)))   /* intercept_cr (15.9) */
#define SVM_EXIT_WRITE_CR(n) (0x010 + (n))
#define SVM_EXIT_EXCP(v)    (0x040 + (v))
#define SVM_EXIT_RDPMC      0x06F
#define SVM_EXIT_IRET       0x074
#define CR_WRITE_INFO_VALID (1ull << 63)          /* EXITINFO1 with decode assists: GPR in 3:0 (15.33.1) */
#define SVM_EXIT_INTR       0x060
#define SVM_EXIT_NMI        0x061
#define SVM_EXIT_SMI        0x062
#define SVM_EXIT_INIT       0x063
#define SVM_EXIT_VINTR      0x064
#define SVM_EXIT_CPUID      0x072
#define SVM_EXIT_RSM        0x073
#define SVM_EXIT_INVD       0x076
#define SVM_EXIT_HLT        0x078
#define SVM_EXIT_INVLPGA    0x07A
#define SVM_EXIT_IOIO       0x07B
#define SVM_EXIT_MSR        0x07C
#define SVM_EXIT_SHUTDOWN   0x07F
#define SVM_EXIT_VMRUN      0x080
#define SVM_EXIT_VMMCALL    0x081
#define SVM_EXIT_VMLOAD     0x082
#define SVM_EXIT_VMSAVE     0x083
#define SVM_EXIT_STGI       0x084
#define SVM_EXIT_CLGI       0x085
#define SVM_EXIT_SKINIT     0x086
#define SVM_EXIT_WBINVD     0x089
#define SVM_EXIT_MONITOR    0x08A
#define SVM_EXIT_MWAIT      0x08B
#define SVM_EXIT_MWAIT_ARMED 0x08C
#define SVM_EXIT_XSETBV     0x08D
#define SVM_EXIT_NPF        0x400
#define SVM_EXIT_INVALID    ((uint64_t)-1)

/* IOIO EXITINFO1 (15.10.2, figure 15-2). */
#define IOIO_TYPE_IN  (1u << 0)
#define IOIO_STR      (1u << 2)
#define IOIO_REP      (1u << 3)
#define IOIO_SZ_SHIFT 4                 /* SZ8, SZ16, SZ32 one-hot in bits 6:4 */
#define IOIO_PORT_SHIFT 16

/* Nested page fault EXITINFO1 (15.25.6): a #PF error code plus where the walk faulted. */
#define NPF_WRITE       (1ull << 1)
#define NPF_FETCH       (1ull << 4)
#define NPF_GUEST_WALK  (1ull << 33)

/* Segment attributes: descriptor bits 47:40 in 7:0, bits 55:52 in 11:8 (B-2). */
#define SEG_ATTR_L  (1u << 9)
#define SEG_ATTR_DB (1u << 10)

struct vmcb_seg {
    uint16_t selector, attrib;
    uint32_t limit;
    uint64_t base;
};

struct vmcb_control {
    uint32_t intercept_cr, intercept_dr, intercept_exceptions;
    uint32_t intercept_misc1, intercept_misc2, intercept_misc3;
    uint8_t reserved1[0x03C - 0x018];
    uint16_t pause_filter_threshold, pause_filter_count;
    uint64_t iopm_base_pa, msrpm_base_pa, tsc_offset;
    uint32_t guest_asid;
    uint8_t tlb_control;
    uint8_t reserved2[3];
    uint64_t int_ctl, int_shadow;
    uint64_t exit_code, exit_info1, exit_info2, exit_int_info;
    uint64_t np_control, avic_apic_bar, ghcb_pa, event_inj, n_cr3, virt_ext;
    uint32_t clean_bits, reserved3;
    uint64_t next_rip;
    uint8_t insn_len, insn_bytes[15];
    uint8_t reserved4[0x400 - 0x0E0];
};

struct vmcb_save {
    struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
    uint8_t reserved1[0x4CB - 0x4A0];
    uint8_t cpl;
    uint32_t reserved2;
    uint64_t efer;
    uint8_t reserved3[0x548 - 0x4D8];
    uint64_t cr4, cr3, cr0, dr7, dr6, rflags, rip;
    uint8_t reserved4[0x5D8 - 0x580];
    uint64_t rsp;
    uint8_t reserved5[0x5F8 - 0x5E0];
    uint64_t rax, star, lstar, cstar, sfmask, kernel_gs_base, sysenter_cs, sysenter_esp, sysenter_eip, cr2;
    uint8_t reserved6[0x668 - 0x648];
    uint64_t g_pat;
};

struct vmcb {
    struct vmcb_control control;
    struct vmcb_save save;
};

#define VMCB_AT(field, off) _Static_assert(offsetof(struct vmcb, field) == (off), "VMCB offset of " #field)
VMCB_AT(control.iopm_base_pa, 0x040);
VMCB_AT(control.guest_asid, 0x058);
VMCB_AT(control.tlb_control, 0x05C);
VMCB_AT(control.int_ctl, 0x060);
VMCB_AT(control.exit_code, 0x070);
VMCB_AT(control.np_control, 0x090);
VMCB_AT(control.event_inj, 0x0A8);
VMCB_AT(control.n_cr3, 0x0B0);
VMCB_AT(control.clean_bits, 0x0C0);
VMCB_AT(control.next_rip, 0x0C8);
VMCB_AT(save.es, 0x400);
VMCB_AT(save.tr, 0x490);
VMCB_AT(save.cpl, 0x4CB);
VMCB_AT(save.efer, 0x4D0);
VMCB_AT(save.cr4, 0x548);
VMCB_AT(save.rip, 0x578);
VMCB_AT(save.rsp, 0x5D8);
VMCB_AT(save.rax, 0x5F8);
VMCB_AT(save.cr2, 0x640);
VMCB_AT(save.g_pat, 0x668);
#undef VMCB_AT

#endif
