/* Host tests of the vmcs12 field accessor (arch/x86_64/vmx/vmcs12.c): encodings, widths, high accesses,
 * read-only fields, unsupported components (SDM Vol. 3C 24.11.2, 30.4; Vol. 2B VMREAD / VMWRITE). */
#include <criterion/criterion.h>
#include <string.h>
#include "vmcs12.h"

static struct vmcs12 v;

Test(vmcs12, every_row_found_by_its_encoding)
{
    for (int enc = 0; enc < 0x8000; enc++) {
        int i = vmcs12_field_index((uint64_t)enc);
        if (i >= 0)
            cr_assert_lt(i, VMCS12_FIELD_COUNT);
    }
    cr_assert_eq(vmcs12_field_index(0x6820), V12_GUEST_RFLAGS);
    cr_assert_eq(vmcs12_field_index(0x482E), V12_VMX_PREEMPTION_TIMER_VALUE);
    cr_assert_eq(vmcs12_field_index(0x201A), V12_EPT_POINTER);
    cr_assert_eq(vmcs12_field_index(0x201B), V12_EPT_POINTER);      /* its high half */
}

Test(vmcs12, unsupported_encodings)
{
    uint64_t x;
    cr_assert_eq(vmcs12_read(&v, 0x6821, &x), VMXERR_UNSUPPORTED_COMPONENT);   /* high access, natural width */
    cr_assert_eq(vmcs12_read(&v, 0x4001, &x), VMXERR_UNSUPPORTED_COMPONENT);   /* high access, 32-bit */
    cr_assert_eq(vmcs12_read(&v, 0x0801, &x), VMXERR_UNSUPPORTED_COMPONENT);   /* high access, 16-bit */
    cr_assert_eq(vmcs12_read(&v, 0x1000 | 0x6820, &x), VMXERR_UNSUPPORTED_COMPONENT);   /* bit 12 reserved */
    cr_assert_eq(vmcs12_read(&v, 0x16820, &x), VMXERR_UNSUPPORTED_COMPONENT);  /* bit 16 */
    cr_assert_eq(vmcs12_read(&v, 0x100000000ull | 0x6820, &x), VMXERR_UNSUPPORTED_COMPONENT);
    cr_assert_eq(vmcs12_write(&v, 0x7FFE, 1), VMXERR_UNSUPPORTED_COMPONENT);
}

Test(vmcs12, widths_truncate_on_write)
{
    memset(&v, 0, sizeof(v));
    uint64_t x;
    cr_assert_eq(vmcs12_write(&v, 0x0802, 0x123456789ABCDEF0ull), 0);     /* GUEST_CS_SELECTOR, 16-bit */
    cr_assert_eq(vmcs12_read(&v, 0x0802, &x), 0);
    cr_assert_eq(x, 0xDEF0);
    cr_assert_eq(vmcs12_write(&v, 0x4002, 0x123456789ABCDEF0ull), 0);     /* 32-bit */
    cr_assert_eq(vmcs12_read(&v, 0x4002, &x), 0);
    cr_assert_eq(x, 0x9ABCDEF0ull);
    cr_assert_eq(vmcs12_write(&v, 0x6820, 0x123456789ABCDEF0ull), 0);     /* natural width */
    cr_assert_eq(vmcs12_read(&v, 0x6820, &x), 0);
    cr_assert_eq(x, 0x123456789ABCDEF0ull);
}

Test(vmcs12, high_access_of_64bit_field)
{
    memset(&v, 0, sizeof(v));
    uint64_t x;
    cr_assert_eq(vmcs12_write(&v, 0x2010, 0x1111111122222222ull), 0);     /* TSC_OFFSET */
    cr_assert_eq(vmcs12_write(&v, 0x2011, 0xFFFFFFFFAAAAAAAAull), 0);     /* its high half: low 32 of the source */
    cr_assert_eq(vmcs12_read(&v, 0x2010, &x), 0);
    cr_assert_eq(x, 0xAAAAAAAA22222222ull);
    cr_assert_eq(vmcs12_read(&v, 0x2011, &x), 0);
    cr_assert_eq(x, 0xAAAAAAAAull);
}

Test(vmcs12, exit_information_is_read_only)
{
    memset(&v, 0, sizeof(v));
    uint64_t x;
    v12_set(&v, V12_VM_EXIT_REASON, 10);
    cr_assert_eq(vmcs12_write(&v, 0x4402, 0), VMXERR_WRITE_READ_ONLY);
    cr_assert_eq(vmcs12_write(&v, 0x6400, 0), VMXERR_WRITE_READ_ONLY);    /* EXIT_QUALIFICATION */
    cr_assert_eq(vmcs12_write(&v, 0x2400, 0), VMXERR_WRITE_READ_ONLY);    /* GUEST_PHYSICAL_ADDRESS */
    cr_assert_eq(vmcs12_read(&v, 0x4402, &x), 0);
    cr_assert_eq(x, 10);
}
