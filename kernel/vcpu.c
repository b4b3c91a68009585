/* vcpu.c: the vCPU run loop, exit dispatch by reason, and vCPU power state. */
#include "arch.h"
#include "arch_guest.h"
#include "migrate.h"
#include "kernel.h"
#include "mgmt.h"
#include "vm.h"

typedef void (*exit_handler_fn)(struct vcpu *vcpu, struct vcpu_exit *exit);

static void handle_mmio(struct vcpu *vcpu, struct vcpu_exit *exit)
{
    struct vm *vm = vcpu->vm;
    bool ok;
    if (exit->mmio.write) {
        ok = mmio_bus_write(&vm->mmio, vcpu, exit->mmio.gpa, exit->mmio.size, exit->mmio.data);
        if (!ok) {
            /* A write to a read-only memslot behaves as ROM: ignored, counted. */
            uint64_t hpa;
            uint32_t flags;
            ok = memslot_translate(&vm->slots, exit->mmio.gpa, &hpa, &flags) && (flags & MEMSLOT_READONLY);
        }
    } else {
        ok = mmio_bus_read(&vm->mmio, vcpu, exit->mmio.gpa, exit->mmio.size, &exit->mmio.data);
    }
    if (!ok)
        vm_count_exit(vm, EXIT_ABORT);
    arch_vcpu_complete(vcpu, exit, ok);
}

const struct mmio_region *vm_device_at_slow(struct vm *vm, struct mmio_region *r, uint64_t gpa)
{
    uint32_t gen;
    if (!memslot_range_free(&vm->slots, r->base, r->size_bytes, &gen)) {
        uint64_t hpa;             /* a memslot over part of it (a run-time slot): per address */
        return memslot_translate(&vm->slots, gpa, &hpa, NULL) ? NULL : r;
    }
    __atomic_store_n(&r->no_slot_gen, gen + 1, __ATOMIC_RELAXED);
    return r;
}

/* x86 port I/O through the VM's port bus; the arch gives an unclaimed read all-ones. */
static void handle_pio(struct vcpu *vcpu, struct vcpu_exit *exit)
{
    struct vm *vm = vcpu->vm;
    bool ok = exit->mmio.write
                  ? mmio_bus_write(&vm->pio, vcpu, exit->mmio.gpa, exit->mmio.size, exit->mmio.data)
                  : mmio_bus_read(&vm->pio, vcpu, exit->mmio.gpa, exit->mmio.size, &exit->mmio.data);
    arch_vcpu_complete(vcpu, exit, ok);
}

static void handle_hypercall(struct vcpu *vcpu, struct vcpu_exit *exit)
{
    hypercall_handle(vcpu, exit);
    arch_vcpu_complete(vcpu, exit, true);
}

static void handle_wfx(struct vcpu *vcpu, struct vcpu_exit *exit)
{
    (void)exit;
    arch_vcpu_block(vcpu);
}

/* One row per exit reason; NULL rows were fully handled by the arch. */
static const exit_handler_fn exit_handlers[EXIT_REASON_COUNT] = {
    [EXIT_HYPERCALL] = handle_hypercall,
    [EXIT_MMIO] = handle_mmio,
    [EXIT_PIO] = handle_pio,
    [EXIT_WFX] = handle_wfx,
};

void vm_count_exit(struct vm *vm, uint32_t reason)
{
    if (reason < EXIT_REASON_COUNT)
        __atomic_fetch_add(&vm->exit_count[reason], 1, __ATOMIC_RELAXED);
}

uint64_t vm_exit_count(const struct vm *vm, uint32_t reason)
{
    uint64_t n = __atomic_load_n(&vm->exit_count[reason], __ATOMIC_RELAXED);
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        n += __atomic_load_n(&vm->vcpu[i].exit_count[reason], __ATOMIC_RELAXED);
    return n;
}

uint64_t vm_exit_total(const struct vm *vm)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        n += __atomic_load_n(&vm->vcpu[i].exit_total, __ATOMIC_RELAXED);
    return n;
}

int vcpu_power_on(struct vm *vm, uint32_t vcpu_id, uint64_t entry, uint64_t context)
{
    if (vcpu_id >= vm->vcpu_count)
        return -3;
    struct vcpu *v = &vm->vcpu[vcpu_id];
    uint32_t expected = VCPU_OFF;
    /* Only one racing caller wins the OFF -> ON_PENDING transition. */
    if (!__atomic_compare_exchange_n(&v->power, &expected, VCPU_ON_PENDING, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return expected == VCPU_ON ? -1 : -2;
    /* The target may see ON_PENDING before these are written: on_ready publishes them. */
    v->on_entry = entry;
    v->on_context = context;
    __atomic_store_n(&v->on_ready, 1, __ATOMIC_RELEASE);
    arch_vcpu_kick(v);
    return 0;
}

void vcpu_power_off(struct vcpu *vcpu)
{
    __atomic_store_n(&vcpu->power, VCPU_OFF, __ATOMIC_RELEASE);
}

void vm_request_shutdown(struct vm *vm, enum vm_shutdown how)
{
    uint32_t none = VM_SHUTDOWN_NONE;
    __atomic_compare_exchange_n(&vm->shutdown, &none, how, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        arch_vcpu_kick(&vm->vcpu[i]);
}

/* Waits while the vCPU is off; true when it was powered on, false when the VM stops. */
static bool wait_until_on(struct vcpu *vcpu)
{
    for (;;) {
        if (__atomic_load_n(&vcpu->vm->shutdown, __ATOMIC_ACQUIRE) != VM_SHUTDOWN_NONE)
            return false;
        uint32_t p = __atomic_load_n(&vcpu->power, __ATOMIC_ACQUIRE);
        if (p == VCPU_ON)
            return true;
        if (p == VCPU_ON_PENDING && __atomic_load_n(&vcpu->on_ready, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&vcpu->on_ready, 0, __ATOMIC_RELAXED);
            /* The reset (CPU_ON, and vCPU 0 after a VM reset) runs on the vCPU's own pCPU with
             * no lock held: arch resets may block (the PMU reset lowers its vGIC line). Keep
             * it outside any spinlock. */
            arch_vcpu_reset(vcpu, vcpu->on_entry, vcpu->on_context);
            __atomic_store_n(&vcpu->power, VCPU_ON, __ATOMIC_RELEASE);
            return true;
        }
        if (p == VCPU_ON_PENDING)
            continue;                 /* the CPU_ON winner is still writing the entry */
        arch_vcpu_block(vcpu);
    }
}

uint32_t cpu_work[HV_MAX_CPUS];

void kernel_tick(void)
{
    cpu_work[arch_cpu_index()] |= CPU_WORK_TICK;
}

/* What this pCPU's work mask asks for: on its tick the focus VM's console input (vCPU 0 reads
 * it) and the management interface; the drain of its VM's output when it queued some (again at
 * the next exit while the drain's budget leaves some of it; idle pCPUs drain every VM's). */
static void cpu_work_run(struct vcpu *vcpu, uint32_t *work)
{
    struct vm *vm = vcpu->vm;
    uint32_t w = *work;
    *work = 0;
    if (w & CPU_WORK_TICK) {
        if (vcpu->id == 0)
            vm_console_poll(vm);
        mgmt_poll();
    }
    vm_console_drain(vm);         /* its own VM's output only: never a stall behind another's */
    if (__atomic_load_n(&vm->console.pending, __ATOMIC_RELAXED))
        *work |= CPU_WORK_CONSOLE;
}

bool vcpu_fast_exit(struct vcpu *vcpu, struct vcpu_exit *exit)
{
    vcpu_count_exit(vcpu, exit->reason);
    if (exit_handlers[exit->reason])
        exit_handlers[exit->reason](vcpu, exit);
    return vcpu_fast_ready(vcpu);
}

void vm_pause(struct vm *vm)
{
    __atomic_store_n(&vm->pause_req, 1, __ATOMIC_RELEASE);
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        arch_vcpu_kick(&vm->vcpu[i]);
}

void vm_resume(struct vm *vm)
{
    __atomic_store_n(&vm->pause_req, 0, __ATOMIC_RELEASE);
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        arch_vcpu_kick(&vm->vcpu[i]);
}

bool vm_paused(const struct vm *vm)
{
    if (!__atomic_load_n(&vm->pause_req, __ATOMIC_ACQUIRE))
        return false;
    /* A vCPU that is off runs no guest code either; one being powered on parks first. */
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        if (__atomic_load_n(&vm->vcpu[i].power, __ATOMIC_ACQUIRE) != VCPU_OFF &&
            !__atomic_load_n(&vm->vcpu[i].parked, __ATOMIC_ACQUIRE))
            return false;
    return true;
}

/* Between two guest entries: wait while the VM is paused (not past a stop or reset). */
static void park_while_paused(struct vcpu *vcpu)
{
    struct vm *vm = vcpu->vm;
    __atomic_store_n(&vcpu->parked, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&vm->pause_req, __ATOMIC_ACQUIRE) &&
           __atomic_load_n(&vm->shutdown, __ATOMIC_ACQUIRE) == VM_SHUTDOWN_NONE) {
        vm_console_drain(NULL);
        mgmt_poll();
        migrate_vcpu_parked(vcpu);    /* a live migration takes its state here */
        arch_cpu_idle();
    }
    __atomic_store_n(&vcpu->parked, 0, __ATOMIC_RELEASE);
}

void vcpu_run_loop(struct vcpu *vcpu)
{
    struct vm *vm = vcpu->vm;
    uint32_t *work = &cpu_work[arch_cpu_index()];
    migrate_vcpu_starting(vcpu);      /* a VM that arrived by live migration: its state */
    while (wait_until_on(vcpu)) {
        if (__atomic_load_n(&vm->pause_req, __ATOMIC_ACQUIRE)) {
            park_while_paused(vcpu);
            continue;                 /* a stop or reset may have come meanwhile */
        }
        struct vcpu_exit exit;
        arch_vcpu_run(vcpu, &exit);
        if (exit.reason < EXIT_REASON_COUNT) {
            vcpu_count_exit(vcpu, exit.reason);
            if (exit_handlers[exit.reason])
                exit_handlers[exit.reason](vcpu, &exit);
        }
        if (*work)
            cpu_work_run(vcpu, work);
    }
}
