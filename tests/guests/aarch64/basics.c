/* basics.c: one boot, many checks of the platform a guest sees: PSCI, the hypervisor's
 * hypercalls, SMP bring-up, all of RAM, the generic timer, aborts and UNDEFs, emulated
 * loads with writeback, the empty virtio-mmio transports, read-only memory, FP/SIMD state
 * across exits. */
#include "test.h"
#include "hypercall.h"

#define CTX_FIRST   0xC0FFEE42ull
#define CTX_SECOND  0xFEEDFACE12345678ull   /* upper half must arrive too */
#define SECONDARY_TIMEOUT_US 1000000

static void test_psci(void)
{
    int32_t v = psci_version();
    check(v >= 0x10000, "hvc_psci_version", "PSCI_VERSION = 0x%x, want >= 1.0", v);

    int32_t on = psci_features(PSCI_CPU_ON), bogus = psci_features(0x8400FFFF);
    check(on == PSCI_SUCCESS && bogus == PSCI_NOT_SUPPORTED, "psci_features",
          "FEATURES(CPU_ON) = %d want 0, FEATURES(0x8400FFFF) = %d want -1", on, bogus);
}

static void test_hv_calls(void *dtb)
{
    SKIP_IF_NOT_HV("hv_version") {
        uint64_t v = hvc(HV_HC_VERSION, 0, 0, 0);
        CHECK_EQ(v, HV_ABI_VERSION, "hv_version");
    }

    SKIP_IF_NOT_HV("hv_console_write") {
        static const char msg[] = "hvc console ok\n";
        int64_t n = (int64_t)hvc(HV_HC_CONSOLE_WRITE, (uintptr_t)msg, sizeof msg - 1, 0);
        check(n == 15, "hv_console_write", "returned %ld, want 15", n);
    }

    SKIP_IF_NOT_HV("hv_memslot_info") {
        uint64_t want_size = ram_end(dtb) - RAM_BASE;
        struct smccc_res r = smccc_hvc(HV_HC_MEMSLOT_INFO, 0, 0, 0);
        int64_t max = (int64_t)hvc(HV_HC_VM_STAT, HV_STAT_MEMSLOT_MAX, 0, 0);
        int64_t past = (int64_t)hvc(HV_HC_MEMSLOT_INFO, max > 0 ? (uint64_t)max : 4096, 0, 0);
        int64_t huge = (int64_t)hvc(HV_HC_MEMSLOT_INFO, ~0ull, 0, 0);
        check(r.a0 == 0 && r.a1 == RAM_BASE && r.a2 == want_size && (r.a3 & HV_MEMSLOT_RAM) &&
              !(r.a3 & HV_MEMSLOT_READONLY) && past == HV_HC_NOT_FOUND && huge == HV_HC_NOT_FOUND,
              "hv_memslot_info",
              "slot 0: ret %ld gpa 0x%lx size 0x%lx flags 0x%lx (want 0, 0x%x, 0x%lx, RAM); "
              "slot %ld -> %ld, slot ~0 -> %ld (want %d)", (int64_t)r.a0, r.a1, r.a2, r.a3,
              RAM_BASE, want_size, max, past, huge, HV_HC_NOT_FOUND);
    }

    SKIP_IF_NOT_HV("hv_stats") {
        /* Exactly one stat-reading HVC lies between two snapshots, whether the counter
         * is bumped before or after the read is answered: hence the +1. */
        enum { N = 1000 };
        uint64_t a = hvc(HV_HC_VM_STAT, HV_STAT_EXITS_HVC, 0, 0);
        uint64_t b = hvc(HV_HC_VM_STAT, HV_STAT_EXITS_HVC, 0, 0);
        for (int i = 0; i < N; i++)
            hvc(HV_HC_VERSION, 0, 0, 0);
        uint64_t c = hvc(HV_HC_VM_STAT, HV_STAT_EXITS_HVC, 0, 0);
        check(b - a == 1 && c - b == N + 1, "hv_stats",
              "EXITS_HVC deltas: %lu with no call between (want 1), %lu after %d calls (want %d)",
              b - a, c - b, N, N + 1);
    }
}

/* Under hv the virtual counter starts near 0 when the VM is created (CNTVOFF_EL2), long
 * after the physical one started with the machine (firmware boot takes seconds). */
static void test_cntvoff(uint64_t vct_at_start, uint64_t pct_at_start)
{
    SKIP_IF_NOT_HV("cntvoff") {
        check(vct_at_start < pct_at_start && pct_at_start - vct_at_start > counter_freq() / 2, "cntvoff",
              "CNTVCT %lu, CNTPCT %lu at start: want the virtual counter at least 0.5 s behind",
              vct_at_start, pct_at_start);
    }
}

/* A write to a read-only memslot is ignored (ROM) and counted as one emulated access. */
static void test_readonly_region(void)
{
    SKIP_IF_NOT_HV("readonly_region") {
        int64_t max = (int64_t)hvc(HV_HC_VM_STAT, HV_STAT_MEMSLOT_MAX, 0, 0);
        struct smccc_res r = { 0 };
        for (int64_t i = 0; i < max; i++) {
            r = smccc_hvc(HV_HC_MEMSLOT_INFO, (uint64_t)i, 0, 0);
            if (r.a0 == 0 && (r.a3 & HV_MEMSLOT_READONLY))
                break;
        }
        if (r.a0 != 0 || !(r.a3 & HV_MEMSLOT_READONLY)) {
            check(false, "readonly_region", "no memslot with HV_MEMSLOT_READONLY among %ld", max);
            return;
        }
        volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)(r.a1 + 0x100);
        uint64_t before = *p;
        uint64_t mmio0 = hvc(HV_HC_VM_STAT, HV_STAT_EXITS_MMIO, 0, 0);
        *p = ~before;
        uint64_t mmio1 = hvc(HV_HC_VM_STAT, HV_STAT_EXITS_MMIO, 0, 0);
        uint64_t after = *p;
        check(after == before && mmio1 - mmio0 == 1, "readonly_region",
              "slot at 0x%lx: 0x%lx -> 0x%lx after writing 0x%lx (want unchanged), MMIO exits +%lu (want 1)",
              r.a1, before, after, ~before, mmio1 - mmio0);
    }
}

/* Loads from the PL011 in forms without an instruction syndrome (post-index writeback)
 * and with a register offset: the hypervisor decodes them (real QEMU just does them). */
static void test_mmio_decode(void)
{
    uint64_t base = PL011_BASE + 0x18, addr = base, fr, id_base = PL011_BASE, id_off = 0xfe0, id0;
    __asm__ volatile("ldr %w0, [%1], #4" : "=&r"(fr), "+r"(addr) : : "memory");
    __asm__ volatile("ldrb %w0, [%1, %2]" : "=r"(id0) : "r"(id_base), "r"(id_off) : "memory");
    check((fr & 0x90) == 0x90 && addr == base + 4 && id0 == 0x11, "mmio_decode_writeback",
          "ldr post-index: UARTFR 0x%lx (want RXFE|TXFE), base 0x%lx (want 0x%lx); "
          "ldrb register offset: UARTPeriphID0 0x%lx (want 0x11)", fr, addr, base + 4, id0);
}

/* All 32 FP/SIMD registers (both halves), FPCR and FPSR survive exits into a hypervisor whose
 * libc uses them, and (HV_STAT_FPU_LAZY_SAVES) the hypervisor's lazy switch really saved them:
 * without that count this would pass on a hypervisor that never touches FP/SIMD at all. The
 * line is formatted (newlib) by the console drain right after the exit that queued it, on this
 * pCPU unless another CPU was draining just then: up to FP_TRIES rounds until the count moves. */
#define FP_HVCS 20
#define FP_TRIES 5
static void test_fp_preserved(void)
{
    static uint64_t in[64], out[64];
    static const char msg[] = "fp check: hypervisor printing with the guest's FP state live\n";
    uint64_t fpcr_want = 3ull << 22, fpsr_want = (1ull << 27) | (1ull << 4);   /* RMode; QC, IXC */
    uint64_t fpcr, fpsr, fn = hv_present() ? HV_HC_CONSOLE_WRITE : PSCI_VERSION;
    for (unsigned i = 0; i < 64; i++)
        in[i] = 0x0123456789abcdefull * (i + 1) ^ ((uint64_t)i << 56);
    int64_t saves0 = hv_present() ? (int64_t)hvc(HV_HC_VM_STAT, HV_STAT_FPU_LAZY_SAVES, 0, 0) : 0, saves;
    unsigned bad, first, tries = 0;
    do {
        write_sysreg(cpacr_el1, 3ull << 20);        /* FPEN: no FP/SIMD traps at EL1 */
        isb();
        /* One asm block: the loads, the exits and the stores, so no compiler code runs between. */
        register uint64_t x0 __asm__("x0"), x1 __asm__("x1"), x2 __asm__("x2");
        __asm__ volatile(".arch_extension simd\n\t"
                         "mov x9, %[in]\n\t"
                         "ld1 {v0.2d-v3.2d}, [x9], #64\n\tld1 {v4.2d-v7.2d}, [x9], #64\n\t"
                         "ld1 {v8.2d-v11.2d}, [x9], #64\n\tld1 {v12.2d-v15.2d}, [x9], #64\n\t"
                         "ld1 {v16.2d-v19.2d}, [x9], #64\n\tld1 {v20.2d-v23.2d}, [x9], #64\n\t"
                         "ld1 {v24.2d-v27.2d}, [x9], #64\n\tld1 {v28.2d-v31.2d}, [x9], #64\n\t"
                         "msr fpcr, %[fpcr]\n\tmsr fpsr, %[fpsr]\n\t"
                         "mov x19, %[n]\n"
                         "1:\tmov x0, %[fn]\n\tmov x1, %[msg]\n\t"
                         "cmp x19, %[n]\n\tcsel x2, %[len], xzr, eq\n\t"   /* print once */
                         "hvc #0\n\tsubs x19, x19, #1\n\tb.ne 1b\n\t"
                         "mov x9, %[out]\n\t"
                         "st1 {v0.2d-v3.2d}, [x9], #64\n\tst1 {v4.2d-v7.2d}, [x9], #64\n\t"
                         "st1 {v8.2d-v11.2d}, [x9], #64\n\tst1 {v12.2d-v15.2d}, [x9], #64\n\t"
                         "st1 {v16.2d-v19.2d}, [x9], #64\n\tst1 {v20.2d-v23.2d}, [x9], #64\n\t"
                         "st1 {v24.2d-v27.2d}, [x9], #64\n\tst1 {v28.2d-v31.2d}, [x9], #64\n\t"
                         "mrs %[fpcr_out], fpcr\n\tmrs %[fpsr_out], fpsr\n\t"
                         "msr fpcr, xzr\n\tmsr fpsr, xzr"
                         : [fpcr_out] "=&r"(fpcr), [fpsr_out] "=&r"(fpsr), "=&r"(x0), "=&r"(x1), "=&r"(x2)
                         : [in] "r"(in), [out] "r"(out), [fpcr] "r"(fpcr_want), [fpsr] "r"(fpsr_want),
                           [n] "i"(FP_HVCS), [fn] "r"(fn), [msg] "r"(msg), [len] "r"(sizeof msg - 1)
                         : "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
                           "x15", "x16", "x17", "x19", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7",
                           "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18",
                           "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29",
                           "v30", "v31", "cc", "memory");
        bad = 0, first = 64;
        for (unsigned i = 0; i < 64; i++)
            if (out[i] != in[i] && bad++ == 0)
                first = i;
        saves = hv_present() ? (int64_t)hvc(HV_HC_VM_STAT, HV_STAT_FPU_LAZY_SAVES, 0, 0) - saves0 : 1;
    } while (bad == 0 && saves < 1 && ++tries < FP_TRIES);
    check(bad == 0 && fpcr == fpcr_want && fpsr == fpsr_want && saves >= 1, "fp_simd_preserved",
          "%u of 64 register halves changed (first v%u.d[%u] = 0x%lx, want 0x%lx), FPCR 0x%lx "
          "(want 0x%lx), FPSR 0x%lx (want 0x%lx), lazy FP saves by the hypervisor %ld (want >= 1)",
          bad, first / 2, first % 2, first < 64 ? out[first] : 0, first < 64 ? in[first] : 0,
          fpcr, fpcr_want, fpsr, fpsr_want, saves);
}

static uint64_t hvc_123(uint64_t fn)
{
    return hvc(fn, 1, 2, 3);
}

static void test_bogus_hvc(void)
{
    /* 0xC600FFFF is SMC64 (full x0 is the result); 0x12345678 is a 32-bit convention
     * id, whose result is w0 only (SMCCC 1.4, 2.6). Neither may raise an exception. */
    struct exc_record ra, rb;
    unsigned exc = exc_catch(hvc_123, 0xC600FFFF, &ra) + exc_catch(hvc_123, 0x12345678, &rb);
    int32_t v = psci_version();     /* still answering afterwards */
    check(exc == 0 && (int64_t)ra.result == -1 && (int32_t)rb.result == -1 && v >= 0x10000,
          "bogus_hvc",
          "0xC600FFFF -> 0x%lx, 0x12345678 -> 0x%lx (want -1), exceptions %u, then version 0x%x",
          ra.result, rb.result, exc, v);
}

/* Written by the secondary, read by the boot CPU (shared_store/shared_load). */
static struct mailbox {
    uint64_t arrived, context_id, mpidr, release;
} __attribute__((aligned(64))) mbox;

void secondary_main(uint64_t context_id)
{
    shared_store(&mbox.context_id, context_id);
    shared_store(&mbox.mpidr, mpidr());
    shared_store(&mbox.arrived, 1);
    while (!shared_load(&mbox.release))
        ;
}   /* the runtime then calls CPU_OFF */

static int32_t wait_affinity(uint64_t target, int32_t want)
{
    uint64_t start = counter(), limit = counter_freq();    /* 1 s */
    int32_t s;
    while ((s = psci_affinity_info(target)) != want && counter() - start < limit)
        ;
    return s;
}

/* CPU_ON(target, ctx); on arrival checks what it saw, then lets it CPU_OFF. */
static void bring_up(const char *name, uint64_t target, uint64_t ctx, bool more_checks)
{
    shared_store(&mbox.arrived, 0);
    shared_store(&mbox.release, 0);
    shared_store(&mbox.context_id, 0);
    shared_store(&mbox.mpidr, ~0ull);
    int32_t before = psci_affinity_info(target);
    int32_t ret = psci_cpu_on_entry(target, ctx);
    bool arrived = ret == PSCI_SUCCESS && shared_wait(&mbox.arrived, 1, SECONDARY_TIMEOUT_US);
    uint64_t got_ctx = shared_load(&mbox.context_id), got_mpidr = shared_load(&mbox.mpidr);
    check(arrived && got_ctx == ctx && (got_mpidr & MPIDR_AFF_MASK) == target, name,
          "CPU_ON(0x%lx) = %d, arrived %d, context 0x%lx (want 0x%lx), mpidr 0x%lx",
          target, ret, arrived, got_ctx, ctx, got_mpidr);
    if (!arrived)
        return;

    int32_t on = psci_affinity_info(target);
    int32_t again = psci_cpu_on_entry(target, ctx);
    shared_store(&mbox.release, 1);
    int32_t off = wait_affinity(target, AFFINITY_OFF);
    if (!more_checks)
        return;
    check(before == AFFINITY_OFF && on == AFFINITY_ON && off == AFFINITY_OFF, "affinity_info",
          "AFFINITY_INFO before CPU_ON %d (want 1), running %d (want 0), after CPU_OFF %d (want 1)",
          before, on, off);
    check(again == PSCI_ALREADY_ON, "cpu_on_already_on_secondary",
          "CPU_ON of the running secondary = %d, want -4", again);
}

static void test_smp(void *dtb)
{
    uint64_t cpus[MAX_CPUS], self = mpidr(), target = ~0ull;
    unsigned n = fdt_cpus(dtb, cpus, MAX_CPUS);
    for (unsigned i = 0; i < n && target == ~0ull; i++)
        if ((cpus[i] & MPIDR_AFF_MASK) != self)
            target = cpus[i] & MPIDR_AFF_MASK;

    int32_t self_on = psci_cpu_on_entry(self, 1);
    check(self_on == PSCI_ALREADY_ON, "cpu_on_already_on", "CPU_ON(own MPIDR 0x%lx) = %d, want -4",
          self, self_on);

    if (target == ~0ull) {
        skip("cpu_on_context", "one cpu in the DTB");
        skip("affinity_info", "one cpu in the DTB");
        skip("cpu_on_already_on_secondary", "one cpu in the DTB");
        skip("cpu_off_on_again", "one cpu in the DTB");
        return;
    }
    bring_up("cpu_on_context", target, CTX_FIRST, true);
    bring_up("cpu_off_on_again", target, CTX_SECOND, false);
}

#define RAM_PATTERN 0x5a5a5a5a5a5a5a5aull

static void test_ram(void *dtb)
{
    struct region r[2];
    unsigned n = ram_free_regions(dtb, r);
    uint64_t bytes = 0, bad = 0, first_bad = 0, got = 0;

    for (unsigned i = 0; i < n; i++)
        for (volatile uint64_t *p = (uint64_t *)r[i].start; p < (uint64_t *)r[i].end; p++)
            *p = (uintptr_t)p ^ RAM_PATTERN;
    for (unsigned i = 0; i < n; i++) {
        bytes += r[i].end - r[i].start;
        for (volatile uint64_t *p = (uint64_t *)r[i].start; p < (uint64_t *)r[i].end; p++) {
            uint64_t v = *p;
            if (v != ((uintptr_t)p ^ RAM_PATTERN) && bad++ == 0) {
                first_bad = (uintptr_t)p;
                got = v;
            }
        }
    }
    check(bad == 0 && bytes > 0, "ram_touch",
          "%lu of %lu words wrong, first at 0x%lx = 0x%lx (want 0x%lx)",
          bad, bytes / 8, first_bad, got, (uint64_t)(first_bad ^ RAM_PATTERN));
}

static void test_counter(void)
{
    uint64_t freq = counter_freq(), prev = counter(), first = prev, backwards = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t now = counter();
        if (now < prev)
            backwards++;
        prev = now;
    }
    for (volatile int i = 0; i < 100000; i++)
        ;
    uint64_t after = counter();
    check(freq >= 1000000 && freq <= 10000000000ull && backwards == 0 && after > first,
          "counter_monotonic", "CNTFRQ %lu, %lu backward steps, %lu -> %lu over a busy loop",
          freq, backwards, first, after);
}

#define CNTV_ENABLE  (1u << 0)
#define CNTV_IMASK   (1u << 1)
#define CNTV_ISTATUS (1u << 2)

static void test_timer(void)
{
    /* IMASK: the condition shows in ISTATUS without an interrupt (Arm ARM D11.2.4).
     * ISTATUS must not be seen before CVAL: the counter is read after CTL (counter()
     * starts with an ISB), so "set and still before CVAL" is certainly wrong. */
    uint64_t ticks = counter_freq() / 100;                  /* 10 ms */
    write_sysreg(cntv_ctl_el0, 0);
    write_sysreg(cntv_cval_el0, counter() + ticks);
    write_sysreg(cntv_ctl_el0, CNTV_ENABLE | CNTV_IMASK);
    isb();
    uint64_t cval = read_sysreg(cntv_cval_el0), start = counter(), ctl, now;
    bool early = false;
    do {
        ctl = read_sysreg(cntv_ctl_el0);
        now = counter();
        early |= (ctl & CNTV_ISTATUS) && now < cval;
    } while (!(ctl & CNTV_ISTATUS) && now - start < 100 * ticks);
    write_sysreg(cntv_ctl_el0, 0);
    check((ctl & 3) == (CNTV_ENABLE | CNTV_IMASK) && (ctl & CNTV_ISTATUS) && !early,
          "timer_istatus", "CTL 0x%lx (want 0x7) at CNTVCT %lu, CVAL %lu, set before CVAL: %d",
          ctl, now, cval, early);
}

static void test_unmapped_abort(void)
{
    /* A hole in QEMU's virt map (between virtio-mmio and the platform bus): bare QEMU
     * aborts there too, so this runs on both. */
    const uint64_t addr = 0x0b000000;
    struct exc_record rec;
    bool ok = exc_expect(probe_read64, addr, EC_DABT_CUR, probe_read64_insn, &rec);
    bool far_ok = (rec.esr & ESR_FNV) || rec.far == addr;
    check(ok && ESR_DFSC(rec.esr) == DFSC_SEA && far_ok, "unmapped_ipa_abort",
          "load from 0x%lx: esr 0x%lx (want EC 0x25 DFSC 0x10) far 0x%lx elr 0x%lx (want %p)",
          addr, rec.esr, rec.far, rec.elr, probe_read64_insn);
}

/* QEMU virt's 32 virtio-mmio transports at 0x0a000000 (0x200 bytes each) with nothing behind
 * them: QEMU's own on bare QEMU, the hypervisor's under it. The first and the last identify
 * as QEMU's with no device (MagicValue "virt", Version 1: QEMU's default legacy transport,
 * DeviceID 0, VendorID "QEMU"), and writes to Status and DeviceID change nothing. */
#define VIRTIO_MMIO_BASE   0x0a000000ul
#define VIRTIO_MMIO_STRIDE 0x200ul
#define VIRTIO_MAGIC       0x74726976u
#define VIRTIO_VENDOR_QEMU 0x554d4551u
static struct { uint32_t magic, version, device, vendor, status, device_after; } vt[2];

static uint64_t virtio_read_transports(uint64_t arg)
{
    (void)arg;
    static const unsigned which[2] = { 0, 31 };
    for (unsigned i = 0; i < 2; i++) {
        uintptr_t t = VIRTIO_MMIO_BASE + which[i] * VIRTIO_MMIO_STRIDE;
        vt[i].magic = mmio_read32(t + 0x000);
        vt[i].version = mmio_read32(t + 0x004);
        vt[i].device = mmio_read32(t + 0x008);
        vt[i].vendor = mmio_read32(t + 0x00c);
        mmio_write32(t + 0x070, 0x3);           /* Status: ACKNOWLEDGE | DRIVER */
        mmio_write32(t + 0x008, 0x2);           /* DeviceID (read-only): "a block device" */
        dsb(sy);
        vt[i].status = mmio_read32(t + 0x070);
        vt[i].device_after = mmio_read32(t + 0x008);
    }
    return 0;
}

static void test_virtio_mmio(void)
{
    for (unsigned i = 0; i < 2; i++)
        vt[i].magic = vt[i].version = vt[i].vendor = vt[i].status = vt[i].device = vt[i].device_after = 0xdead;
    struct exc_record rec;
    unsigned exc = exc_catch(virtio_read_transports, 0, &rec);
    bool ok = exc == 0;
    for (unsigned i = 0; i < 2; i++)
        ok = ok && vt[i].magic == VIRTIO_MAGIC && vt[i].version == 1 && vt[i].device == 0 &&
             vt[i].vendor == VIRTIO_VENDOR_QEMU && vt[i].status == 0 && vt[i].device_after == 0;
    /* magic/version/device/vendor, then status/device after the writes (one console line) */
    check(ok, "virtio_mmio_empty_transports", "%u aborts; #0 %x/%u/%u/%x then %u/%u; #31 %x/%u/%u/%x then %u/%u; "
          "want %x/1/0/%x then 0/0", exc, vt[0].magic, vt[0].version, vt[0].device, vt[0].vendor, vt[0].status,
          vt[0].device_after, vt[1].magic, vt[1].version, vt[1].device, vt[1].vendor, vt[1].status,
          vt[1].device_after, VIRTIO_MAGIC, VIRTIO_VENDOR_QEMU);
}

static void test_undef_sysreg(void)
{
    struct exc_record rec;
    bool ok = exc_expect(probe_impdef_sysreg, 0, EC_UNKNOWN, probe_impdef_sysreg_insn, &rec);
    check(ok, "undef_sysreg", "mrs s3_1_c15_c15_7: esr 0x%lx (want EC 0) elr 0x%lx (want %p)",
          rec.esr, rec.elr, probe_impdef_sysreg_insn);
}

int main(void *dtb)
{
    uint64_t vct0 = counter(), pct0 = read_sysreg(cntpct_el0);
    puts("basics: start\n");
    test_cntvoff(vct0, pct0);
    test_psci();
    test_hv_calls(dtb);
    test_bogus_hvc();
    test_smp(dtb);
    test_counter();
    test_timer();
    test_unmapped_abort();
    test_undef_sysreg();
    test_mmio_decode();
    test_virtio_mmio();
    test_readonly_region();
    test_fp_preserved();
    uint64_t t0 = counter();
    test_ram(dtb);
    printf("basics: ram_touch took %lu ms\n", (counter() - t0) * 1000 / counter_freq());
    test_done();
}
