/* vgic_v4_prop.c: GICv4 vPEs' LPI configuration (GICR_VPROPBASER): a HYPERVISOR-OWNED copy of
 * the guest's table, one per VM, refreshed from guest memory (guest_read, slot lock held) when
 * the first vPE is made and on every INV/INVALL. Not the guest's table itself: the GIC would
 * then read guest memory by physical address behind the memslot lock (a memslot change could
 * hand that memory to someone else), and the architecture only promises that configuration
 * changes take effect after INV/INVALL (Arm IHI 0069, "LPI Configuration tables"), which is
 * exactly when the copy is refreshed. Changed only under the VM's ITS lock. */
#include <string.h>
#include "gicv3_its.h"
#include "page_alloc.h"
#include "vgic_internal.h"
#include "vgic_v4.h"

#define PROP_BYTES ((1u << GITS_VLPI_ID_BITS) - VGIC_LPI_BASE)
#define PROPBASER_PA(v) ((v) & 0x000ffffffffff000ull)

static struct v4_prop {
    uint8_t *copy;                              /* PROP_BYTES, from hv_page_alloc */
    bool stale;                                 /* the ITS was reset since: re-read it */
} v4prop[VM_MAX_VMS];                           /* the VM's ITS lock */

/* The copy from the guest's table (vCPU 0's GICR_PROPBASER, within its IDbits); intid 0:
 * all of it, else that one byte. Bytes beyond the guest's table read as 0 (disabled). */
static void prop_sync(struct vm *vm, uint32_t intid)
{
    uint8_t *copy = v4prop[vm->id].copy;
    struct vcpu *v = &vm->vcpu[0];
    uint64_t base = PROPBASER_PA(__atomic_load_n(&v->arch.vgic.propbaser, __ATOMIC_RELAXED));
    uint32_t limit = vgic_lpi_limit(v);
    if (limit > (1u << GITS_VLPI_ID_BITS))
        limit = 1u << GITS_VLPI_ID_BITS;
    uint32_t first = intid ? intid : VGIC_LPI_BASE, end = intid ? intid + 1 : (1u << GITS_VLPI_ID_BITS);
    for (uint32_t i = first; i < end; i += 4096) {
        uint32_t n = end - i < 4096 ? end - i : 4096;
        uint8_t *dst = copy + (i - VGIC_LPI_BASE);
        if (i >= limit || guest_read(&vm->slots, base + (i - VGIC_LPI_BASE), dst, n))
            memset(dst, 0, n);
        else if (i + n > limit)
            memset(dst + (limit - i), 0, i + n - limit);
    }
    gits_tables_written();                      /* the GIC reads it from memory */
}

bool vgic_v4_prop_get(struct vm *vm)
{
    struct v4_prop *p = &v4prop[vm->id];
    if (!p->copy) {
        uint64_t pa = hv_page_alloc(PROP_BYTES / PAGE_SIZE, PAGE_SIZE);
        if (!pa)
            return false;
        p->copy = (uint8_t *)(uintptr_t)pa;
        p->stale = true;
    }
    if (p->stale)
        prop_sync(vm, 0);
    p->stale = false;
    return true;
}

bool vgic_v4_prop_refresh(struct vm *vm, uint32_t intid)
{
    if (!v4prop[vm->id].copy)
        return false;
    if (intid && (intid < VGIC_LPI_BASE || intid >= (1u << GITS_VLPI_ID_BITS)))
        return true;                            /* not in the copy */
    prop_sync(vm, intid);
    return true;
}

void vgic_v4_prop_stale(struct vm *vm)
{
    v4prop[vm->id].stale = true;
}

uint64_t vgic_v4_prop_pa(const struct vm *vm)
{
    return (uint64_t)(uintptr_t)v4prop[vm->id].copy;
}
