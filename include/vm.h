/* vm.h: the arch-neutral VM and vCPU model: memory, devices, run loop, exit statistics. */
#ifndef VM_H
#define VM_H

#include <stdbool.h>
#include <stdint.h>
#include "arch_vm.h"      /* struct arch_vm, struct arch_vcpu: arch/$(ARCH)/include */
#include "config.h"
#include "kernel.h"       /* cpu_work */
#include "console_ring.h"
#include "memslot.h"
#include "mmio_bus.h"
#include "pgtable.h"

#define VM_MAX_VCPUS CONFIG_MAX_CPUS
#define VM_MAX_VMS CONFIG_MAX_VMS

/* Why a vCPU left the guest. Counted per VM; the handler table in vcpu.c is
 * indexed by these. The arch fills the payload for the ones kernel/ handles. */
enum exit_reason {
    EXIT_HYPERCALL,        /* HVC / VMCALL outside the arch's own services (PSCI) */
    EXIT_MMIO,             /* access to an unmapped guest-physical address */
    EXIT_PIO,              /* x86 port I/O */
    EXIT_WFX,              /* WFI / WFE / HLT */
    EXIT_SYSREG,           /* system register / MSR / CPUID, handled by the arch */
    EXIT_FIRMWARE,         /* PSCI (aarch64), handled by the arch */
    EXIT_IRQ,              /* a physical interrupt arrived while the guest ran */
    EXIT_ABORT,            /* the guest was given an abort / exception (UNDEF, external abort) */
    EXIT_SHUTDOWN,         /* the VM asked to power off or reset */
    EXIT_OTHER,
    EXIT_REASON_COUNT
};
/* Returned by arch_vcpu_run when its fast tier already counted and handled the last exit
 * (vcpu_fast_exit) and only the run loop's own work is left. Not a counted reason. */
#define EXIT_HANDLED EXIT_REASON_COUNT

struct vcpu_exit {
    uint32_t reason;       /* enum exit_reason */
    union {
        struct {                 /* EXIT_MMIO, and EXIT_PIO with gpa = the port */
            uint64_t gpa;
            uint32_t size;       /* 1, 2, 4, 8 */
            bool write;
            uint64_t data;       /* write: the value; read: filled by kernel/ */
        } mmio;
        struct {
            uint64_t nr;
            uint64_t arg[4];
            uint64_t ret[4];     /* filled by kernel/; ret[0] goes to x0 / RAX */
        } hypercall;
    };
};

enum vcpu_power { VCPU_OFF, VCPU_ON_PENDING, VCPU_ON };
enum vm_state { VM_RUNNING, VM_STOPPING, VM_STOPPED };
enum vm_shutdown { VM_SHUTDOWN_NONE, VM_SHUTDOWN_OFF, VM_SHUTDOWN_RESET, VM_SHUTDOWN_CRASH };

struct vm;

struct vcpu {
    struct vm *vm;
    uint32_t id;               /* index within the VM (MPIDR Aff0 / APIC ID) */
    uint32_t pcpu;             /* the physical CPU that runs it */
    uint32_t power;            /* enum vcpu_power, atomic */
    uint64_t on_entry, on_context;   /* from CPU_ON / SIPI, valid once on_ready is set */
    uint32_t on_ready;         /* atomic: the CPU_ON winner wrote on_entry/on_context */
    uint32_t parked;           /* atomic: waiting in vcpu_run_loop while its VM is paused */
    /* Exit statistics of this vCPU: written only on its own pCPU (plain increments, no atomic
     * read-modify-write on the exit path), read from anywhere with single-copy-atomic loads;
     * vm_exit_count / vm_exit_total add them up with the VM's own counts. */
    uint64_t exit_count[EXIT_REASON_COUNT];
    uint64_t exit_total;
    struct arch_vcpu arch;
};

struct vm {
    uint32_t id;
    const char *name;
    const struct config_vm *cfg;
    const struct boot_vm *boot;
    uint32_t state;            /* enum vm_state, atomic */
    uint32_t shutdown;         /* enum vm_shutdown requested, atomic */
    uint32_t vcpus_running;    /* vCPUs still inside their run loop, atomic */
    uint32_t pause_req;        /* atomic: paused by the management interface (vm_pause) */
    uint32_t reset_count;
    struct memslots slots;
    struct pgtable stage2;     /* stage-2 / EPT / NPT, one format per arch */
    struct pt_env stage2_env;
    struct mmio_bus mmio;
    struct mmio_bus pio;
    uint32_t vcpu_count;
    struct vcpu vcpu[VM_MAX_VCPUS];
    uint64_t exit_count[EXIT_REASON_COUNT];   /* atomic: exits counted outside a vCPU's own run
                                                 (vm_count_exit); the rest are per vCPU */
    uint64_t lpi_injected;                    /* atomic: LPIs the hypervisor injected (emulated ITS) */
    uint64_t lpi_direct;                      /* atomic: LPIs sent to the physical ITS (GICv4) */
    uint64_t fpu_lazy_saves;                  /* atomic: guest FP/SIMD state saved on the hypervisor's
                                                 first FP use after an exit (lazy switching) */
    uint64_t idle_wakeups;                    /* atomic: aarch64: times a blocked vCPU's pCPU woke
                                                 from WFI in the hypervisor (HV_STAT_IDLE_WAKEUPS) */
    struct arch_vm arch;
    struct vm_console {
        /* What the guest printed, until vm_console_drain moves it to the physical console; its
         * buffer comes from the page allocator at vm_create (kernel/vm_console.c). */
        struct console_ring ring;
        struct spinlock lock;  /* guards ring; held only to copy bytes in or out, never while
                                  the physical UART is written */
        uint32_t pending;      /* atomic: ring has something for the drain (set under lock) */
        /* Where console input goes when this VM has focus: the arch's UART (set by arch_vm_init). */
        bool (*rx)(struct vm *vm, uint8_t byte);   /* false: FIFO full, offer it again later */
    } console;
};

extern struct vm *vms;                       /* [VM_MAX_VMS], allocated by vm_start_all */
extern uint32_t vm_count;

/* Creates a VM from a loaded configuration entry; false (reported) on failure. */
bool vm_create(struct vm *vm, uint32_t id, const struct config_vm *cfg, const struct boot_vm *boot);
/* Maps RAM and regions into stage-2 and memslots, loads the images, resets vCPU 0 to run. */
bool vm_load(struct vm *vm);
/* The vCPU run loop; returns when the VM has stopped. */
void vcpu_run_loop(struct vcpu *vcpu);
/* Power a vCPU on (PSCI CPU_ON, SIPI): 0, or -1 already on, -2 on pending. Racing
 * callers see exactly one success. */
int vcpu_power_on(struct vm *vm, uint32_t vcpu_id, uint64_t entry, uint64_t context);
void vcpu_power_off(struct vcpu *vcpu);
/* Stop (or reset, or crash) the whole VM from any of its vCPUs. */
void vm_request_shutdown(struct vm *vm, enum vm_shutdown how);
/* Boots a stopped VM again from its images on the pCPUs it had (they wait for this while
 * the management interface is configured, kernel/mgmt.c; otherwise they park and this
 * fails). NULL when started, else why not. */
const char *vm_restart(struct vm *vm);
/* Runs a stopped VM from the state a live migration brought (kernel/migrate.c): NULL, or why not. */
const char *vm_start_migrated(struct vm *vm);
void vm_count_exit(struct vm *vm, uint32_t reason);
/* One exit of vcpu, counted on its own pCPU (the run loop and the arch's fast tier). */
static inline void vcpu_count_exit(struct vcpu *vcpu, uint32_t reason)
{
    __atomic_store_n(&vcpu->exit_total, vcpu->exit_total + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&vcpu->exit_count[reason], vcpu->exit_count[reason] + 1, __ATOMIC_RELAXED);
}
/* What vcpu_fast_exit checks after the handler, for an arch that answers an exit itself (its
 * handler changes none of it): no work for this pCPU, the VM not stopping or paused, the vCPU on.
 * Inline: the fast tiers' own checks are a few instructions each. */
static inline bool vcpu_fast_ready(const struct vcpu *vcpu)
{
    return !cpu_work[vcpu->pcpu] &&             /* the vCPU runs on its own pCPU */
           __atomic_load_n(&vcpu->vm->shutdown, __ATOMIC_RELAXED) == VM_SHUTDOWN_NONE &&
           !__atomic_load_n(&vcpu->vm->pause_req, __ATOMIC_RELAXED) &&   /* parks in the run loop */
           __atomic_load_n(&vcpu->power, __ATOMIC_RELAXED) == VCPU_ON;
}
/* The VM's exit statistics: its vCPUs' counts and its own, added up (HV_HC_VM_STAT, hvctl stats). */
uint64_t vm_exit_count(const struct vm *vm, uint32_t reason);
uint64_t vm_exit_total(const struct vm *vm);
/* Pause: every vCPU of the VM leaves the guest at its next exit (they are kicked) and waits
 * before entering it again, serving the management interface meanwhile; resume lets them go
 * on where they were. Asynchronous: vm_paused says when no vCPU runs guest code any more. A
 * stop or reset requested meanwhile still happens (and ends the pause). */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
bool vm_paused(const struct vm *vm);
/* The arch's lazy FP switch saved this VM's FP/SIMD state (HV_STAT_FPU_LAZY_SAVES). */
static inline void vm_count_fpu_save(struct vm *vm)
{
    __atomic_fetch_add(&vm->fpu_lazy_saves, 1, __ATOMIC_RELAXED);
}
/* kernel/vm_console.c: each VM's console output waits in a ring of VM_CONSOLE_RING_BYTES (enough
 * for the burst of a Linux console replaying its log) and moves to the physical console as whole
 * lines "[NAME] text", VM_CONSOLE_DRAIN_CALL_BYTES at most per drain call and
 * VM_CONSOLE_DRAIN_BYTES_PER_S at most for all VMs together (VM_CONSOLE_DRAIN_BURST_BYTES saved up
 * while quiet). */
#define VM_CONSOLE_RING_BYTES (64u * 1024)
#define VM_CONSOLE_DRAIN_BYTES_PER_S (32u * 1024)
#define VM_CONSOLE_DRAIN_BURST_BYTES (8u * 1024)
/* The longest physical line: "[" NAME "] ", the escaped line or a drop note, "\n". */
#define VM_CONSOLE_OUT_LINE_MAX (1 + CONFIG_NAME_MAX + 2 + CONSOLE_LINE_MAX + 1)
#define VM_CONSOLE_DRAIN_CALL_BYTES (2 * VM_CONSOLE_OUT_LINE_MAX)

/* The console ring's buffer, at vm_create; false (reported) when there is no
 * memory for it. */
bool vm_console_init(struct vm *vm);
/* A byte the guest writes to its console (UART or hypercall): only queued in the VM's ring, never
 * waits for the physical UART. */
void vm_console_putc(struct vm *vm, char c);
/* The same for len bytes at once (HV_HC_CONSOLE_WRITE). */
void vm_console_write(struct vm *vm, const char *s, uint32_t len);
/* Guest console bytes dropped so far because the VM's ring was full (HV_STAT_CONSOLE_DROPPED). */
uint64_t vm_console_dropped(struct vm *vm);
/* Moves queued guest lines to the physical console as "[NAME] line": round-robin over the VMs, a
 * bounded number of bytes per call and per second (a flooding VM gets its share, then its ring
 * fills and drops). exited: the VM whose exit this follows (vcpu_run_loop), which drains only
 * while it has output waiting itself, so a VM spends time printing only when it prints; NULL from
 * idle pCPUs (kernel_poll), which drain anything. Returns at once when another CPU drains, nothing
 * is queued, or a panic is being printed. */
void vm_console_drain(struct vm *exited);
/* Prints everything the VM queued, its unfinished line too, whatever the rate: the last vCPU out
 * of a stopping or resetting VM calls it before saying so. */
void vm_console_flush(struct vm *vm);
/* Whether some VM's ring waits for the drain (idle pCPUs then wake at least every 10 ms). */
bool vm_console_backlog(void);
/* The VM that gets console input (hv.cfg `focus`, else the first VM); set once before the
 * vCPUs run. */
void vm_console_set_focus(struct vm *vm);
/* Moves waiting console input to the VM that has focus; called on the host tick (kernel_tick)
 * and by idle pCPUs, at most once a millisecond. */
void vm_console_poll(struct vm *vm);
/* Whether a VM takes console input (the x86 host timer then ticks at least every 10 ms). */
bool vm_console_input_open(void);

/* Creates and loads every configured VM, one vCPU per physical CPU. */
struct boot_info;
uint32_t vm_start_all(struct boot_info *bi, uint32_t pcpu_count);
/* Every pCPU's final loop: run the vCPU placed on it until its VM stops. */
__attribute__((noreturn)) void vm_pcpu_loop(uint32_t pcpu);

/* The device on the VM's bus that an access to [gpa, gpa + size) reaches when stage 2 gave a
 * translation fault there: NULL when a memslot holds gpa (RAM, the arch's abort handling decides)
 * or no device claims it. What the generic path finds (abort handling, then handle_mmio), without
 * the slot lock while the memslots have not changed: for an arch's fast tier. */
const struct mmio_region *vm_device_at_slow(struct vm *vm, struct mmio_region *r, uint64_t gpa);
static inline const struct mmio_region *vm_device_at(struct vm *vm, uint64_t gpa, uint32_t size)
{
    struct mmio_region *r = mmio_bus_find(&vm->mmio, gpa, size);
    if (!r || __atomic_load_n(&r->no_slot_gen, __ATOMIC_RELAXED) == memslot_generation(&vm->slots) + 1)
        return r;                 /* no memslot over the whole range since that generation */
    return vm_device_at_slow(vm, r, gpa);
}

/* kernel/hypercall.c: the arch-neutral hypercall ABI of include/hypercall.h. */
void hypercall_handle(struct vcpu *vcpu, struct vcpu_exit *exit);
/* The fast IDs (hypercall_is_fast, kernel.h) alone, for an arch's fast tier: the answer in
 * ret[0..3], the same hypercall_handle gives. nr and arg0 (the only argument they take) are
 * read before ret is written, so ret may be the guest's own argument registers. */
void hypercall_fast(struct vcpu *vcpu, uint64_t nr, uint64_t arg0, uint64_t ret[4]);

#endif
