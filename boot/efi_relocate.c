/* efi_relocate.c: the image relocates itself before efi_main (gnu-efi's crt0 calls _relocate),
 * reading packed relative relocations (DT_RELR) as well as RELA. The link packs them
 * (`-z pack-relative-relocs`): ~1000 pointer-table entries take a few hundred bytes instead of
 * 24 each, which is most of what keeps hv.efi within its size budget (issue 16).
 * Runs before any relocation is applied: it may touch only its arguments and locals (no
 * globals, no calls), since every absolute address in the image is still unrelocated. */
#include <efi.h>
#include <stdint.h>

/* ELF dynamic tags and relocation types (System V ABI gABI "Dynamic Section"; RELR as in the
 * gABI proposal adopted by binutils 2.38; the RELATIVE types from the AArch64 ELF ABI (1027)
 * and the x86-64 psABI (8)). tools/check-relocs.sh refuses an image with any other type. */
enum {
    DT_NULL = 0, DT_RELA = 7, DT_RELASZ = 8, DT_RELAENT = 9,
    DT_RELRSZ = 35, DT_RELR = 36, DT_RELRENT = 37,
};
enum { R_NONE = 0, R_X86_64_RELATIVE = 8, R_AARCH64_RELATIVE = 1027 };

struct elf_dyn { int64_t tag; uint64_t val; };
struct elf_rela { uint64_t offset, info, addend; };

EFI_STATUS _relocate(long ldbase, struct elf_dyn *dyn, EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS _relocate(long ldbase, struct elf_dyn *dyn, EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
    (void)image;
    (void)systab;
    uint64_t base = (uint64_t)ldbase, rela = 0, relasz = 0, relaent = 0, relr = 0, relrsz = 0;
    for (; dyn->tag != DT_NULL; dyn++) {
        switch (dyn->tag) {
        case DT_RELA: rela = dyn->val; break;
        case DT_RELASZ: relasz = dyn->val; break;
        case DT_RELAENT: relaent = dyn->val; break;
        case DT_RELR: relr = dyn->val; break;
        case DT_RELRSZ: relrsz = dyn->val; break;
        case DT_RELRENT: if (dyn->val != 8) return EFI_LOAD_ERROR; break;
        default: break;
        }
    }
    if (relasz && relaent < sizeof(struct elf_rela))
        return EFI_LOAD_ERROR;
    for (uint64_t off = 0; rela && off + relaent <= relasz; off += relaent) {
        const struct elf_rela *r = (const struct elf_rela *)(base + rela + off);
        uint32_t type = (uint32_t)r->info;
        if (type == R_NONE)
            continue;
        if (type != R_AARCH64_RELATIVE && type != R_X86_64_RELATIVE)
            return EFI_LOAD_ERROR;
        *(uint64_t *)(base + r->offset) = base + r->addend;
    }
    /* RELR: an even entry is the offset of a word to relocate (the next run starts after it);
     * an odd entry is a bitmap whose bit i (1..63) relocates the i-1'th word of the run, then
     * moves the run on by 63 words. Relative relocations add the load base (addend in place). */
    uint64_t *where = 0;
    for (uint64_t off = 0; relr && off + 8 <= relrsz; off += 8) {
        uint64_t entry = *(const uint64_t *)(base + relr + off);
        if (!(entry & 1)) {
            where = (uint64_t *)(base + entry);
            *where++ += base;
            continue;
        }
        if (!where)
            return EFI_LOAD_ERROR;
        for (unsigned i = 0; (entry >>= 1) != 0; i++)
            if (entry & 1)
                where[i] += base;
        where += 63;
    }
    return EFI_SUCCESS;
}
