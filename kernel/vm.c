/* vm.c: VM creation from the configuration, memory layout, reset, and pCPU placement. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "arch.h"
#include "arch_guest.h"
#include "boot_info.h"
#include "kernel.h"
#include "migrate.h"
#include "page_alloc.h"
#include "vm.h"

/* [VM_MAX_VMS], from the page allocator at start-up (vm_start_all): kept out of hv.efi, where a
 * zeroed static array of that size would be most of the image. Written by CPU 0 before the
 * secondaries run guests, read-only afterwards. */
struct vm *vms;
uint32_t vm_count;
static bool restartable;                          /* hv.cfg has 'mgmt': stopped VMs can start again */
static uint32_t vms_alive;                         /* VMs not yet stopped, atomic */
static struct vcpu *pcpu_vcpu[HV_MAX_CPUS];        /* written by CPU 0 before release */
static uint32_t placement_done;                    /* atomic: pcpu_vcpu[] is final */

/* --- stage-2 table memory ------------------------------------------------ */
static uint64_t s2_alloc(void *ctx) { (void)ctx; return hv_page_alloc(1, PAGE_SIZE); }
static void s2_free(void *ctx, uint64_t pa) { (void)ctx; hv_page_free(pa, 1); }
static uint64_t *s2_ptr(void *ctx, uint64_t pa) { (void)ctx; return (uint64_t *)(uintptr_t)pa; }
static void s2_tlbi(void *ctx, uint64_t ipa, uint64_t size) { arch_stage2_tlb_invalidate(ctx, ipa, size); }

bool vm_create(struct vm *vm, uint32_t id, const struct config_vm *cfg, const struct boot_vm *boot)
{
    memset(vm, 0, sizeof(*vm));
    vm->id = id;
    vm->name = cfg->name;
    vm->cfg = cfg;
    vm->boot = boot;
    vm->vcpu_count = cfg->cpu_count;
    memslots_init(&vm->slots);
    vm->stage2_env = (struct pt_env){ s2_alloc, s2_free, s2_ptr, s2_tlbi, vm };
    if (pt_init(&vm->stage2, arch_stage2_format(), &vm->stage2_env)) {
        hv_printf("vm %s: out of memory for stage-2 tables\n", vm->name);
        return false;
    }
    if (!vm_console_init(vm))
        return false;
    for (uint32_t i = 0; i < vm->vcpu_count; i++) {
        vm->vcpu[i].vm = vm;
        vm->vcpu[i].id = i;
        vm->vcpu[i].power = VCPU_OFF;
    }
    return arch_vm_init(vm);
}

/* Maps one memslot into stage-2: blocks where aligned, pages at the edges, pages
 * only while dirty logging. */
static bool map_slot(struct vm *vm, uint32_t id, uint64_t gpa, uint64_t size, uint64_t hpa, uint32_t flags)
{
    if (memslot_set(&vm->slots, id, gpa, size, hpa, flags) != MEMSLOT_OK)
        return false;
    uint32_t perms = (flags & MEMSLOT_READONLY) ? PT_R | PT_X : PT_RWX;
    return pt_map(&vm->stage2, gpa, hpa, size, perms, (flags & MEMSLOT_DIRTY_LOG) ? PT_MAP_PAGES_ONLY : 0) == 0;
}

static bool vm_map_memory(struct vm *vm)
{
    struct guest_ram_range ram[ARCH_GUEST_RAM_RANGES];
    uint32_t ram_count = arch_guest_ram_ranges(vm->boot->ram.size_bytes, ram);
    uint64_t hpa_off = 0;
    for (uint32_t i = 0; i < ram_count; i++) {
        if (!map_slot(vm, i, ram[i].gpa, ram[i].size_bytes, vm->boot->ram.base + hpa_off, MEMSLOT_RAM))
            return false;
        hpa_off += ram[i].size_bytes;
    }
    for (uint32_t i = 0; i < vm->cfg->region_count; i++) {
        const struct config_region *r = &vm->cfg->regions[i];
        const char *why = arch_guest_region_refused(r->gpa, r->size_bytes);
        if (why) {
            hv_printf("vm %s: region 0x%" PRIx64 "+0x%" PRIx64 " %s\n", vm->name, r->gpa, r->size_bytes, why);
            return false;
        }
        uint64_t hpa = hv_page_alloc(r->size_bytes / PAGE_SIZE, 2u << 20);
        if (!hpa) {
            hv_printf("vm %s: no memory for region 0x%" PRIx64 "\n", vm->name, r->gpa);
            return false;
        }
        if (!map_slot(vm, ram_count + i, r->gpa, r->size_bytes, hpa, r->read_only ? MEMSLOT_READONLY : 0)) {
            hv_printf("vm %s: region 0x%" PRIx64 "+0x%" PRIx64 " overlaps the VM's RAM\n", vm->name, r->gpa,
                      r->size_bytes);
            return false;
        }
    }
    /* Passed-through devices: GPA = HPA, device memory, never a memslot (the hypervisor
     * itself never reads or writes them through the guest-memory accessor). */
    for (uint32_t i = 0; i < vm->cfg->device_count; i++) {
        const struct config_device *d = &vm->cfg->devices[i];
        if (pt_map(&vm->stage2, d->base, d->base, d->size_bytes, PT_R | PT_W | PT_DEVICE, PT_MAP_PAGES_ONLY)) {
            hv_printf("vm %s: cannot map device 0x%" PRIx64 "\n", vm->name, d->base);
            return false;
        }
    }
    return true;
}

/* Loads the images and makes vCPU 0 ready to start; the other vCPUs stay off (PSCI). */
static bool vm_boot(struct vm *vm)
{
    uint64_t entry, arg0;
    if (!arch_vm_load_images(vm, &entry, &arg0))
        return false;
    for (uint32_t i = 0; i < vm->vcpu_count; i++) {
        vm->vcpu[i].power = VCPU_OFF;
        vm->vcpu[i].on_ready = 0;     /* a CPU_ON not yet taken when the VM stopped */
    }
    __atomic_store_n(&vm->shutdown, VM_SHUTDOWN_NONE, __ATOMIC_RELEASE);
    return vcpu_power_on(vm, 0, entry, arg0) == 0;
}

bool vm_load(struct vm *vm)
{
    /* Devices last: a VM that fails before has none of them routed to its slot. */
    if (!vm_map_memory(vm) || !vm_boot(vm) || !arch_vm_assign_devices(vm)) {
        hv_printf("vm %s: cannot load\n", vm->name);
        return false;
    }
    return true;
}

/* The arch counters that moved (`hvctl stats` shows them all while it runs), for hosts without a
 * management interface: e.g. nested VMX's immediate exits and throttle refusals under Bochs. */
static void vm_print_arch_stats(const struct vm *vm)
{
    struct arch_stat a[8];
    char line[256];
    size_t n = 0;
    uint32_t k = arch_vm_stats(vm, a, 8);
    for (uint32_t i = 0; i < k && n < sizeof(line); i++)
        if (a[i].value)
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%" PRIu64, a[i].name, a[i].value);
    if (n)
        hv_printf("vm %s: stats at stop:%s\n", vm->name, line);
}

/* Called by each pCPU when its vCPU's run loop ends; the last one out of the VM
 * acts on the shutdown request. Returns true when the pCPU should run again. */
static bool vm_vcpu_left(struct vm *vm)
{
    uint32_t gen = __atomic_load_n(&vm->reset_count, __ATOMIC_ACQUIRE);
    if (__atomic_sub_fetch(&vm->vcpus_running, 1, __ATOMIC_ACQ_REL) != 0) {
        while (__atomic_load_n(&vm->reset_count, __ATOMIC_ACQUIRE) == gen &&
               __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_STOPPED)
            arch_cpu_relax();
        return __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_STOPPED;
    }
    /* What the guest printed before it stopped comes before the hypervisor says so. */
    vm_console_flush(vm);
    uint32_t how = __atomic_load_n(&vm->shutdown, __ATOMIC_ACQUIRE);
    if (how == VM_SHUTDOWN_RESET || (how == VM_SHUTDOWN_CRASH && vm->cfg->on_crash == CONFIG_ON_CRASH_RESET)) {
        hv_printf("vm %s: %s, reloading from its images\n", vm->name,
                  how == VM_SHUTDOWN_RESET ? "reset" : "crashed");
        __atomic_store_n(&vm->vcpus_running, vm->vcpu_count, __ATOMIC_RELEASE);
        if (vm_boot(vm)) {
            __atomic_fetch_add(&vm->reset_count, 1, __ATOMIC_ACQ_REL);
            return true;
        }
    }
    hv_printf("vm %s: %s\n", vm->name, how == VM_SHUTDOWN_CRASH ? "crashed, stopped" : "powered off");
    vm_print_arch_stats(vm);
    __atomic_store_n(&vm->state, VM_STOPPED, __ATOMIC_RELEASE);
    if (__atomic_sub_fetch(&vms_alive, 1, __ATOMIC_ACQ_REL) == 0) {
        hv_printf("hv: all VMs stopped, powering off\n");
        arch_power_off();
    }
    return false;
}

/* With a management interface configured, a stopped VM's pCPUs wait for vm_restart (and
 * serve the interface meanwhile) instead of parking. False: park. */
static bool vm_wait_restart(struct vm *vm)
{
    if (!restartable)
        return false;
    while (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_STOPPED) {
        kernel_poll();
        arch_cpu_idle();
    }
    return true;
}

const char *vm_restart(struct vm *vm)
{
    if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_STOPPED)
        return "is not stopped";
    if (!restartable)
        return "cannot start again (no management interface configured: its pCPUs parked)";
    /* Every vCPU has left its run loop (the last one out set VM_STOPPED), and the pCPUs
     * wait in vm_wait_restart: nothing of the VM runs while it is loaded again. */
    __atomic_store_n(&vm->vcpus_running, vm->vcpu_count, __ATOMIC_RELEASE);
    if (!vm_boot(vm))
        return "cannot be loaded again";
    __atomic_add_fetch(&vms_alive, 1, __ATOMIC_ACQ_REL);
    __atomic_fetch_add(&vm->reset_count, 1, __ATOMIC_ACQ_REL);
    __atomic_store_n(&vm->state, VM_RUNNING, __ATOMIC_RELEASE);
    hv_printf("vm %s: started again\n", vm->name);
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        arch_vcpu_kick(&vm->vcpu[i]);
    return NULL;
}

/* Runs a stopped VM whose memory and state came from a live migration (kernel/migrate.c): as
 * vm_restart, without loading its images or resetting vCPU 0; each vCPU loads its received state
 * on its own pCPU when its run loop starts (migrate_vcpu_starting). */
const char *vm_start_migrated(struct vm *vm)
{
    if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_STOPPED)
        return "is not stopped";
    if (!restartable)
        return "cannot start again (no management interface configured: its pCPUs parked)";
    __atomic_store_n(&vm->vcpus_running, vm->vcpu_count, __ATOMIC_RELEASE);
    __atomic_store_n(&vm->pause_req, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&vm->shutdown, VM_SHUTDOWN_NONE, __ATOMIC_RELEASE);
    __atomic_add_fetch(&vms_alive, 1, __ATOMIC_ACQ_REL);
    __atomic_fetch_add(&vm->reset_count, 1, __ATOMIC_ACQ_REL);
    __atomic_store_n(&vm->state, VM_RUNNING, __ATOMIC_RELEASE);
    hv_printf("vm %s: started from a migration\n", vm->name);
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        arch_vcpu_kick(&vm->vcpu[i]);
    return NULL;
}

/* Every pCPU ends here: run the vCPU placed on it until its VM stops (and, with a
 * management interface, again each time it is restarted). */
__attribute__((noreturn)) void vm_pcpu_loop(uint32_t pcpu)
{
    while (!__atomic_load_n(&placement_done, __ATOMIC_ACQUIRE))
        arch_cpu_relax();
    struct vcpu *v = pcpu_vcpu[pcpu];
    if (!v)
        arch_cpu_park();
    do {
        /* Stopped before it ran: an `incoming` VM waits for its migration (vm_start_migrated). */
        if (__atomic_load_n(&v->vm->state, __ATOMIC_ACQUIRE) != VM_STOPPED)
            do {
                vcpu_run_loop(v);
            } while (vm_vcpu_left(v->vm));
    } while (vm_wait_restart(v->vm));
    arch_cpu_park();
}

/* Creates the VMs of boot_info and places one vCPU per physical CPU. Returns the
 * number of VMs started. */
uint32_t vm_start_all(struct boot_info *bi, uint32_t pcpu_count)
{
    uint32_t next_pcpu = 0, alive = 0;
    restartable = bi->config.mgmt.enabled;
    uint64_t vms_pages = (sizeof(struct vm) * VM_MAX_VMS + PAGE_SIZE - 1) / PAGE_SIZE;
    vms = (struct vm *)(uintptr_t)hv_page_alloc(vms_pages, PAGE_SIZE);
    if (!vms) {
        hv_printf("vms: no memory for the VM table (%" PRIu64 " pages)\n", vms_pages);
        return 0;
    }
    for (uint32_t i = 0; i < bi->vm_count; i++) {
        const struct boot_vm *b = &bi->vms[i];
        const struct config_vm *c = &bi->config.vms[b->config_index];
        struct vm *vm = &vms[vm_count];
        if (next_pcpu + c->cpu_count > pcpu_count) {
            hv_printf("vm %s: needs %" PRIu32 " physical CPUs, %" PRIu32 " left: not started\n", c->name,
                      c->cpu_count, pcpu_count - next_pcpu);
            continue;
        }
        bool created = vm_create(vm, vm_count, c, b);
        for (uint32_t v = 0; created && v < vm->vcpu_count; v++)
            vm->vcpu[v].pcpu = next_pcpu + v;      /* known before loading: device interrupts follow vCPU 0 */
        if (!created || !vm_load(vm)) {
            hv_printf("vm %s: not started\n", c->name);
            continue;
        }
        for (uint32_t v = 0; v < vm->vcpu_count; v++)
            pcpu_vcpu[next_pcpu++] = &vm->vcpu[v];
        vm->vcpus_running = vm->vcpu_count;
        vm_count++;
        if (c->incoming) {
            /* Loaded but never run: its memory and state come from the source (docs/migration.md). */
            vm->state = VM_STOPPED;
            const char *why = migrate_in_expect(vm);
            if (why)
                hv_printf("vm %s: cannot wait for a migration: %s; stopped (`start %s` boots it)\n", vm->name,
                          why, vm->name);
            continue;
        }
        alive++;
        hv_printf("vm %s: started, vCPUs on pCPUs %" PRIu32 "-%" PRIu32 "\n", vm->name, vm->vcpu[0].pcpu,
                  next_pcpu - 1);
    }
    vms_alive = alive;
    struct vm *focus = NULL;
    for (uint32_t i = 0; i < vm_count && !focus; i++)
        if (!strcmp(vms[i].name, bi->config.focus))
            focus = &vms[i];
    if (!focus && vm_count)
        focus = &vms[0];
    vm_console_set_focus(focus);
    if (focus)
        hv_printf("hv: console input goes to vm %s\n", focus->name);
    __atomic_store_n(&placement_done, 1, __ATOMIC_RELEASE);
    return vm_count;
}
