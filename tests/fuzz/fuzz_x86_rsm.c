/* fuzz_x86_rsm.c: RSM over an arbitrary (guest-written) SMRAM state-save map, both layouts: parsing never
 * reads outside the 512 bytes, and whatever rsm_check accepts obeys the invariants VM entry relies on
 * (arch/x86_64/smm_state.c, rsm_check.c). Input: 1 byte of options, then the map. */
#include <stdint.h>
#include <string.h>
#include "fuzz_check.h"
#include "x86_smm.h"

#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define CR0_PE (1ull << 0)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)

static bool canonical48(uint64_t a) { return (uint64_t)((int64_t)(a << 16) >> 16) == a; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool long_mode = data[0] & 1;
    uint8_t area[SMM_SAVE_BYTES] = { 0 };
    memcpy(area, data + 1, size - 1 < SMM_SAVE_BYTES ? size - 1 : SMM_SAVE_BYTES);
    struct x86_cpu_state cur, s;
    memset(&cur, 0, sizeof(cur));
    uint32_t smbase = 0;
    smm_save_parse(area, long_mode, &cur, &s, &smbase);
    struct rsm_limits lim = { .cr4_supported = 0x3006FFull, .efer_supported = 0xD01, .maxphyaddr = 40 };
    if (rsm_check(&s, &lim))
        return 0;
    /* Accepted: control registers consistent, LMA derived, segments loadable. */
    CHECK(!(s.cr0 >> 32) && !(s.cr4 & ~lim.cr4_supported) && !(s.efer & ~lim.efer_supported));
    CHECK(!(s.cr0 & CR0_PG) || (s.cr0 & CR0_PE));
    bool lma = (s.efer & EFER_LME) && (s.cr0 & CR0_PG);
    CHECK(!!(s.efer & EFER_LMA) == lma);
    CHECK(!lma || (s.cr4 & CR4_PAE));
    CHECK(!(s.cr3 >> 40) || (s.cr4 & (1ull << 17)));
    CHECK(s.rflags & 2);
    CHECK(!(s.rflags & (1ull << 17)));
    CHECK(s.seg[SREG_CS].ar & 0x80);
    CHECK(!lma || (s.seg[SREG_CS].sel & ~3u));
    CHECK(s.tr.ar & 0x80);
    CHECK(canonical48(s.tr.base) && canonical48(s.gdtr.base) && canonical48(s.idtr.base));
    CHECK(s.gdtr.limit <= 0xFFFF && s.idtr.limit <= 0xFFFF);
    for (unsigned i = 0; i < SREG_COUNT; i++)
        CHECK(!(s.seg[i].ar & 0x80) || (s.seg[i].ar & 1));
    /* A valid map written back reads the same. */
    uint8_t again[SMM_SAVE_BYTES];
    struct x86_cpu_state s2;
    uint32_t smbase2 = 0;
    smm_save_build(&s, smbase, long_mode, again);
    smm_save_parse(again, long_mode, &s, &s2, &smbase2);
    CHECK(smbase2 == smbase && s2.rip == s.rip && s2.cr0 == s.cr0 && s2.cr4 == s.cr4 && s2.rflags == s.rflags);
    return 0;
}
