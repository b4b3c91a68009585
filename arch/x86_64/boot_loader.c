/* boot_loader.c: the table of guest image loaders keyed by image format (Multiboot v1 and the Linux
 * boot protocol's bzImage); the first loader whose probe accepts the kernel image loads it. */
#include "x86_boot.h"

static const struct x86_image_loader *const loaders[] = {
    &multiboot_loader,
    &linux_loader,
};

const struct x86_image_loader *x86_boot_find_loader(const uint8_t *image, size_t size)
{
    for (size_t i = 0; i < sizeof(loaders) / sizeof(loaders[0]); i++)
        if (loaders[i]->probe(image, size))
            return loaders[i];
    return NULL;
}
