/* vpm1.c: the ACPI PM1 event and control registers of a VM (ACPI 6.5, 4.8.3.1 and 4.8.3.2), at the ports
 * the FADT names (QEMU q35's ICH9 PMBASE 0x600: PM1_STS, PM1_EN, PM1_CNT; the PM timer at 0x608 is
 * vpmtimer.c). Nothing raises a fixed event here, so the status bits stay clear and no SCI is sent; the
 * register block exists so the OS finds the fixed hardware ACPI requires, SCI_EN reads set (the VM is
 * in ACPI mode from the start: the FADT has no SMI_CMD), and SLP_EN with \_S5's SLP_TYP powers the VM off. */
#include <inttypes.h>
#include "kernel.h"
#include "x86_vcpu.h"

/* 4.8.3.1.1 / 4.8.3.1.2: the PM1_STS bits (write 1 to clear) and the PM1_EN bits a platform can have. */
#define PM1_STS_BITS  0xC731u    /* TMR, BM, GBL, PWRBTN, SLPBTN, RTC, PCIEXP_WAKE, WAK */
#define PM1_EN_BITS   0x4721u    /* TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN, PCIEXP_WAKE_DIS */
/* 4.8.3.2.1 PM1_CNT: SCI_EN (0), BM_RLD (1), GBL_RLS (2, write-only), SLP_TYPx (12:10), SLP_EN (13,
 * write-only). */
#define PM1_CNT_SCI_EN   (1u << 0)
#define PM1_CNT_BM_RLD   (1u << 1)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP  (7u << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN   (1u << 13)

#define OFF_STS 0
#define OFF_EN  2
#define OFF_CNT 4

void vpm1_reset(struct vm *vm)
{
    struct vpm1 *p = &vm->arch.pm1;
    spin_lock(&p->lock);
    p->sts = 0;
    p->en = 0;
    p->cnt = PM1_CNT_SCI_EN;
    spin_unlock(&p->lock);
}

/* The block as 6 bytes, little-endian: an access of any size at any offset reads its bytes. */
static uint64_t pm1_read(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size)
{
    (void)vcpu;
    struct vpm1 *p = &((struct vm *)dev)->arch.pm1;
    spin_lock(&p->lock);
    uint64_t block = (uint64_t)p->sts | (uint64_t)p->en << 16 | (uint64_t)p->cnt << 32;
    spin_unlock(&p->lock);
    uint64_t v = block >> (8 * off);
    return size >= 8 ? v : v & ((1ull << (8 * size)) - 1);
}

static void pm1_write(void *dev, struct vcpu *vcpu, uint64_t off, uint32_t size, uint64_t value)
{
    struct vm *vm = dev;
    struct vpm1 *p = &vm->arch.pm1;
    /* Which bytes of the block the access covers, and their new values, as 6-byte words. */
    uint64_t bytes = size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
    uint64_t mask = (bytes << (8 * off)) & 0xFFFFFFFFFFFFull, v = (value << (8 * off)) & mask;
    uint16_t m_sts = (uint16_t)(mask >> 8 * OFF_STS), m_en = (uint16_t)(mask >> 8 * OFF_EN);
    uint16_t m_cnt = (uint16_t)(mask >> 8 * OFF_CNT), cnt = (uint16_t)(v >> 8 * OFF_CNT);
    spin_lock(&p->lock);
    p->sts &= (uint16_t)~((uint16_t)(v >> 8 * OFF_STS) & m_sts & PM1_STS_BITS);
    p->en = (uint16_t)((p->en & ~m_en) | ((uint16_t)(v >> 8 * OFF_EN) & m_en & PM1_EN_BITS));
    uint16_t keep = PM1_CNT_BM_RLD | PM1_CNT_SLP_TYP;   /* stored; SCI_EN stays set */
    p->cnt = (uint16_t)((p->cnt & ~(m_cnt & keep)) | (cnt & m_cnt & keep) | PM1_CNT_SCI_EN);
    uint32_t slp_typ = (p->cnt & PM1_CNT_SLP_TYP) >> PM1_CNT_SLP_TYP_SHIFT;
    bool sleep = (m_cnt & PM1_CNT_SLP_EN) && (cnt & PM1_CNT_SLP_EN);
    spin_unlock(&p->lock);
    if (!sleep)
        return;
    /* 7.4.2 / 16.1.7: the OS writes SLP_TYPx with SLP_EN to enter the sleep state. Only S5 exists
     * here (\_S5 is the DSDT's only sleep package); other types are ignored, as by a PC with no S1-S4. */
    if (slp_typ != X86_ACPI_SLP_TYP_S5) {
        hv_printf("vm %s: ACPI sleep type %" PRIu32 " requested: not supported, ignored\n", vm->name, slp_typ);
        return;
    }
    hv_printf("vm %s: ACPI S5 (PM1a_CNT SLP_TYP %u with SLP_EN): powering off\n", vm->name,
              X86_ACPI_SLP_TYP_S5);
    (void)vcpu;
    vm_request_shutdown(vm, VM_SHUTDOWN_OFF);
}

static const struct mmio_ops pm1_ops = { pm1_read, pm1_write };

bool vpm1_register(struct vm *vm)
{
    vm->arch.pm1.lock = (struct spinlock)SPINLOCK_INIT;
    vpm1_reset(vm);
    return mmio_bus_register(&vm->pio, X86_PM1_EVT_PORT, X86_PM1_BLOCK_BYTES, &pm1_ops, vm, "acpi-pm1") == 0;
}
