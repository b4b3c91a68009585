/* guest_boot.c: placing a guest's images per the arm64 Linux boot protocol (Linux
 * Documentation/arch/arm64/booting.rst) or, for a raw binary, where QEMU's -kernel puts
 * it; then the DTB, whose address vCPU 0 gets in x0. */
#include <inttypes.h>
#include <malloc.h>
#include <string.h>
#include "arch.h"
#include "arch_guest.h"
#include "assign.h"
#include "boot_info.h"
#include "cpu_data.h"
#include "guest_dtb.h"
#include "kernel.h"
#include "vgic.h"
#include "vgic_its.h"
#include "vm.h"

#define SZ_2M (2ull << 20)
#define RAW_IMAGE_OFFSET 0x80000ull            /* QEMU hw/arm/boot.c KERNEL_LOAD_ADDR */
#define ARM64_IMAGE_MAGIC 0x644d5241u          /* "ARM\x64" */
#define DTB_MAX_BYTES (2ull << 20)             /* booting.rst: the DTB must not exceed 2 MiB */
#define DTB_GENERATED_BYTES (64u << 10)

/* booting.rst, "Call the kernel image": the 64-byte header. */
struct arm64_image_header {
    uint32_t code0, code1;
    uint64_t text_offset;     /* little-endian */
    uint64_t image_size;      /* effective size including .bss; 0 for kernels before 3.17 */
    uint64_t flags;
    uint64_t res2, res3, res4;
    uint32_t magic;
    uint32_t res5;
};

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

/* Copies to guest RAM through the audited accessor, checking [ipa, ipa+span) fits RAM. */
static bool place(struct vm *vm, const char *what, uint64_t ipa, const void *src, uint64_t size, uint64_t span)
{
    uint64_t ram_end = arch_guest_ram_base() + vm->boot->ram.size_bytes;
    if (span < size || ipa + span < ipa || ipa + span > ram_end || guest_write(&vm->slots, ipa, src, size)) {
        hv_printf("vm %s: %s (0x%" PRIx64 " bytes at 0x%" PRIx64 ") does not fit in RAM ending at 0x%" PRIx64 "\n",
                  vm->name, what, span, ipa, ram_end);
        return false;
    }
    /* The guest starts with its MMU off, so it reads memory non-cacheable: clean our
     * cacheable writes to the point of coherency. */
    uint64_t hpa;
    if (size && memslot_translate(&vm->slots, ipa, &hpa, NULL))
        dcache_clean_poc((const void *)(uintptr_t)hpa, size);
    return true;
}

/* Where the kernel goes and how much RAM it claims: an Image at a 2 MiB-aligned base
 * (RAM's start) + text_offset, image_size bytes; a raw binary at RAM + 0x80000. */
static bool kernel_layout(const struct vm *vm, uint64_t *load, uint64_t *span)
{
    const struct boot_image *k = &vm->boot->kernel;
    struct arm64_image_header h;
    *load = arch_guest_ram_base() + RAW_IMAGE_OFFSET;
    *span = k->size_bytes;
    if (k->size_bytes < sizeof(h))
        return false;
    memcpy(&h, (const void *)(uintptr_t)k->base, sizeof(h));
    if (h.magic != ARM64_IMAGE_MAGIC)
        return false;
    if (h.image_size == 0)
        return true;                             /* an Image before 3.17: text_offset 0x80000 */
    *load = arch_guest_ram_base() + h.text_offset;
    *span = h.image_size > k->size_bytes ? h.image_size : k->size_bytes;
    return true;
}

bool arch_vm_load_images(struct vm *vm, uint64_t *entry, uint64_t *arg0)
{
    const struct boot_vm *b = vm->boot;
    vgic_vm_reset(vm);                      /* each (re)boot starts with the GIC at reset */
    vgic_its_reset(vm);                     /* and the ITS (GITS_CTLR.Enabled 0, queue empty) */
    pci_assign_reset(vm);                   /* and assigned PCI functions (MSI, bus master off) */
    uint64_t load, span, initrd_ipa = 0, initrd_size = b->initrd.size_bytes;
    bool image = kernel_layout(vm, &load, &span);
    if (!place(vm, "kernel", load, (const void *)(uintptr_t)b->kernel.base, b->kernel.size_bytes, span))
        return false;
    uint64_t next = align_up(load + span, SZ_2M);
    if (b->initrd.base) {
        initrd_ipa = next;
        if (!place(vm, "initrd", initrd_ipa, (const void *)(uintptr_t)b->initrd.base, initrd_size, initrd_size))
            return false;
        next = align_up(initrd_ipa + initrd_size, SZ_2M);
    } else {
        initrd_size = 0;
    }

    size_t cap = DTB_GENERATED_BYTES + (size_t)b->dtb.size_bytes;
    void *dtb = cap <= DTB_MAX_BYTES ? malloc(cap) : NULL;
    size_t dtb_size = dtb ? guest_dtb_build(vm, dtb, cap, initrd_ipa, initrd_size) : 0;
    bool ok = dtb_size && dtb_size <= DTB_MAX_BYTES && place(vm, "device tree", next, dtb, dtb_size, dtb_size);
    free(dtb);
    if (!ok) {
        hv_printf("vm %s: no device tree for the guest\n", vm->name);
        return false;
    }
    hv_printf("vm %s: %s at 0x%" PRIx64 ", DTB at 0x%" PRIx64 " (%" PRIu64 " bytes)%s\n", vm->name,
              image ? "arm64 Image" : "raw binary", load, next, (uint64_t)dtb_size,
              b->dtb.base ? ", from the configuration" : "");
    vm->arch.dtb_ipa = next;
    vm->arch.dtb_size_bytes = dtb_size;
    __asm__ volatile("ic ialluis\n\tdsb ish\n\tisb" ::: "memory");   /* we wrote code */
    *entry = load;
    *arg0 = next;
    return true;
}
