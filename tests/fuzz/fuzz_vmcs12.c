/* libFuzzer target for the vmcs12 field accessor: arbitrary (encoding, value) VMREAD / VMWRITE
 * sequences never touch memory outside the vmcs12, and each result is the architectural one: a
 * supported writable field reads back its value at its width, only exit-information fields refuse
 * writes, and a write changes no other field. */
#include <stdint.h>
#include <string.h>
#include "vmcs12.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vmcs12 v;
    memset(&v, 0x5A, sizeof(v));
    for (size_t off = 0; off + 16 <= size; off += 16) {
        uint64_t enc, value, got = 0;
        memcpy(&enc, data + off, 8);
        memcpy(&value, data + off + 8, 8);
        if (data[off] & 0x80)
            enc &= 0x7FFF;                /* mostly within the encoding space */
        int i = vmcs12_field_index(enc);
        struct vmcs12 before = v;
        uint32_t rc = vmcs12_write(&v, enc, value);
        if (i < 0) {
            CHECK(rc == VMXERR_UNSUPPORTED_COMPONENT);
            CHECK(vmcs12_read(&v, enc, &got) == VMXERR_UNSUPPORTED_COMPONENT);
            CHECK(memcmp(&before, &v, sizeof(v)) == 0);
            continue;
        }
        CHECK(i < VMCS12_FIELD_COUNT);
        CHECK((enc & 1) == 0 || vmcs12_field_width(enc) == VMCS12_W64);
        if (vmcs12_field_type(enc) == VMCS12_TYPE_EXIT_INFO) {
            CHECK(rc == VMXERR_WRITE_READ_ONLY);
            CHECK(memcmp(&before, &v, sizeof(v)) == 0);
            continue;
        }
        CHECK(rc == 0);
        for (int j = 0; j < VMCS12_FIELD_COUNT; j++)
            CHECK(j == i || v.field[j] == before.field[j]);
        CHECK(vmcs12_read(&v, enc, &got) == 0);
        uint32_t w = vmcs12_field_width(enc);
        uint64_t want = (enc & 1) ? (uint32_t)value
                      : w == VMCS12_W16 ? (uint16_t)value : w == VMCS12_W32 ? (uint32_t)value : value;
        CHECK(got == want);
    }
    return 0;
}
