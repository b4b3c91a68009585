/* x86_vplatform.h: the emulated PC devices of a VM (QEMU PC layout): a local APIC per vCPU (vlapic.c),
 * the IOAPIC (vioapic.c), the 8254 PIT with port 0x61 and the masked 8259 pair (vpit.c), fw_cfg
 * (fw_cfg.c), the RTC/CMOS (vrtc.c), the 8042 (vi8042.c), PCI configuration mechanism #1 with the reset
 * control register (vpci_conf1.c), and the host timer / kick plumbing that makes them run on time. */
#ifndef X86_VPLATFORM_H
#define X86_VPLATFORM_H

#include <stdbool.h>
#include <stdint.h>
#include "spinlock.h"
#include "vpci.h"

struct vm;
struct vcpu;

/* --- virtual local APIC (Intel SDM Vol. 3A, chapter 10) ------------------------------------------ */
#define VLAPIC_BASE_DEFAULT 0xFEE00000ull
#define VLAPIC_LVT_COUNT 6            /* timer, thermal, PMC, LINT0, LINT1, error */
#define VLAPIC_TIMER_HZ 1000000000ull /* the APIC bus clock the timer counts (divide by 1) */

/* Every field under lock: the owning vCPU and senders on other pCPUs (IPIs, IOAPIC) both touch it. */
struct vlapic {
    struct spinlock lock;
    uint32_t tpr, ldr, dfr, svr, esr, icr_lo, icr_hi, tdcr, tmict;
    uint32_t lvt[VLAPIC_LVT_COUNT];
    uint32_t irr[8], isr[8], tmr[8];    /* 256-bit registers, vector v at bit v % 32 of word v / 32 */
    uint64_t timer_deadline;          /* host TSC when the timer fires next; 0: not armed */
    uint64_t timer_period;            /* periodic mode: the period in host TSC ticks */
    uint64_t tsc_deadline;            /* IA32_TSC_DEADLINE as the guest wrote it (guest TSC) */
    uint32_t irr_pending;             /* atomic hint: an IRR bit may be set (checked before each entry) */
    uint32_t nmi_pending;             /* atomic: an NMI IPI waits for injection */
    uint32_t init_pending;            /* atomic: an INIT IPI arrived while the vCPU ran */
};

/* --- IOAPIC (Intel 82093AA datasheet) ------------------------------------------------------------ */
#define VIOAPIC_BASE 0xFEC00000ull
#define VIOAPIC_PINS 24
struct vioapic {
    struct spinlock lock;
    uint32_t ioregsel, id;
    uint32_t line;                    /* bit n: input pin n asserted (level high) */
    uint64_t rte[VIOAPIC_PINS];
};

/* --- 8254 PIT (Intel 8254 datasheet) and the 8259 pair ----------------------------------------- */
#define VPIT_GSI 2                    /* ISA IRQ 0 -> IOAPIC pin 2 (the MADT interrupt source override) */
struct vpit_channel {
    uint8_t mode, access, bcd;
    bool write_hi, read_hi;           /* lobyte/hibyte access: which byte comes next */
    bool latched, status_latched;
    uint16_t latch, write_lo;
    uint8_t status;
    uint32_t count;                   /* reload value, 1..65536 */
    uint64_t start;                   /* host TSC when counting began; 0: not counting */
    uint64_t periods;                 /* periodic modes: periods already signalled */
};
struct vpit {
    struct spinlock lock;
    struct vpit_channel ch[3];
    uint8_t port61;                   /* bit 0: channel 2 gate, bit 1: speaker data */
    bool out0;                        /* the level last driven onto IOAPIC pin 2 */
    uint64_t next_event;              /* host TSC of channel 0's next output change; 0: none */
};
struct vpic8259 { uint8_t imr, icw_step, icw4_wanted, single; };

struct fw_cfg { uint16_t selector; uint32_t offset; };

#define X86_COM1_GSI 4                /* ISA IRQ 4 -> IOAPIC pin 4 (no override) */

/* --- MC146818A RTC and CMOS RAM at 0x70/0x71 (Motorola MC146818A data sheet) --------------------- */
#define VRTC_PORT 0x70u
#define VRTC_CMOS_BYTES 128u
struct vrtc {
    struct spinlock lock;             /* guards everything below */
    uint8_t index;                    /* port 0x70 as written, bit 7 (NMI mask) dropped */
    uint8_t cmos[VRTC_CMOS_BYTES];    /* registers A, B, the alarm bytes and the RAM (time is computed) */
    int64_t offset_s;                 /* the VM's clock minus the host's: the guest set its clock */
    uint64_t frozen_s;                /* B.SET: the time registers hold this while the guest writes them */
    uint64_t uf_s;                    /* the second the last read of register C saw (its UF flag) */
};

/* --- 8042 keyboard controller at 0x60/0x64 (IBM PC/AT Technical Reference, "Keyboard Controller") -- */
struct vi8042 {
    struct spinlock lock;             /* guards everything below */
    uint8_t status;                   /* A2, SYS, inhibit switch; OBF from has_output */
    uint8_t ccb;                      /* the controller command byte (0x20 / 0x60) */
    uint8_t pending;                  /* a command waiting for its data byte at 0x60 (0x60, 0xD1...), 0: none */
    uint8_t output;                   /* the output buffer */
    bool has_output;                  /* OBF */
};

/* --- PCI configuration mechanism #1 at 0xCF8/0xCFC (PCI Local Bus 3.0, 3.2.2.3.2) and the reset
 * control register at 0xCF9 (Intel ICH9 datasheet, 13.7.5 RST_CNT) ------------------------------ */
#define VPCI_CONF1_PORT 0xCF8u        /* 0xCF8-0xCFF: CONFIG_ADDRESS (RST_CNT at 0xCF9), CONFIG_DATA */
#define VPCI_CONF1_PORT_COUNT 8u
struct vpci_conf1 {
    struct spinlock lock;             /* guards everything below and the bus */
    uint32_t address;                 /* CONFIG_ADDRESS */
    uint8_t rst_cnt;                  /* RST_CNT: SYS_RST (bit 1) as last written */
    struct vpci_bus bus;              /* bus 0: the host bridge at 00:00.0 */
};

/* vlapic.c */
void vlapic_reset(struct vcpu *vcpu);
bool vlapic_register(struct vm *vm);
/* IA32_APIC_BASE, the x2APIC MSRs 0x800-0x8FF and IA32_TSC_DEADLINE; false: #GP. */
bool vlapic_apic_base_write(struct vcpu *vcpu, uint64_t value);
bool vlapic_relocated_mmio(struct vcpu *vcpu, uint64_t gpa, uint32_t size, bool write, uint64_t *data);
bool vlapic_xapic_read(struct vcpu *vcpu, uint64_t gpa, uint32_t size, uint64_t *data);   /* svm_fast.c */
bool vlapic_msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value);
bool vlapic_msr_write(struct vcpu *vcpu, uint32_t msr, uint64_t value);
/* Delivers an interrupt message (from an ICR write or the IOAPIC) to the vCPUs it addresses: dest is an
 * 8-bit xAPIC / IOAPIC destination (0xFF: broadcast) unless x2dest (32 bits, 0xFFFFFFFF: broadcast). */
enum { APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_NMI = 4, APIC_DM_INIT = 5,
       APIC_DM_STARTUP = 6, APIC_DM_EXTINT = 7 };
struct apic_msg {
    uint32_t dest;
    bool x2dest, logical, level;
    uint8_t mode, vector;
};
void vlapic_deliver(struct vm *vm, const struct apic_msg *m);
/* Fires the timer if due; the highest IRR vector above PPR (true), acknowledge moves it to ISR. */
void vlapic_timer_update(struct vcpu *vcpu, uint64_t now);
uint64_t vlapic_next_deadline(struct vcpu *vcpu);
bool vlapic_pending(struct vcpu *vcpu, uint8_t *vector);
void vlapic_ack(struct vcpu *vcpu, uint8_t vector);

/* vioapic.c */
bool vioapic_register(struct vm *vm);
void vioapic_reset(struct vm *vm);
void vioapic_set_line(struct vm *vm, uint32_t pin, bool level);
void vioapic_eoi(struct vm *vm, uint8_t vector);

/* vpit.c: PIT at 0x40-0x43, port 0x61, 8259s at 0x20/0x21 and 0xA0/0xA1. */
bool vpit_register(struct vm *vm);
void vpit_reset(struct vm *vm);
void vpit_update(struct vm *vm, uint64_t now);     /* drives channel 0's output onto the IOAPIC */

/* fw_cfg.c: the QEMU firmware configuration interface at 0x510 (selector) / 0x511 (data). */
bool fw_cfg_register(struct vm *vm);

/* vpmtimer.c: the ACPI PM timer, 24 bits at 3.579545 MHz (the FADT's PM_TMR_BLK, TMR_VAL_EXT clear). */
#define X86_PM_TIMER_PORT 0x608u         /* QEMU q35: ICH9 PMBASE 0x600 + 8 */
#define X86_PM_TIMER_HZ   3579545ull
#define X86_PM_TIMER_MASK 0xFFFFFFu
bool vpmtimer_register(struct vm *vm);

/* vrtc.c: the RTC/CMOS at 0x70/0x71. The host's wall clock is read once at boot (vrtc_host_clock_init,
 * after TSC calibration) and advanced by the TSC; each VM keeps its own offset from it and its own CMOS
 * RAM, which survives a VM reset as battery-backed CMOS does. now_ns is the host wall clock in ns since
 * 1970 (vrtc_host_now_ns). */
void vrtc_host_clock_init(void);
uint64_t vrtc_host_now_ns(void);
void vrtc_power_on(struct vrtc *r, uint64_t ram_bytes);
uint8_t vrtc_read(struct vrtc *r, uint8_t reg, uint64_t now_ns);
void vrtc_write(struct vrtc *r, uint8_t reg, uint8_t value, uint64_t now_ns);
bool vrtc_register(struct vm *vm);

/* vi8042.c: data port 0x60, status/command port 0x64 (no keyboard or mouse behind it). */
#define VI8042_DATA_PORT 0x60u
#define VI8042_CMD_PORT  0x64u
void vi8042_reset(struct vi8042 *k);
uint8_t vi8042_read(struct vi8042 *k, struct vm *vm, uint16_t port);
void vi8042_write(struct vi8042 *k, struct vm *vm, uint16_t port, uint8_t value);
bool vi8042_register(struct vm *vm);

/* vpci_conf1.c: ports 0xCF8-0xCFF over the VM's vpci bus, whose 00:00.0 is a host bridge (Intel
 * vendor, device 0x29C0 as QEMU q35's). x86_pci_config_read/write take an ECAM offset on bus 0 (bus,
 * device, function, register as in an MCFG window) for the ECAM window too. */
#define VPCI_HOST_BRIDGE_ID 0x29C08086u
bool vpci_conf1_init(struct vm *vm);
void vpci_conf1_reset(struct vm *vm);
uint64_t x86_pci_config_read(struct vm *vm, uint64_t ecam_offset, uint32_t size);
void x86_pci_config_write(struct vm *vm, uint64_t ecam_offset, uint32_t size, uint64_t value);

/* debug_exit.c: a guest's reset request by a port (0xCF9, 0x64): the VM resets as by PSCI SYSTEM_RESET
 * on aarch64 (reloaded from its images), after a line naming the source. */
void x86_vm_reset(struct vm *vm, const char *source);

/* vpm1.c: the ACPI PM1 event block (PM1_STS, PM1_EN) and control block (PM1_CNT) at QEMU q35's ICH9
 * PMBASE 0x600 (ACPI 6.5, 4.8.3.1-2). PM1_CNT.SCI_EN reads 1; SLP_EN with SLP_TYP X86_ACPI_SLP_TYP_S5 (the
 * DSDT's \_S5) powers the VM off. */
#define X86_PM1_EVT_PORT 0x600u          /* PM1a_EVT_BLK: PM1_STS (2 bytes), PM1_EN (2 bytes) */
#define X86_PM1_EVT_LEN  4u
#define X86_PM1_CNT_PORT 0x604u          /* PM1a_CNT_BLK: PM1_CNT (2 bytes) */
#define X86_PM1_CNT_LEN  2u
#define X86_PM1_BLOCK_BYTES 6u
#define X86_ACPI_SLP_TYP_S5 5u
#define X86_ACPI_SCI_IRQ 9u              /* the FADT's SCI_INT; level, active high (MADT override) */
struct vpm1 { struct spinlock lock; uint16_t sts, en, cnt; };
bool vpm1_register(struct vm *vm);
void vpm1_reset(struct vm *vm);

/* vecam.c: the ECAM window of bus 0 on vm->mmio at X86_PCI_ECAM_BASE. */
bool vecam_register(struct vm *vm);

/* The reset register the FADT names (ACPI 6.5, 5.2.9 RESET_REG): the PC's reset control register at
 * 0xCF9 (its device is the PC platform's), value 0x06: SYS_RST | RST_CPU, a hard reset. */
#define X86_RESET_CONTROL_PORT 0xCF9u
#define X86_ACPI_RESET_VALUE 0x06u

/* acpi_guest.c: RSDP, XSDT, MADT, FADT (with FACS, PM1 blocks, PM timer and reset register), DSDT (COM1,
 * the PCI root, \_S5) and MCFG for the VM, in the BIOS area of its RAM at X86_ACPI_AREA_GPA. The tables
 * are built into a host buffer first (pure; host-tested), then written with guest_write. */
#define X86_ACPI_AREA_GPA   0xE0000u
#define X86_ACPI_AREA_BYTES 0x1000u
bool x86_acpi_tables(uint32_t vcpu_count, uint8_t area[X86_ACPI_AREA_BYTES]);
bool x86_acpi_build(struct vm *vm);

/* kvmclock.c: KVM's paravirtual clock (Linux Documentation/virt/kvm/x86/msr.rst). The CPUID leaves that
 * offer it are cpuid.c's (KVM's signature at X86_KVM_CPUID_BASE), the MSR rows msr.c's. */
#define X86_KVM_CPUID_BASE 0x40000100u    /* Linux scans 0x40000000-0x4000FF00 for "KVMKVMKVM" */
#define KVM_FEATURE_CLOCKSOURCE 0          /* MSRs 0x11 / 0x12 */
#define KVM_FEATURE_CLOCKSOURCE2 3         /* MSRs 0x4b564d00 / 0x4b564d01 */
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT 24
#define MSR_KVM_WALL_CLOCK 0x11u
#define MSR_KVM_SYSTEM_TIME 0x12u
#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00u
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01u
struct pvclock_vcpu_time_info {       /* Linux include/uapi/.../pvclock-abi.h layout */
    uint32_t version, pad0;
    uint64_t tsc_timestamp, system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags, pad[2];
} __attribute__((packed));
struct pvclock_wall_clock { uint32_t version, sec, nsec; } __attribute__((packed));
struct kvmclock {
    uint64_t start_tsc;               /* host TSC when the VM was (re)loaded: kvmclock 0 */
    uint64_t start_wall_ns;           /* the host's wall-clock time then, ns since 1970 */
    uint64_t wall_clock_msr;          /* MSR_KVM_WALL_CLOCK(_NEW) as last written (one per VM, as KVM's) */
};
void kvmclock_vm_start(struct vm *vm);
bool kvmclock_msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value);
bool kvmclock_msr_write(struct vcpu *vcpu, uint32_t msr, uint64_t value);
void kvmclock_tsc_offset_changed(struct vcpu *vcpu);
/* Pure parts (host-tested): KVM's kvm_get_time_scale for ns per TSC tick, the guest's conversion, and a
 * time page's fields (not its version). */
void kvmclock_time_scale(uint64_t tsc_hz, int8_t *shift, uint32_t *mul);
uint64_t kvmclock_scale_delta(uint64_t delta, int8_t shift, uint32_t mul);
void kvmclock_fill(struct pvclock_vcpu_time_info *p, uint64_t tsc_timestamp, uint64_t system_time_ns,
                   uint64_t tsc_hz);
/* tsc.c: host TSC frequency, and conversions. */
uint64_t x86_tsc_hz(void);
static inline uint64_t x86_scale(uint64_t v, uint64_t mul, uint64_t div)
{
    return (uint64_t)((unsigned __int128)v * mul / div);
}

#endif
