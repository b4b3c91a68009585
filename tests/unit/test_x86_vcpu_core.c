/* test_x86_vcpu_core.c: the x86 vCPU core's rules both backends share, over a fake backend that keeps
 * its registers in cells: event.c (when an interrupt / NMI may be injected, NMI blocking in software
 * ended by the guest's IRET, re-delivery of an interrupted event, window requests, the interrupt
 * shadow), cpu_state.c (the whole state through the register primitives) and msr_map.c (both MSR
 * permission-map layouts). The backend is SVM-like (intercept_iret, no hardware NMI blocking) or
 * VMX-like (NMI blocking reported by the hardware). */
#include <criterion/criterion.h>
#include <string.h>
#include "x86_regs.h"
#include "x86_vcpu.h"

static struct fake {
    uint32_t event, error, blocked;
    int set_event_calls, set_blocked_calls, window_calls;
    bool window[2], iret_intercepted;
    struct x86_segment seg[X86_SEG_COUNT];
    uint64_t cr0, cr3, cr4, efer, dr6, dr7;
    char order[16];                    /* '0' set_cr0, 'S' set_segment(SS) */
    size_t order_len;
} hw;
static bool l1_takes_interrupts, l1_takes_nmis;     /* the nested hooks' answers */

static void set_event(struct vcpu *v, uint32_t info, uint32_t error) { (void)v; hw.event = info; hw.error = error; hw.set_event_calls++; }
static uint32_t get_event(struct vcpu *v) { (void)v; return hw.event; }
static uint32_t get_blocked(struct vcpu *v) { (void)v; return hw.blocked; }
static void set_blocked(struct vcpu *v, uint32_t b) { (void)v; hw.blocked = b; hw.set_blocked_calls++; }
static void set_window(struct vcpu *v, bool nmi, bool on) { (void)v; hw.window[nmi] = on; hw.window_calls++; }
static void intercept_iret(struct vcpu *v, bool on) { (void)v; hw.iret_intercepted = on; }
static void get_segment(struct vcpu *v, unsigned i, struct x86_segment *s) { (void)v; *s = hw.seg[i]; }
static void set_segment(struct vcpu *v, unsigned i, const struct x86_segment *s)
{
    (void)v;
    hw.seg[i] = *s;
    if (i == SREG_SS && hw.order_len < sizeof(hw.order))
        hw.order[hw.order_len++] = 'S';
}
static void set_cr0(struct vcpu *v, uint64_t x)
{
    (void)v;
    hw.cr0 = x;
    if (hw.order_len < sizeof(hw.order))
        hw.order[hw.order_len++] = '0';
}
static void set_cr4(struct vcpu *v, uint64_t x) { (void)v; hw.cr4 = x; }
static void set_cr3(struct vcpu *v, uint64_t x) { (void)v; hw.cr3 = x; }
static void set_efer(struct vcpu *v, uint64_t x) { (void)v; hw.efer = x; }
static uint64_t get_efer(struct vcpu *v) { (void)v; return hw.efer; }
static uint64_t get_dr(struct vcpu *v, unsigned n) { (void)v; return n == 6 ? hw.dr6 : hw.dr7; }
static void set_dr(struct vcpu *v, unsigned n, uint64_t x) { (void)v; *(n == 6 ? &hw.dr6 : &hw.dr7) = x; }
static void get_mode(struct vcpu *v, struct x86_guest_mode *m)
{
    (void)v;
    *m = (struct x86_guest_mode){ .cr0 = hw.cr0, .cr3 = hw.cr3, .cr4 = hw.cr4, .efer = hw.efer };
}

#define FAKE_OPS .get_event = get_event, .set_event = set_event, .get_interruptibility = get_blocked, \
    .set_interruptibility = set_blocked, .set_window = set_window, .get_segment = get_segment, \
    .set_segment = set_segment, .set_cr0 = set_cr0, .set_cr4 = set_cr4, .set_cr3 = set_cr3, \
    .set_efer = set_efer, .get_efer = get_efer, .get_dr = get_dr, .set_dr = set_dr, .get_mode = get_mode
static const struct x86_vcpu_ops svm_like = { .name = "svm-like", FAKE_OPS, .intercept_iret = intercept_iret };
static const struct x86_vcpu_ops vmx_like = { .name = "vmx-like", FAKE_OPS };
static const struct x86_vcpu_ops *ops = &svm_like;
const struct x86_vcpu_ops *x86_vcpu_backend(void) { return ops; }

bool x86_nested_l2_exits_on_l1_interrupt(const struct vcpu *v) { (void)v; return l1_takes_interrupts; }
bool x86_nested_l2_exits_on_l1_nmi(const struct vcpu *v) { (void)v; return l1_takes_nmis; }
bool x86_nested_window(const struct vcpu *v, bool nmi, bool on) { (void)v; (void)nmi; return on; }

/* msr.c's pass-through list, three of them: one per range SVM knows. */
void x86_msr_passthrough(void (*pass)(void *ctx, uint32_t msr), void *ctx)
{
    pass(ctx, 0x174);
    pass(ctx, 0xC0000081u);
    pass(ctx, 0xC0010020u);
}

static struct vcpu vcpu;

static void setup(void)
{
    memset(&hw, 0, sizeof hw);
    memset(&vcpu, 0, sizeof vcpu);
    ops = &svm_like;
    l1_takes_interrupts = l1_takes_nmis = false;
    vcpu.arch.rflags = RFLAGS_FIXED1 | RFLAGS_IF;
}
TestSuite(x86_vcpu_core, .init = setup);

/* An exit: the hardware has taken (or handed back in the vectoring information) the queued event. */
static void exit_at(uint64_t rip, uint32_t kind, uint32_t vectoring, uint32_t error)
{
    hw.event = 0;
    vcpu.arch.rip = rip;
    struct x86_exit x = { .kind = kind, .vectoring = vectoring, .vectoring_error = error };
    x86_event_exit(&vcpu, &x);
}

Test(x86_vcpu_core, interrupt_needs_if_no_shadow_nothing_queued)
{
    cr_assert(x86_interrupt_allowed(&vcpu));
    vcpu.arch.rflags &= ~RFLAGS_IF;
    cr_assert_not(x86_interrupt_allowed(&vcpu), "RFLAGS.IF clear");
    vcpu.arch.rflags |= RFLAGS_IF;
    hw.blocked = X86_BLOCKED_STI;
    cr_assert_not(x86_interrupt_allowed(&vcpu), "STI shadow");
    hw.blocked = X86_BLOCKED_MOVSS;
    cr_assert_not(x86_interrupt_allowed(&vcpu), "MOV-SS shadow");
    hw.blocked = X86_BLOCKED_NMI;
    cr_assert(x86_interrupt_allowed(&vcpu), "NMI blocking does not hold interrupts back");
    x86_inject_interrupt(&vcpu, 0x30);
    cr_assert_eq(hw.event, 0x30 | X86_EVENT_TYPE_INTR | X86_EVENT_VALID);
    cr_assert_not(x86_interrupt_allowed(&vcpu), "one event per entry");
    hw.event = 0;
    l1_takes_interrupts = true;
    cr_assert_not(x86_interrupt_allowed(&vcpu), "L2 runs and L1 takes its interrupts as VM exits");
}

/* SVM without vNMI: the injected NMI masks NMIs until the guest's IRET has completed, which is seen as
 * RIP leaving the intercepted IRET at a later exit. */
Test(x86_vcpu_core, nmi_blocking_in_software_until_the_iret_completes)
{
    cr_assert(x86_nmi_allowed(&vcpu));
    x86_inject_nmi(&vcpu);
    cr_assert_eq(hw.event, 2 | X86_EVENT_TYPE_NMI | X86_EVENT_VALID);
    cr_assert(hw.iret_intercepted);
    exit_at(0x1000, X86_EXIT_HLT, 0, 0);
    cr_assert_not(x86_nmi_allowed(&vcpu), "the handler runs: NMIs masked");
    exit_at(0x2000, X86_EXIT_IRET, 0, 0);
    cr_assert_not(hw.iret_intercepted, "one IRET exit is enough");
    cr_assert_not(x86_nmi_allowed(&vcpu), "the IRET exits before it executes");
    exit_at(0x2000, X86_EXIT_INTR, 0, 0);
    cr_assert_not(x86_nmi_allowed(&vcpu), "still at the IRET (say it faulted): still masked");
    exit_at(0x1234, X86_EXIT_INTR, 0, 0);
    cr_assert(x86_nmi_allowed(&vcpu), "RIP left the IRET: unmasked");
}

Test(x86_vcpu_core, nmi_needs_no_shadow_nothing_queued_and_hardware_blocking_clear)
{
    hw.blocked = X86_BLOCKED_MOVSS;
    cr_assert_not(x86_nmi_allowed(&vcpu), "MOV-SS shadow: VM entry would fail");
    hw.blocked = X86_BLOCKED_STI;
    cr_assert_not(x86_nmi_allowed(&vcpu), "STI shadow");
    hw.blocked = 0;
    x86_inject_interrupt(&vcpu, 0x40);
    cr_assert_not(x86_nmi_allowed(&vcpu), "an event already queued");
    hw.event = 0;
    l1_takes_nmis = true;
    cr_assert_not(x86_nmi_allowed(&vcpu), "L1 takes NMIs as VM exits");
    l1_takes_nmis = false;
    ops = &vmx_like;
    hw.blocked = X86_BLOCKED_NMI;
    cr_assert_not(x86_nmi_allowed(&vcpu), "virtual NMIs: the hardware's NMI blocking");
    hw.blocked = 0;
    x86_inject_nmi(&vcpu);
    cr_assert_not(vcpu.arch.nmi_soft.masked, "no software masking where the hardware blocks");
    cr_assert_not(hw.iret_intercepted);
}

/* SDM Vol. 3C 27.2.4 / APM 15.7.2: the interrupted event goes back in as it was, error code too;
 * bit 12 of the IDT-vectoring information (undefined) does not. Nothing is queued without one. */
Test(x86_vcpu_core, interrupted_event_delivered_again)
{
    uint32_t pf = 14 | X86_EVENT_TYPE_EXCEPTION | X86_EVENT_ERROR_VALID | X86_EVENT_VALID;
    exit_at(0x1000, X86_EXIT_NPF, pf | 1u << 12, 6);
    cr_assert_eq(hw.event, pf);
    cr_assert_eq(hw.error, 6);
    exit_at(0x1000, X86_EXIT_NPF, 0x31 | X86_EVENT_TYPE_INTR | X86_EVENT_VALID, 0);
    cr_assert_eq(hw.event, 0x31 | X86_EVENT_VALID);
    hw.set_event_calls = 0;
    exit_at(0x1000, X86_EXIT_CPUID, 0x31 | X86_EVENT_TYPE_INTR, 0);
    cr_assert_eq(hw.set_event_calls, 0, "the valid bit clear: nothing to deliver");
    cr_assert_eq(hw.event, 0);
}

/* QEMU's TCG hands back an interrupted hardware interrupt or NMI as an exception (type 3), which VM
 * entry would refuse (vector 2 or above 31 as an exception): they go back in as an interrupt / NMI. */
Test(x86_vcpu_core, interrupt_reported_as_exception_delivered_as_interrupt)
{
    exit_at(0x1000, X86_EXIT_NPF, 0xEC | X86_EVENT_TYPE_EXCEPTION | X86_EVENT_VALID, 0);
    cr_assert_eq(hw.event, 0xEC | X86_EVENT_TYPE_INTR | X86_EVENT_VALID);
    exit_at(0x1000, X86_EXIT_NPF, 0x20 | X86_EVENT_TYPE_EXCEPTION | X86_EVENT_ERROR_VALID | X86_EVENT_VALID, 0);
    cr_assert_eq(hw.event, 0x20 | X86_EVENT_TYPE_INTR | X86_EVENT_VALID, "no error code on an interrupt");
    exit_at(0x1000, X86_EXIT_NPF, 2 | X86_EVENT_TYPE_EXCEPTION | X86_EVENT_VALID, 0);
    cr_assert_eq(hw.event, 2 | X86_EVENT_TYPE_NMI | X86_EVENT_VALID);
    uint32_t df = 8 | X86_EVENT_TYPE_EXCEPTION | X86_EVENT_ERROR_VALID | X86_EVENT_VALID;
    exit_at(0x1000, X86_EXIT_NPF, df, 0);
    cr_assert_eq(hw.event, df, "a real exception (0-31 but 2) stays one");
    uint32_t soft = 0x80 | 4u << 8 | X86_EVENT_VALID;
    exit_at(0x1000, X86_EXIT_NPF, soft, 0);
    cr_assert_eq(hw.event, soft, "a software interrupt (INT n) keeps its type");
}

Test(x86_vcpu_core, windows_told_to_the_backend_on_change_only)
{
    x86_request_window(&vcpu, false, false);
    cr_assert_eq(hw.window_calls, 0);
    x86_request_window(&vcpu, false, true);
    x86_request_window(&vcpu, false, true);
    cr_assert_eq(hw.window_calls, 1);
    cr_assert(hw.window[0] && vcpu.arch.window_requested);
    x86_request_window(&vcpu, true, true);
    cr_assert(hw.window[1] && vcpu.arch.nmi_window_requested && hw.window_calls == 2);
    x86_request_window(&vcpu, false, false);
    cr_assert(!hw.window[0] && !vcpu.arch.window_requested && vcpu.arch.nmi_window_requested);
}

Test(x86_vcpu_core, shadow_ends_nmi_blocking_stays)
{
    x86_vcpu_clear_interrupt_shadow(&vcpu);
    cr_assert_eq(hw.set_blocked_calls, 0, "no shadow: no write");
    hw.blocked = X86_BLOCKED_MOVSS | X86_BLOCKED_NMI;
    x86_vcpu_clear_interrupt_shadow(&vcpu);
    cr_assert_eq(hw.blocked, X86_BLOCKED_NMI);
}

Test(x86_vcpu_core, state_round_trip_through_the_primitives)
{
    struct x86_cpu_state s, back;
    memset(&s, 0, sizeof s);
    for (unsigned i = 0; i < 16; i++)
        s.gpr[i] = 0x100 + i;
    s.rip = 0x8000, s.rflags = 0x202;
    s.cr0 = CR0_PE | CR0_ET, s.cr3 = 0x5000, s.cr4 = CR4_PAE, s.efer = EFER_LME;
    s.dr6 = 0xFFFF0FF0, s.dr7 = 0x400;
    for (unsigned i = 0; i < SREG_COUNT; i++)
        s.seg[i] = (struct x86_segment){ (uint16_t)(8 * i), 0xC093, 0xFFFFF, 0x1000u * i };
    s.ldtr = (struct x86_segment){ 0x28, 0x82, 0xFFFF, 0x7000 };
    s.tr = (struct x86_segment){ 0x30, 0x8B, 0x67, 0x3000 };
    s.gdtr = (struct x86_dtable){ 0x2000, 0x37 };
    s.idtr = (struct x86_dtable){ 0x2800, 0xFFF };
    hw.blocked = X86_BLOCKED_STI;
    x86_vcpu_set_state(&vcpu, &s);
    cr_assert_eq(hw.order[0], '0', "CR0 before SS (SVM's CPL follows SS.DPL in protected mode)");
    cr_assert_eq(hw.order[1], 'S');
    cr_assert_eq(hw.blocked, 0, "a new state: no shadow");
    cr_assert_eq(hw.seg[X86_SEG_GDTR].base, 0x2000);
    cr_assert_eq(hw.seg[X86_SEG_IDTR].limit, 0xFFF);
    memset(&back, 0, sizeof back);
    x86_vcpu_get_state(&vcpu, &back);
    cr_assert(back.gdtr.base == s.gdtr.base && back.gdtr.limit == s.gdtr.limit);
    cr_assert(back.idtr.base == s.idtr.base && back.idtr.limit == s.idtr.limit);
    back.gdtr = s.gdtr, back.idtr = s.idtr;     /* their padding is not state */
    cr_assert_eq(memcmp(&s, &back, sizeof s), 0, "what was set reads back");
}

/* APM Vol. 2 15.11 (MSRPM: 2 KiB per range, read and write bits side by side); SDM Vol. 3C 24.6.9 (MSR
 * bitmaps: read-low, read-high, then the write halves 2048 bytes on). */
static const struct x86_msr_map svm_msrpm = { 8192, { { 0, 0 }, { 0xC0000000u, 0x800 }, { 0xC0010000u, 0x1000 } }, 3, 2, 1 };
static const struct x86_msr_map vmx_bitmap = { 4096, { { 0, 0 }, { 0xC0000000u, 1024 } }, 2, 1, 2048 * 8 };

static unsigned zero_bits(const uint8_t *m, size_t n)
{
    unsigned z = 0;
    for (size_t i = 0; i < n; i++)
        z += 8 - (unsigned)__builtin_popcount(m[i]);
    return z;
}

Test(x86_vcpu_core, msr_maps_pass_exactly_the_listed_msrs)
{
    static uint8_t m[8192];
    x86_msr_map_fill(&svm_msrpm, m);
    cr_assert_eq(m[0x174 * 2 / 8] & 3, 0, "SYSENTER_CS: both bits clear");
    cr_assert_eq(m[0x800 + 0x81 * 2 / 8] & 0xC, 0, "STAR (0xC0000081) in the second 2 KiB");
    cr_assert_eq(m[0x1000 + 0x20 * 2 / 8] & 3, 0, "0xC0010020 in the third");
    cr_assert_eq(zero_bits(m, sizeof m), 6, "and nothing else");
    memset(m, 0, sizeof m);
    x86_msr_map_fill(&vmx_bitmap, m);
    cr_assert_eq(m[0x174 / 8] & 1u << (0x174 % 8), 0, "SYSENTER_CS read");
    cr_assert_eq(m[2048 + 0x174 / 8] & 1u << (0x174 % 8), 0, "and write");
    cr_assert_eq(m[1024 + 0x81 / 8] & 1u << 1, 0, "STAR read (high range)");
    cr_assert_eq(m[3072 + 0x81 / 8] & 1u << 1, 0, "STAR write");
    cr_assert_eq(zero_bits(m, 4096), 4, "0xC0010020 has no place in VMX's bitmap");
    cr_assert_eq(m[4096], 0, "the fill stays inside the map");
}
