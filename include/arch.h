/* arch.h: the interface every architecture implements for kernel/ (resolved at link time). */
#ifndef ARCH_H
#define ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct boot_info;

#define HV_MAX_CPUS 8
#define HV_STACK_SIZE_BYTES (64u * 1024u)

/* Name of the architecture as printed in the banner ("aarch64", "x86_64"). */
const char *arch_name(void);

/* Guest-physical base of a VM's RAM on this architecture (the config parser
 * checks regions against it). */
uint64_t arch_guest_ram_base(void);

/* Where RAM of size_bytes sits in a VM's guest-physical space, lowest first: one range from
 * arch_guest_ram_base(), or on x86_64 two around the 32-bit PCI hole (what lies above 3 GiB goes
 * above 4 GiB, as on QEMU's PC). Memslots 0.. hold them; the host memory behind is contiguous. */
#define ARCH_GUEST_RAM_RANGES 2
struct guest_ram_range { uint64_t gpa, size_bytes; };
uint32_t arch_guest_ram_ranges(uint64_t size_bytes, struct guest_ram_range out[ARCH_GUEST_RAM_RANGES]);
/* A 'region' at [gpa, gpa + size) does not cover what the guest platform needs there (x86: the
 * IOAPIC and LAPIC window 0xFEC00000-0xFEFFFFFF); NULL when allowed, else why not. */
const char *arch_guest_region_refused(uint64_t gpa, uint64_t size_bytes);

/* Boot CPU, right after ExitBootServices, still on the firmware's stack:
 * switch to CPU 0's hypervisor stack (bi->stack_base) and call kernel_main(bi). */
__attribute__((noreturn)) void arch_enter_kernel(struct boot_info *bi);

/* Boot CPU, first thing in kernel_main: the hypervisor's own page tables,
 * exception vectors and the console UART. */
void arch_early_init(struct boot_info *bi);

/* Print the capability report, one "cap: ..." line per fact. */
void arch_report_caps(void);

/* Start every secondary CPU the platform describes; each runs
 * kernel_secondary_main(cpu_index) on its own stack. Returns how many CPUs the
 * platform has in total (boot CPU included). */
uint32_t arch_start_secondaries(struct boot_info *bi);

/* Index of the calling CPU (0 = boot CPU). */
uint32_t arch_cpu_index(void);

/* Monotonic time since an arbitrary point. */
uint64_t arch_time_ns(void);

/* One 64-bit value from the CPU's random number instruction (aarch64: RNDR when
 * ID_AA64ISAR0_EL1.RNDR says it exists; x86_64: RDSEED, else RDRAND, when CPUID says so),
 * retried a bounded number of times as the manuals advise. False when the CPU has none or it
 * kept failing; *name (may be NULL) gets the instruction's name or "none". */
bool arch_entropy(uint64_t *out, const char **name);

/* Hint inside spin loops. */
void arch_cpu_relax(void);

/* Wait a little: until an event, an interrupt, or at most about a millisecond (aarch64:
 * WFE with the timer event stream; x86_64: PAUSE). For idle loops that poll. */
void arch_cpu_idle(void);

/* Park the calling CPU forever (interrupts off, lowest power). */
__attribute__((noreturn)) void arch_cpu_park(void);

/* Power the machine off (PSCI SYSTEM_OFF / ACPI S5). */
__attribute__((noreturn)) void arch_power_off(void);

/* Console UART output, polled; usable from any CPU under the console lock. */
void arch_console_putc(char c);
/* Console UART input: the next byte, or -1 when none is waiting (never blocks). */
int arch_console_getc(void);

/* Maps [pa, pa + size_bytes) of device memory (MMIO) into the hypervisor's own address
 * space at VA = PA, uncached; true when it is mapped (already or now). For host drivers that
 * find their registers at run time (e.g. a PCI BAR); boot CPU, before the VMs run. */
bool arch_map_device(uint64_t pa, uint64_t size_bytes);

/* The host NIC the management interface uses (include/net_dev.h), found on the host's
 * buses; NULL when there is none (or the arch does not look for one). Boot CPU, once. */
struct net_dev;
struct net_dev *arch_mgmt_nic(void);

/* Test hook: touch an unmapped address so the exception dump and panic path run. */
void arch_selftest_fault(void);
/* Test hook (selftest = at-abort ADDR): an address translation of the guest regime whose
 * table walk reads pa (nothing behind it) must end as a failed translation, not a panic;
 * prints what happened. Before any guest runs. */
void arch_selftest_at_abort(uint64_t pa);

#endif
