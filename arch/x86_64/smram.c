/* smram.c: SMRAM of a VM with SMM: the q35 host bridge's SMRAM controls (Intel 3 Series / 82Q35 MCH
 * datasheet: SMRAM 0x9D, ESMRAMC 0x9E; QEMU's extended TSEG size at 0x50, the register OVMF reads) and
 * what they open and close: two views of guest-physical memory.
 *
 * The non-SMM view is vm->stage2 and vm->slots: RAM without the SMRAM the registers close, so both a
 * vCPU outside SMM and the hypervisor acting for one (MMIO emulation, hypercalls, kvmclock) find nothing
 * there: reads give all-ones and writes are dropped (emulate.c, as on a PC bus). The SMM view is
 * smram.stage2 and smram.slots: all of the VM's memory as loaded. A vCPU switches view on SMM entry and
 * RSM (smm.c). As in QEMU's q35 (mch_update_smram): TSEG, [top of low RAM - size, top), is closed to
 * non-SMM code whenever ESMRAMC.T_EN is set; the legacy window 0xA0000-0xBFFFF is closed unless
 * SMRAM.D_OPEN is set with ESMRAMC.H_SMRAME clear; SMRAM.D_LCK clears D_OPEN and freezes everything
 * but D_CLS until reset. Simplification: SMM code always sees all RAM (D_CLS, G_SMRAME and H_SMRAME
 * do not hide SMRAM from SMM code, and nothing is mapped at 0xFEDA0000). */
#include <inttypes.h>
#include "arch.h"
#include "arch_guest.h"
#include "kernel.h"
#include "x86_vcpu.h"

#define CFG_EXT_TSEG_MBYTES 0x50u      /* u16; writing 0xFFFF reads back the size in MiB (QEMU q35.h) */
#define EXT_TSEG_QUERY      0xFFFFu
#define CFG_SMRAM           0x9Du
#define SMRAM_D_OPEN        0x40u
#define SMRAM_D_CLS         0x20u
#define SMRAM_D_LCK         0x10u
#define SMRAM_G_SMRAME      0x08u
#define SMRAM_C_BASE_SEG    0x02u      /* 010b: the 0xA0000 window, hard-wired */
#define SMRAM_WMASK         (SMRAM_D_OPEN | SMRAM_D_CLS | SMRAM_D_LCK | SMRAM_G_SMRAME)
#define SMRAM_WMASK_LCK     SMRAM_D_CLS
#define CFG_ESMRAMC         0x9Eu
#define ESMRAMC_H_SMRAME    0x80u
#define ESMRAMC_SM_CACHE    0x20u
#define ESMRAMC_SM_L1       0x10u
#define ESMRAMC_SM_L2       0x08u
#define ESMRAMC_TSEG_SZ     0x06u      /* 00 1 MiB, 01 2 MiB, 10 8 MiB, 11 the extended size (QEMU) */
#define ESMRAMC_T_EN        0x01u
#define ESMRAMC_WMASK       (ESMRAMC_H_SMRAME | ESMRAMC_TSEG_SZ | ESMRAMC_T_EN)
#define LOW_SMRAM_BASE      0xA0000ull
#define LOW_SMRAM_BYTES     0x20000ull
#define MIB                 (1ull << 20)
/* The slot that holds low RAM above the legacy window while the window is closed (slot 0 keeps the
 * part below it). */
#define SPLIT_SLOT          (VM_MAX_MEMSLOTS - 1)

bool x86_smram_vm_init(struct vm *vm)
{
    struct x86_smram *s = &vm->arch.smram;
    s->enabled = vm->cfg->smram_bytes != 0;
    s->ext_tseg_mb = (uint16_t)(vm->cfg->smram_bytes / MIB);
    return true;
}

static uint64_t tseg_bytes(const struct x86_smram *s)
{
    if (!(s->esmramc & ESMRAMC_T_EN))
        return 0;
    static const uint64_t sizes[3] = { 1 * MIB, 2 * MIB, 8 * MIB };
    uint32_t sz = (s->esmramc & ESMRAMC_TSEG_SZ) >> 1;
    uint64_t b = sz < 3 ? sizes[sz] : (uint64_t)s->ext_tseg_mb * MIB;
    return b < s->low_top - LOW_SMRAM_BASE - LOW_SMRAM_BYTES ? b : 0;   /* never over the window */
}

/* The SMM view: every slot of vm->slots as loaded, and its stage-2 tables. Once per VM. */
static bool build_smm_view(struct vm *vm)
{
    struct x86_smram *s = &vm->arch.smram;
    struct memslot m;
    if (memslot_get(&vm->slots, SPLIT_SLOT, &m)) {
        hv_printf("vm %s: smram: memslot %u is taken (too many regions for SMM)\n", vm->name, SPLIT_SLOT);
        return false;
    }
    if (!memslot_get(&vm->slots, 0, &m) || m.gpa != 0 || m.size_bytes <= LOW_SMRAM_BASE + LOW_SMRAM_BYTES) {
        hv_printf("vm %s: smram: low RAM must reach past 0xC0000\n", vm->name);
        return false;
    }
    s->ram_hpa = m.hpa;
    s->low_top = m.size_bytes;
    if ((uint64_t)s->ext_tseg_mb * MIB + MIB > s->low_top - LOW_SMRAM_BASE - LOW_SMRAM_BYTES) {
        hv_printf("vm %s: smram: %" PRIu32 "M of TSEG does not fit in %" PRIu64 "M of low RAM\n", vm->name,
                  (uint32_t)s->ext_tseg_mb, (uint64_t)(s->low_top / MIB));
        return false;
    }
    memslots_init(&s->slots);
    if (pt_init(&s->stage2, arch_stage2_format(), &vm->stage2_env)) {
        hv_printf("vm %s: smram: out of memory for the SMM view's tables\n", vm->name);
        return false;
    }
    for (uint32_t id = 0; id < VM_MAX_MEMSLOTS; id++) {
        if (!memslot_get(&vm->slots, id, &m))
            continue;
        uint32_t perms = (m.flags & MEMSLOT_READONLY) ? PT_R | PT_X : PT_RWX;
        if (memslot_set(&s->slots, id, m.gpa, m.size_bytes, m.hpa, m.flags & ~MEMSLOT_DIRTY_LOG) != MEMSLOT_OK ||
            pt_map(&s->stage2, m.gpa, m.hpa, m.size_bytes, perms, 0)) {
            hv_printf("vm %s: smram: cannot map memslot %" PRIu32 " into the SMM view\n", vm->name, id);
            return false;
        }
    }
    s->views_built = true;
    return true;
}

/* The non-SMM view after a register change: slot 0 (and SPLIT_SLOT) cover low RAM minus the closed
 * parts, and vm->stage2 maps the same; other vCPUs are kicked so they flush before running on. */
static bool apply_views(struct vm *vm)
{
    struct x86_smram *s = &vm->arch.smram;
    bool low = !(s->smram & SMRAM_D_OPEN) || (s->esmramc & ESMRAMC_H_SMRAME);
    uint64_t tseg = tseg_bytes(s);
    if (low == s->low_hidden && tseg == s->tseg_hidden_bytes)
        return true;
    uint64_t top = s->low_top - tseg;
    bool ok = memslot_set(&vm->slots, SPLIT_SLOT, 0, 0, 0, 0) == MEMSLOT_OK || !s->low_hidden;
    ok = ok && memslot_set(&vm->slots, 0, 0, low ? LOW_SMRAM_BASE : top, s->ram_hpa, MEMSLOT_RAM) == MEMSLOT_OK;
    if (ok && low) {
        uint64_t b = LOW_SMRAM_BASE + LOW_SMRAM_BYTES;
        ok = memslot_set(&vm->slots, SPLIT_SLOT, b, top - b, s->ram_hpa + b, MEMSLOT_RAM) == MEMSLOT_OK;
    }
    if (ok && low != s->low_hidden)
        ok = low ? !pt_unmap(&vm->stage2, LOW_SMRAM_BASE, LOW_SMRAM_BYTES)
                 : !pt_map(&vm->stage2, LOW_SMRAM_BASE, s->ram_hpa + LOW_SMRAM_BASE, LOW_SMRAM_BYTES, PT_RWX, 0);
    if (ok && tseg != s->tseg_hidden_bytes) {
        uint64_t old = s->tseg_hidden_bytes;
        if (old)
            ok = !pt_map(&vm->stage2, s->low_top - old, s->ram_hpa + s->low_top - old, old, PT_RWX, 0);
        if (ok && tseg)
            ok = !pt_unmap(&vm->stage2, top, tseg);
    }
    if (!ok) {
        hv_printf("vm %s: smram: cannot change the non-SMM view of SMRAM\n", vm->name);
        return false;
    }
    s->low_hidden = low;
    s->tseg_hidden_bytes = tseg;
    arch_stage2_tlb_invalidate(vm, 0, s->low_top);
    for (uint32_t i = 0; i < vm->vcpu_count; i++)
        if (vm->vcpu[i].pcpu != arch_cpu_index())
            arch_vcpu_kick(&vm->vcpu[i]);
    return true;
}

bool x86_smram_load(struct vm *vm)
{
    struct x86_smram *s = &vm->arch.smram;
    if (!s->enabled)
        return true;
    if (!s->views_built && !build_smm_view(vm))
        return false;
    spin_lock(&s->lock);
    s->smram = SMRAM_C_BASE_SEG;
    s->esmramc = ESMRAMC_SM_CACHE | ESMRAMC_SM_L1 | ESMRAMC_SM_L2;
    s->ext_tseg_reg = 0;
    s->apm[0] = s->apm[1] = 0;
    bool ok = apply_views(vm);
    spin_unlock(&s->lock);
    hv_printf("vm %s: smm: SMRAM at 0xA0000 (128K) and TSEG up to %" PRIu32 "M below 0x%" PRIx64 "\n", vm->name,
              (uint32_t)s->ext_tseg_mb, s->low_top);
    return ok;
}

/* One byte of the host bridge's configuration space that SMRAM owns; false for the others. */
static bool reg_byte(struct x86_smram *s, uint32_t off, uint8_t **reg, uint16_t *ext_shift)
{
    *reg = NULL;
    *ext_shift = 0xFFFF;
    if (off == CFG_SMRAM)
        *reg = &s->smram;
    else if (off == CFG_ESMRAMC)
        *reg = &s->esmramc;
    else if (off == CFG_EXT_TSEG_MBYTES || off == CFG_EXT_TSEG_MBYTES + 1)
        *ext_shift = (uint16_t)(8 * (off - CFG_EXT_TSEG_MBYTES));
    else
        return false;
    return true;
}

bool x86_smram_config_read(struct vm *vm, uint32_t offset, uint32_t size, uint32_t *value)
{
    struct x86_smram *s = &vm->arch.smram;
    if (!s->enabled)
        return false;
    bool mine = false;
    uint32_t v = 0;
    spin_lock(&s->lock);
    for (uint32_t i = 0; i < size; i++) {
        uint8_t *reg;
        uint16_t shift;
        if (!reg_byte(s, offset + i, &reg, &shift))
            continue;
        mine = true;
        uint8_t b = reg ? *reg : (uint8_t)(s->ext_tseg_reg >> shift);
        v |= (uint32_t)b << (8 * i);
    }
    spin_unlock(&s->lock);
    *value = v;
    return mine;
}

/* Writes within the write masks (QEMU mch_write_config, mch_update_smram): D_LCK clears D_OPEN and leaves
 * only D_CLS writable, ESMRAMC read-only; 0xFFFF written to 0x50 reads back the TSEG size in MiB. */
bool x86_smram_config_write(struct vm *vm, uint32_t offset, uint32_t size, uint32_t value)
{
    struct x86_smram *s = &vm->arch.smram;
    if (!s->enabled)
        return false;
    bool mine = false;
    spin_lock(&s->lock);
    for (uint32_t i = 0; i < size; i++) {
        uint8_t *reg, b = (uint8_t)(value >> (8 * i));
        uint16_t shift;
        if (!reg_byte(s, offset + i, &reg, &shift))
            continue;
        mine = true;
        bool locked = s->smram & SMRAM_D_LCK;
        if (reg == &s->smram) {
            uint8_t wm = locked ? SMRAM_WMASK_LCK : SMRAM_WMASK;
            s->smram = (uint8_t)((s->smram & ~wm) | (b & wm));
        } else if (reg == &s->esmramc) {
            if (!locked)
                s->esmramc = (uint8_t)((s->esmramc & ~ESMRAMC_WMASK) | (b & ESMRAMC_WMASK));
        } else {
            s->ext_tseg_reg = (uint16_t)((s->ext_tseg_reg & ~(0xFFu << shift)) | (uint16_t)b << shift);
        }
    }
    if (s->ext_tseg_reg == EXT_TSEG_QUERY)
        s->ext_tseg_reg = s->ext_tseg_mb;
    if (s->smram & SMRAM_D_LCK)
        s->smram &= (uint8_t)~SMRAM_D_OPEN;
    if (mine)
        apply_views(vm);
    spin_unlock(&s->lock);
    return mine;
}
