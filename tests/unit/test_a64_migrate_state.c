/* Unit tests of the aarch64 migration state (arch/aarch64/migrate_state.c): the guest's virtual
 * time continues from where it paused whatever the two machines' counters read, a physical-timer
 * deadline keeps its distance, interrupt state survives the trip, and a received state that would
 * resume the guest at EL2 or in AArch32, or carries LPIs or out-of-range values, is refused with
 * a message naming it. */
#include <criterion/criterion.h>
#include <string.h>

#include "guest.h"
#include "migrate_state.h"
#include "vm.h"

static struct a64_vcpu_state good_vcpu(void)
{
    struct a64_vcpu_state s;
    memset(&s, 0, sizeof(s));
    s.layout = A64_VCPU_LAYOUT;
    s.pstate = PSR_MODE_EL1h | PSR_DAIF;
    s.power = VCPU_ON;
    s.pc = 0x40080000;
    for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++)
        s.priv[i] = 0xa0 | 1u << 8 | 1u << 9;
    return s;
}

Test(a64_migrate_state, guest_virtual_time_continues_and_never_goes_back)
{
    /* Source: physical count 5e9, CNTVOFF 1e9: the guest read 4e9 when it paused. */
    uint64_t src_pct = 5000000000ull, src_off = 1000000000ull;
    uint64_t cntvct = src_pct - src_off;
    /* Destinations whose counter is behind, ahead, or about to wrap. */
    uint64_t dst[] = { 1000, 7000000000ull, ~0ull - 50 };
    for (size_t i = 0; i < 3; i++) {
        uint64_t off = a64_migrate_cntvoff(cntvct, dst[i]);
        cr_assert_eq(dst[i] - off, cntvct, "resumes exactly at the paused count");
        for (uint64_t later = 1; later < 200; later += 37)
            cr_assert_gt(dst[i] + later - off, cntvct, "counts on from there (wrapping counter too)");
    }
}

Test(a64_migrate_state, physical_timer_deadline_keeps_its_distance)
{
    cr_assert_eq(a64_migrate_cval_rebase(1500, 1000, 90000), 90500);      /* 500 left */
    cr_assert_eq(a64_migrate_cval_rebase(800, 1000, 90000), 89800);       /* 200 overdue stays due */
    cr_assert_eq(a64_migrate_cval_rebase(800, 1000, 100), 0);             /* due, saturating at 0 */
    cr_assert_eq(a64_migrate_cval_rebase(~0ull, 1000, 90000), ~0ull);     /* never stays never */
    cr_assert_eq(a64_migrate_cval_rebase(~0ull - 10, 1000, 5000), ~0ull);
}

Test(a64_migrate_state, irq_state_round_trips_and_drops_the_hosts_bookkeeping)
{
    struct vgic_irq a = { .intid = 40, .priority = 0x58, .group = 1, .target = 1, .lr_owner = 2,
                          .req = VGIC_REQ_PEND, .enabled = true, .edge = true, .level = false,
                          .latch = true, .active = true, .hw = true, .hw_active = true };
    struct vgic_irq b = { .intid = 40 };
    a64_migrate_irq_unpack(&b, a64_migrate_irq_pack(&a));
    cr_assert_eq(b.intid, 40);
    cr_assert_eq(b.priority, 0x58);
    cr_assert_eq(b.group, 1);
    cr_assert_eq(b.target, 1);
    cr_assert(b.enabled && b.edge && !b.level && b.latch && b.active && b.hw);
    cr_assert_not(b.hw_active, "the physical PPI is active only on the source");
    cr_assert_eq(b.lr_owner, 0);
    cr_assert_eq(b.req, 0);
    struct vgic_irq c = { .level = true, .priority = 0xf8 };
    struct vgic_irq d = { .latch = true, .active = true, .enabled = true };
    a64_migrate_irq_unpack(&d, a64_migrate_irq_pack(&c));
    cr_assert(d.level && !d.latch && !d.active && !d.enabled);
    cr_assert_eq(d.priority, 0xf8);
}

Test(a64_migrate_state, words_are_little_endian_and_length_checked)
{
    struct a64_vcpu_state s = good_vcpu(), t;
    s.x[3] = 0x0123456789abcdefull;
    s.q[63] = 0xfedcba9876543210ull;
    uint8_t buf[sizeof(s)];
    a64_migrate_put_words(buf, &s, A64_VCPU_WORDS);
    cr_assert_eq(buf[8 * (1 + 3)], 0xef, "x3's low byte first");
    cr_assert(a64_migrate_get_words(&t, A64_VCPU_WORDS, buf, sizeof(buf)));
    cr_assert_eq(memcmp(&s, &t, sizeof(s)), 0);
    cr_assert_not(a64_migrate_get_words(&t, A64_VCPU_WORDS, buf, sizeof(buf) - 8));
    cr_assert_not(a64_migrate_get_words(&t, A64_VCPU_WORDS, buf, sizeof(buf) - 1));
}

Test(a64_migrate_state, vcpu_check_refuses_what_would_escape_or_is_unsupported)
{
    struct a64_vcpu_state s = good_vcpu();
    cr_assert_null(a64_migrate_vcpu_check(&s, 2));
    s.pstate = PSR_MODE_EL0t;
    cr_assert_null(a64_migrate_vcpu_check(&s, 2));

    s.pstate = 0x9;                                   /* EL2h */
    cr_assert_str_eq(a64_migrate_vcpu_check(&s, 2), "vcpu state: PSTATE is not AArch64 EL0t, EL1t or EL1h");
    s.pstate = 0x10 | PSR_MODE_EL1h;                  /* AArch32 */
    cr_assert_not_null(a64_migrate_vcpu_check(&s, 2));
    s.pstate = 0xd;                                   /* EL3h */
    cr_assert_not_null(a64_migrate_vcpu_check(&s, 2));
    s = good_vcpu();

    s.layout ^= 1;
    cr_assert_str_eq(a64_migrate_vcpu_check(&s, 2), "vcpu state: layout or version differs from this hypervisor's");
    s = good_vcpu();
    s.power = 7;
    cr_assert_str_eq(a64_migrate_vcpu_check(&s, 2), "vcpu state: bad PSCI power state");
    s = good_vcpu();
    s.gicr_ctlr = 1;
    cr_assert_str_eq(a64_migrate_vcpu_check(&s, 2),
                     "vcpu state: LPIs enabled (migration of the ITS and LPIs is not supported)");
    s = good_vcpu();
    s.priv[27] |= 1ull << 40;
    cr_assert_str_eq(a64_migrate_vcpu_check(&s, 2), "vcpu state: bad SGI/PPI state");
    s = good_vcpu();
    s.priv[3] = (s.priv[3] & ~0xffull) | 0x07;        /* unimplemented priority bits */
    cr_assert_not_null(a64_migrate_vcpu_check(&s, 2));
    s = good_vcpu();
    s.pmselr = 32;
    cr_assert_str_eq(a64_migrate_vcpu_check(&s, 2), "vcpu state: bad PMU state");
}

Test(a64_migrate_state, device_checks)
{
    struct a64_vgic_state g;
    memset(&g, 0, sizeof(g));
    g.layout = A64_VGIC_LAYOUT;
    g.gicd_ctlr = 2;
    for (uint32_t i = 0; i < VGIC_NR_SPIS; i++)
        g.spi[i] = (uint64_t)VGIC_NO_TARGET << 16;
    g.spi[5] = 1ull << 16;
    cr_assert_null(a64_migrate_vgic_check(&g, 2));
    g.spi[5] = 2ull << 16;                            /* vCPU 2 of 2 */
    cr_assert_str_eq(a64_migrate_vgic_check(&g, 2), "vgic state: bad SPI state");
    g.spi[5] = 1ull << 16 | 1ull << 14;
    cr_assert_str_eq(a64_migrate_vgic_check(&g, 2), "vgic state: SPI forwarded from hardware (a passed-through device)");
    g.spi[5] = 0;
    g.gicd_ctlr = 0x10;
    cr_assert_not_null(a64_migrate_vgic_check(&g, 2));

    struct a64_pl011_state u;
    memset(&u, 0, sizeof(u));
    u.layout = A64_PL011_LAYOUT;
    u.cr = 0x301;
    u.rx_count = VPL011_RX_FIFO;
    cr_assert_null(a64_migrate_pl011_check(&u));
    u.rx_count = VPL011_RX_FIFO + 1;
    cr_assert_str_eq(a64_migrate_pl011_check(&u), "pl011 state: receive FIFO count over its depth");
    u.rx_count = 1;
    u.rx[0] = 0x100;
    cr_assert_str_eq(a64_migrate_pl011_check(&u), "pl011 state: receive FIFO entry is not a byte");

    struct a64_timer_state t = { A64_TIMER_LAYOUT, 62500000, 12345 };
    cr_assert_null(a64_migrate_timer_check(&t, 62500000));
    cr_assert_str_eq(a64_migrate_timer_check(&t, 1000000000),
                     "timer state: the source's counter frequency (CNTFRQ_EL0) is not this machine's");
}
