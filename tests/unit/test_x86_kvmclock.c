/* test_x86_kvmclock.c: KVM's paravirtual clock (kvmclock.c): the time scale as kvm_get_time_scale computes
 * it (exact at 1 GHz, within 1 ppm over 1e12 cycles at other rates), the time page and wall clock the MSRs
 * write (fields, version protocol, page-crossing and disabled cases), continuity across an IA32_TSC write,
 * the same time on every vCPU, and the CPUID leaves that offer it next to the hypervisor's own. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "fake_x86.h"

#define RAM_BYTES 0x10000u
#define MSR_IA32_TSC 0x10u
static struct vm vm;
static struct config_vm cfg;
static uint8_t *ram;

static void setup(void)
{
    fake_x86_vm(&vm, &cfg, 2, CONFIG_CPUID_VENDOR_INTEL);
    fake_tsc_hz = 2500000000ull;
    ram = aligned_alloc(4096, RAM_BYTES);
    memset(ram, 0, RAM_BYTES);
    memslots_init(&vm.slots);
    cr_assert_eq(memslot_set(&vm.slots, 0, 0, RAM_BYTES, (uint64_t)(uintptr_t)ram, MEMSLOT_RAM), MEMSLOT_OK);
    kvmclock_vm_start(&vm);
    vm.arch.kvmclock.start_tsc = 123456789ull;     /* deterministic from here on */
    vm.arch.kvmclock.start_wall_ns = fake_wallclock_boot_seconds * 1000000000ull + 3500000000ull;
}
static void teardown(void) { free(ram); }
TestSuite(kvmclock, .init = setup, .fini = teardown);

static struct pvclock_vcpu_time_info page(uint64_t gpa)
{
    struct pvclock_vcpu_time_info p;
    memcpy(&p, ram + gpa, sizeof(p));
    return p;
}

/* What Linux's pvclock_clocksource_read computes from a page at guest TSC tsc. */
static uint64_t guest_ns(const struct pvclock_vcpu_time_info *p, uint64_t tsc)
{
    return p->system_time + kvmclock_scale_delta(tsc - p->tsc_timestamp, p->tsc_shift, p->tsc_to_system_mul);
}

Test(kvmclock, time_scale_is_kvms_and_within_1ppm_over_1e12_cycles)
{
    static const struct { uint64_t hz; int8_t shift; uint32_t mul; } known[] = {
        { 1000000000ull, 1, 0x80000000u },           /* ns = cycles exactly */
        { 2500000000ull, -1, 3435973836u },          /* 0.8 * 2^32 after halving */
        { 100000000ull, 4, 2684354560u },            /* 0.625 * 2^32 after 16x */
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        int8_t shift;
        uint32_t mul;
        kvmclock_time_scale(known[i].hz, &shift, &mul);
        cr_assert_eq(shift, known[i].shift, "%lu Hz: shift %d", known[i].hz, shift);
        cr_assert_eq(mul, known[i].mul, "%lu Hz: mul %u", known[i].hz, mul);
    }
    static const uint64_t rates[] = { 1000000000ull, 2500000000ull, 3123000000ull, 100000000ull, 3579545ull,
                                      5000000000ull };
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        int8_t shift;
        uint32_t mul;
        kvmclock_time_scale(rates[i], &shift, &mul);
        cr_assert_geq(mul, 0x80000000u, "%lu Hz: mul normalized for precision", rates[i]);
        const uint64_t cycles = 1000000000000ull;
        uint64_t got = kvmclock_scale_delta(cycles, shift, mul);
        unsigned __int128 exact = (unsigned __int128)cycles * 1000000000ull / rates[i];
        uint64_t err = got > exact ? (uint64_t)(got - exact) : (uint64_t)(exact - got);
        cr_assert_leq((unsigned __int128)err * 1000000, exact, "%lu Hz: %lu ns for 1e12 cycles, exact %lu",
                      rates[i], got, (uint64_t)exact);
        /* Linux's pvclock_tsc_khz: (10^6 << 32) / mul, shifted back. */
        uint64_t khz = (1000000ull << 32) / mul;
        khz = shift < 0 ? khz << -shift : khz >> shift;
        uint64_t want = rates[i] / 1000;
        cr_assert_leq(khz > want ? khz - want : want - khz, 1 + want / 1000000, "%lu Hz: guest sees %lu kHz",
                      rates[i], khz);
    }
}

Test(kvmclock, system_time_msr_writes_the_page_with_even_increasing_versions)
{
    cr_assert(x86_msr_write(&vm.vcpu[0], MSR_KVM_SYSTEM_TIME_NEW, 0x1000 | 1));
    struct pvclock_vcpu_time_info p = page(0x1000);
    cr_assert_eq(p.version, 2, "odd while written, even when done");
    cr_assert_eq(p.tsc_timestamp, 123456789ull + (uint64_t)vm.vcpu[0].arch.tsc_offset);
    cr_assert_eq(p.system_time, 0, "kvmclock 0 at the VM's start");
    cr_assert_eq(p.tsc_shift, -1);
    cr_assert_eq(p.tsc_to_system_mul, 3435973836u);
    cr_assert_eq(p.flags, 1, "PVCLOCK_TSC_STABLE_BIT");
    uint64_t v;
    cr_assert(x86_msr_read(&vm.vcpu[0], MSR_KVM_SYSTEM_TIME_NEW, &v));
    cr_assert_eq(v, 0x1001);
    /* Time runs at the TSC rate from the start: 2.5e9 guest cycles later, 1 s (mul rounds down: -1 ns). */
    uint64_t one_s = guest_ns(&p, p.tsc_timestamp + 2500000000ull);
    cr_assert(one_s >= 999999999ull && one_s <= 1000000000ull, "%lu ns", one_s);

    cr_assert(x86_msr_write(&vm.vcpu[0], MSR_KVM_SYSTEM_TIME_NEW, 0x1000 | 1));
    cr_assert_eq(page(0x1000).version, 4);
    uint32_t odd = 7;
    memcpy(ram + 0x1000, &odd, 4);                 /* the guest's copy: the next version is above it */
    cr_assert(x86_msr_write(&vm.vcpu[0], MSR_KVM_SYSTEM_TIME, 0x1000 | 1));
    cr_assert_eq(page(0x1000).version, 10);
}

Test(kvmclock, disabled_crossing_or_outside_ram_writes_nothing_and_never_faults)
{
    cr_assert(x86_msr_write(&vm.vcpu[0], MSR_KVM_SYSTEM_TIME_NEW, 0x3000));      /* enable bit clear */
    cr_assert_eq(page(0x3000).version, 0);
    cr_assert_eq(page(0x3000).flags, 0);
    cr_assert(x86_msr_write(&vm.vcpu[0], MSR_KVM_SYSTEM_TIME_NEW, 0x3FF0 | 1));  /* crosses a page */
    cr_assert_eq(page(0x3FF0).version, 0);
    uint64_t v;
    cr_assert(x86_msr_read(&vm.vcpu[0], MSR_KVM_SYSTEM_TIME_NEW, &v));
    cr_assert_eq(v, 0x3FF1, "the MSR keeps what was written");
    cr_assert(x86_msr_write(&vm.vcpu[0], MSR_KVM_SYSTEM_TIME_NEW, 0x80000000ull | 1), "outside RAM: no #GP");
    cr_assert(x86_msr_write(&vm.vcpu[0], MSR_KVM_WALL_CLOCK_NEW, 0x80000000ull));
}

Test(kvmclock, wall_clock_is_the_hosts_time_at_the_vms_start)
{
    cr_assert(x86_msr_write(&vm.vcpu[1], MSR_KVM_WALL_CLOCK_NEW, 0x2000));
    struct pvclock_wall_clock w;
    memcpy(&w, ram + 0x2000, sizeof(w));
    cr_assert_eq(w.version, 2);
    cr_assert_eq(w.sec, fake_wallclock_boot_seconds + 3, "the host's time at the VM's start");
    cr_assert_eq(w.nsec, 500000000u);
    uint64_t v;
    cr_assert(x86_msr_read(&vm.vcpu[0], MSR_KVM_WALL_CLOCK_NEW, &v));
    cr_assert_eq(v, 0x2000, "one wall-clock address per VM");
    cr_assert(x86_msr_write(&vm.vcpu[0], MSR_KVM_WALL_CLOCK, 0x2000));
    memcpy(&w, ram + 0x2000, sizeof(w));
    cr_assert_eq(w.version, 4);
}

Test(kvmclock, every_vcpu_reads_the_same_time_and_a_tsc_write_keeps_it_continuous)
{
    cr_assert(x86_msr_write(&vm.vcpu[0], MSR_KVM_SYSTEM_TIME_NEW, 0x1000 | 1));
    cr_assert(x86_msr_write(&vm.vcpu[1], MSR_KVM_SYSTEM_TIME_NEW, 0x1040 | 1));
    struct pvclock_vcpu_time_info a = page(0x1000), b = page(0x1040);
    for (uint64_t host = 123456789ull; host < 123456789ull + 100000000000ull; host += 7777777777ull)
        cr_assert_eq(guest_ns(&a, host + (uint64_t)vm.vcpu[0].arch.tsc_offset),
                     guest_ns(&b, host + (uint64_t)vm.vcpu[1].arch.tsc_offset));
    /* vCPU 1's guest sets its TSC: the page follows the new offset, the time does not jump. */
    cr_assert(x86_msr_write(&vm.vcpu[1], MSR_IA32_TSC, 5));
    struct pvclock_vcpu_time_info b2 = page(0x1040);
    cr_assert_eq(b2.version, b.version + 2);
    cr_assert_eq(b2.tsc_timestamp, 123456789ull + (uint64_t)vm.vcpu[1].arch.tsc_offset);
    uint64_t host = 123456789ull + 987654321ull;
    cr_assert_eq(guest_ns(&b2, host + (uint64_t)vm.vcpu[1].arch.tsc_offset),
                 guest_ns(&a, host + (uint64_t)vm.vcpu[0].arch.tsc_offset));
}

Test(kvmclock, reset_disables_the_time_page)
{
    cr_assert(x86_msr_write(&vm.vcpu[0], MSR_KVM_SYSTEM_TIME_NEW, 0x1000 | 1));
    x86_msr_reset(&vm.vcpu[0]);
    uint64_t v = 1;
    cr_assert(x86_msr_read(&vm.vcpu[0], MSR_KVM_SYSTEM_TIME_NEW, &v));
    cr_assert_eq(v, 0);
}

static struct cpuid_regs guest_cpuid(uint32_t leaf)
{
    uint32_t r[4];
    x86_cpuid_policy(&vm.vcpu[0], leaf, 0, r);
    return (struct cpuid_regs){ r[0], r[1], r[2], r[3] };
}

Test(kvmclock, cpuid_offers_kvms_clock_at_0x40000100_and_keeps_the_hypervisor_leaf)
{
    struct cpuid_regs own = guest_cpuid(0x40000000), kvm = guest_cpuid(0x40000100), f = guest_cpuid(0x40000101);
    char sig[13] = { 0 };
    memcpy(sig, &own.ebx, 4);
    memcpy(sig + 4, &own.ecx, 4);
    memcpy(sig + 8, &own.edx, 4);
    cr_assert_str_eq(sig, "hvhypervisor");
    cr_assert_eq(own.eax, 0x40000001);
    uint32_t want[3];
    memcpy(want, "KVMKVMKVM\0\0\0", 12);
    cr_assert_eq(kvm.eax, 0x40000101);
    cr_assert_eq(kvm.ebx, want[0]);
    cr_assert_eq(kvm.ecx, want[1]);
    cr_assert_eq(kvm.edx, want[2]);
    cr_assert_eq(f.eax, (1u << 0) | (1u << 3) | (1u << 24), "CLOCKSOURCE, CLOCKSOURCE2, STABLE_BIT; nothing else");
    cr_assert_eq(f.ebx | f.ecx | f.edx, 0, "no hints");
    /* Linux's hypervisor_cpuid_base("KVMKVMKVM\0\0\0", 0): the first 0x100-aligned base that matches. */
    uint32_t base = 0;
    for (uint32_t b = 0x40000000; b < 0x40010000 && !base; b += 0x100) {
        struct cpuid_regs r = guest_cpuid(b);
        if (r.ebx == want[0] && r.ecx == want[1] && r.edx == want[2])
            base = b;
    }
    cr_assert_eq(base, 0x40000100);
}

Test(kvmclock, vm_start_takes_the_host_wall_clock_and_tsc)
{
    kvmclock_vm_start(&vm);
    cr_assert_geq(vm.arch.kvmclock.start_wall_ns, fake_wallclock_boot_seconds * 1000000000ull);
    cr_assert_lt(vm.arch.kvmclock.start_wall_ns, (fake_wallclock_boot_seconds + 60) * 1000000000ull,
                 "boot seconds + the fake clock's few microseconds");
    cr_assert_neq(vm.arch.kvmclock.start_tsc, 123456789ull, "a fresh TSC reading");
}
