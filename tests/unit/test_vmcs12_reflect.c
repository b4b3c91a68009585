/* Host tests of the L2 exit decisions (arch/x86_64/vmx/vmcs12_reflect.c): each exit goes to L1 exactly
 * when vmcs12's controls say the hardware would have exited to L1 (SDM Vol. 3C 24.6, 25.1). */
#include <criterion/criterion.h>
#include <string.h>
#include "vmcs12_check.h"
#include "vmcs12_reflect.h"

static struct vmcs12 v;
static uint8_t l1_mem[0x4000];         /* L1 RAM at GPA 0x10000: I/O bitmaps A, B, the MSR bitmap */
#define MEM_BASE 0x10000ull

static bool read_l1(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    (void)ctx;
    if (gpa < MEM_BASE || gpa + len > MEM_BASE + sizeof(l1_mem))
        return false;
    memcpy(buf, l1_mem + (gpa - MEM_BASE), len);
    return true;
}

static void setup(void)
{
    memset(&v, 0, sizeof(v));
    memset(l1_mem, 0, sizeof(l1_mem));
    v12_set(&v, V12_IO_BITMAP_A, MEM_BASE);
    v12_set(&v, V12_IO_BITMAP_B, MEM_BASE + 0x1000);
    v12_set(&v, V12_MSR_BITMAP, MEM_BASE + 0x2000);
}
TestSuite(reflect, .init = setup);

static bool to_l1(struct nested_exit e) { return nested_vmx_exit_for_l1(&v, &e, read_l1, NULL); }

Test(reflect, always_exiting_instructions_go_to_l1)
{
    cr_assert(to_l1((struct nested_exit){ .reason = 10 }), "CPUID");
    cr_assert(to_l1((struct nested_exit){ .reason = 18 }), "VMCALL");
    cr_assert(to_l1((struct nested_exit){ .reason = 23 }), "VMREAD");
    cr_assert(to_l1((struct nested_exit){ .reason = 2 }), "triple fault");
    cr_assert(to_l1((struct nested_exit){ .reason = 33, .entry_failure = true }), "entry failure");
    cr_assert_not(to_l1((struct nested_exit){ .reason = 1 }), "external interrupt: the host's");
    cr_assert_not(to_l1((struct nested_exit){ .reason = 48 }), "EPT violation: L0's stage 2");
}

Test(reflect, hlt_follows_hlt_exiting)
{
    cr_assert_not(to_l1((struct nested_exit){ .reason = 12 }));
    v12_set(&v, V12_CPU_BASED_VM_EXEC_CONTROL, V12_CPU_HLT);
    cr_assert(to_l1((struct nested_exit){ .reason = 12 }));
}

Test(reflect, io_bitmaps_and_unconditional_exiting)
{
    struct nested_exit out80 = { .reason = 30, .qual = 0x80u << 16 };            /* OUT 0x80, 1 byte */
    struct nested_exit in_b000 = { .reason = 30, .qual = 0xB000u << 16 | 1 | 8 };  /* IN 0xB000, 2 bytes */
    cr_assert_not(to_l1(out80), "neither control: L2 reaches the port");
    v12_set(&v, V12_CPU_BASED_VM_EXEC_CONTROL, V12_CPU_UNCOND_IO);
    cr_assert(to_l1(out80));
    v12_set(&v, V12_CPU_BASED_VM_EXEC_CONTROL, V12_CPU_UNCOND_IO | V12_CPU_IO_BITMAPS);
    cr_assert_not(to_l1(out80), "bitmaps override unconditional exiting");
    l1_mem[0x80 / 8] |= 1u << (0x80 % 8);
    cr_assert(to_l1(out80));
    cr_assert_not(to_l1(in_b000));
    l1_mem[0x1000 + (0xB001 & 0x7FFF) / 8] |= 1u << (0xB001 % 8);
    cr_assert(to_l1(in_b000), "the second byte of a 2-byte access is in bitmap B");
    cr_assert(to_l1((struct nested_exit){ .reason = 30, .qual = 0xFFFFu << 16 | 1 }), "wraps past 0xFFFF");
    v12_set(&v, V12_IO_BITMAP_A, 0x900000);
    cr_assert(to_l1((struct nested_exit){ .reason = 30, .qual = 0x10u << 16 }), "bitmap outside L1 RAM: exit");
}

Test(reflect, msr_bitmaps)
{
    struct nested_exit rd = { .reason = 31, .msr = 0x10 }, wr = { .reason = 32, .msr = 0x10 };
    struct nested_exit rd_hi = { .reason = 31, .msr = 0xC0000080 };
    cr_assert(to_l1(rd), "no MSR bitmaps: every RDMSR exits");
    v12_set(&v, V12_CPU_BASED_VM_EXEC_CONTROL, V12_CPU_MSR_BITMAPS);
    cr_assert_not(to_l1(rd));
    cr_assert_not(to_l1(wr));
    l1_mem[0x2000 + 2048 + 0x10 / 8] |= 1u << (0x10 % 8);
    cr_assert_not(to_l1(rd), "write bit only");
    cr_assert(to_l1(wr));
    cr_assert_not(to_l1(rd_hi));
    l1_mem[0x2000 + 1024 + 0x80 / 8] |= 1u << 0;
    cr_assert(to_l1(rd_hi), "high read range");
    cr_assert(to_l1((struct nested_exit){ .reason = 31, .msr = 0x40000000 }), "outside both ranges");
}

Test(reflect, exception_bitmap_and_page_fault_match)
{
    struct nested_exit ud = { .reason = 0, .intr_info = (1u << 31) | (3u << 8) | 6 };
    struct nested_exit pf_w = { .reason = 0, .intr_info = (1u << 31) | (3u << 8) | 14, .intr_error = 2 };
    struct nested_exit pf_r = { .reason = 0, .intr_info = (1u << 31) | (3u << 8) | 14, .intr_error = 0 };
    struct nested_exit nmi = { .reason = 0, .intr_info = (1u << 31) | (2u << 8) | 2 };
    cr_assert_not(to_l1(ud));
    v12_set(&v, V12_EXCEPTION_BITMAP, 1u << 6 | 1u << 14);
    cr_assert(to_l1(ud));
    cr_assert(to_l1(pf_w), "mask 0 match 0: every #PF");
    v12_set(&v, V12_PAGE_FAULT_ERROR_CODE_MASK, 2);
    v12_set(&v, V12_PAGE_FAULT_ERROR_CODE_MATCH, 2);
    cr_assert(to_l1(pf_w), "write faults match");
    cr_assert_not(to_l1(pf_r), "read faults do not");
    v12_set(&v, V12_EXCEPTION_BITMAP, 1u << 6);
    cr_assert(to_l1(pf_r), "bit clear: the non-matching ones exit");
    v12_set(&v, V12_PIN_BASED_VM_EXEC_CONTROL, V12_PIN_NMI_EXITING);
    cr_assert_not(to_l1(nmi), "a physical NMI is the host's");
}

Test(reflect, cr_writes_by_mask_and_shadow)
{
    v12_set(&v, V12_CR0_GUEST_HOST_MASK, 1u << 3 | 1u << 16);   /* TS, WP owned by L1 */
    v12_set(&v, V12_CR0_READ_SHADOW, 1u << 16);
    struct nested_exit w = { .reason = 28, .qual = 0 | (0 << 4) | (3 << 8), .cr_value = 0x80010033 };
    cr_assert_not(to_l1(w), "owned bits equal their shadow (WP 1, TS 0)");
    w.cr_value = 0x80000033;
    cr_assert(to_l1(w), "clears WP, which L1 owns");
    w.cr_value = 0x80010033 | 1u << 3;
    cr_assert(to_l1(w), "sets TS");
    cr_assert_not(to_l1((struct nested_exit){ .reason = 28, .qual = 2 << 4 }), "CLTS with shadow TS 0");
    v12_set(&v, V12_CR0_READ_SHADOW, 1u << 3);
    cr_assert(to_l1((struct nested_exit){ .reason = 28, .qual = 2 << 4 }), "CLTS with shadow TS 1");
    cr_assert_not(to_l1((struct nested_exit){ .reason = 28, .qual = 3 | (1 << 4) }), "MOV from CR3 without CR3-store exiting");
    v12_set(&v, V12_CPU_BASED_VM_EXEC_CONTROL, V12_CPU_CR3_STORE);
    cr_assert(to_l1((struct nested_exit){ .reason = 28, .qual = 3 | (1 << 4) }));
}

Test(reflect, preemption_timer_l1s_unless_l0_asked)
{
    cr_assert_not(to_l1((struct nested_exit){ .reason = 52 }), "timer off in vmcs12: L0's");
    v12_set(&v, V12_PIN_BASED_VM_EXEC_CONTROL, V12_PIN_PREEMPT_TIMER);
    cr_assert(to_l1((struct nested_exit){ .reason = 52 }));
    cr_assert_not(to_l1((struct nested_exit){ .reason = 52, .l0_timer = true }), "L0's immediate exit");
}
