/* vm_console.c: the VMs' consoles: output rings drained fairly and at a bounded rate onto the
 * physical console as "[NAME] line", and console input for the VM that has focus. */
#include <inttypes.h>
#include <stdio.h>
#include "arch.h"
#include "kernel.h"
#include "page_alloc.h"
#include "vm.h"

static uint32_t vms_pending;      /* atomic: VMs whose ring holds something for the drain */
static uint32_t drain_busy;       /* atomic: a CPU is draining; it alone touches the three below */
static uint32_t drain_next;       /* the VM the drain looks at next (round-robin) */
static int64_t drain_tokens;      /* bytes the drain may print now (negative after a flush) */
static uint64_t drain_last_ns;    /* when drain_tokens was last refilled */

static struct vm *console_focus;  /* set before the vCPUs run, read-only after */
static struct spinlock console_input_lock = SPINLOCK_INIT;   /* guards the two below */
static uint64_t console_next_poll_ns;
static int console_held = -1;     /* a byte the focus VM had no room for */

bool vm_console_init(struct vm *vm)
{
    uint64_t pa = hv_page_alloc(VM_CONSOLE_RING_BYTES / PAGE_SIZE, PAGE_SIZE);
    if (!pa) {
        hv_printf("vm %s: out of memory for the console ring\n", vm->name);
        return false;
    }
    vm->console.lock = (struct spinlock)SPINLOCK_INIT;
    console_ring_init(&vm->console.ring, (void *)(uintptr_t)pa, VM_CONSOLE_RING_BYTES);
    return true;
}

/* The VM's ring under its lock; ring_unlock keeps vms_pending in step with what happened to it. */
static struct console_ring *ring_lock(struct vm *vm, bool *was_pending)
{
    spin_lock(&vm->console.lock);
    *was_pending = console_ring_pending(&vm->console.ring);
    return &vm->console.ring;
}

static void ring_unlock(struct vm *vm, bool was_pending)
{
    bool pending = console_ring_pending(&vm->console.ring);
    if (pending != was_pending) {
        __atomic_store_n(&vm->console.pending, pending, __ATOMIC_SEQ_CST);
        __atomic_add_fetch(&vms_pending, pending ? 1 : (uint32_t)-1, __ATOMIC_SEQ_CST);
        if (pending)
            cpu_work[arch_cpu_index()] |= CPU_WORK_CONSOLE;   /* this pCPU drains after its exit */
    }
    spin_unlock(&vm->console.lock);
}

void vm_console_putc(struct vm *vm, char c)
{
    bool was;
    console_ring_putc(ring_lock(vm, &was), (uint8_t)c);
    ring_unlock(vm, was);
}

void vm_console_write(struct vm *vm, const char *s, uint32_t len)
{
    bool was;
    struct console_ring *r = ring_lock(vm, &was);
    for (uint32_t i = 0; i < len; i++)
        console_ring_putc(r, (uint8_t)s[i]);
    ring_unlock(vm, was);
}

uint64_t vm_console_dropped(struct vm *vm)
{
    spin_lock(&vm->console.lock);
    uint64_t n = vm->console.ring.dropped_total;
    spin_unlock(&vm->console.lock);
    return n;
}

bool vm_console_backlog(void)
{
    return __atomic_load_n(&vms_pending, __ATOMIC_RELAXED) != 0;
}

/* Takes the VM's oldest record and prints it as one physical line; the bytes printed, 0 when the
 * VM had nothing. The VM's lock is held only to copy the record out, never during the print. */
static uint32_t print_one(struct vm *vm)
{
    char text[CONSOLE_LINE_MAX];
    uint32_t len = 0;
    uint64_t dropped = 0;
    bool was;
    enum console_rec rec = console_ring_pop(ring_lock(vm, &was), text, &len, &dropped);
    ring_unlock(vm, was);
    if (rec == CONSOLE_REC_NONE)
        return 0;
    /* newlib formats, as hv_printf does: the first FP/SIMD use after an exit, so the guest's
     * FP state is saved lazily on the CPU that drains (arch/aarch64/fpsimd.c, x86 fpu.c). */
    char out[VM_CONSOLE_OUT_LINE_MAX + 1];
    int n = rec == CONSOLE_REC_LINE
                ? snprintf(out, sizeof(out), "[%s] %.*s\n", vm->name, (int)len, text)
                : snprintf(out, sizeof(out), "[%s] ... %" PRIu64 " bytes dropped\n", vm->name, dropped);
    if (n < 0)
        return 0;
    if ((size_t)n >= sizeof(out))
        n = sizeof(out) - 1;
    console_write(out, (size_t)n);
    return (uint32_t)n;
}

/* A token bucket. Its rate (vm.h) is about three times what a 115200-baud UART carries: on real
 * hardware the UART is the bound, while under an emulator (whose UART takes bytes at once) a guest
 * printing in a tight loop is still held to a share a reader can follow. */
static void drain_refill(void)
{
    uint64_t now = arch_time_ns(), dt = now - drain_last_ns;
    const int64_t burst = VM_CONSOLE_DRAIN_BURST_BYTES;
    int64_t add = dt >= 1000000000ull ? burst : (int64_t)(dt * VM_CONSOLE_DRAIN_BYTES_PER_S / 1000000000ull);
    if (!add)
        return;                            /* less than a byte's worth: keep counting from then */
    /* Move on by the time those bytes stand for, so frequent calls lose no fractions. */
    drain_last_ns = add == burst ? now : drain_last_ns + (uint64_t)add * 1000000000ull / VM_CONSOLE_DRAIN_BYTES_PER_S;
    drain_tokens = drain_tokens + add > burst ? burst : drain_tokens + add;
}

static bool waiting(struct vm *exited)
{
    return __atomic_load_n(exited ? &exited->console.pending : &vms_pending, __ATOMIC_SEQ_CST) != 0;
}

/* One call's worth, round-robin: one line per VM in turn, until a whole round finds nothing or
 * exited has nothing left (false), or the budget would not cover another line (true). Caller
 * owns drain_busy. */
static bool drain_round(struct vm *exited)
{
    drain_refill();
    int64_t budget = drain_tokens < VM_CONSOLE_DRAIN_CALL_BYTES ? drain_tokens : VM_CONSOLE_DRAIN_CALL_BYTES;
    uint32_t count = __atomic_load_n(&vm_count, __ATOMIC_ACQUIRE);
    for (uint32_t empty = 0; empty < count;) {
        if (budget < VM_CONSOLE_OUT_LINE_MAX)
            return true;
        struct vm *vm = &vms[drain_next % count];
        drain_next = (drain_next + 1) % count;
        uint32_t n = print_one(vm);
        if (!n) {
            empty++;
            continue;
        }
        empty = 0;
        budget -= n;
        drain_tokens -= n;
        if (console_panicking())
            return true;
        if (exited && !waiting(exited))
            return false;
    }
    return false;
}

void vm_console_drain(struct vm *exited)
{
    for (int pass = 0; pass < 4; pass++) {
        if (!waiting(exited) || console_panicking() || __atomic_exchange_n(&drain_busy, 1, __ATOMIC_ACQUIRE))
            return;
        bool out_of_budget = drain_round(exited);
        __atomic_store_n(&drain_busy, 0, __ATOMIC_SEQ_CST);
        /* Out of budget: the rest waits for a later call. Otherwise look again (a few times, not
         * for ever): a CPU that queued a line while this one drained found drain_busy set and
         * left it to us. */
        if (out_of_budget)
            return;
    }
}

void vm_console_flush(struct vm *vm)
{
    bool was;
    console_ring_end_line(ring_lock(vm, &was));
    ring_unlock(vm, was);
    while (__atomic_exchange_n(&drain_busy, 1, __ATOMIC_ACQUIRE))
        arch_cpu_relax();                  /* a drain holds it for at most VM_CONSOLE_DRAIN_CALL_BYTES */
    uint32_t n;
    while (!console_panicking() && (n = print_one(vm)))
        drain_tokens -= n;                 /* the others wait for what this took, */
    if (drain_tokens < -(int64_t)VM_CONSOLE_DRAIN_BURST_BYTES)
        drain_tokens = -(int64_t)VM_CONSOLE_DRAIN_BURST_BYTES;   /* but not for more than a burst */
    __atomic_store_n(&drain_busy, 0, __ATOMIC_SEQ_CST);
}

void vm_console_set_focus(struct vm *vm)
{
    console_focus = vm;
}

bool vm_console_input_open(void)
{
    return console_focus && console_focus->console.rx;
}

void vm_console_poll(struct vm *vm)
{
    if (vm != console_focus || !vm->console.rx)
        return;
    uint64_t now = arch_time_ns();
    spin_lock(&console_input_lock);
    if (now >= console_next_poll_ns) {
        console_next_poll_ns = now + 1000 * 1000;
        /* Bytes stay in the host UART while the guest's FIFO is full: nothing is dropped. */
        for (int i = 0; i < 16; i++) {
            int c = console_held >= 0 ? console_held : arch_console_getc();
            if (c < 0)
                break;
            console_held = vm->console.rx(vm, (uint8_t)c) ? -1 : c;
            if (console_held >= 0)
                break;
        }
    }
    spin_unlock(&console_input_lock);
}
