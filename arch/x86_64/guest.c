/* guest.c: the arch_guest.h entry points for x86_64, written once on top of the x86 vCPU interface
 * (x86_vcpu.h): backend choice, VM platform devices, boot protocol, vCPU reset, the run loop with event
 * injection and its entry sequence, blocking and kicks. What each exit means is exit.c's. */
#include <inttypes.h>
#include <string.h>
#include "arch.h"
#include "arch_guest.h"
#include "boot_info.h"
#include "kernel.h"
#include "stage2.h"
#include "x86.h"
#include "hypercall.h"
#include "x86_internal.h"
#include "x86_spec.h"
#include "x86_vcpu.h"
#include "x86_regs.h"

#define CPUID_8000000A_NP (1u << 0)
#define MSR_VM_CR         0xC0010114u
#define VM_CR_SVMDIS      (1u << 4)

/* Chosen once by CPU 0 on the first call (vm_create, before any other CPU runs guests), read-only after. */
static const struct x86_vcpu_ops *backend;
static bool backend_chosen;
/* Per pCPU: its virtualization extension is on. Each entry is written only by its own CPU. */
static bool cpu_enabled[HV_MAX_CPUS];

/* SVM on CPUs with SVM and nested paging (AMD APM Vol. 2, 15.4), VMX on CPUs with VMX (Intel SDM
 * Vol. 3C, 23.6); the backends check the finer capabilities themselves. */
const struct x86_vcpu_ops *x86_vcpu_backend(void)
{
    if (backend_chosen)
        return backend;
    backend_chosen = true;
    uint32_t max_ext = cpuid(0x80000000, 0).eax;
    if (cpuid(1, 0).ecx & CPUID_1_ECX_VMX)
        backend = &vmx_vcpu_ops;
    else if (max_ext >= 0x8000000A && (cpuid(0x80000001, 0).ecx & CPUID_80000001_ECX_SVM) &&
             (cpuid(0x8000000A, 0).edx & CPUID_8000000A_NP) && !(rdmsr(MSR_VM_CR) & VM_CR_SVMDIS))
        backend = &svm_vcpu_ops;
    if (backend) {
        hv_printf("x86: guests run under %s with %s\n", backend->name, backend->stage2_format()->name);
        x86_spec_init(backend == &vmx_vcpu_ops);
    }
    return backend;
}

const struct pt_format *arch_stage2_format(void)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    return ops ? ops->stage2_format() : &x86_npt_format;
}

/* The backends flush on the next entry of each vCPU (NPT: TLB_CONTROL by ASID; EPT: INVEPT). */
void arch_stage2_tlb_invalidate(struct vm *vm, uint64_t ipa, uint64_t size_bytes)
{
    (void)ipa; (void)size_bytes;
    __atomic_fetch_add(&vm->arch.tlb_gen, 1, __ATOMIC_RELEASE);
}

static bool uart_rx(struct vm *vm, uint8_t byte)
{
    return vuart16550_rx_push(&vm->arch.uart, byte);
}

/* COM1's interrupt is ISA IRQ 4, IOAPIC pin 4 (no MADT override for it), edge-triggered. */
static void uart_irq(struct vm *vm, bool level)
{
    vioapic_set_line(vm, X86_COM1_GSI, level);
}

bool arch_vm_init(struct vm *vm)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    if (!ops) {
        hv_printf("vm %s: this CPU has neither VMX nor SVM with nested paging\n", vm->name);
        return false;
    }
    vm->arch.asid = vm->id + 1;
    vuart16550_init(&vm->arch.uart, vm, uart_irq);
    vm->console.rx = uart_rx;
    if (mmio_bus_register(&vm->pio, VUART16550_COM1_PORT, VUART16550_PORT_COUNT, &vuart16550_ops,
                          &vm->arch.uart, "com1") || !x86_debug_exit_register(vm) || !vlapic_register(vm) ||
        !vioapic_register(vm) || !vpit_register(vm) || !fw_cfg_register(vm) || !vpmtimer_register(vm) ||
        !vrtc_register(vm) || !vi8042_register(vm) || !vpci_conf1_init(vm) || !vpm1_register(vm) ||
        !vecam_register(vm) || !x86_smm_vm_init(vm)) {
        hv_printf("vm %s: cannot register its platform devices\n", vm->name);
        return false;
    }
    if (x86_nested_vmx(vm) && ops != &vmx_vcpu_ops) {
        hv_printf("vm %s: 'nested = vmx' needs the VMX backend (this CPU runs guests under %s)\n", vm->name,
                  ops->name);
        return false;
    }
    if (!ops->vm_init(vm))
        return false;
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        if (!ops->vcpu_init(&vm->vcpu[i]))
            return false;
    return true;
}

/* Device pass-through ('device' and 'pci' in hv.cfg) is aarch64-only so far. */
bool arch_vm_assign_devices(struct vm *vm)
{
    if (!vm->cfg->device_count && !vm->cfg->pci_count)
        return true;
    hv_printf("vm %s: '%s' pass-through is not supported on x86_64\n", vm->name,
              vm->cfg->device_count ? "device" : "pci");
    return false;
}

/* No virtual PMU on x86_64 yet; with nested VMX its immediate exits from L2 and the throttle's
 * refusals (vmx/nested.c), summed over the vCPUs. */
uint32_t arch_vm_stats(const struct vm *vm, struct arch_stat *out, uint32_t max)
{
    if (!x86_nested_vmx(vm) || max < 2)
        return 0;
    uint64_t armed = 0, throttled = 0;
    for (uint32_t i = 0; i < vm->vcpu_count; i++) {
        armed += __atomic_load_n(&vm->vcpu[i].arch.nvmx.immediate_total, __ATOMIC_RELAXED);
        throttled += __atomic_load_n(&vm->vcpu[i].arch.nvmx.throttled, __ATOMIC_RELAXED);
    }
    out[0] = (struct arch_stat){ "nested_immediate_exits", armed };
    out[1] = (struct arch_stat){ "nested_immediate_throttled", throttled };
    return 2;
}

bool arch_vm_load_images(struct vm *vm, uint64_t *entry, uint64_t *arg0)
{
    const struct boot_vm *b = vm->boot;
    /* Each (re)load starts the platform devices from their power-up state, SMRAM's controls too. */
    if (!x86_smram_load(vm))
        return false;
    vioapic_reset(vm);
    vpit_reset(vm);
    vuart16550_reset(&vm->arch.uart);
    vi8042_reset(&vm->arch.i8042);
    vpci_conf1_reset(vm);
    vm->arch.fw_cfg = (struct fw_cfg){ 0, 0 };
    vpm1_reset(vm);
    kvmclock_vm_start(vm);
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        vm->vcpu[i].arch.start_sipi = false;
    struct x86_boot_image img = {
        .kernel = (const uint8_t *)(uintptr_t)b->kernel.base, .kernel_size = b->kernel.size_bytes,
        .initrd = b->initrd.base ? (const uint8_t *)(uintptr_t)b->initrd.base : NULL,
        .initrd_size = b->initrd.size_bytes, .cmdline = vm->cfg->cmdline,
        .kernel_path = vm->cfg->kernel, .initrd_path = vm->cfg->initrd,
        .ram_size_bytes = b->ram.size_bytes,
    };
    const struct x86_image_loader *loader = x86_boot_find_loader(img.kernel, img.kernel_size);
    if (!loader) {
        hv_printf("vm %s: kernel %s: unknown image format (neither Multiboot nor a Linux bzImage)\n", vm->name,
                  vm->cfg->kernel);
        return false;
    }
    char err[160];
    if (!loader->load(&vm->slots, &img, &vm->arch.boot, err, sizeof(err))) {
        hv_printf("vm %s: kernel %s: %s: %s\n", vm->name, vm->cfg->kernel, loader->name, err);
        return false;
    }
    if (img.ram_size_bytes >= X86_E820_HIGH_RAM_BASE && !x86_acpi_build(vm)) {
        hv_printf("vm %s: cannot write its ACPI tables\n", vm->name);
        return false;
    }
    *entry = vm->arch.boot.rip;
    *arg0 = vm->arch.boot.gpr[GPR_RBX];
    return true;
}

/* Runs on the vCPU's own pCPU (kernel/vcpu.c wait_until_on). */
void arch_vcpu_reset(struct vcpu *vcpu, uint64_t entry, uint64_t context)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    uint32_t cpu = arch_cpu_index();
    if (!cpu_enabled[cpu]) {
        if (!ops->cpu_enable())
            kernel_panic("cannot enable hardware virtualization");
        cpu_enabled[cpu] = true;
    }
    x86_spec_vm_switch(cpu, vcpu->vm->id);
    struct arch_vcpu *a = &vcpu->arch;
    struct x86_boot_state s = vcpu->vm->arch.boot;
    s.rip = entry;
    s.gpr[GPR_RBX] = context;
    if (a->start_sipi) {      /* an AP after INIT-SIPI: every register at its INIT value, real mode */
        memset(&s, 0, sizeof(s));
        s.mode = X86_BOOT_REAL_SIPI;
        s.rip = entry;
        a->start_sipi = false;
    }
    a->flush_on_entry = true;
    a->host_timer_armed = ~0ull;     /* unknown: programmed before the first entry */
    __atomic_store_n(&a->kick, 0, __ATOMIC_RELAXED);
    x86_msr_reset(vcpu);
    vlapic_reset(vcpu);
    x86_fpu_reset(vcpu);
    x86_smm_vcpu_reset(vcpu);           /* out of SMM: vcpu_reset below puts it on vm->stage2 */
    a->exc_loop = 0;
    a->window_requested = a->nmi_window_requested = false;
    a->nmi_soft.masked = a->nmi_soft.iret_seen = false;
    a->emul = (struct x86_emul){ 0 };
    a->fetch_cache.valid = false;       /* its slots may be new ones at the same generation */
    ops->vcpu_reset(vcpu);
    ops->set_event(vcpu, 0, 0);
    ops->set_interruptibility(vcpu, 0);
    ops->set_tsc_offset(vcpu, a->tsc_offset);   /* what msr.c keeps: its reset values */
    ops->set_pat(vcpu, a->pat);
    struct x86_cpu_state st;
    x86_reset_state(&s, &st);
    x86_vcpu_set_state(vcpu, &st);
    x86_cr_reset(vcpu);
    x86_exception_reset(vcpu);
}

static uint64_t size_mask(uint32_t size) { return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1; }

/* --- interrupts: timers, injection, INIT/SIPI, blocking and kicks -------------------------------- */

/* The time-driven devices this vCPU answers for: its LAPIC timer, and on vCPU 0 the PIT. */
static void update_timers(struct vcpu *v, uint64_t now)
{
    vlapic_timer_update(v, now);
    if (v->id == 0)
        vpit_update(v->vm, now);
}

/* Injects the highest-priority deliverable interrupt if the guest can take it now, else asks for an
 * exit at the first moment it can (SDM Vol. 3A, 6.8.1 and 10.8.3; SDM Vol. 3C, 26.6; APM 15.20). */
static void inject_events(struct vcpu *v)
{
    struct arch_vcpu *a = &v->arch;
    /* An NMI when event.c allows one (no NMI in progress, no shadow); otherwise an NMI window. */
    bool want_nmi = __atomic_load_n(&a->lapic.nmi_pending, __ATOMIC_ACQUIRE) &&
                    !a->smm.in_smm;           /* SMM blocks NMIs until RSM (SDM Vol. 3C 34.8) */
    if (want_nmi && x86_nmi_allowed(v)) {
        __atomic_store_n(&a->lapic.nmi_pending, 0, __ATOMIC_RELAXED);
        x86_inject_nmi(v);
        want_nmi = false;
    }
    x86_request_window(v, true, want_nmi);
    uint8_t vector;
    bool want = vlapic_pending(v, &vector);
    if (want && x86_interrupt_allowed(v)) {
        vlapic_ack(v, vector);
        x86_inject_interrupt(v, vector);
        want = vlapic_pending(v, &vector);      /* a higher class still waiting: exit after this one */
    }
    x86_request_window(v, false, want);
}

/* The host LAPIC timer forces an exit at the next virtual deadline, since a guest spinning without
 * exits would otherwise never see its timer. */
static void arm_host_timer(struct vcpu *v)
{
    uint64_t d = vlapic_next_deadline(v);
    if (v->id == 0) {
        uint64_t p = __atomic_load_n(&v->vm->arch.pit.next_event, __ATOMIC_RELAXED);
        if (p && (!d || p < d))
            d = p;
    }
    /* The management interface and the console drain are polled by waking vCPUs (kernel_poll):
     * at least every 10 ms while they want it, even when the guest has no timer armed. */
    if (kernel_poll_wanted()) {
        uint64_t cap = rdtsc() + x86_tsc_hz() / 100;
        if (!d || cap < d)
            d = cap;
    }
    /* A timer still to fire and due no later than d serves (at worst it ends one entry early and
     * is programmed again): no LAPIC write on an entry whose deadline only moved on (the 10 ms cap
     * does every time). One that fired already, perhaps in the host between exits, does not. */
    uint64_t armed = v->arch.host_timer_armed;
    if (d && armed && armed != ~0ull && armed <= d && armed > rdtsc())
        return;
    if (d != armed) {
        lapic_timer_arm(d);
        v->arch.host_timer_armed = d;
    }
}

/* INIT (SDM Vol. 3A, 8.4.1 and 10.6.1): a running vCPU stops and waits for a start-up IPI, which in
 * kernel/'s terms is powered off; one that is off already waits. */
void x86_vcpu_init_signal(struct vcpu *t)
{
    if (__atomic_load_n(&t->power, __ATOMIC_ACQUIRE) == VCPU_OFF)
        return;
    __atomic_store_n(&t->arch.lapic.init_pending, 1, __ATOMIC_RELEASE);
    arch_vcpu_kick(t);
}

/* A start-up IPI to a vCPU waiting for one starts it in real mode at vector << 12 through kernel/'s
 * vcpu_power_on (its reset runs on the target's pCPU); a vCPU already running ignores it (8.4.4.1). */
void x86_vcpu_startup_ipi(struct vcpu *t, uint8_t vector)
{
    if (__atomic_load_n(&t->power, __ATOMIC_ACQUIRE) != VCPU_OFF)
        return;
    t->arch.start_sipi = true;                  /* published by vcpu_power_on's release of on_ready */
    vcpu_power_on(t->vm, t->id, (uint64_t)vector << 12, 0);
}

/* An MMIO access to this vCPU's relocated xAPIC page is answered here, not on the VM's bus (vlapic.c). */
static void local_mmio(struct vcpu *v, struct vcpu_exit *exit)
{
    if (exit->reason == EXIT_MMIO &&
        vlapic_relocated_mmio(v, exit->mmio.gpa, exit->mmio.size, exit->mmio.write, &exit->mmio.data)) {
        x86_emul_complete_mmio(v, exit, true);
        exit->reason = EXIT_OTHER;
    }
}

/* The exit path's fast tier: VMMCALL of a read-only hypercall and CPUID are counted and handled
 * as the run loop would (vcpu_fast_exit), then the vCPU enters again through the whole entry
 * sequence below (pending write, INIT, timers, event injection) without the trip through the run
 * loop. */
static bool fast_exit(const struct x86_exit *x, const struct vcpu_exit *exit)
{
    return x->kind == X86_EXIT_CPUID || (exit->reason == EXIT_HYPERCALL && hypercall_is_fast(exit->hypercall.nr));
}

void arch_vcpu_run(struct vcpu *vcpu, struct vcpu_exit *exit)
{
    const struct x86_vcpu_ops *ops = x86_vcpu_backend();
    struct arch_vcpu *a = &vcpu->arch;
again:;
    /* The write half of an instruction whose read just completed: before anything else (an INIT
     * or an interrupt must not land between the two halves), and without entering the guest. */
    if (x86_emul_pending_write(vcpu, exit)) {
        local_mmio(vcpu, exit);
        return;
    }
    /* INIT waits while the vCPU is in SMM (KVM latches it too) and is taken after RSM. */
    if (!a->smm.in_smm && __atomic_exchange_n(&a->lapic.init_pending, 0, __ATOMIC_ACQ_REL)) {
        vcpu_power_off(vcpu);
        exit->reason = EXIT_OTHER;
        return;
    }
    /* From here a sender that sets work for this vCPU either sees kick_by_ipi and sends an IPI, or this
     * vCPU sees the work below (both sides order their store before their load). */
    __atomic_store_n(&a->kick_by_ipi, 1, __ATOMIC_SEQ_CST);
    update_timers(vcpu, rdtsc());
    if (!x86_smm_deliver(vcpu, exit)) {  /* an SMI comes before any interrupt (SDM Vol. 3A 6.9) */
        __atomic_store_n(&a->kick_by_ipi, 0, __ATOMIC_RELEASE);
        return;
    }
    inject_events(vcpu);
    arm_host_timer(vcpu);
    x86_fpu_enter(vcpu);
    x86_tsc_aux_enter(vcpu);
    /* A stage-2 change since this vCPU last flushed, a fresh vCPU or pCPU, an emulated paging change: its
     * translations go (APM Vol. 2, 15.16.1: TLB_CONTROL; SDM Vol. 3C, 30.3: INVEPT / INVVPID). */
    uint32_t gen = __atomic_load_n(&vcpu->vm->arch.tlb_gen, __ATOMIC_ACQUIRE);
    if (a->flush_on_entry || gen != a->tlb_gen_seen) {
        ops->flush_tlb(vcpu);
        a->tlb_gen_seen = gen;
        a->flush_on_entry = false;
    }
    x86_spec_vm_entry();
    struct x86_exit x = { 0 };        /* stores inline: no library memset per exit */
    ops->run(vcpu, &x);
    x86_fpu_exit(vcpu);
    __atomic_store_n(&a->kick_by_ipi, 0, __ATOMIC_RELEASE);
    exit->reason = EXIT_OTHER;
    x86_exit_handle(vcpu, &x, exit);
    local_mmio(vcpu, exit);
    if (fast_exit(&x, exit)) {
        if (vcpu_fast_exit(vcpu, exit))
            goto again;
        exit->reason = EXIT_HANDLED;
    }
}

void arch_vcpu_complete(struct vcpu *vcpu, const struct vcpu_exit *exit, bool handled)
{
    struct arch_vcpu *a = &vcpu->arch;
    switch (exit->reason) {
    case EXIT_HYPERCALL:
        a->gpr[GPR_RAX] = exit->hypercall.ret[0];
        a->gpr[GPR_RBX] = exit->hypercall.ret[1];
        a->gpr[GPR_RCX] = exit->hypercall.ret[2];
        a->gpr[GPR_RDX] = exit->hypercall.ret[3];
        x86_vcpu_advance(vcpu, a->next_rip);
        break;
    case EXIT_PIO:
        if (a->emul.pio_string) {
            x86_emul_complete_pio_string(vcpu, exit, handled);
            break;
        }
        if (!exit->mmio.write) {
            /* IN from a port no device claims reads all-ones (the PC bus floats high). */
            uint64_t data = handled ? exit->mmio.data : ~0ull;
            a->gpr[GPR_RAX] = exit->mmio.size == 4 ? (uint32_t)data
                              : (a->gpr[GPR_RAX] & ~size_mask(exit->mmio.size)) | (data & size_mask(exit->mmio.size));
        }
        x86_vcpu_advance(vcpu, a->next_rip);
        break;
    case EXIT_MMIO:
        x86_emul_complete_mmio(vcpu, exit, handled);
        break;
    default:
        break;
    }
}

/* Whether a blocked vCPU has work again: for a halted one (HLT, SDM Vol. 3A, 8.x) an interrupt it can
 * take (IF set, above PPR), an SMI, an NMI or INIT (neither in SMM); for a powered-off one a kick (power-on); for
 * both a stop. */
static bool block_done(struct vcpu *vcpu, bool halted)
{
    struct arch_vcpu *a = &vcpu->arch;
    bool kicked = __atomic_exchange_n(&a->kick, 0, __ATOMIC_ACQ_REL);
    if (__atomic_load_n(&vcpu->vm->shutdown, __ATOMIC_ACQUIRE) != VM_SHUTDOWN_NONE)
        return true;
    if (!halted)
        return kicked;
    uint8_t vector;
    update_timers(vcpu, rdtsc());
    bool smm = a->smm.in_smm;           /* SMM holds INIT and NMIs back until RSM */
    return (__atomic_load_n(&a->lapic.init_pending, __ATOMIC_ACQUIRE) && !smm) || x86_smm_pending(vcpu) ||
           (__atomic_load_n(&a->lapic.nmi_pending, __ATOMIC_ACQUIRE) && !smm) ||
           (((a->rflags & RFLAGS_IF) || x86_nested_l2_exits_on_l1_interrupt(vcpu)) && vlapic_pending(vcpu, &vector));
}

/* Halted and powered-off vCPUs sleep in HLT on their pCPU (an emulator then frees the host CPU), woken
 * by a kick IPI or the host timer set for the next virtual deadline. STI; HLT takes an interrupt that
 * became pending after the last check only once HLT has started, so no wake-up is lost. */
void arch_vcpu_block(struct vcpu *vcpu)
{
    struct arch_vcpu *a = &vcpu->arch;
    bool halted = __atomic_load_n(&vcpu->power, __ATOMIC_ACQUIRE) == VCPU_ON;
    for (;;) {
        if (block_done(vcpu, halted))
            return;
        __atomic_store_n(&a->kick_by_ipi, 1, __ATOMIC_SEQ_CST);
        if (block_done(vcpu, halted)) {
            __atomic_store_n(&a->kick_by_ipi, 0, __ATOMIC_RELEASE);
            return;
        }
        if (halted)
            arm_host_timer(vcpu);
        __asm__ volatile("sti; hlt; cli" ::: "memory");
        a->host_timer_armed = ~0ull;          /* it may have fired: program it again */
        __atomic_store_n(&a->kick_by_ipi, 0, __ATOMIC_RELEASE);
        kernel_poll();                        /* a waking vCPU drains consoles, serves the management interface */
    }
}

/* A blocked vCPU polls; one inside the guest is forced out by a physical IPI to its pCPU (the INTR
 * intercept / external-interrupt exiting turns it into a VM exit). */
void arch_vcpu_kick(struct vcpu *vcpu)
{
    __atomic_store_n(&vcpu->arch.kick, 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&vcpu->arch.kick_by_ipi, __ATOMIC_ACQUIRE) && vcpu->pcpu != arch_cpu_index())
        lapic_kick_cpu(vcpu->pcpu);
}
