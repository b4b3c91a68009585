/* smm_state.c: the SMRAM state-save map at SMBASE + 0xFE00, written at SMM entry and read back by RSM:
 * the AMD64 layout (APM Vol. 2, 10.2.3, table 10-2) for vCPUs with long mode and the 32-bit P6 layout
 * (SDM Vol. 3C 34.4.1, table 34-3) otherwise, at the offsets KVM and QEMU use (what SMM firmware built
 * for them, OVMF's SmramSaveStateMap.h, expects). Offsets below are from SMBASE. */
#include <string.h>
#include "x86_smm.h"
#include "x86_regs.h"

/* AMD64 map (table 10-2). Segments: selector u16, attributes u16 (AR layout), limit u32, base u64. */
#define S64_SEG(n)        (0xFE00u + 16u * (n))     /* ES CS SS DS FS GS in that order */
#define S64_GDTR          0xFE60u                   /* limit at +4, base at +8 */
#define S64_LDTR          0xFE70u
#define S64_IDTR          0xFE80u
#define S64_TR            0xFE90u
#define S64_EFER          0xFED0u
#define S64_REVISION      0xFEFCu
#define S64_SMBASE        0xFF00u
#define S64_CR4           0xFF48u
#define S64_CR3           0xFF50u
#define S64_CR0           0xFF58u
#define S64_DR7           0xFF60u
#define S64_DR6           0xFF68u
#define S64_RFLAGS        0xFF70u
#define S64_RIP           0xFF78u
#define S64_GPR(n)        (0xFFF8u - 8u * (n))      /* RAX at 0xFFF8 down to R15 at 0xFF80 */

/* 32-bit map (table 34-3). Segment caches: flags u32 (descriptor bits 23:8 of the high dword, i.e.
 * AR << 8), limit u32, base u32; selectors as u32. */
#define S32_SMBASE        0xFEF8u
#define S32_REVISION      0xFEFCu
#define S32_CR4           0xFF14u
#define S32_DS            0xFF2Cu
#define S32_FS            0xFF38u
#define S32_GS            0xFF44u
#define S32_IDTR          0xFF50u                   /* limit at +4, base at +8 */
#define S32_TR            0xFF5Cu
#define S32_GDTR          0xFF6Cu
#define S32_LDTR          0xFF78u
#define S32_ES            0xFF84u
#define S32_CS            0xFF90u
#define S32_SS            0xFF9Cu
#define S32_SEL(n)        (0xFFA8u + 4u * (n))      /* ES CS SS DS FS GS */
#define S32_LDTR_SEL      0xFFC0u
#define S32_TR_SEL        0xFFC4u
#define S32_DR7           0xFFC8u
#define S32_DR6           0xFFCCu
#define S32_GPR(n)        (0xFFD0u + 4u * (n))      /* EAX at 0xFFD0 up to EDI at 0xFFEC */
#define S32_EIP           0xFFF0u
#define S32_EFLAGS        0xFFF4u
#define S32_CR3           0xFFF8u
#define S32_CR0           0xFFFCu

static const uint16_t s32_seg[SREG_COUNT] = { S32_ES, S32_CS, S32_SS, S32_DS, S32_FS, S32_GS };


/* Little-endian field access at an SMBASE offset inside the 512-byte area. */
static void put(uint8_t *a, uint32_t off, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        a[off - SMM_SAVE_OFFSET + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *a, uint32_t off, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)a[off - SMM_SAVE_OFFSET + i] << (8 * i);
    return v;
}

static void put_seg64(uint8_t *a, uint32_t off, const struct x86_segment *s)
{
    put(a, off, s->sel, 2);
    put(a, off + 2, s->ar, 2);
    put(a, off + 4, s->limit, 4);
    put(a, off + 8, s->base, 8);
}

static struct x86_segment get_seg64(const uint8_t *a, uint32_t off)
{
    return (struct x86_segment){ (uint16_t)get(a, off, 2), (uint16_t)get(a, off + 2, 2), (uint32_t)get(a, off + 4, 4),
                             get(a, off + 8, 8) };
}

static void put_seg32(uint8_t *a, uint32_t off, const struct x86_segment *s)
{
    put(a, off, (uint32_t)s->ar << 8, 4);
    put(a, off + 4, s->limit, 4);
    put(a, off + 8, (uint32_t)s->base, 4);
}

static struct x86_segment get_seg32(const uint8_t *a, uint32_t off, uint16_t sel)
{
    return (struct x86_segment){ sel, (uint16_t)(get(a, off, 4) >> 8), (uint32_t)get(a, off + 4, 4), get(a, off + 8, 4) };
}

static void build64(const struct x86_cpu_state *s, uint32_t smbase, uint8_t *a)
{
    for (unsigned i = 0; i < SREG_COUNT; i++)
        put_seg64(a, S64_SEG(i), &s->seg[i]);
    put(a, S64_GDTR + 4, s->gdtr.limit, 4);
    put(a, S64_GDTR + 8, s->gdtr.base, 8);
    put_seg64(a, S64_LDTR, &s->ldtr);
    put(a, S64_IDTR + 4, s->idtr.limit, 4);
    put(a, S64_IDTR + 8, s->idtr.base, 8);
    put_seg64(a, S64_TR, &s->tr);
    put(a, S64_EFER, s->efer, 8);
    put(a, S64_REVISION, SMM_REVISION_64, 4);
    put(a, S64_SMBASE, smbase, 4);
    put(a, S64_CR4, s->cr4, 8);
    put(a, S64_CR3, s->cr3, 8);
    put(a, S64_CR0, s->cr0, 8);
    put(a, S64_DR7, s->dr7, 8);
    put(a, S64_DR6, s->dr6, 8);
    put(a, S64_RFLAGS, s->rflags, 8);
    put(a, S64_RIP, s->rip, 8);
    for (unsigned i = 0; i < 16; i++)
        put(a, S64_GPR(i), s->gpr[i], 8);
}

static void build32(const struct x86_cpu_state *s, uint32_t smbase, uint8_t *a)
{
    put(a, S32_SMBASE, smbase, 4);
    put(a, S32_REVISION, SMM_REVISION_32, 4);
    put(a, S32_CR4, s->cr4, 4);
    for (unsigned i = 0; i < SREG_COUNT; i++) {
        put_seg32(a, s32_seg[i], &s->seg[i]);
        put(a, S32_SEL(i), s->seg[i].sel, 4);
    }
    put(a, S32_IDTR + 4, s->idtr.limit, 4);
    put(a, S32_IDTR + 8, s->idtr.base, 4);
    put_seg32(a, S32_TR, &s->tr);
    put(a, S32_GDTR + 4, s->gdtr.limit, 4);
    put(a, S32_GDTR + 8, s->gdtr.base, 4);
    put_seg32(a, S32_LDTR, &s->ldtr);
    put(a, S32_LDTR_SEL, s->ldtr.sel, 4);
    put(a, S32_TR_SEL, s->tr.sel, 4);
    put(a, S32_DR7, s->dr7, 4);
    put(a, S32_DR6, s->dr6, 4);
    for (unsigned i = 0; i < 8; i++)
        put(a, S32_GPR(i), s->gpr[i], 4);
    put(a, S32_EIP, s->rip, 4);
    put(a, S32_EFLAGS, s->rflags, 4);
    put(a, S32_CR3, s->cr3, 4);
    put(a, S32_CR0, s->cr0, 4);
}

void smm_save_build(const struct x86_cpu_state *s, uint32_t smbase, bool long_mode, uint8_t area[SMM_SAVE_BYTES])
{
    memset(area, 0, SMM_SAVE_BYTES);     /* reserved fields, I/O restart and auto-HALT restart: 0 */
    if (long_mode)
        build64(s, smbase, area);
    else
        build32(s, smbase, area);
}

static void parse64(const uint8_t *a, struct x86_cpu_state *o, uint32_t *smbase)
{
    for (unsigned i = 0; i < SREG_COUNT; i++)
        o->seg[i] = get_seg64(a, S64_SEG(i));
    o->gdtr = (struct x86_dtable){ get(a, S64_GDTR + 8, 8), (uint32_t)get(a, S64_GDTR + 4, 4) };
    o->ldtr = get_seg64(a, S64_LDTR);
    o->idtr = (struct x86_dtable){ get(a, S64_IDTR + 8, 8), (uint32_t)get(a, S64_IDTR + 4, 4) };
    o->tr = get_seg64(a, S64_TR);
    o->efer = get(a, S64_EFER, 8);
    *smbase = (uint32_t)get(a, S64_SMBASE, 4);
    o->cr4 = get(a, S64_CR4, 8);
    o->cr3 = get(a, S64_CR3, 8);
    o->cr0 = get(a, S64_CR0, 8);
    o->dr7 = get(a, S64_DR7, 8);
    o->dr6 = get(a, S64_DR6, 8);
    o->rflags = get(a, S64_RFLAGS, 8);
    o->rip = get(a, S64_RIP, 8);
    for (unsigned i = 0; i < 16; i++)
        o->gpr[i] = get(a, S64_GPR(i), 8);
}

/* The 32-bit map holds no EFER and no upper register halves: those stay as they are (SDM 34.4.1). */
static void parse32(const uint8_t *a, const struct x86_cpu_state *cur, struct x86_cpu_state *o, uint32_t *smbase)
{
    *o = *cur;
    *smbase = (uint32_t)get(a, S32_SMBASE, 4);
    o->cr4 = get(a, S32_CR4, 4);
    for (unsigned i = 0; i < SREG_COUNT; i++)
        o->seg[i] = get_seg32(a, s32_seg[i], (uint16_t)get(a, S32_SEL(i), 4));
    o->idtr = (struct x86_dtable){ get(a, S32_IDTR + 8, 4), (uint32_t)get(a, S32_IDTR + 4, 4) };
    o->tr = get_seg32(a, S32_TR, (uint16_t)get(a, S32_TR_SEL, 4));
    o->gdtr = (struct x86_dtable){ get(a, S32_GDTR + 8, 4), (uint32_t)get(a, S32_GDTR + 4, 4) };
    o->ldtr = get_seg32(a, S32_LDTR, (uint16_t)get(a, S32_LDTR_SEL, 4));
    o->dr7 = get(a, S32_DR7, 4);
    o->dr6 = get(a, S32_DR6, 4);
    for (unsigned i = 0; i < 8; i++)
        o->gpr[i] = get(a, S32_GPR(i), 4);
    o->rip = get(a, S32_EIP, 4);
    o->rflags = get(a, S32_EFLAGS, 4);
    o->cr3 = get(a, S32_CR3, 4);
    o->cr0 = get(a, S32_CR0, 4);
}

void smm_save_parse(const uint8_t area[SMM_SAVE_BYTES], bool long_mode, const struct x86_cpu_state *cur,
                    struct x86_cpu_state *out, uint32_t *smbase)
{
    if (long_mode) {
        *out = *cur;
        parse64(area, out, smbase);
    } else {
        parse32(area, cur, out, smbase);
    }
}

void smm_entry_state(const struct x86_cpu_state *from, uint32_t smbase, bool long_mode, struct x86_cpu_state *out)
{
    *out = *from;
    /* 16-bit code (CR0.PE clear, "real-address-like"), 4 GiB limits so the handler reaches all of
     * the low 4 GiB with address-size prefixes (table 34-4). Accessed code / data, present, S. */
    const uint16_t data = 0x3 | X86_AR_S | X86_AR_P | X86_AR_G, code = 0xB | X86_AR_S | X86_AR_P | X86_AR_G;
    for (unsigned i = 0; i < SREG_COUNT; i++)
        out->seg[i] = (struct x86_segment){ 0, data, 0xFFFFFFFFu, 0 };
    out->seg[SREG_CS] = (struct x86_segment){ (uint16_t)(smbase >> 4), code, 0xFFFFFFFFu, smbase };
    out->rip = SMM_HANDLER_OFFSET;
    out->rflags = 0x2;
    out->cr0 = from->cr0 & ~(CR0_PE | CR0_EM | CR0_TS | CR0_PG);
    out->cr4 = 0;
    if (long_mode)
        out->efer = 0;                  /* APM 10.3.1: EFER cleared (the AMD64 map saved it) */
    out->dr7 = 0x400;
    out->idtr = (struct x86_dtable){ 0, 0 };
}
