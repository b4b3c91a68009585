/* fuzz_x86_boot.c: the x86 image loaders (Multiboot v1 and the Linux boot protocol) over arbitrary
 * kernel bytes. Input: 1 byte choosing the RAM size (1-64 MiB), 1 byte the initrd size (0-255 bytes),
 * then the image. Invariants: every guest write stays inside guest RAM (the memslot accessors), a
 * refusal says why, and an accepted image starts in RAM with its loader's register contract. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_check.h"
#include "x86_boot.h"

#define RAM_MAX (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *ram;
    static const uint8_t initrd[255] = { 0x1F, 0x8B };
    if (size < 2)
        return 0;
    if (!ram)
        ram = aligned_alloc(4096, RAM_MAX);
    uint64_t ram_size = (uint64_t)(data[0] % 64 + 1) << 20;
    size_t initrd_size = data[1];
    const uint8_t *image = data + 2;
    size_t image_size = size - 2;
    struct memslots ms;
    memslots_init(&ms);
    CHECK(memslot_set(&ms, 0, 0, ram_size, (uint64_t)(uintptr_t)ram, MEMSLOT_RAM) == MEMSLOT_OK);

    const struct x86_image_loader *l = x86_boot_find_loader(image, image_size);
    if (!l)
        return 0;
    struct x86_boot_image bi = { image, image_size, initrd_size ? initrd : NULL, initrd_size,
                                 "console=ttyS0", "\\guests\\k", "\\guests\\rd", ram_size };
    struct x86_boot_state st;
    char err[160] = "";
    if (!l->load(&ms, &bi, &st, err, sizeof(err))) {
        CHECK(err[0] != 0);
        return 0;
    }
    CHECK(st.mode == X86_BOOT_PROTECTED32);
    CHECK(st.rip < ram_size);
    if (!strcmp(l->name, "linux")) {
        CHECK(st.gpr[6] + 0x1000 <= ram_size);             /* ESI: the zero page */
        CHECK(st.gpr[3] == 0 && st.gpr[5] == 0 && st.gpr[7] == 0);
    } else {
        CHECK(st.gpr[0] == MULTIBOOT_BOOTLOADER_MAGIC);
        CHECK(st.gpr[3] + MULTIBOOT_INFO_SIZE <= ram_size); /* EBX: the information block */
    }
    return 0;
}
