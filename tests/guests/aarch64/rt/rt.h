/* rt.h: the payload runtime: console, SMCCC/PSCI, exception catching, DTB reading, timer, SMP helpers. */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "layout.h"

/* Entry points a payload provides. main() runs on the boot CPU; returning calls test_done().
 * secondary_main() runs on CPUs started with psci_cpu_on_entry(); returning does CPU_OFF
 * (the runtime's default just returns). */
int main(void *dtb);
void secondary_main(uint64_t context_id);
void secondary_entry(void);             /* start.S: the entry PA to pass to CPU_ON */

extern char __image_start[], __image_end[];

/* ---- console (uart.c): PL011 at PL011_BASE; lines end in a bare "\n" ---- */
void putc(char c);
void puts(const char *s);               /* no newline appended */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- SMCCC / PSCI (smccc.S, psci.c) ---- */
struct smccc_res { uint64_t a0, a1, a2, a3; };
struct smccc_res smccc_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
static inline uint64_t hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    return smccc_hvc(fn, a1, a2, a3).a0;
}

#define PSCI_VERSION         0x84000000u
#define PSCI_CPU_OFF         0x84000002u
#define PSCI_CPU_ON          0xC4000003u
#define PSCI_AFFINITY_INFO   0xC4000004u
#define PSCI_SYSTEM_OFF      0x84000008u
#define PSCI_SYSTEM_RESET    0x84000009u
#define PSCI_FEATURES        0x8400000Au

#define PSCI_SUCCESS         0
#define PSCI_NOT_SUPPORTED   (-1)
#define PSCI_INVALID_PARAMS  (-2)
#define PSCI_DENIED          (-3)
#define PSCI_ALREADY_ON      (-4)
#define PSCI_INVALID_ADDRESS (-9)
#define PSCI_ON_PENDING      (-5)

#define AFFINITY_ON          0
#define AFFINITY_OFF         1
#define AFFINITY_ON_PENDING  2

/* PSCI results are int32 (Arm DEN 0022, 5.1); OSes read only w0, and so do these. */
int32_t psci_version(void);
int32_t psci_features(uint32_t fn);
int32_t psci_cpu_on(uint64_t mpidr, uint64_t entry_pa, uint64_t context_id);
int32_t psci_cpu_on_entry(uint64_t mpidr, uint64_t context_id);  /* entry = secondary_entry */
int32_t psci_cpu_off(void);
int32_t psci_affinity_info(uint64_t mpidr);                       /* level 0 */
void psci_system_off(void) __attribute__((noreturn));
int32_t psci_system_reset(void);

/* The hypervisor's own calls (include/hypercall.h). Bare QEMU answers NOT_SUPPORTED. */
bool hv_present(void);

/* ---- system registers, barriers, timer ---- */
#define read_sysreg(r) ({ uint64_t v_; __asm__ volatile("mrs %0, " #r : "=r"(v_)); v_; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" :: "r"((uint64_t)(v)))
#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")
#define MPIDR_AFF_MASK 0xff00ffffffull   /* Aff3..Aff0: the PSCI target_cpu format */

static inline uint64_t mpidr(void) { return read_sysreg(mpidr_el1) & MPIDR_AFF_MASK; }
static inline unsigned cpu_index(void)  /* as start.S: Aff1 * 16 + Aff0 */
{
    uint64_t m = read_sysreg(mpidr_el1);
    return (unsigned)((m & 0xff) + ((m >> 8) & 0xff) * 16);
}
static inline uint64_t counter(void) { isb(); return read_sysreg(cntvct_el0); }
static inline uint64_t counter_freq(void) { return read_sysreg(cntfrq_el0); }
void delay_us(uint64_t us);

/* Memory shared with another CPU. With the MMU off accesses are Device and need no
 * maintenance, but a hypervisor may make them Normal Non-shareable (HCR_EL2.DC), so
 * clean+invalidate around each access to meet at the point of coherency. */
static inline void shared_store(volatile uint64_t *p, uint64_t v)
{
    *p = v;
    dsb(sy);
    __asm__ volatile("dc civac, %0" :: "r"(p) : "memory");
    dsb(sy);
}
static inline uint64_t shared_load(volatile uint64_t *p)
{
    __asm__ volatile("dc civac, %0" :: "r"(p) : "memory");
    dsb(sy);
    return *p;
}
/* Polls until *p == want or timeout_us passes; returns whether it arrived. */
bool shared_wait(volatile uint64_t *p, uint64_t want, uint64_t timeout_us);

static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }

/* ---- what the programs both arches build use (tests/guests/common/programs/) ---- */
#define MAIN_PARAMS void *dtb __attribute__((unused))
static inline uint64_t hypercall(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3) { return hvc(fn, a1, a2, a3); }
/* The fastest way onto the VM's console: bytes into UARTDR without FR polling (the emulated PL011
 * never fills, and every access is an exit). */
static inline void console_write_fast(const char *s, size_t len)
{
    while (len--)
        mmio_write32(PL011_BASE, (uint8_t)*s++);
}

/* ---- exceptions (exceptions.c) ---- */
#define ESR_EC(esr)          ((uint32_t)((esr) >> 26) & 0x3f)
#define ESR_ISS(esr)         ((uint32_t)(esr) & 0x1ffffff)
#define ESR_DFSC(esr)        ((uint32_t)(esr) & 0x3f)
#define ESR_FNV              (1u << 10)  /* data abort: FAR not valid */
#define EC_UNKNOWN           0x00
#define EC_SVC64             0x15
#define EC_SYS64             0x18        /* MSR/MRS trapped (e.g. a PMU access PMUSERENR disables) */
#define EC_IABT_CUR          0x21
#define EC_DABT_CUR          0x25
#define DFSC_SEA             0x10        /* synchronous external abort, not on a table walk */
#define EC_SOFTSTEP_CUR      0x33        /* software step taken from the current EL */
#define MDSCR_SS             (1ull << 0)
#define MDSCR_KDE            (1ull << 13)

struct exc_record { uint64_t esr, far, elr, result; };

/* Runs fn(arg) on this CPU; every synchronous exception it takes at EL1 is recorded
 * (the last one in *rec) and its instruction skipped. Returns the exception count;
 * rec->result is fn's return value. Without a catch, any exception is a FAIL. */
unsigned exc_catch(uint64_t (*fn)(uint64_t), uint64_t arg, struct exc_record *rec);
/* Exactly one synchronous exception of class ec, taken at ELR == insn. */
bool exc_expect(uint64_t (*fn)(uint64_t), uint64_t arg, uint32_t ec, const void *insn,
                struct exc_record *rec);

/* Runs fn(arg) at EL1 with software step on (MDSCR_EL1.SS and KDE, OS lock off, PSTATE.D clear,
 * entered by ERET with SPSR_EL1.SS set): the first instruction of fn runs, then a software-step
 * exception (EC 0x33) is taken at the next one; under exc_catch it is recorded (ELR = where the
 * step stopped) and stepping ends there, so fn runs on. Arm ARM D2.12. */
uint64_t step_call(uint64_t (*fn)(uint64_t), uint64_t arg);
/* exc_catch around step_call(fn, arg), PSTATE.D and MDSCR_EL1 as before after it. */
unsigned exc_catch_step(uint64_t (*fn)(uint64_t), uint64_t arg, struct exc_record *rec);

/* Runs fn(arg) at EL0 (EL0t, interrupts masked, a per-CPU EL0 stack) and returns its
 * result; its synchronous exceptions other than the SVC that ends it are handled as for EL1
 * code, so exc_catch/exc_expect work around el0_call too. The MMU is off: EL0 may run any code. */
uint64_t el0_call(uint64_t (*fn)(uint64_t), uint64_t arg);

/* IRQs taken at EL1 go to fn (which acknowledges and ends them); NULL: an IRQ is a FAIL. */
void irq_set_handler(void (*fn)(void));

/* probes.S: one instruction each, at the *_insn label */
uint64_t probe_read64(uint64_t addr);
uint64_t probe_write64(uint64_t addr, uint64_t value);
uint64_t probe_impdef_sysreg(uint64_t unused);
extern char probe_read64_insn[], probe_write64_insn[], probe_impdef_sysreg_insn[];

/* ---- DTB (fdt.c): just what the payloads need ---- */
bool fdt_valid(const void *dtb);
uint32_t fdt_totalsize(const void *dtb);
bool fdt_memory(const void *dtb, uint64_t *base, uint64_t *size);   /* first /memory reg */
unsigned fdt_cpus(const void *dtb, uint64_t *mpidrs, unsigned max); /* /cpus/cpu@* reg */
bool fdt_has_compatible(const void *dtb, const char *compatible);   /* any node */

/* RAM the payload may overwrite: [image end, RAM end) minus the DTB. Returns the count
 * (at most 2); RAM size falls back to 64 MiB if the DTB has none. */
struct region { uint64_t start, end; };
unsigned ram_free_regions(const void *dtb, struct region out[2]);
uint64_t ram_end(const void *dtb);

/* ---- string helpers the compiler may call (lib.c) ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

#endif
