/* hello.c: the smallest payload: console output, EL1 entry, DTB pointer in x0. */
#include "test.h"

int main(void *dtb)
{
    puts("hello from aarch64 guest\n");
    uint64_t el = (read_sysreg(CurrentEL) >> 2) & 3;
    check(el == 1, "el1", "CurrentEL = EL%lu", el);
    check(fdt_valid(dtb), "dtb_magic", "x0 = %p, no 0xd00dfeed there", dtb);
    test_done();
}
