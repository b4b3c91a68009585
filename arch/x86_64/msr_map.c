/* msr_map.c: the MSR permission map each backend hands its CPU, filled once from msr.c's pass-through
 * list over a description of its layout (struct x86_msr_map): SVM's MSRPM and VMX's MSR bitmaps say the
 * same thing at other bits. Pure: host-tested (tests/unit/test_x86_vcpu_core.c). */
#include <string.h>
#include "x86_vcpu.h"

struct map_fill { const struct x86_msr_map *layout; uint8_t *map; };

static void clear_bit(uint8_t *map, uint32_t bit) { map[bit / 8] &= (uint8_t)~(1u << (bit % 8)); }

static void pass(void *ctx, uint32_t msr)
{
    const struct map_fill *f = ctx;
    for (unsigned i = 0; i < f->layout->range_count; i++) {
        uint32_t n = msr - f->layout->range[i].base;
        if (n >= X86_MSR_MAP_RANGE)
            continue;
        uint32_t bit = f->layout->range[i].offset * 8 + n * f->layout->bits_per_msr;
        clear_bit(f->map, bit);
        clear_bit(f->map, bit + f->layout->write_bit);
    }
}

/* Every access exits except to the MSRs the guest owns (x86_msr_passthrough). */
void x86_msr_map_fill(const struct x86_msr_map *layout, uint8_t *map)
{
    memset(map, 0xFF, layout->bytes);
    x86_msr_passthrough(pass, &(struct map_fill){ layout, map });
}
