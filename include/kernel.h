/* kernel.h: entry points and services kernel/ offers to boot/ and arch/. */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct boot_info;

#define HV_VERSION "0.1.0"

/* Boot CPU entry after ExitBootServices; never returns. */
__attribute__((noreturn)) void kernel_main(struct boot_info *bi);
/* Secondary CPU entry, on its own stack with the hypervisor's tables live. */
__attribute__((noreturn)) void kernel_secondary_main(uint32_t cpu_index);
/* Unexpected exception: arch code prints the dump first, then calls this. */
__attribute__((noreturn)) void kernel_panic(const char *why);

/* Background work of an idle pCPU (vcpu_run_loop does the same after each exit): the VMs'
 * console drain (kernel/vm_console.c) and the management interface (kernel/mgmt.c). */
void kernel_poll(void);
/* True while that work wants pCPUs to wake at least every 10 ms even with no guest timer due
 * (the management interface is up, guest console output waits for the drain, or a VM takes
 * console input). */
bool kernel_poll_wanted(void);

/* Per-pCPU pending work, one mask checked once after each exit (vcpu_run_loop) instead of a
 * list of polls: raised by this pCPU's host tick (kernel_tick: console input, the management
 * interface, the drain) and by guest console output queued on it. Only the pCPU itself touches
 * its word, so plain accesses do (an interrupt at EL2/host level is taken only where the
 * hypervisor unmasks, never inside a read-modify-write of it). */
#define CPU_WORK_TICK    (1u << 0)
#define CPU_WORK_CONSOLE (1u << 1)
extern uint32_t cpu_work[];            /* [HV_MAX_CPUS], by arch_cpu_index() */

/* The fast tier of the exit path: an arch that recognised a hot exit (a read-only hypercall, an
 * emulated device read) right after the guest left hands it here instead of returning from
 * arch_vcpu_run. It is counted and handled exactly as the run loop would (statistics, handler,
 * arch_vcpu_complete). True when the vCPU may go straight back in: no work for this pCPU and the
 * VM not stopping (the arch adds its own interrupt checks); false: arch_vcpu_run returns
 * EXIT_HANDLED. */
struct vcpu;
struct vcpu_exit;
bool vcpu_fast_exit(struct vcpu *vcpu, struct vcpu_exit *exit);
/* vcpu_fast_ready (vm.h): what vcpu_fast_exit checks after the handler. */
/* Hypercalls that tier may take: they only read (no guest memory, console or interrupt). An arch
 * may answer them with the guest's FP/SIMD registers still live (aarch64's guest_hvc_light): their
 * handlers use no library code (newlib's string functions use vector registers). */
static inline bool hypercall_is_fast(uint64_t nr)
{
    return nr == 0xC6000000u || nr == 0xC6000002u || nr == 0xC6000003u;   /* HV_HC_VERSION, _VM_STAT,
                                                                            _MEMSLOT_INFO */
}
void kernel_tick(void);                /* the host tick fired on this pCPU */

/* Console: printf-style output, whole lines kept together across CPUs. Guest output is queued
 * per VM and printed by vm_console_drain a line at a time, so these wait at most for one line. */
__attribute__((format(printf, 1, 2))) int hv_printf(const char *fmt, ...);
int hv_vprintf(const char *fmt, va_list ap);
void console_write(const char *s, size_t len);
/* Where console bytes go: the firmware console before ExitBootServices, the
 * UART driver after. */
void console_set_sink(void (*putc)(char c));
/* The calling CPU is about to print a panic or exception dump: guest output stops being drained,
 * and this CPU's console writes stop waiting for the console lock after a bounded time (or at
 * once when it faulted while holding it). The first CPU to call it wins. */
void console_panic_begin(void);
bool console_panicking(void);

/* newlib's sbrk arena. */
void heap_init(uint64_t base, uint64_t size_bytes);

#endif
