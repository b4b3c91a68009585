/* hello.c: the smallest payload: console output, the Multiboot hand-over, long mode. */
#include "test.h"

int main(void)
{
    puts("hello from x86_64 guest\n");
    uint32_t lower, upper;
    bool mem = mb_mem(&lower, &upper);
    const struct mb_mmap_entry *e;
    unsigned n = mb_mmap(&e);
    printf("hello: cmdline \"%s\", mem_lower %u KiB, mem_upper %u KiB (%s), %u mmap entries, "
           "RAM end 0x%lx\n", mb_cmdline(), lower, upper, mem ? "valid" : "absent", n, ram_end());
    for (unsigned i = 0; i < n; i++)
        printf("hello: mmap 0x%09lx-0x%09lx type %u\n", e[i].addr, e[i].addr + e[i].len, e[i].type);

    check(mb_magic() == MB_BOOT_MAGIC, "multiboot_magic", "EAX at entry = 0x%x, want 0x%x",
          mb_magic(), MB_BOOT_MAGIC);
    /* SDM Vol. 3A, 9.8.5: IA-32e mode is active when EFER.LMA is set, which needs PAE paging. */
    uint64_t efer = rdmsr(MSR_IA32_EFER), cr0 = read_cr(0), cr4 = read_cr(4);
    check((efer & EFER_LMA) && (cr0 & CR0_PG) && (cr4 & CR4_PAE), "long_mode",
          "EFER 0x%lx CR0 0x%lx CR4 0x%lx (want LMA, PG, PAE)", efer, cr0, cr4);
    test_done();
}
