/* vpsci.c: PSCI 1.1 for guests over HVC or SMC (Arm DEN 0022E), one table row per function. */
#include "guest.h"

/* DEN 0022E 5.1: function IDs (SMC32 0x84..., SMC64 0xC4...). */
#define PSCI_VERSION           0x84000000u
#define PSCI_CPU_OFF           0x84000002u
#define PSCI_CPU_ON_32         0x84000003u
#define PSCI_CPU_ON_64         0xC4000003u
#define PSCI_AFFINITY_INFO_32  0x84000004u
#define PSCI_AFFINITY_INFO_64  0xC4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF        0x84000008u
#define PSCI_SYSTEM_RESET      0x84000009u
#define PSCI_FEATURES          0x8400000Au

/* DEN 0022E 5.2.2: return codes. */
#define PSCI_SUCCESS            0
#define PSCI_NOT_SUPPORTED     (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_ALREADY_ON        (-4)
#define PSCI_ON_PENDING        (-5)
#define PSCI_INVALID_ADDRESS   (-9)

#define PSCI_VERSION_1_1       0x00010001
#define MIGRATE_NOT_REQUIRED   2      /* DEN 0022E 5.10: no Trusted OS to migrate */

typedef int64_t (*psci_fn)(struct vcpu *v, uint64_t a1, uint64_t a2, uint64_t a3);

/* The vCPU an MPIDR names: Aff0 is the index, the other affinity fields are 0. */
static struct vcpu *target_vcpu(struct vm *vm, uint64_t mpidr)
{
    if ((mpidr & MPIDR_AFF_MASK & ~0xffull) || (mpidr & 0xff) >= vm->vcpu_count)
        return NULL;
    return &vm->vcpu[mpidr & 0xff];
}

static int64_t psci_version(struct vcpu *v, uint64_t a1, uint64_t a2, uint64_t a3)
{
    (void)v, (void)a1, (void)a2, (void)a3;
    return PSCI_VERSION_1_1;
}

/* DEN 0022E 5.6 CPU_ON: exactly one of racing callers succeeds (vcpu_power_on). */
static int64_t psci_cpu_on(struct vcpu *v, uint64_t mpidr, uint64_t entry, uint64_t context)
{
    struct vcpu *t = target_vcpu(v->vm, mpidr);
    uint64_t hpa;
    if (!t)
        return PSCI_INVALID_PARAMETERS;
    if (!memslot_translate(&v->vm->slots, entry, &hpa, NULL))
        return PSCI_INVALID_ADDRESS;
    switch (vcpu_power_on(v->vm, t->id, entry, context)) {
    case 0: return PSCI_SUCCESS;
    case -1: return PSCI_ALREADY_ON;
    case -2: return PSCI_ON_PENDING;
    default: return PSCI_INVALID_PARAMETERS;
    }
}

static int64_t psci_cpu_on_32(struct vcpu *v, uint64_t mpidr, uint64_t entry, uint64_t context)
{
    return psci_cpu_on(v, (uint32_t)mpidr, (uint32_t)entry, (uint32_t)context);
}

/* DEN 0022E 5.5 CPU_OFF: the run loop then waits in arch_vcpu_block until a CPU_ON. */
static int64_t psci_cpu_off(struct vcpu *v, uint64_t a1, uint64_t a2, uint64_t a3)
{
    (void)a1, (void)a2, (void)a3;
    vcpu_power_off(v);
    return PSCI_SUCCESS;    /* never seen: the vCPU restarts at the next CPU_ON's entry */
}

/* DEN 0022E 5.7 AFFINITY_INFO: only level 0 (one CPU) is supported. */
static int64_t psci_affinity_info(struct vcpu *v, uint64_t mpidr, uint64_t level, uint64_t a3)
{
    (void)a3;
    struct vcpu *t = target_vcpu(v->vm, mpidr);
    static const int64_t state[] = { [VCPU_ON] = 0, [VCPU_OFF] = 1, [VCPU_ON_PENDING] = 2 };
    if (!t || level != 0)
        return PSCI_INVALID_PARAMETERS;
    return state[__atomic_load_n(&t->power, __ATOMIC_ACQUIRE)];
}

static int64_t psci_affinity_info_32(struct vcpu *v, uint64_t mpidr, uint64_t level, uint64_t a3)
{
    return psci_affinity_info(v, (uint32_t)mpidr, (uint32_t)level, a3);
}

static int64_t psci_migrate_info_type(struct vcpu *v, uint64_t a1, uint64_t a2, uint64_t a3)
{
    (void)v, (void)a1, (void)a2, (void)a3;
    return MIGRATE_NOT_REQUIRED;
}

static int64_t psci_system_off(struct vcpu *v, uint64_t a1, uint64_t a2, uint64_t a3)
{
    (void)a1, (void)a2, (void)a3;
    vm_request_shutdown(v->vm, VM_SHUTDOWN_OFF);
    return PSCI_SUCCESS;
}

/* The kernel reloads the images; RAM outside them survives, as with QEMU's reset. */
static int64_t psci_system_reset(struct vcpu *v, uint64_t a1, uint64_t a2, uint64_t a3)
{
    (void)a1, (void)a2, (void)a3;
    vm_request_shutdown(v->vm, VM_SHUTDOWN_RESET);
    return PSCI_SUCCESS;
}

static int64_t psci_features(struct vcpu *v, uint64_t fn, uint64_t a2, uint64_t a3);

static const struct { uint32_t id; psci_fn fn; } psci_table[] = {
    { PSCI_VERSION, psci_version },
    { PSCI_CPU_OFF, psci_cpu_off },
    { PSCI_CPU_ON_32, psci_cpu_on_32 },
    { PSCI_CPU_ON_64, psci_cpu_on },
    { PSCI_AFFINITY_INFO_32, psci_affinity_info_32 },
    { PSCI_AFFINITY_INFO_64, psci_affinity_info },
    { PSCI_MIGRATE_INFO_TYPE, psci_migrate_info_type },
    { PSCI_SYSTEM_OFF, psci_system_off },
    { PSCI_SYSTEM_RESET, psci_system_reset },
    { PSCI_FEATURES, psci_features },
};

static psci_fn psci_lookup(uint64_t id)
{
    for (size_t i = 0; i < sizeof(psci_table) / sizeof(psci_table[0]); i++)
        if (psci_table[i].id == id)
            return psci_table[i].fn;
    return NULL;
}

/* DEN 0022E 5.15 PSCI_FEATURES: 0 for an implemented function (no feature flags). */
static int64_t psci_features(struct vcpu *v, uint64_t fn, uint64_t a2, uint64_t a3)
{
    (void)v, (void)a2, (void)a3;
    return psci_lookup((uint32_t)fn) && (fn >> 32) == 0 ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED;
}

/* SMCCC (Arm DEN 0028): the function ID is W0; PSCI owns 0x84000000-0x8400001F and
 * 0xC4000000-0xC400001F. */
bool vpsci_is_psci(uint64_t x0)
{
    uint32_t id = (uint32_t)x0 & ~0x40000000u;
    return id >= 0x84000000u && id <= 0x8400001fu;
}

/* Performs the call in the guest's x0-x3; the result goes to x0 (int32, sign-extended). */
void vpsci_call(struct vcpu *v)
{
    uint64_t *x = v->arch.x;
    psci_fn fn = psci_lookup((uint32_t)x[0]);
    x[0] = (uint64_t)(fn ? fn(v, x[1], x[2], x[3]) : PSCI_NOT_SUPPORTED);
}
