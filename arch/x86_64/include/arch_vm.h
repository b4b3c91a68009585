/* arch_vm.h: x86_64 per-VM and per-vCPU state, shared by the SVM and VMX backends (x86_vcpu.h). */
#ifndef ARCH_VM_H
#define ARCH_VM_H

/* Offsets the world switches (svm/svm_vmrun.S, vmx/vmx_entry.S) use. */
#define X86_GPR_RAX 0
#define X86_GPR_RSP 4

#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memslot.h"
#include "pgtable.h"
#include "vpci.h"
#include "vuart16550.h"
#include "x86_boot.h"
#include "x86_guest_walk.h"
#include "x86_insn.h"
#include "x86_vplatform.h"

/* General-purpose registers in their encoding order (Intel SDM Vol. 2A, table 2-2):
 * RAX RCX RDX RBX RSP RBP RSI RDI R8..R15, so a ModRM register number indexes gpr[]. */
enum x86_gpr { GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI, GPR_COUNT = X86_GPR_COUNT };

/* Guest SMM (smm.c, smram.c; docs/smm.md): the q35 host bridge's SMRAM controls and the two views of
 * guest-physical memory. Outside SMM a vCPU runs on vm->stage2 and the hypervisor reads its memory through
 * vm->slots, both without the SMRAM the guest closed; in SMM on stage2 / slots below, all of RAM. */
struct x86_smram {
    bool enabled;             /* hv.cfg 'smram' > 0: SMI sources, SMRAM and RSM exist */
    struct spinlock lock;     /* the registers and every view change below */
    uint8_t smram, esmramc;   /* host bridge config 0x9D (SMRAM) and 0x9E (ESMRAMC) */
    uint16_t ext_tseg_mb;     /* QEMU's extended TSEG size in MiB (hv.cfg 'smram') */
    uint16_t ext_tseg_reg;    /* config 0x50 as read: ext_tseg_mb once the guest wrote 0xFFFF there */
    uint8_t apm[2];           /* APM_CNT (0xB2) and APM_STS (0xB3), smm.c; atomic */
    uint64_t ram_hpa, low_top;        /* RAM slot 0: [0, low_top) at ram_hpa */
    bool low_hidden;          /* 0xA0000-0xBFFFF taken out of the non-SMM view */
    uint64_t tseg_hidden_bytes;       /* TSEG [low_top - this, low_top) taken out of it */
    bool views_built;
    struct memslots slots;    /* the SMM view: every slot of vm->slots as loaded, SMRAM included */
    struct pgtable stage2;    /* the SMM view's NPT / EPT */
};

struct arch_vm {
    uint32_t asid;            /* SVM guest ASID / VMX VPID: vm->id + 1 (0 is the host's) */
    uint32_t tlb_gen;         /* bumped by arch_stage2_tlb_invalidate, atomic */
    uint64_t eptp;            /* VMX: EPT pointer of vm->stage2 */
    struct vuart16550 uart;   /* COM1 at 0x3F8 */
    struct x86_boot_state boot;   /* vCPU 0's start state from the boot protocol */
    struct vioapic ioapic;    /* at 0xFEC00000 */
    struct vpit pit;          /* ports 0x40-0x43 and 0x61 */
    struct vpic8259 pic[2];   /* 0x20/0x21 and 0xA0/0xA1: masked, never delivers; under pit.lock */
    struct fw_cfg fw_cfg;     /* 0x510/0x511; one selector for the VM, as QEMU's */
    struct vrtc rtc;          /* 0x70/0x71 */
    struct vi8042 i8042;      /* 0x60/0x64 */
    struct vpci_conf1 pci;    /* 0xCF8-0xCFF, and the ECAM window (vecam.c) */
    struct vpm1 pm1;          /* ACPI PM1 event and control blocks at 0x600-0x605 */
    struct kvmclock kvmclock; /* kvmclock.c */
    struct x86_smram smram;   /* smram.c */
};

/* MSRs msr.c keeps for the guest and nothing else uses (KVM's values and write rules). */
struct x86_msrs {
    uint64_t misc_enable;         /* IA32_MISC_ENABLE */
    uint64_t mcg_status;          /* IA32_MCG_STATUS */
    uint64_t hwcr;                /* AMD HWCR */
    uint64_t de_cfg;              /* AMD DE_CFG */
    uint64_t kvm_system_time;     /* MSR_KVM_SYSTEM_TIME(_NEW): time page GPA | enable (kvmclock.c) */
    int64_t tsc_adjust;           /* IA32_TSC_ADJUST */
    uint32_t tsc_aux;             /* IA32_TSC_AUX: loaded into the pCPU's MSR for RDTSCP / RDPID */
};

#define X86_FPU_AREA_BYTES 1024   /* >= 832, the standard-form size for x87 | SSE | AVX */

/* SVM: the VMCB (APM Vol. 2, appendix B). VMX: the VMCS region (SDM Vol. 3C, 24.2). */
struct svm_vcpu { uint64_t vmcb_pa; };
struct vmx_vcpu { uint64_t vmcs_pa; bool launched; };

/* Nested VMX (vmx/nested.c; SDM Vol. 3C, chapters 24-31 as L1 sees them): L1's VMX operation, its current
 * vmcs12 (cached in hypervisor memory, written back to L1's region on VMCLEAR / VMPTRLD), and while L2
 * runs the vmcs02 the hardware uses for it. Zero: not in VMX operation. */
struct vmcs12;
struct nested_shadow;
struct nested_vmx {
    bool vmxon;                  /* L1 executed VMXON (in VMX root operation unless guest_mode) */
    bool guest_mode;             /* L2 runs: the hardware's current VMCS is vmcs02 */
    uint64_t vmxon_ptr;          /* VMXON region GPA */
    uint64_t current_ptr;        /* current-VMCS pointer GPA, ~0: none (SDM 24.1) */
    struct vmcs12 *vmcs12;       /* the cache of the current vmcs12 (one page, allocated at vCPU init) */
    uint64_t vmcs02_pa;          /* the hardware VMCS L2 runs on */
    uint64_t msr_bitmap02_pa;    /* its MSR bitmap: L0's and L1's merged */
    bool vmcs02_launched;
    bool launch_pending;         /* VMLAUNCH passed its checks: "launched" once the entry succeeds (26.7) */
    bool l1_launched;            /* vmcs01's launch state while vmcs02 is current */
    bool l0_timer_armed;         /* L0 set vmcs02's preemption timer to 0 (an immediate exit) */
    uint32_t l1_timer_saved;     /* L1's preemption-timer value while L0's immediate exit is armed */
    uint32_t immediate_exits;    /* immediate exits from L2 in a row without L2's progress */
    uint64_t immediate_total;    /* immediate exits armed (stats) */
    uint64_t throttled;          /* immediate exits the throttle refused (stats) */
    struct nested_shadow *shadow; /* vmx/nested_shadow.h: the shadow EPT L2 runs on under nested EPT */
    uint64_t vmcs_shadow_pa;     /* vmx/nested_vmcs_shadow.h: shadow VMCS + VMREAD / VMWRITE bitmaps; 0: none */
    bool vmcs_shadow_on;         /* vmcs01 links the shadow VMCS: L1's VMWRITEs may be only there */
};

/* An instruction emulated over more than one exit (guest.c). kernel/ sees one device access per
 * EXIT_MMIO, so a read-modify-write, an XCHG or a MOVS between two devices first reads (its EXIT_MMIO
 * completes in arch_vcpu_complete, which computes the value), then writes: arch_vcpu_run returns
 * the write as a second EXIT_MMIO without entering the guest, and only its completion moves RIP. */
struct x86_emul {
    bool write_pending;       /* arch_vcpu_run issues the write below before the guest runs again */
    uint64_t gpa, data;       /* that write */
    uint64_t rflags;          /* RMW: RFLAGS once the write completes */
    uint64_t reg_value;       /* XCHG: the register once the write completes */
    bool dst_device;          /* MOVS from a device: the destination is one too (at dst_gpa) */
    uint64_t dst_gpa;
    uint64_t ram_la;          /* MOVS from a device into RAM, INS: the destination's linear address */
    bool pio_string;          /* the pending EXIT_PIO is one element of INS / OUTS */
};

/* A vCPU's SMM state (smm.c; SDM Vol. 3C 34; APM Vol. 2 10). */
struct x86_smm_vcpu {
    uint32_t smi_pending;     /* atomic: an SMI waits; one is latched while in SMM (SDM 34.3.1) */
    bool in_smm;
    uint32_t smbase;          /* SMBASE: 0x30000 at reset, relocated by RSM from the save map */
    uint64_t smi_count;       /* MSR_SMI_COUNT */
};

struct arch_vcpu {
    uint64_t gpr[GPR_COUNT];  /* offset 0; RAX and RSP also live in the VMCB / VMCS, synced by the backend */
    uint64_t rip, rflags;     /* synced by the backend around each run */
    uint64_t next_rip;        /* where the instruction behind the pending exit ends */
    uint32_t kick;            /* atomic: arch_vcpu_kick happened, arch_vcpu_block returns */
    uint32_t tlb_gen_seen;    /* arch_vm.tlb_gen at the last flush on entry */
    bool flush_on_entry;      /* a fresh vCPU / pCPU: flush its ASID or VPID before running */
    struct x86_insn mmio;     /* the decoded instruction behind a pending EXIT_MMIO / string EXIT_PIO */
    struct x86_fetch_cache fetch_cache;   /* guest_walk.c: the last instruction fetch's walk */
    struct x86_emul emul;     /* its state between exits */
    uint64_t apic_base;       /* IA32_APIC_BASE as the guest sees it (never the real one) */
    uint64_t pat;             /* IA32_PAT */
    int64_t tsc_offset;       /* guest TSC = host TSC + tsc_offset */
    struct x86_msrs msrs;     /* msr.c */
    struct vlapic lapic;      /* the vCPU's local APIC */
    uint32_t kick_by_ipi;     /* atomic: in the guest, or asleep in HLT on its pCPU: a kick must be an IPI */
    bool window_requested;    /* an interrupt-window exit is armed */
    bool nmi_window_requested;    /* an NMI-window exit is armed */
    /* event.c: NMI blocking in software where the hardware has none (SVM without vNMI, APM 15.21.4, as
     * KVM): masked from the injection until the guest's IRET has completed (IRET intercepted; done
     * once RIP left the IRET). */
    struct { bool masked, iret_seen; uint64_t iret_rip; } nmi_soft;
    uint32_t exc_loop;        /* intercepted exceptions raised during their own delivery, in a row */
    bool start_sipi;          /* the next reset is a start-up IPI's (real mode), set by the sender */
    uint64_t host_timer_armed;   /* host TSC deadline the pCPU's LAPIC timer is set for; 0: none */
    /* fpu.c: the XSAVE image (standard form: legacy 512, header 64, AVX 256) or the FXSAVE image
     * without XSAVE; xcr0 is the guest's XCR0 (1 at reset, SDM Vol. 1, 13.3). */
    struct { uint8_t area[X86_FPU_AREA_BYTES] __attribute__((aligned(64))); uint64_t xcr0; bool in_memory; } fpu;
    struct x86_smm_vcpu smm;  /* smm.c */
    union {
        struct svm_vcpu svm;
        struct vmx_vcpu vmx;
    };
    struct nested_vmx nvmx;   /* vmx/nested.c; all zero on SVM and without 'nested = vmx' */
};

_Static_assert(offsetof(struct arch_vcpu, gpr) == 0, "world switch expects gpr[] at offset 0");
#endif

#endif
