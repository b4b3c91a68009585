/* test_x86_smm_flow.c: guest SMM's flows (arch/x86_64/smm.c) over a fake backend that keeps one
 * struct x86_cpu_state, with the VM's SMM-view memslots in host memory: SMI delivery writes the map and
 * loads the entry state on the SMM view, an SMI in SMM is latched and taken once after RSM, an event
 * being delivered defers the SMI, RSM outside SMM is #UD, RSM restores (and relocates SMBASE) or, for a
 * corrupted map, stops the VM naming the check, the #UD decode finds RSM only in SMM, the SMM MSRs. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "x86_vcpu.h"

#define MIB (1ull << 20)
static struct vm vm;
static struct config_vm cfg;
static struct vcpu *v = &vm.vcpu[0];
static uint8_t *ram;
static struct x86_cpu_state hw;             /* what the fake backend holds */
static const struct pgtable *stage2_now;
static bool queued;
static int ud_injected, crashes;
static char printed[512], crash_what[128];
static uint8_t insn[16];

int hv_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = strlen(printed);
    vsnprintf(printed + n, sizeof printed - n, fmt, ap);
    va_end(ap);
    return 0;
}
void arch_vcpu_kick(struct vcpu *t) { (void)t; }
bool x86_smram_vm_init(struct vm *m) { m->arch.smram.enabled = true; return true; }
void x86_vcpu_crash(struct vcpu *t, struct vcpu_exit *exit, const char *what, uint64_t code)
{
    (void)t, (void)code;
    crashes++;
    snprintf(crash_what, sizeof crash_what, "%s", what);
    exit->reason = EXIT_SHUTDOWN;
}
uint64_t x86_cr4_supported(struct vcpu *t) { (void)t; return 0x3006FFull; }
void x86_cpuid_policy(struct vcpu *t, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    (void)t, (void)subleaf;
    memset(out, 0, 16);
    if (leaf == 0x80000000u)
        out[0] = 0x80000008u;
    else if (leaf == 0x80000001u)
        out[3] = 1u << 29;                  /* long mode: the AMD64 map */
    else if (leaf == 0x80000008u)
        out[0] = 40;
}
size_t x86_fetch_insn(struct vcpu *t, uint8_t bytes[X86_INSN_MAX_BYTES], enum x86_cpu_mode *mode,
                      struct x86_guest_mode *m)
{
    (void)t, (void)m;
    *mode = X86_MODE_16;
    memcpy(bytes, insn, X86_INSN_MAX_BYTES);
    return X86_INSN_MAX_BYTES;
}

/* cpu_state.c's and event.c's entry points smm.c uses, over the one state the fake keeps. */
void x86_vcpu_get_state(struct vcpu *t, struct x86_cpu_state *s) { (void)t; *s = hw; }
void x86_vcpu_set_state(struct vcpu *t, const struct x86_cpu_state *s) { (void)t; hw = *s; }
bool x86_event_queued(struct vcpu *t) { (void)t; return queued; }
void x86_vcpu_inject_exception(struct vcpu *t, uint8_t vector, bool has_error, uint32_t error)
{
    (void)t, (void)has_error, (void)error;
    if (vector == 6)
        ud_injected++;
}
static void set_stage2(struct vcpu *t, const struct pgtable *pt) { (void)t; stage2_now = pt; }
static const struct x86_vcpu_ops fake_ops = { .name = "fake", .set_stage2 = set_stage2 };
const struct x86_vcpu_ops *x86_vcpu_backend(void) { return &fake_ops; }

/* A 64-bit kernel's state, as in test_x86_smm.c. */
static struct x86_cpu_state kernel_state(void)
{
    struct x86_cpu_state s;
    memset(&s, 0, sizeof s);
    for (unsigned i = 0; i < 16; i++)
        s.gpr[i] = 0x100 + i;
    s.rip = 0x101234;
    s.rflags = 0x246;
    s.cr0 = 0x80000011;
    s.cr3 = 0x200000;
    s.cr4 = 0x20;
    s.efer = 0x500;
    s.dr6 = 0xFFFF0FF0;
    s.dr7 = 0x400;
    for (unsigned i = 0; i < SREG_COUNT; i++)
        s.seg[i] = (struct x86_segment){ 0x10, 0xC093, 0xFFFFFFFFu, 0 };
    s.seg[SREG_CS] = (struct x86_segment){ 0x08, 0xA09B, 0xFFFFFFFFu, 0 };
    s.tr = (struct x86_segment){ 0x30, 0x8B, 0x67, 0x3000 };
    s.gdtr = (struct x86_dtable){ 0x2000, 0x37 };
    return s;
}

static uint32_t map32(uint32_t smbase, uint32_t off) { uint32_t x; memcpy(&x, ram + smbase + off, 4); return x; }
static void set_map32(uint32_t smbase, uint32_t off, uint32_t x) { memcpy(ram + smbase + off, &x, 4); }

static void setup(void)
{
    memset(&vm, 0, sizeof vm);
    memset(&cfg, 0, sizeof cfg);
    cfg.smram_bytes = 8 * MIB;
    vm.cfg = &cfg;
    vm.name = "t";
    vm.vcpu_count = 1;
    v->vm = &vm;
    ram = aligned_alloc(4096, 16 * MIB);
    memset(ram, 0, 16 * MIB);
    memslots_init(&vm.slots);
    memslots_init(&vm.arch.smram.slots);
    cr_assert_eq(memslot_set(&vm.slots, 0, 0, 8 * MIB, (uint64_t)(uintptr_t)ram, MEMSLOT_RAM), MEMSLOT_OK);
    cr_assert_eq(memslot_set(&vm.arch.smram.slots, 0, 0, 16 * MIB, (uint64_t)(uintptr_t)ram, MEMSLOT_RAM), MEMSLOT_OK);
    cr_assert(x86_smm_vm_init(&vm));
    x86_smm_vcpu_reset(v);
    hw = kernel_state();
    stage2_now = NULL;
    queued = false;
    ud_injected = crashes = 0;
    printed[0] = crash_what[0] = 0;
}
static void teardown(void) { free(ram); }
TestSuite(smm_flow, .init = setup, .fini = teardown);

static struct vcpu_exit ex;
static void rsm(void) { struct x86_exit x = { .kind = X86_EXIT_RSM }; x86_smm_rsm(v, &x, &ex); }

Test(smm_flow, smi_enters_smm_on_the_smm_view)
{
    x86_smm_raise(v);
    cr_assert(x86_smm_pending(v));
    cr_assert(x86_smm_deliver(v, &ex));
    cr_assert(v->arch.smm.in_smm && !x86_smm_pending(v));
    cr_assert_eq(map32(0x30000, 0xFFF8), 0x100, "RAX in the map at SMBASE 0x30000");
    cr_assert_eq(map32(0x30000, 0xFF78), 0x101234, "RIP");
    cr_assert_eq(map32(0x30000, 0xFF00), 0x30000, "SMBASE");
    cr_assert(hw.rip == 0x8000 && hw.seg[SREG_CS].base == 0x30000 && hw.cr0 == 0x10 && hw.efer == 0);
    cr_assert_eq(stage2_now, &vm.arch.smram.stage2);
    uint64_t x;
    cr_assert(x86_smm_msr_read(v, 0x34, &x) && x == 1, "MSR_SMI_COUNT 1");
    cr_assert(x86_smm_msr_read(v, 0x9E, &x) && x == 0x30000, "IA32_SMBASE in SMM");
    cr_assert_eq(x86_vcpu_slots(v), &vm.arch.smram.slots);
}

Test(smm_flow, rsm_restores_the_map_and_the_normal_view)
{
    x86_smm_raise(v);
    x86_smm_deliver(v, &ex);
    set_map32(0x30000, 0xFFF8, 0x5EC0DE);           /* the handler changes RAX */
    rsm();
    cr_assert(!v->arch.smm.in_smm && crashes == 0);
    struct x86_cpu_state want = kernel_state();
    cr_assert(hw.gpr[0] == 0x5EC0DE && hw.rip == want.rip && hw.cr0 == want.cr0 && hw.cr4 == want.cr4 &&
              hw.efer == want.efer && hw.seg[SREG_CS].sel == 8 && hw.tr.base == 0x3000);
    cr_assert_eq(stage2_now, &vm.stage2);
    uint64_t x;
    cr_assert_not(x86_smm_msr_read(v, 0x9E, &x), "IA32_SMBASE outside SMM: #GP");
    cr_assert_eq(x86_vcpu_slots(v), &vm.slots);
}

Test(smm_flow, smi_in_smm_latched_and_taken_once_after_rsm)
{
    x86_smm_raise(v);
    x86_smm_deliver(v, &ex);
    x86_smm_raise(v);
    x86_smm_raise(v);
    cr_assert_not(x86_smm_pending(v), "held while in SMM");
    x86_smm_deliver(v, &ex);
    cr_assert_eq(v->arch.smm.smi_count, 1);
    rsm();
    cr_assert(x86_smm_pending(v), "taken after RSM");
    x86_smm_deliver(v, &ex);
    cr_assert(v->arch.smm.in_smm && v->arch.smm.smi_count == 2);
    rsm();
    x86_smm_deliver(v, &ex);
    cr_assert(!v->arch.smm.in_smm && v->arch.smm.smi_count == 2, "exactly once");
}

Test(smm_flow, smi_waits_for_an_event_in_delivery)
{
    queued = true;
    x86_smm_raise(v);
    cr_assert(x86_smm_deliver(v, &ex));
    cr_assert(!v->arch.smm.in_smm && x86_smm_pending(v));
    queued = false;
    x86_smm_deliver(v, &ex);
    cr_assert(v->arch.smm.in_smm);
}

Test(smm_flow, rsm_outside_smm_ud)
{
    rsm();
    cr_assert_eq(ud_injected, 1);
    cr_assert_eq(crashes, 0);
}

Test(smm_flow, smbase_relocation)
{
    x86_smm_raise(v);
    x86_smm_deliver(v, &ex);
    set_map32(0x30000, 0xFF00, 0x800000);           /* into the SMM-only part of RAM */
    rsm();
    cr_assert_eq(v->arch.smm.smbase, 0x800000u);
    x86_smm_raise(v);
    x86_smm_deliver(v, &ex);
    cr_assert_eq(map32(0x800000, 0xFF00), 0x800000, "the next map at the new SMBASE");
    cr_assert_eq(hw.seg[SREG_CS].base, 0x800000u);
}

Test(smm_flow, corrupted_map_stops_the_vm_naming_the_check)
{
    x86_smm_raise(v);
    x86_smm_deliver(v, &ex);
    struct x86_cpu_state in_smm = hw;
    set_map32(0x30000, 0xFF48, 0x20 | 0x8000);      /* CR4 bit 15 */
    rsm();
    cr_assert_eq(crashes, 1);
    cr_assert_str_eq(crash_what, "RSM from an invalid state-save map (shutdown)");
    cr_assert(strstr(printed, "CR4 reserved bit set"), "printed: %s", printed);
    cr_assert(hw.rip == in_smm.rip && hw.cr4 == in_smm.cr4, "nothing of the bad map loaded");
}

Test(smm_flow, smi_with_the_map_outside_ram_stops_the_vm)
{
    v->arch.smm.smbase = 0x7FF00000;
    x86_smm_raise(v);
    cr_assert_not(x86_smm_deliver(v, &ex));
    cr_assert_eq(crashes, 1);
    cr_assert(!v->arch.smm.in_smm);
}

Test(smm_flow, ud_decodes_rsm_only_in_smm)
{
    struct x86_exit x = { .kind = X86_EXIT_EXCEPTION };
    memcpy(insn, "\x0f\xaa", 2);
    cr_assert_not(x86_smm_ud(v, &x, &ex), "outside SMM: the guest's #UD");
    x86_smm_raise(v);
    x86_smm_deliver(v, &ex);
    memcpy(insn, "\x0f\x0b", 2);                    /* UD2 */
    cr_assert_not(x86_smm_ud(v, &x, &ex));
    memcpy(insn, "\x66\x0f\xaa", 3);
    cr_assert(x86_smm_ud(v, &x, &ex));
    cr_assert(!v->arch.smm.in_smm, "RSM done");
}
