/* cpu_reset.c: the architectural state a vCPU starts in, the same on both backends (cpu_state.c loads
 * it): the boot protocol's 32-bit protected mode, or real mode after INIT and a start-up IPI. Pure:
 * host-tested (tests/unit/test_x86_cpu_reset.c). */
#include <string.h>
#include "x86_boot.h"
#include "x86_regs.h"
#include "x86_smm.h"

/* Access rights in the neutral layout (struct x86_segment; SDM Vol. 3C 24.4.1, table 24-2). */
#define AR_CODE32      0xC09Bu      /* G, D, P, S, type 0xB (execute/read, accessed) */
#define AR_DATA32      0xC093u      /* G, B, P, S, type 0x3 (read/write, accessed) */
#define AR_CODE16      0x009Bu      /* P, S, type 0xB: real-mode CS after INIT */
#define AR_DATA16      0x0093u
#define AR_LDT         0x0082u      /* P, type 2 */
#define AR_TSS32_BUSY  0x008Bu      /* P, type 0xB */
#define SEL_CODE       0x10u        /* the Multiboot state names no GDT: selectors as QEMU sets them */
#define SEL_DATA       0x18u

void x86_reset_state(const struct x86_boot_state *st, struct x86_cpu_state *s)
{
    bool real = st->mode == X86_BOOT_REAL_SIPI;
    memset(s, 0, sizeof(*s));
    for (unsigned i = 0; i < SREG_COUNT; i++)
        s->seg[i] = real ? (struct x86_segment){ 0, AR_DATA16, 0xFFFF, 0 }
                         : (struct x86_segment){ SEL_DATA, AR_DATA32, 0xFFFFFFFFu, 0 };
    if (real)   /* SDM Vol. 3A, 8.4.4.1 and 10.6.1; APM Vol. 2, 14.1.3 and 15.19: CS = vector << 8, IP 0 */
        s->seg[SREG_CS] = (struct x86_segment){ (uint16_t)(st->rip >> 4), AR_CODE16, 0xFFFF, st->rip };
    else        /* Multiboot v1, 3.2: flat 32-bit code and data, CR0.PE, paging off */
        s->seg[SREG_CS] = (struct x86_segment){ SEL_CODE, AR_CODE32, 0xFFFFFFFFu, 0 };
    s->ldtr = (struct x86_segment){ 0, AR_LDT, 0xFFFF, 0 };
    s->tr = (struct x86_segment){ 0, AR_TSS32_BUSY, 0xFFFF, 0 };
    s->gdtr = (struct x86_dtable){ 0, real ? 0xFFFF : 0 };     /* Multiboot: the OS loads its own GDT and IDT */
    s->idtr = (struct x86_dtable){ 0, real ? 0xFFFF : 0x3FF };
    s->cr0 = real ? CR0_RESET : CR0_PE | CR0_ET;
    s->dr6 = DR6_RESET;
    s->dr7 = DR7_RESET;
    if (!real)
        memcpy(s->gpr, st->gpr, sizeof(s->gpr));
    s->rip = real ? 0 : st->rip;
    s->rflags = RFLAGS_FIXED1;
}
