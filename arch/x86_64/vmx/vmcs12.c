/* vmcs12.c: the vmcs12 field table and VMREAD / VMWRITE semantics over it (pure; vmcs12.h). */
#include <stddef.h>
#include "vmcs12.h"

#define VMCS12_ENCODING(name, enc) enc,
static const uint16_t vmcs12_encodings[VMCS12_FIELD_COUNT] = { VMCS12_FIELDS(VMCS12_ENCODING) };
#undef VMCS12_ENCODING

/* SDM Vol. 3C, 25.11.2: bits 31:15 and 12 are reserved (0); a 64-bit register operand with any bit
 * above 14 set names no component (as the 32-bit encoding space has none). The high access type
 * (bit 0) exists only for 64-bit fields. */
int vmcs12_field_index(uint64_t encoding)
{
    if (encoding >> 15 || (encoding & (1u << 12)))
        return -1;
    uint64_t full = encoding;
    if (encoding & 1) {
        if (vmcs12_field_width(encoding) != VMCS12_W64)
            return -1;
        full = encoding & ~1ull;
    }
    for (int i = 0; i < VMCS12_FIELD_COUNT; i++)
        if (vmcs12_encodings[i] == full)
            return i;
    return -1;
}

uint32_t vmcs12_field_encoding(int i)
{
    return vmcs12_encodings[i];
}

static uint64_t width_mask(uint32_t width)
{
    return width == VMCS12_W16 ? 0xFFFFull : width == VMCS12_W32 ? 0xFFFFFFFFull : ~0ull;
}

uint32_t vmcs12_read(const struct vmcs12 *v, uint64_t encoding, uint64_t *value)
{
    int i = vmcs12_field_index(encoding);
    if (i < 0)
        return VMXERR_UNSUPPORTED_COMPONENT;
    uint64_t f = v->field[i];
    *value = (encoding & 1) ? f >> 32 : f & width_mask(vmcs12_field_width(encoding));
    return 0;
}

uint32_t vmcs12_write(struct vmcs12 *v, uint64_t encoding, uint64_t value)
{
    int i = vmcs12_field_index(encoding);
    if (i < 0)
        return VMXERR_UNSUPPORTED_COMPONENT;
    if (vmcs12_field_type(encoding) == VMCS12_TYPE_EXIT_INFO)
        return VMXERR_WRITE_READ_ONLY;
    if (encoding & 1)
        v->field[i] = (v->field[i] & 0xFFFFFFFFull) | value << 32;
    else
        v->field[i] = value & width_mask(vmcs12_field_width(encoding));
    return 0;
}
