/* user.c: CPL 3 for tests that need it (a guest's user mode: hypercalls and #AC there), and the TSS
 * behind it (its interrupt stack table). */
#include "test.h"
#include "internal.h"

extern char tss[];
extern uint64_t gdt_tss[2];
uint64_t user_enter(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t rflags_or, uint64_t rsp);
void user_return(void);

static uint8_t user_stack[16384] __attribute__((aligned(16)));
static bool ready;

/* The TSS descriptor (SDM Vol. 3A, 7.2.3: type 9, available 64-bit TSS), LTR, the return gate. */
static void user_init(void)
{
    uint64_t base = (uintptr_t)tss, limit = 103;
    gdt_tss[0] = limit | (base & 0xFFFFFF) << 16 | 0x89ull << 40 | ((base >> 24) & 0xFF) << 56;
    gdt_tss[1] = base >> 32;
    __asm__ volatile("ltr %w0" :: "r"((uint16_t)SEL_TSS));
    idt_set_user_gate(VEC_USER_RETURN, user_return);
    ready = true;
}

uint64_t user_run(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t rflags_or)
{
    if (!ready)
        user_init();
    return user_enter(fn, arg, rflags_or, (uintptr_t)user_stack + sizeof(user_stack));
}

/* SDM Vol. 3A, 7.7: IST1-IST7 at TSS offsets 0x24, 0x2C, ... */
void tss_set_ist(unsigned n, uint64_t rsp)
{
    if (!ready)
        user_init();
    memcpy(tss + 0x24 + 8 * (n - 1), &rsp, sizeof rsp);
}
