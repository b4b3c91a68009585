/* Host tests of the VM-entry checks on a vmcs12 (arch/x86_64/vmx/vmcs12_check.c; SDM Vol. 3C 26.2-26.3):
 * a valid 64-bit L2 passes all three; each invalid field fails the right group with the architectural
 * result (VMfailValid 7 controls, 8 host state; exit reason 33 guest state, qualification 4 for the link
 * pointer). */
#include <criterion/criterion.h>
#include <string.h>
#include "vmcs12_check.h"

/* Bochs 2.7's host MSRs (as tests/unit/fake_x86.c). */
static uint64_t host_msr(uint32_t msr)
{
    switch (msr) {
    case 0x480: return 0x00d810000000002bull;
    case 0x48D: return 0x0000007f00000016ull;
    case 0x48E: return 0xf7f9fffe04006172ull;
    case 0x48F: return 0x007fffff00036dfbull;
    case 0x490: return 0x0000ffff000011fbull;
    case 0x48B: return 0x02177fff00000000ull;
    case 0x485: return 5;
    case 0x486: return 0x80000021ull;
    case 0x487: return 0xFFFFFFFFull;
    case 0x488: return 0x2000ull;
    case 0x489: return 0x3727FFull;
    default: return 0;
    }
}

static struct vmcs12 v;
static struct vmcs12_check_env env;

/* What the L1 payload (tests/guests/x86_64/nvmx.c) sets up: a 64-bit L2 on L1's page tables. */
static void valid(void)
{
    memset(&v, 0, sizeof(v));
    nested_vmx_ctls(host_msr, &env.caps);
    env.phys_bits = 40;
    env.l1_ia32e = true;
    env.link_revision = 0;
    v12_set(&v, V12_PIN_BASED_VM_EXEC_CONTROL, 0x16 | V12_PIN_EXT_INTR | V12_PIN_NMI_EXITING);
    v12_set(&v, V12_CPU_BASED_VM_EXEC_CONTROL, 0x04006172 | V12_CPU_HLT | V12_CPU_UNCOND_IO);
    v12_set(&v, V12_VM_EXIT_CONTROLS, 0x36dfb | V12_EXIT_HOST_ADDR64 | V12_EXIT_SAVE_EFER | V12_EXIT_LOAD_EFER);
    v12_set(&v, V12_VM_ENTRY_CONTROLS, 0x11fb | V12_ENTRY_IA32E | V12_ENTRY_LOAD_EFER);
    v12_set(&v, V12_HOST_CR0, 0x80000031);
    v12_set(&v, V12_HOST_CR3, 0x100000);
    v12_set(&v, V12_HOST_CR4, 0x2020);
    v12_set(&v, V12_HOST_IA32_EFER, 0x500);
    v12_set(&v, V12_HOST_CS_SELECTOR, 0x08);
    v12_set(&v, V12_HOST_SS_SELECTOR, 0x10);
    v12_set(&v, V12_HOST_DS_SELECTOR, 0x10);
    v12_set(&v, V12_HOST_TR_SELECTOR, 0x28);
    v12_set(&v, V12_HOST_RIP, 0x101000);
    v12_set(&v, V12_HOST_RSP, 0x200000);
    v12_set(&v, V12_GUEST_CR0, 0x80000031);
    v12_set(&v, V12_GUEST_CR3, 0x100000);
    v12_set(&v, V12_GUEST_CR4, 0x2020);
    v12_set(&v, V12_GUEST_IA32_EFER, 0x500);
    v12_set(&v, V12_GUEST_DR7, 0x400);
    v12_set(&v, V12_GUEST_CS_SELECTOR, 0x08);
    v12_set(&v, V12_GUEST_CS_AR_BYTES, 0xA09B);     /* 64-bit code, P, DPL 0, accessed */
    v12_set(&v, V12_GUEST_CS_LIMIT, 0xFFFFFFFF);
    static const enum vmcs12_index ar[] = { V12_GUEST_SS_AR_BYTES, V12_GUEST_DS_AR_BYTES, V12_GUEST_ES_AR_BYTES,
                                            V12_GUEST_FS_AR_BYTES, V12_GUEST_GS_AR_BYTES };
    static const enum vmcs12_index lim[] = { V12_GUEST_SS_LIMIT, V12_GUEST_DS_LIMIT, V12_GUEST_ES_LIMIT,
                                             V12_GUEST_FS_LIMIT, V12_GUEST_GS_LIMIT };
    for (int i = 0; i < 5; i++) {
        v12_set(&v, ar[i], 0xC093);
        v12_set(&v, lim[i], 0xFFFFFFFF);
    }
    v12_set(&v, V12_GUEST_SS_SELECTOR, 0x10);
    v12_set(&v, V12_GUEST_TR_AR_BYTES, 0x8B);
    v12_set(&v, V12_GUEST_TR_LIMIT, 0x67);
    v12_set(&v, V12_GUEST_TR_SELECTOR, 0x28);
    v12_set(&v, V12_GUEST_LDTR_AR_BYTES, 1u << 16);
    v12_set(&v, V12_GUEST_GDTR_LIMIT, 0x37);
    v12_set(&v, V12_GUEST_IDTR_LIMIT, 0xFFF);
    v12_set(&v, V12_GUEST_RIP, 0x102000);
    v12_set(&v, V12_GUEST_RSP, 0x300000);
    v12_set(&v, V12_GUEST_RFLAGS, 0x2);
    v12_set(&v, V12_VMCS_LINK_POINTER, ~0ull);
}
TestSuite(vmcs12_check, .init = valid);

static const char *why;

static uint32_t controls(void) { why = NULL; return vmcs12_check_controls(&v, &env, &why); }
static uint32_t host(void) { why = NULL; return vmcs12_check_host(&v, &env, &why); }
static uint64_t qual;
static uint32_t guest(void) { why = NULL; return vmcs12_check_guest(&v, &env, &qual, &why); }

Test(vmcs12_check, valid_state_passes_all)
{
    cr_assert_eq(controls(), 0, "%s", why);
    cr_assert_eq(host(), 0, "%s", why);
    cr_assert_eq(guest(), 0, "%s", why);
}

Test(vmcs12_check, rflags_bit1_clear_is_invalid_guest_state)
{
    v12_set(&v, V12_GUEST_RFLAGS, 0);
    cr_assert_eq(controls(), 0);
    cr_assert_eq(host(), 0);
    cr_assert_eq(guest(), 33);
    cr_assert_eq(qual, 0);
    cr_assert_str_eq(why, "GUEST_RFLAGS bit 1 clear");
}

Test(vmcs12_check, control_failures_are_vmfail_7)
{
    struct { enum vmcs12_index f; uint64_t value; } bad[] = {
        { V12_PIN_BASED_VM_EXEC_CONTROL, 0x16 | (1u << 7) },          /* posted interrupts: not offered */
        { V12_PIN_BASED_VM_EXEC_CONTROL, 0 },                          /* default1 bits clear */
        { V12_CPU_BASED_VM_EXEC_CONTROL, 0x04006172 | (1u << 21) },    /* TPR shadow: not offered */
        { V12_CPU_BASED_VM_EXEC_CONTROL, 0x04006172 | V12_CPU_NMI_WINDOW },   /* without virtual NMIs */
        { V12_CR3_TARGET_COUNT, 5 },
        { V12_VM_EXIT_CONTROLS, 0x36dfb | V12_EXIT_HOST_ADDR64 | V12_EXIT_SAVE_PREEMPT },   /* without the timer */
        { V12_VM_ENTRY_CONTROLS, 0x11fb | V12_ENTRY_IA32E | (1u << 10) },   /* entry to SMM */
        { V12_VM_ENTRY_INTR_INFO_FIELD, (1u << 31) | (2u << 8) | 3 },    /* NMI with vector 3 */
        { V12_VM_ENTRY_INTR_INFO_FIELD, (1u << 31) | (3u << 8) | 13 },   /* #GP without its error code */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        valid();
        v12_set(&v, bad[i].f, bad[i].value);
        cr_assert_eq(controls(), 7, "case %zu", i);
        cr_assert_not_null(why);
    }
    valid();
    v12_set(&v, V12_CPU_BASED_VM_EXEC_CONTROL, 0x04006172 | V12_CPU_IO_BITMAPS);
    v12_set(&v, V12_IO_BITMAP_A, 0x1234);
    cr_assert_eq(controls(), 7, "unaligned I/O bitmap");
    v12_set(&v, V12_IO_BITMAP_A, 0x1000);
    v12_set(&v, V12_IO_BITMAP_B, 1ull << 45);
    cr_assert_eq(controls(), 7, "I/O bitmap beyond MAXPHYADDR");
}

Test(vmcs12_check, host_failures_are_vmfail_8)
{
    struct { enum vmcs12_index f; uint64_t value; } bad[] = {
        { V12_HOST_CR0, 0x31 },                       /* PG clear: CR0_FIXED0 */
        { V12_HOST_CR4, 0x20 },                       /* VMXE clear: CR4_FIXED0 */
        { V12_HOST_CR3, 1ull << 52 },
        { V12_HOST_CS_SELECTOR, 0 },
        { V12_HOST_TR_SELECTOR, 0 },
        { V12_HOST_SS_SELECTOR, 0x13 },               /* RPL 3 */
        { V12_HOST_RIP, 0x0000800000000000ull },      /* not canonical */
        { V12_HOST_GS_BASE, 0x8000000000000000ull },
        { V12_HOST_IA32_EFER, 0 },                    /* LMA/LME off with a 64-bit host */
        { V12_VM_EXIT_CONTROLS, 0x36dfb | V12_EXIT_SAVE_EFER | V12_EXIT_LOAD_EFER },   /* 32-bit host from 64-bit L1 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        valid();
        v12_set(&v, bad[i].f, bad[i].value);
        cr_assert_eq(controls(), 0, "case %zu", i);
        cr_assert_eq(host(), 8, "case %zu", i);
    }
}

Test(vmcs12_check, guest_failures_are_exit_33)
{
    struct { enum vmcs12_index f; uint64_t value; } bad[] = {
        { V12_GUEST_RFLAGS, 0x2 | (1ull << 15) },     /* reserved bit */
        { V12_GUEST_RFLAGS, 0x2 | (1ull << 17) },     /* VM in IA-32e mode */
        { V12_GUEST_CR0, 0x31 },                      /* PG clear */
        { V12_GUEST_CR4, 0x2000 },                    /* PAE clear with IA-32e mode */
        { V12_GUEST_IA32_EFER, 0x100 },               /* LMA clear with IA-32e mode */
        { V12_GUEST_CS_AR_BYTES, 0xA093 },            /* data segment in CS */
        { V12_GUEST_CS_AR_BYTES, 0xE09B },            /* L and D/B */
        { V12_GUEST_SS_SELECTOR, 0x13 },              /* SS.RPL 3, CS.RPL 0 */
        { V12_GUEST_TR_AR_BYTES, 0x89 },              /* available TSS */
        { V12_GUEST_TR_LIMIT, 0x67 | (1ull << 20) },  /* byte granular limit above 1 MiB */
        { V12_GUEST_RIP, 0x0000900000000000ull },
        { V12_GUEST_GDTR_LIMIT, 0x10000 },
        { V12_GUEST_ACTIVITY_STATE, 1 },              /* HLT: not offered */
        { V12_GUEST_INTERRUPTIBILITY_INFO, 3 },       /* STI and MOV SS */
        { V12_GUEST_INTERRUPTIBILITY_INFO, 1 },       /* STI blocking with IF clear */
        { V12_GUEST_PENDING_DBG_EXCEPTIONS, 1ull << 20 },
        { V12_GUEST_IA32_DEBUGCTL, 1ull << 40 },      /* with load debug controls below */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        valid();
        if (bad[i].f == V12_GUEST_IA32_DEBUGCTL)
            v12_set(&v, V12_VM_ENTRY_CONTROLS, v12(&v, V12_VM_ENTRY_CONTROLS) | V12_ENTRY_LOAD_DEBUG);
        v12_set(&v, bad[i].f, bad[i].value);
        cr_assert_eq(controls(), 0, "case %zu", i);
        cr_assert_eq(host(), 0, "case %zu", i);
        cr_assert_eq(guest(), 33, "case %zu", i);
        cr_assert_eq(qual, 0);
    }
}

Test(vmcs12_check, link_pointer_failure_has_qualification_4)
{
    v12_set(&v, V12_VMCS_LINK_POINTER, 0x5000);
    env.link_revision = 0x12345;
    cr_assert_eq(guest(), 33);
    cr_assert_eq(qual, 4);
    env.link_revision = NESTED_VMCS12_REVISION;
    cr_assert_eq(guest(), 0, "a valid vmcs12 region is accepted: %s", why);
    v12_set(&v, V12_VMCS_LINK_POINTER, 0x5008);
    cr_assert_eq(guest(), 33);
    cr_assert_eq(qual, 4);
}
