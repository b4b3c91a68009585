/* rt.h: the x86_64 payload runtime: console, CPU helpers, exceptions and interrupts, LAPIC,
 * IOAPIC, APs, TSC, Multiboot info, hypercalls. */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "layout.h"

/* main() runs on the boot CPU with interrupts enabled; returning calls test_done(). */
int main(void);

extern char __image_start[], __image_end[];

/* ---- console (uart.c): COM1 16550; lines end in a bare "\n"; one printf is one unbroken
 * piece of output even with several CPUs printing ---- */
void putc(char c);
void puts(const char *s);               /* no newline appended */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* ---- port I/O, MSRs, CPUID, control registers ---- */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

#define MSR_IA32_APIC_BASE      0x01Bu
#define MSR_IA32_TSC_DEADLINE   0x6E0u
#define MSR_IA32_EFER           0xC0000080u
#define MSR_IA32_GS_BASE        0xC0000101u
#define EFER_LMA                (1ull << 10)
#define CR0_PG                  (1ull << 31)
#define CR4_PAE                 (1ull << 5)
#define CPUID_1_ECX_X2APIC      (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR  (1u << 31)

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

struct cpuid_regs { uint32_t eax, ebx, ecx, edx; };
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}
/* The 12-byte vendor string of leaf 0 (EBX, EDX, ECX) or of a hypervisor leaf (EBX, ECX, EDX). */
void cpuid_vendor(char out[13]);

#define read_cr(n) ({ uint64_t v_; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v_)); v_; })
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline uint64_t mmio_read64(uintptr_t a) { return *(volatile uint64_t *)a; }

/* ---- TSC (tsc.c): calibrated at start-up against PIT channel 2 ---- */
static inline uint64_t tsc(void)
{
    uint32_t lo, hi;    /* LFENCE: RDTSC waits for the earlier instructions (SDM Vol. 2B, RDTSC) */
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return (uint64_t)hi << 32 | lo;
}
uint64_t tsc_hz(void);
/* Measures the TSC frequency against PIT channel 2 again (50 ms per try, up to tries, stopping
 * at a try whose longest gap between TSC reads is under 0.1%): the gap of the try kept in ppm. */
uint64_t tsc_measure_hz(unsigned tries, uint64_t *gap_ppm);
/* kvmclock (Linux Documentation/virt/kvm/x86/msr.rst, cpuid.rst): the per-vCPU time page, and the CPUID
 * leaf where "KVMKVMKVM\0\0\0" is (a 0x100-aligned leaf from 0x40000000; 0 when there is none). */
struct __attribute__((packed)) pvclock_time_info {
    uint32_t version, pad0;
    uint64_t tsc_timestamp, system_time;
    uint32_t mul;
    int8_t shift;
    uint8_t flags, pad[2];
};
#define MSR_KVM_WALL_CLOCK_NEW  0x4b564d00u
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01u
uint32_t kvm_cpuid_base(void);
void delay_us(uint64_t us);
static inline uint64_t us_to_tsc(uint64_t us) { return us * tsc_hz() / 1000000; }
static inline uint64_t tsc_to_us(uint64_t t) { return t * 1000000 / tsc_hz(); }
/* Polls until *p == want or timeout_us passes; returns whether it arrived. */
bool wait_eq(const volatile uint32_t *p, uint32_t want, uint64_t timeout_us);
bool wait_ge(const volatile uint32_t *p, uint32_t want, uint64_t timeout_us);

/* ---- Multiboot v1 info (multiboot.c), copied at start-up so its memory is free RAM ---- */
#define MB_BOOT_MAGIC   0x2BADB002u
#define MB_MMAP_RAM     1
struct mb_mmap_entry { uint64_t addr, len; uint32_t type; };
uint32_t mb_magic(void);                        /* EAX at entry */
bool mb_mem(uint32_t *lower_kb, uint32_t *upper_kb);
const char *mb_cmdline(void);                   /* "" when none */
unsigned mb_mmap(const struct mb_mmap_entry **entries);

/* RAM the payload may overwrite: RAM from the mmap between 1 MiB and 4 GiB (the identity map),
 * minus the image. ram_end() is the end of the highest RAM range below 4 GiB. */
struct region { uint64_t start, end; };
unsigned ram_free_regions(struct region *out, unsigned max);
unsigned ram_regions(struct region *out, unsigned max);  /* all RAM below 4 GiB */
uint64_t ram_end(void);

/* ---- per-CPU state, exceptions and interrupts (exceptions.c) ---- */
struct exc_record { uint64_t vector, error, rip, cr2, result, dr6; };   /* dr6: #DB only */
struct cpu {
    struct cpu *self;                   /* %gs:0 */
    unsigned index;                     /* 0 = boot CPU, then in ap_start() order */
    uint32_t apic_id;
    volatile uint32_t alive;            /* set once the CPU runs C with interrupts on */
    bool catching;                      /* exc_catch() in progress */
    unsigned exc_count;
    struct exc_record exc_last;
    volatile uint32_t irq_count[256];   /* arrivals per vector */
    volatile uint64_t irq_tsc[256];     /* TSC at the latest arrival */
};
extern struct cpu cpus[MAX_CPUS];
static inline unsigned cpu_index(void)
{
    unsigned i;
    __asm__ volatile("movl %%gs:%c1, %0" : "=r"(i) : "i"(offsetof(struct cpu, index)));
    return i;
}
static inline struct cpu *this_cpu(void) { return &cpus[cpu_index()]; }

#define EXC_UD  6
#define EXC_GP  13
#define EXC_PF  14

/* Runs fn(arg) on this CPU; every exception it takes at a probe instruction (probes.S) is
 * recorded (the last one in *rec) and execution resumes after the probe. Returns the
 * exception count; rec->result is fn's return value. An exception elsewhere is a FAIL. */
unsigned exc_catch(uint64_t (*fn)(uint64_t), uint64_t arg, struct exc_record *rec);
/* Exactly one exception, of this vector, at RIP == insn. */
bool exc_expect(uint64_t (*fn)(uint64_t), uint64_t arg, unsigned vector, const void *insn,
                struct exc_record *rec);

uint64_t probe_rdmsr(uint64_t msr);
uint64_t probe_wrmsr(uint64_t msr, uint64_t value);
uint64_t probe_read64(uint64_t addr);
uint64_t probe_read32(uint64_t addr);
uint64_t probe_write64(uint64_t addr, uint64_t value);
uint64_t probe_ud2(uint64_t arg);
uint64_t probe_single_step(uint64_t unused);
uint64_t probe_write_watch(uint64_t addr);
uint64_t probe_rdpmc(uint64_t counter);
uint64_t probe_write_cr4(uint64_t value);
uint64_t probe_xsetbv(uint64_t index_value);     /* XCR index << 56 | value */
extern char probe_rdmsr_insn[], probe_wrmsr_insn[], probe_read64_insn[], probe_read32_insn[],
            probe_write64_insn[], probe_ud2_insn[], probe_single_step_insn[], probe_write_watch_insn[],
            probe_rdpmc_insn[], probe_write_cr4_insn[], probe_xsetbv_insn[];

/* Interrupts: vectors 0x30-0xFE count per CPU in cpus[].irq_count, record the TSC, call the
 * vector's handler if one is set, then EOI the LAPIC. 0x20-0x2F is where the (masked) 8259s
 * point and 0xFF is the LAPIC spurious vector: counted, never EOIed. */
#define VEC_PIC_BASE    0x20
#define VEC_SPURIOUS    0xFF
typedef void (*irq_handler_t)(unsigned vector);
/* NULL: count only. Also vector 2 (NMI), and exceptions: a handled one returns where it arose
 * (after the runtime recorded it in this_cpu()->exc_last). */
void irq_set_handler(unsigned vector, irq_handler_t fn);
/* Delivery of vector on the stack in TSS.IST<ist> (1-7; 0: the current stack), set by tss_set_ist()
 * (user.c; SDM Vol. 3A, 6.14.5). */
void idt_set_ist(unsigned vector, unsigned ist);
void tss_set_ist(unsigned ist, uint64_t rsp);
static inline uint32_t irq_count(unsigned cpu, unsigned vector) { return cpus[cpu].irq_count[vector]; }
static inline uint64_t irq_tsc(unsigned cpu, unsigned vector) { return cpus[cpu].irq_tsc[vector]; }

/* ---- LAPIC, xAPIC MMIO at LAPIC_BASE (apic.c; SDM Vol. 3A, chapter 10) ---- */
#define LAPIC_ID        0x020
#define LAPIC_VERSION   0x030
#define LAPIC_TPR       0x080
#define LAPIC_EOI       0x0B0
#define LAPIC_SVR       0x0F0
#define LAPIC_ISR       0x100           /* 8 registers, 0x10 apart */
#define LAPIC_IRR       0x200
#define LAPIC_ICR_LO    0x300
#define LAPIC_ICR_HI    0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TMICT     0x380           /* timer initial count */
#define LAPIC_TMCCT     0x390           /* timer current count */
#define LAPIC_TDCR      0x3E0           /* timer divide configuration */

#define LVT_MASKED      (1u << 16)
#define LVT_TIMER_ONESHOT   (0u << 17)
#define LVT_TIMER_PERIODIC  (1u << 17)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define TDCR_DIV_1      0xB

#define ICR_FIXED       (0u << 8)
#define ICR_NMI         (4u << 8)
#define ICR_INIT        (5u << 8)
#define ICR_STARTUP     (6u << 8)
#define ICR_PENDING     (1u << 12)      /* delivery status: send pending */
#define ICR_ASSERT      (1u << 14)

static inline uint32_t lapic_read(uint32_t reg) { return mmio_read32(LAPIC_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { mmio_write32(LAPIC_BASE + reg, v); }
static inline uint32_t lapic_id(void) { return lapic_read(LAPIC_ID) >> 24; }
static inline void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }
void lapic_init(void);                  /* this CPU: software-enable, TPR 0, timer masked */
/* Writes the ICR (destination = APIC ID, physical) and waits for the send to complete. */
bool lapic_send_icr(uint32_t apic_id, uint32_t icr_lo);
static inline bool lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
    return lapic_send_icr(apic_id, ICR_FIXED | ICR_ASSERT | vector);
}
uint64_t lapic_timer_hz(void);          /* at divide-by-1, measured against the TSC */
void lapic_timer_stop(void);

/* ---- IOAPIC at IOAPIC_BASE: IOREGSEL +0x00, IOWIN +0x10 (Intel 82093AA datasheet, 3.1) ---- */
#define IOAPIC_REG_ID   0x00
#define IOAPIC_REG_VER  0x01
#define IOAPIC_REG_RTE(pin) (0x10 + 2 * (pin))
#define RTE_LEVEL       (1ull << 15)
#define RTE_REMOTE_IRR  (1ull << 14)
#define RTE_ACTIVE_LOW  (1ull << 13)
#define RTE_MASKED      (1ull << 16)
#define RTE_DEST(apic_id) ((uint64_t)(apic_id) << 56)
uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t v);
uint64_t ioapic_read_rte(unsigned pin);
void ioapic_write_rte(unsigned pin, uint64_t rte);  /* writes the high half first */

/* ---- APs (smp.c) ---- */
/* CPU count from QEMU's fw_cfg (0x510/0x511, FW_CFG_NB_CPUS); 0 without fw_cfg. */
unsigned fwcfg_cpu_count(void);
/* INIT-SIPI-SIPI to apic_id; the AP runs fn(cpu index) in long mode on its own stack with
 * interrupts on, then idles (HLT, interrupts still on). Returns the index, or -1 if it did
 * not arrive within 1 s. */
int ap_start(uint32_t apic_id, void (*fn)(unsigned cpu));

/* ---- CPL 3 (user.c, user.S) ---- */
#define RFLAGS_AC (1ull << 18)
/* Runs fn(arg) at CPL 3 on the boot CPU (every page is user-accessible, on a user stack) with
 * rflags_or added to RFLAGS, and returns its value. Exceptions at CPL 3 are taken as usual
 * (exc_catch and its probes work there). */
uint64_t user_run(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t rflags_or);

/* ---- hypercalls (hv.c, probes.S; docs/hypercalls.md) ---- */
struct hv_res { uint64_t rax, rbx, rcx, rdx; };
struct hv_res hv_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);
static inline uint64_t hypercall(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    return hv_call(fn, a1, a2, a3, 0).rax;
}
void hv_vmcall(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, struct hv_res *out);
void hv_vmmcall(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, struct hv_res *out);
extern char hv_vmcall_insn[], hv_vmmcall_insn[];
/* CPUID 0x40000000 answers "hvhypervisor": false on bare QEMU, where VMCALL/VMMCALL #UD. */
#define HV_CPUID_SIGNATURE "hvhypervisor"
bool hv_present(void);
/* test.c: DONE, then power-off through PM1a_CNT with SLP_TYP (ACPI S5); test_done's exit port when a
 * check failed or there is no port. */
void test_done_acpi_s5(uint16_t pm1a_cnt_port, uint8_t slp_typ) __attribute__((noreturn));
/* The signature CPUID 0x40000000 gave (EBX, ECX, EDX), unprintable bytes as '.': e.g.
 * "TCGTCGTCGTCG" on QEMU TCG, "KVMKVMKVM..." on KVM. */
const char *hv_signature(void);
const char *hv_insn_name(void);         /* "vmcall" or "vmmcall": the one hv_call() uses */
const void *hv_insn(void);              /* its address, for exc_expect() */

/* ---- checks carried across a VM reset (test.c) ---- */
unsigned test_passed_count(void);
unsigned test_failed_count(void);
void test_carry_passed(unsigned n);

/* ---- what the programs both arches build use (tests/guests/common/programs/) ---- */
#define MAIN_PARAMS void
static inline uint64_t counter(void) { return tsc(); }
static inline uint64_t counter_freq(void) { return tsc_hz(); }
/* The fastest way onto the VM's console: one console-write hypercall (hv.c), or bytes into COM1's
 * THR without hv. One OUT exit per byte is too slow under QEMU TCG to outrun the hypervisor's
 * console drain, which the flood program needs. */
void console_write_fast(const char *s, size_t len);

/* ---- string helpers the compiler may call (lib.c) ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

#endif
