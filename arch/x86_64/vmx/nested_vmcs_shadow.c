/* nested_vmcs_shadow.c: VMCS shadowing for L1 (nested_vmcs_shadow.h). Intel SDM Vol. 3C, 2016 numbering. */
#include <string.h>
#include "kernel.h"
#include "page_alloc.h"
#include "vmcs.h"
#include "vmcs12.h"
#include "x86.h"
#include "x86_vcpu.h"
#include "nested_vmcs_shadow.h"

#define SEC_VMCS_SHADOWING  (1u << 14)          /* 24.6.2, table 24-7 */
#define VMREAD_BITMAP       0x2026u             /* 24.6.15 */
#define VMWRITE_BITMAP      0x2028u
#define SHADOW_VMCS_BIT     (1u << 31)          /* 24.2: the shadow-VMCS indicator */
#define MISC_VMWRITE_ALL    (1ull << 29)        /* A.6: VMWRITE may write the exit-information fields */

/* 24.6.15: bit n of a bitmap (n = encoding bits 14:0) set: that VMREAD / VMWRITE exits. Every field of
 * the vmcs12 table is read without an exit, and written too unless it is read-only (its VMWRITE must
 * fail with error 13, which the software path gives); any other encoding exits. */
static void bitmap_clear(uint8_t *bm, uint32_t enc)
{
    bm[(enc & 0x7FFF) / 8] &= (uint8_t)~(1u << (enc % 8));
}

bool nested_vmcs_shadow_init(struct vcpu *v)
{
    struct nested_vmx *n = &v->arch.nvmx;
    n->vmcs_shadow_pa = 0;
    bool host = (rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32) & SEC_VMCS_SHADOWING;
    if (!host || !(rdmsr(MSR_IA32_VMX_MISC) & MISC_VMWRITE_ALL))
        return true;                            /* the software path only */
    uint64_t pages = hv_page_alloc(3, PAGE_SIZE);
    if (!pages)
        return false;
    uint8_t *rd = (uint8_t *)(uintptr_t)(pages + PAGE_SIZE), *wr = (uint8_t *)(uintptr_t)(pages + 2 * PAGE_SIZE);
    memset(rd, 0xFF, PAGE_SIZE);
    memset(wr, 0xFF, PAGE_SIZE);
    for (int i = 0; i < VMCS12_FIELD_COUNT; i++) {
        uint32_t enc = vmcs12_field_encoding(i);
        bool wide = vmcs12_field_width(enc) == VMCS12_W64;
        bitmap_clear(rd, enc);
        if (wide)
            bitmap_clear(rd, enc | 1);
        if (vmcs12_field_type(enc) == VMCS12_TYPE_EXIT_INFO)
            continue;
        bitmap_clear(wr, enc);
        if (wide)
            bitmap_clear(wr, enc | 1);
    }
    *(uint32_t *)(uintptr_t)pages = ((uint32_t)rdmsr(MSR_IA32_VMX_BASIC) & 0x7FFFFFFFu) | SHADOW_VMCS_BIT;
    n->vmcs_shadow_pa = pages;                  /* VMCLEARed at its first use: no VMXON on this pCPU yet */
    return true;
}

/* Makes the shadow VMCS current for L0's own VMREAD / VMWRITE of it (VMCLEAR first: a no-op but for
 * its first use, which initializes it, 24.11.3), then VMCLEARs it (its data back in memory, inactive,
 * as a VMCS link pointer target must be) and makes vmcs01 current again. */
static void shadow_load(struct nested_vmx *n)
{
    uint64_t pa = n->vmcs_shadow_pa;
    __asm__ volatile("vmclear %0" :: "m"(pa) : "cc", "memory");
    __asm__ volatile("vmptrld %0" :: "m"(pa) : "cc", "memory");
}

static void shadow_done(struct vcpu *v)
{
    uint64_t pa = v->arch.nvmx.vmcs_shadow_pa, vmcs01 = v->arch.vmx.vmcs_pa;
    __asm__ volatile("vmclear %0" :: "m"(pa) : "cc", "memory");
    __asm__ volatile("vmptrld %0" :: "m"(vmcs01) : "cc", "memory");
}

void nested_vmcs_shadow_pull(struct vcpu *v)
{
    struct nested_vmx *n = &v->arch.nvmx;
    if (!n->vmcs_shadow_on)
        return;
    shadow_load(n);
    for (int i = 0; i < VMCS12_FIELD_COUNT; i++) {
        uint32_t enc = vmcs12_field_encoding(i);
        if (vmcs12_field_type(enc) != VMCS12_TYPE_EXIT_INFO)
            n->vmcs12->field[i] = vmread(enc);
    }
    shadow_done(v);
}

void nested_vmcs_shadow_push(struct vcpu *v)
{
    struct nested_vmx *n = &v->arch.nvmx;
    if (!n->vmcs_shadow_pa)
        return;
    bool on = n->vmxon && n->current_ptr != ~0ull;
    if (on) {
        shadow_load(n);
        for (int i = 0; i < VMCS12_FIELD_COUNT; i++)
            vmwrite(vmcs12_field_encoding(i), n->vmcs12->field[i]);
        shadow_done(v);
    }
    /* 26.2.1.1 / 26.3.1.5: with shadowing the link pointer names a shadow VMCS of this revision. */
    uint64_t sec = vmread(SECONDARY_VM_EXEC_CONTROL) & ~(uint64_t)SEC_VMCS_SHADOWING;
    vmwrite(SECONDARY_VM_EXEC_CONTROL, sec | (on ? SEC_VMCS_SHADOWING : 0));
    vmwrite(VMREAD_BITMAP, n->vmcs_shadow_pa + PAGE_SIZE);
    vmwrite(VMWRITE_BITMAP, n->vmcs_shadow_pa + 2 * PAGE_SIZE);
    vmwrite(VMCS_LINK_POINTER, on ? n->vmcs_shadow_pa : ~0ull);
    n->vmcs_shadow_on = on;
}
