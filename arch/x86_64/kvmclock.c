/* kvmclock.c: KVM's paravirtual clock (Linux Documentation/virt/kvm/x86/msr.rst, cpuid.rst), so a Linux
 * guest gets its TSC frequency and wall-clock time without calibrating against emulated timers.
 *
 * MSR_KVM_SYSTEM_TIME(_NEW) takes the guest-physical address of a per-vCPU struct pvclock_vcpu_time_info
 * (bit 0: enable); MSR_KVM_WALL_CLOCK(_NEW) the address of a struct pvclock_wall_clock, filled once per
 * write. The guest computes ns = system_time + (((tsc - tsc_timestamp) << shift or >> -shift) * mul >> 32).
 * Here the time page describes the line through the VM's start: tsc_timestamp = the guest TSC when the VM
 * was (re)loaded, system_time 0. Every vCPU's page then gives the same time for the same TSC (the TSCs are
 * synchronized and the offsets equal), so PVCLOCK_TSC_STABLE_BIT is true and the page never needs a
 * periodic refresh: the TSC rate is constant (it is the host's, calibrated once). It is rewritten when
 * the vCPU's TSC offset changes (a write to IA32_TSC). The wall clock is the host RTC's time at that
 * start (vrtc.c's host clock), so wall time = wall clock + kvmclock. */
#include "arch.h"
#include "x86.h"
#include "x86_vcpu.h"

#define KVM_SYSTEM_TIME_ENABLE 1ull
#define PVCLOCK_TSC_STABLE_BIT 1u
#define NS_PER_SEC 1000000000ull

/* The time scale as KVM's kvm_get_time_scale(NSEC_PER_SEC, tsc_hz): a 32-bit fraction mul and a power
 * of two shift with ns = (cycles shifted) * mul >> 32, mul in [2^31, 2^32) for the best precision. */
void kvmclock_time_scale(uint64_t tsc_hz, int8_t *shift_out, uint32_t *mul_out)
{
    uint64_t scaled = NS_PER_SEC, base = tsc_hz;
    int32_t shift = 0;
    /* Bring the base below 2^32 and at most twice the scaled rate... */
    while (base > scaled * 2 || (base >> 32)) {
        base >>= 1;
        shift--;
    }
    /* ...then above the scaled rate (mul < 1), shifting whichever side keeps both in 32 bits. */
    uint32_t base32 = (uint32_t)base;
    while (base32 <= scaled || (scaled >> 32)) {
        if ((scaled >> 32) || (base32 & 0x80000000u))
            scaled >>= 1;
        else
            base32 <<= 1;
        shift++;
    }
    *shift_out = (int8_t)shift;
    *mul_out = (uint32_t)((scaled << 32) / base32);
}

uint64_t kvmclock_scale_delta(uint64_t delta, int8_t shift, uint32_t mul)
{
    delta = shift < 0 ? delta >> -shift : delta << shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

void kvmclock_fill(struct pvclock_vcpu_time_info *p, uint64_t tsc_timestamp, uint64_t system_time_ns,
                   uint64_t tsc_hz)
{
    p->tsc_timestamp = tsc_timestamp;
    p->system_time = system_time_ns;
    int8_t shift;
    uint32_t mul;
    kvmclock_time_scale(tsc_hz, &shift, &mul);
    p->tsc_shift = shift;
    p->tsc_to_system_mul = mul;
    p->flags = PVCLOCK_TSC_STABLE_BIT;
    p->pad0 = 0;
    p->pad[0] = p->pad[1] = 0;
}

/* The version protocol (pvclock-abi.h): odd while the hypervisor writes, even and larger when done; the
 * guest rereads until it sees the same even version on both sides of its read. Version first, then the
 * body, then the final version: each guest_write completes (under the slot lock) before the next, and
 * x86 stores are seen in program order. */
static bool write_versioned(struct memslots *ms, uint64_t gpa, const void *body, uint32_t body_bytes)
{
    uint32_t version;
    if (guest_read(ms, gpa, &version, 4))
        return false;
    version = (version + 1) | 1;
    if (guest_write(ms, gpa, &version, 4) || guest_write(ms, gpa + 4, (const uint8_t *)body + 4, body_bytes - 4))
        return false;
    version++;
    return guest_write(ms, gpa, &version, 4) == 0;
}

/* The structure must sit within one page, as KVM's guest-page cache requires; otherwise nothing is
 * written (the MSR keeps the value, as KVM's does). */
static bool in_one_page(uint64_t gpa, uint32_t bytes) { return (gpa & 0xFFF) + bytes <= 0x1000; }

static void update_time_page(struct vcpu *v)
{
    uint64_t msr = v->arch.msrs.kvm_system_time;
    if (!(msr & KVM_SYSTEM_TIME_ENABLE))
        return;
    uint64_t gpa = msr & ~KVM_SYSTEM_TIME_ENABLE;
    if (!in_one_page(gpa, sizeof(struct pvclock_vcpu_time_info)))
        return;
    struct pvclock_vcpu_time_info p;
    kvmclock_fill(&p, v->vm->arch.kvmclock.start_tsc + (uint64_t)v->arch.tsc_offset, 0, x86_tsc_hz());
    write_versioned(&v->vm->slots, gpa, &p, sizeof(p));
}

void kvmclock_vm_start(struct vm *vm)
{
    vm->arch.kvmclock.start_tsc = rdtsc();
    vm->arch.kvmclock.start_wall_ns = vrtc_host_now_ns();
    vm->arch.kvmclock.wall_clock_msr = 0;
}

void kvmclock_tsc_offset_changed(struct vcpu *vcpu) { update_time_page(vcpu); }

bool kvmclock_msr_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    bool wall = msr == MSR_KVM_WALL_CLOCK || msr == MSR_KVM_WALL_CLOCK_NEW;
    *value = wall ? v->vm->arch.kvmclock.wall_clock_msr : v->arch.msrs.kvm_system_time;
    return true;
}

bool kvmclock_msr_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    if (msr == MSR_KVM_WALL_CLOCK || msr == MSR_KVM_WALL_CLOCK_NEW) {
        /* struct pvclock_wall_clock: the wall time when kvmclock read 0, the VM's start. */
        struct kvmclock *k = &v->vm->arch.kvmclock;
        k->wall_clock_msr = value;
        uint64_t ns = k->start_wall_ns;
        struct pvclock_wall_clock w = { 0, (uint32_t)(ns / NS_PER_SEC), (uint32_t)(ns % NS_PER_SEC) };
        if (in_one_page(value, sizeof(w)))
            write_versioned(&v->vm->slots, value, &w, sizeof(w));
        return true;
    }
    v->arch.msrs.kvm_system_time = value;
    update_time_page(v);
    return true;
}
