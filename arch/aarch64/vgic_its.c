/* vgic_its.c: a VM's emulated ITS: the GITS frame at 0x08080000 on vm->mmio, its lock, guest
 * memory through the audited accessors, and delivery to the vGIC (model: vgic_its_cmd.c). */
#include <inttypes.h>
#include "kernel.h"
#include "vgic.h"
#include "vgic_its.h"
#include "vm.h"

/* LPI INTIDs MAPTI accepts: below 1 << VGIC_ITS_LPI_ID_BITS, the vGIC's GICD_TYPER.IDbits + 1
 * (VGIC_LPI_ID_BITS in vgic_internal.h; vgic_inject_lpi drops anything beyond anyway). */
#define VGIC_ITS_LPI_ID_BITS 16

/* Guest memory: only through guest_read/guest_write, which hold the slot lock for the copy,
 * so a concurrent memslot change cannot free memory under the ITS. */
static int its_mem_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    return guest_read(&((struct vm *)ctx)->slots, gpa, buf, len);
}

static int its_mem_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    return guest_write(&((struct vm *)ctx)->slots, gpa, buf, len);
}

/* A table the guest programmed is not (or no longer) guest RAM, e.g. its memslot was deleted
 * while the VM ran: the command was ignored (vgic_its.h); said on the console for the first
 * few, as a guest can repeat it at will. */
#define ITS_FAULT_LINES 4
static void its_mem_fault(void *ctx, uint64_t gpa, bool write)
{
    struct vm *vm = ctx;
    uint32_t n = __atomic_fetch_add(&vm->arch.its.faults_shown, 1, __ATOMIC_RELAXED);
    if (n < ITS_FAULT_LINES)
        hv_printf("vm %s: ITS: %s of its table at 0x%" PRIx64 " failed: not guest RAM, command ignored%s\n",
                  vm->name, write ? "write" : "read", gpa, n + 1 == ITS_FAULT_LINES ? " (no more such lines)" : "");
}

/* The model checks vcpu < vcpu_count before any of these. */
static void its_lpi_inject(void *ctx, uint32_t vcpu, uint32_t intid)
{
    struct vm *vm = ctx;
    __atomic_fetch_add(&vm->lpi_injected, 1, __ATOMIC_RELAXED);
    vgic_inject_lpi(&vm->vcpu[vcpu], intid);
}

static bool its_lpi_clear(void *ctx, uint32_t vcpu, uint32_t intid)
{
    return vgic_clear_lpi(&((struct vm *)ctx)->vcpu[vcpu], intid);
}

static void its_lpi_move_all(void *ctx, uint32_t from, uint32_t to)
{
    struct vm *vm = ctx;
    vgic_move_all_lpis(&vm->vcpu[from], &vm->vcpu[to]);
}

static void its_lpi_config_changed(void *ctx, uint32_t intid)
{
    vgic_lpi_config_changed(ctx, intid);
    vgic_v4_config_changed(ctx, intid);
}

static bool its_fwd(void *ctx, enum its_fwd_op op, uint32_t device_id, uint32_t event_id, uint32_t icid,
                    uint32_t vcpu, uint32_t intid)
{
    return vgic_v4_its_fwd(ctx, op, device_id, event_id, icid, vcpu, intid);
}

/* Lock order: ITS lock, then the slot lock (guest_read) or the vGIC's locks (delivery).
 * The vGIC must never call into the ITS while holding its own. */
static uint64_t its_mmio_read(void *dev, struct vcpu *vcpu, uint64_t offset, uint32_t size)
{
    struct vgic_its *its = dev;
    (void)vcpu;
    spin_lock(&its->lock);
    uint64_t v = its_reg_read(&its->state, offset, size);
    spin_unlock(&its->lock);
    return v;
}

static void its_mmio_write(void *dev, struct vcpu *vcpu, uint64_t offset, uint32_t size, uint64_t value)
{
    struct vgic_its *its = dev;
    (void)vcpu;
    spin_lock(&its->lock);
    its_reg_write(&its->state, offset, size, value);
    spin_unlock(&its->lock);
}

static const struct mmio_ops its_mmio_ops = { its_mmio_read, its_mmio_write };

bool vgic_its_init(struct vm *vm)
{
    struct vgic_its *its = &vm->arch.its;
    its->env = (struct its_env){
        .ctx = vm,
        .mem_read = its_mem_read,
        .mem_write = its_mem_write,
        .lpi_inject = its_lpi_inject,
        .lpi_config_changed = its_lpi_config_changed,
        .lpi_clear = its_lpi_clear,
        .lpi_move_all = its_lpi_move_all,
        .fwd = its_fwd,
        .mem_fault = its_mem_fault,
        .vcpu_count = vm->vcpu_count,
        .lpi_id_bits = VGIC_ITS_LPI_ID_BITS,
    };
    its->lock = (struct spinlock)SPINLOCK_INIT;
    its_init(&its->state, &its->env);
    if (mmio_bus_register(&vm->mmio, VGIC_GITS_BASE, VGIC_GITS_SIZE, &its_mmio_ops, its, "gits")) {
        hv_printf("vm %s: cannot register the ITS\n", vm->name);
        return false;
    }
    return true;
}

void vgic_its_reset(struct vm *vm)
{
    struct vgic_its *its = &vm->arch.its;
    spin_lock(&its->lock);
    its_reset(&its->state);
    vgic_v4_its_reset(vm);                  /* GICv4: the physical mirror of its events too */
    spin_unlock(&its->lock);
}

bool vgic_its_msi(struct vm *vm, uint32_t device_id, uint32_t event_id)
{
    struct vgic_its *its = &vm->arch.its;
    spin_lock(&its->lock);
    bool ok = its_signal(&its->state, device_id, event_id);
    spin_unlock(&its->lock);
    return ok;
}
