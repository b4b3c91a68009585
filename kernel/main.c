/* main.c: the hypervisor after hand-off: memory, CPUs, VMs, and power-off when nothing is left. */
#include <inttypes.h>
#include "arch.h"
#include "boot_info.h"
#include "kernel.h"
#include "mgmt.h"
#include "page_alloc.h"
#include "spinlock.h"
#include "vm.h"

struct page_allocator hv_pages;                 /* lock: hv_page_lock */
static struct spinlock hv_page_lock = SPINLOCK_INIT;
static uint32_t cpus_online;                    /* atomic */

uint64_t hv_page_alloc(uint64_t page_count, uint64_t align_bytes)
{
    spin_lock(&hv_page_lock);
    uint64_t pa = page_alloc(&hv_pages, page_count, align_bytes);
    spin_unlock(&hv_page_lock);
    if (pa) {
        uint8_t *p = (uint8_t *)(uintptr_t)pa;
        for (uint64_t i = 0; i < page_count * PAGE_SIZE; i++)
            p[i] = 0;
    }
    return pa;
}

void hv_page_free(uint64_t base, uint64_t page_count)
{
    spin_lock(&hv_page_lock);
    bool ok = page_free(&hv_pages, base, page_count);
    spin_unlock(&hv_page_lock);
    if (!ok)
        kernel_panic("page_free of memory that is already free");
}

static void memory_init(const struct boot_info *bi)
{
    page_alloc_init(&hv_pages);
    for (uint32_t i = 0; i < bi->mem_region_count; i++) {
        const struct boot_mem_region *r = &bi->mem[i];
        if (r->type == BOOT_MEM_FREE && !page_alloc_add(&hv_pages, r->base, r->size_bytes))
            hv_printf("mem: free range table full, dropped 0x%" PRIx64 "+0x%" PRIx64 "\n",
                      r->base, r->size_bytes);
    }
    hv_printf("mem: %" PRIu64 " MiB free in %" PRIu32 " ranges, heap %" PRIu64 " MiB\n",
              hv_pages.free_pages * PAGE_SIZE >> 20, hv_pages.range_count,
              bi->heap_size_bytes >> 20);
    /* Where the image runs (identity-mapped): turns profiled PCs into the image's own addresses
     * (tools/insn-profile). */
    hv_printf("mem: hv image at 0x%" PRIx64 ", %" PRIu64 " KiB\n", bi->image_base, bi->image_size_bytes >> 10);
}

void kernel_secondary_main(uint32_t cpu_index)
{
    __atomic_fetch_add(&cpus_online, 1, __ATOMIC_ACQ_REL);
    hv_printf("cpu %" PRIu32 ": online\n", cpu_index);
    vm_pcpu_loop(cpu_index);
}

static uint32_t wait_for_cpus(uint32_t expected)
{
    uint64_t deadline = arch_time_ns() + 10ull * 1000 * 1000 * 1000;
    while (__atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE) < expected && arch_time_ns() < deadline)
        arch_cpu_relax();
    uint32_t online = __atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE);
    hv_printf("cpus: %" PRIu32 " of %" PRIu32 " online\n", online, expected);
    return online;
}

static void report_vms(const struct boot_info *bi)
{
    for (uint32_t i = 0; i < bi->vm_count; i++) {
        const struct boot_vm *v = &bi->vms[i];
        const struct config_vm *c = &bi->config.vms[v->config_index];
        hv_printf("vm %s: %" PRIu32 " vCPUs, %" PRIu64 " MiB RAM at 0x%" PRIx64
                  ", kernel %" PRIu64 " bytes\n", c->name, c->cpu_count,
                  c->memory_bytes >> 20, v->ram.base, v->kernel.size_bytes);
    }
    hv_printf("vms: %" PRIu32 " loaded, %" PRIu32 " configuration errors\n",
              bi->vm_count, bi->config_error_count);
}

void kernel_main(struct boot_info *bi)
{
    arch_early_init(bi);
    hv_printf("hv: running on cpu 0 after ExitBootServices\n");
    memory_init(bi);
    arch_report_caps();
    cpus_online = 1;
    uint32_t cpu_count = wait_for_cpus(arch_start_secondaries(bi));
    if (bi->config.selftest_exception) {
        hv_printf("hv: selftest: taking a deliberate exception\n");
        arch_selftest_fault();
    }
    if (bi->config.selftest_at_abort)
        arch_selftest_at_abort(bi->config.selftest_at_abort);
    report_vms(bi);
    if (vm_start_all(bi, cpu_count)) {
        mgmt_init(&bi->config, bi->efi_rng, bi->efi_rng_bytes);      /* polled from the vCPU loops from now on */
        vm_pcpu_loop(0);
    }
    hv_printf("hv: nothing left to run, powering off\n");
    arch_power_off();
}

void kernel_poll(void)
{
    vm_console_drain(NULL);
    mgmt_poll();                  /* ~1 ms apart (kernel/mgmt.c) */
}

bool kernel_poll_wanted(void)
{
    return mgmt_active() || vm_console_backlog() || vm_console_input_open();
}

void kernel_panic(const char *why)
{
    console_panic_begin();
    hv_printf("PANIC on cpu %" PRIu32 ": %s\n", arch_cpu_index(), why);
    arch_power_off();
}
