/* efi_main.c: the UEFI entry: banner, hv.cfg, guest images, platform tables, ExitBootServices, hand-off. */
#include <efi.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "arch.h"
#include "boot_info.h"
#include "config.h"
#include "kernel.h"

#define HEAP_SIZE_BYTES (32ull << 20)
#define IMAGE_ALIGN_BYTES (2ull << 20)
#define CONFIG_FILE_NAME "hv.cfg"
#define CONFIG_MAX_BYTES (64u * 1024u)

/* The firmware's tables, kept by efi_main: gnu-efi's libefi is not linked (its InitializeLib,
 * file and print helpers cost ~25 KiB of a 256 KiB image; issue 16). */
static EFI_SYSTEM_TABLE *ST;
static EFI_BOOT_SERVICES *BS;

static EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID file_system_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID file_info_guid = EFI_FILE_INFO_ID;
static EFI_GUID dtb_guid = { 0xb1b621d5, 0xf19c, 0x41a5, { 0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0 } };
static EFI_GUID acpi20_guid = ACPI_20_TABLE_GUID;
static EFI_GUID rng_guid = EFI_RNG_PROTOCOL_GUID;

static void efi_putc(char c)
{
    CHAR16 s[2] = { (CHAR16)(uint8_t)c, 0 };
    uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, s);
}

static uint64_t alloc_pages(EFI_ALLOCATE_TYPE type, uint64_t size_bytes, uint64_t max_or_addr)
{
    EFI_PHYSICAL_ADDRESS addr = max_or_addr;
    UINTN pages = (size_bytes + EFI_PAGE_SIZE - 1) / EFI_PAGE_SIZE;
    if (uefi_call_wrapper(BS->AllocatePages, 4, type, EfiLoaderData, pages, &addr) != EFI_SUCCESS)
        return 0;
    return addr;
}

/* 2 MiB-aligned allocation: over-allocate, then give back the unaligned head and tail. */
static uint64_t alloc_aligned(uint64_t size_bytes)
{
    size_bytes = (size_bytes + EFI_PAGE_SIZE - 1) & ~(uint64_t)(EFI_PAGE_SIZE - 1);
    uint64_t raw = alloc_pages(AllocateAnyPages, size_bytes + IMAGE_ALIGN_BYTES, 0);
    if (!raw)
        return 0;
    uint64_t base = (raw + IMAGE_ALIGN_BYTES - 1) & ~(IMAGE_ALIGN_BYTES - 1);
    uint64_t head = base - raw, tail = IMAGE_ALIGN_BYTES - head;
    if (head)
        uefi_call_wrapper(BS->FreePages, 2, raw, head / EFI_PAGE_SIZE);
    if (tail)
        uefi_call_wrapper(BS->FreePages, 2, base + size_bytes, tail / EFI_PAGE_SIZE);
    return base;
}

static void to_char16(CHAR16 *out, const char *in, size_t max)
{
    size_t i = 0;
    for (; in[i] && i + 1 < max; i++)
        out[i] = (CHAR16)(uint8_t)in[i];
    out[i] = 0;
}

/* The file's size from EFI_FILE_PROTOCOL.GetInfo (UEFI spec 13.5), its name after the fixed part. */
static EFI_STATUS file_size(EFI_FILE_HANDLE fh, uint64_t *size)
{
    union {
        EFI_FILE_INFO info;
        uint8_t bytes[sizeof(EFI_FILE_INFO) + CONFIG_PATH_MAX * sizeof(CHAR16)];
    } buf;
    UINTN len = sizeof(buf);
    EFI_STATUS st = uefi_call_wrapper(fh->GetInfo, 4, fh, &file_info_guid, &len, &buf);
    if (st == EFI_SUCCESS)
        *size = buf.info.FileSize;
    return st;
}

/* Reads a whole file into a 2 MiB-aligned allocation; returns an EFI status. */
static EFI_STATUS read_file(EFI_FILE_HANDLE root, const char *path, struct boot_image *img)
{
    CHAR16 path16[CONFIG_PATH_MAX];
    EFI_FILE_HANDLE fh;
    to_char16(path16, path, CONFIG_PATH_MAX);
    EFI_STATUS st = uefi_call_wrapper(root->Open, 5, root, &fh, path16, EFI_FILE_MODE_READ, 0);
    if (st != EFI_SUCCESS)
        return st;
    uint64_t size = 0;
    st = file_size(fh, &size);
    if (st != EFI_SUCCESS) {
        uefi_call_wrapper(fh->Close, 1, fh);
        return st;
    }
    uint64_t base = alloc_aligned(size ? size : 1);
    if (!base) {
        uefi_call_wrapper(fh->Close, 1, fh);
        return EFI_OUT_OF_RESOURCES;
    }
    UINTN got = size;
    st = uefi_call_wrapper(fh->Read, 3, fh, &got, (void *)(uintptr_t)base);
    uefi_call_wrapper(fh->Close, 1, fh);
    if (st == EFI_SUCCESS && got != size)
        st = EFI_END_OF_FILE;
    if (st != EFI_SUCCESS) {
        uefi_call_wrapper(BS->FreePages, 2, base, (size + EFI_PAGE_SIZE - 1) / EFI_PAGE_SIZE);
        return st;
    }
    img->base = base;
    img->size_bytes = size;
    return EFI_SUCCESS;
}

static const char *efi_reason(EFI_STATUS st)
{
    switch (st) {
    case EFI_NOT_FOUND: return "file not found";
    case EFI_OUT_OF_RESOURCES: return "out of memory";
    case EFI_END_OF_FILE: return "short read";
    default: return "read error";
    }
}

static void report_line(void *ctx, const char *line)
{
    (void)ctx;
    hv_printf("%s\n", line);
}

static void report_error(struct boot_info *bi, uint32_t line, const char *fmt, ...)
{
    char reason[256], msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    config_format_error(msg, sizeof(msg), CONFIG_FILE_NAME, line, reason);
    hv_printf("%s\n", msg);
    bi->config_error_count++;
}

/* Loads the images of one valid VM and its RAM; false (reported) when any is missing. */
static bool load_vm(struct boot_info *bi, EFI_FILE_HANDLE root, uint32_t index)
{
    struct config_vm *c = &bi->config.vms[index];
    struct boot_vm *v = &bi->vms[bi->vm_count];
    struct { const char *what; const char *path; uint32_t line; struct boot_image *img; } files[] = {
        { "kernel", c->kernel, c->kernel_line, &v->kernel },
        { "initrd", c->initrd, c->initrd_line, &v->initrd },
        { "dtb", c->dtb, c->dtb_line, &v->dtb },
    };
    memset(v, 0, sizeof(*v));
    v->config_index = index;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (!files[i].path[0])
            continue;
        EFI_STATUS st = read_file(root, files[i].path, files[i].img);
        if (st != EFI_SUCCESS) {
            report_error(bi, files[i].line, "vm '%s': %s '%s': %s", c->name, files[i].what,
                         files[i].path, efi_reason(st));
            c->valid = false;
            return false;
        }
    }
    v->ram.base = alloc_aligned(c->memory_bytes);
    if (!v->ram.base) {
        report_error(bi, c->line, "vm '%s': cannot allocate %" PRIu64 " MiB of RAM", c->name,
                     c->memory_bytes >> 20);
        c->valid = false;
        return false;
    }
    v->ram.size_bytes = c->memory_bytes;
    bi->vm_count++;
    return true;
}

static void load_config(struct boot_info *bi, EFI_HANDLE image)
{
    EFI_LOADED_IMAGE *li;
    if (uefi_call_wrapper(BS->HandleProtocol, 3, image, &loaded_image_guid, (void **)&li) != EFI_SUCCESS) {
        hv_printf("boot: no loaded-image protocol, no VMs\n");
        return;
    }
    bi->image_base = (uintptr_t)li->ImageBase;
    bi->image_size_bytes = li->ImageSize;
    EFI_FILE_IO_INTERFACE *fs;
    EFI_FILE_HANDLE root = NULL;
    if (uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle, &file_system_guid, (void **)&fs) != EFI_SUCCESS ||
        uefi_call_wrapper(fs->OpenVolume, 2, fs, &root) != EFI_SUCCESS || !root) {
        hv_printf("boot: cannot open the boot volume, no VMs\n");
        return;
    }
    struct boot_image cfg = { 0, 0 };
    EFI_STATUS st = read_file(root, "\\" CONFIG_FILE_NAME, &cfg);
    if (st != EFI_SUCCESS) {
        hv_printf("boot: \\%s: %s, no VMs\n", CONFIG_FILE_NAME, efi_reason(st));
        return;
    }
    if (cfg.size_bytes > CONFIG_MAX_BYTES) {
        report_error(bi, 0, "file is %" PRIu64 " bytes, more than %u", cfg.size_bytes, CONFIG_MAX_BYTES);
        return;
    }
    bi->config_error_count = config_parse(&bi->config, CONFIG_FILE_NAME,
                                          (const char *)(uintptr_t)cfg.base, cfg.size_bytes,
                                          arch_guest_ram_base(), report_line, NULL);
    for (uint32_t i = 0; i < bi->config.vm_count; i++)
        if (bi->config.vms[i].valid)
            load_vm(bi, root, i);
}

static void find_platform_tables(struct boot_info *bi)
{
    for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
        EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
        if (!memcmp(&t->VendorGuid, &acpi20_guid, sizeof(EFI_GUID)))
            bi->acpi_rsdp_pa = (uintptr_t)t->VendorTable;
        if (!memcmp(&t->VendorGuid, &dtb_guid, sizeof(EFI_GUID))) {
            /* Copy the DTB: the firmware may keep it in boot-services memory. */
            const uint8_t *fdt = t->VendorTable;
            uint32_t size = (uint32_t)fdt[4] << 24 | (uint32_t)fdt[5] << 16 | (uint32_t)fdt[6] << 8 | fdt[7];
            uint64_t copy = alloc_pages(AllocateAnyPages, size, 0);
            if (copy) {
                memcpy((void *)(uintptr_t)copy, fdt, size);
                bi->dtb_pa = copy;
            }
        }
    }
    hv_printf("boot: platform tables: dtb %s, acpi %s\n", bi->dtb_pa ? "yes" : "no",
              bi->acpi_rsdp_pa ? "yes" : "no");
}

/* The firmware's random number generator (UEFI 2.10 37.5 EFI_RNG_PROTOCOL.GetRNG, default
 * algorithm), when it has one: seeds the management challenge (kernel/mgmt_entropy.c). */
static void read_firmware_rng(struct boot_info *bi)
{
    EFI_RNG_PROTOCOL *rng;
    if (uefi_call_wrapper(BS->LocateProtocol, 3, &rng_guid, NULL, (void **)&rng) != EFI_SUCCESS || !rng) {
        hv_printf("boot: no EFI_RNG_PROTOCOL\n");
        return;
    }
    EFI_STATUS st = uefi_call_wrapper(rng->GetRNG, 4, rng, NULL, (UINTN)sizeof(bi->efi_rng), bi->efi_rng);
    if (st != EFI_SUCCESS) {
        hv_printf("boot: EFI_RNG_PROTOCOL.GetRNG: %s\n", efi_reason(st));
        return;
    }
    bi->efi_rng_bytes = sizeof(bi->efi_rng);
    hv_printf("boot: EFI_RNG_PROTOCOL: %u bytes\n", (unsigned)bi->efi_rng_bytes);
}

static uint32_t mem_type(UINT32 efi_type)
{
    switch (efi_type) {
    case EfiConventionalMemory:
    case EfiBootServicesCode:
    case EfiBootServicesData:
        return BOOT_MEM_FREE;
    case EfiLoaderCode:
    case EfiLoaderData:
        return BOOT_MEM_HV;
    case EfiACPIReclaimMemory:
        return BOOT_MEM_ACPI;
    case EfiRuntimeServicesCode:
    case EfiRuntimeServicesData:
        return BOOT_MEM_RUNTIME;
    case EfiMemoryMappedIO:
    case EfiMemoryMappedIOPortSpace:
        return BOOT_MEM_MMIO;
    default:
        return BOOT_MEM_RESERVED;
    }
}

/* Converts the final UEFI map (no allocation allowed here: the key must stay valid). */
static void convert_memory_map(struct boot_info *bi, const uint8_t *map, UINTN map_size, UINTN desc_size)
{
    bi->mem_region_count = 0;
    for (UINTN off = 0; off + desc_size <= map_size; off += desc_size) {
        const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)(map + off);
        uint64_t base = d->PhysicalStart, size = d->NumberOfPages * EFI_PAGE_SIZE;
        uint32_t type = mem_type(d->Type);
        struct boot_mem_region *last = bi->mem_region_count ? &bi->mem[bi->mem_region_count - 1] : NULL;
        if (last && last->type == type && last->base + last->size_bytes == base) {
            last->size_bytes += size;
            continue;
        }
        if (bi->mem_region_count == BOOT_MAX_MEM_REGIONS)
            continue;   /* dropped regions are simply not used */
        bi->mem[bi->mem_region_count++] = (struct boot_mem_region){ base, size, type };
    }
}

static EFI_STATUS exit_boot_services(struct boot_info *bi, EFI_HANDLE image)
{
    enum { MAP_BYTES = 64 * 1024 };
    uint8_t *map = (uint8_t *)(uintptr_t)alloc_pages(AllocateAnyPages, MAP_BYTES, 0);
    if (!map)
        return EFI_OUT_OF_RESOURCES;
    for (int attempt = 0; attempt < 3; attempt++) {
        UINTN map_size = MAP_BYTES, key, desc_size;
        UINT32 desc_version;
        EFI_STATUS st = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, (EFI_MEMORY_DESCRIPTOR *)map,
                                          &key, &desc_size, &desc_version);
        if (st != EFI_SUCCESS)
            return st;
        convert_memory_map(bi, map, map_size, desc_size);
        st = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
        if (st == EFI_SUCCESS)
            return st;
    }
    return EFI_ABORTED;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
    ST = systab;
    BS = systab->BootServices;
    console_set_sink(efi_putc);

    uint64_t bi_pa = alloc_pages(AllocateAnyPages, sizeof(struct boot_info), 0);
    uint64_t heap = alloc_pages(AllocateAnyPages, HEAP_SIZE_BYTES, 0);
    uint64_t stacks = alloc_pages(AllocateAnyPages, (uint64_t)HV_MAX_CPUS * HV_STACK_SIZE_BYTES, 0);
    if (!bi_pa || !heap || !stacks) {
        uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, L"hv: out of memory at boot\r\n");
        return EFI_OUT_OF_RESOURCES;
    }
    heap_init(heap, HEAP_SIZE_BYTES);
    struct boot_info *bi = (struct boot_info *)(uintptr_t)bi_pa;
    memset(bi, 0, sizeof(*bi));
    bi->heap_base = heap;
    bi->heap_size_bytes = HEAP_SIZE_BYTES;
    bi->stack_base = stacks;
    bi->stack_size_bytes = (uint64_t)HV_MAX_CPUS * HV_STACK_SIZE_BYTES;
    /* x86 APs start in real mode: one page below 1 MiB (absent on aarch64, harmless). */
    bi->trampoline_pa = alloc_pages(AllocateMaxAddress, EFI_PAGE_SIZE, 0x9f000);

    hv_printf("\nhv " HV_VERSION " (%s) type-1 micro-hypervisor\n", arch_name());
    find_platform_tables(bi);
    read_firmware_rng(bi);
    load_config(bi, image);

    hv_printf("boot: exiting boot services\n");
    EFI_STATUS st = exit_boot_services(bi, image);
    console_set_sink(NULL);   /* the firmware console is gone; arch_early_init sets the UART */
    if (st != EFI_SUCCESS)
        return st;   /* nothing sensible can be printed now */
    arch_enter_kernel(bi);
}
