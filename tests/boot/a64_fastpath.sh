# aarch64 guest on a GICv3 host, 2 CPUs, 2 vCPUs: the exits the fast tier answers
# (arch/aarch64/fast_exit.c: HV_HC_VERSION, ISV=1 device reads) give the generic path's answers
# and statistics, an unclaimed read still aborts, and interrupts that become pending while the
# fast tier runs are taken before the guest's next instruction (a PMU overflow detected at a fast
# HVC exit); an SGI from the other vCPU during fast HVCs arrives; a guest single-stepping itself
# takes its step exception right after each emulated instruction (device reads on the fast tier and
# on the generic path, a fast HVC).
hvrun_args=(--arch aarch64 --gic 3 --smp 2 --config tests/configs/a64_fastpath.cfg
            --file build/guests/aarch64/fastpath.bin='\guests\fastpath.bin')
timeout_s=120
checks() {
  local t
  for t in fast_hvc_answers fast_hvc_exits_counted fast_mmio_reads_answer fast_mmio_exits_counted \
           fast_mmio_writes_land_and_count \
           fast_mmio_unclaimed_read_aborts single_step_fast_mmio_read single_step_decoded_mmio_read \
           single_step_fast_hvc single_step_trapped_sysreg single_step_exits_counted pmu_overflow_at_fast_exit_taken_at_once \
           sgi_during_fast_hvcs_delivered; do
    expect "^\[fastpath\] PASS $t\$" "fastpath: $t"
  done
  expect '^\[fastpath\] DONE passed=13 failed=0' "fastpath: all checks pass"
  expect '^vm fastpath: powered off' "fastpath powers off"
  expect_not '^PANIC|^EXCEPTION' "no hypervisor exception"
  expect_exit 0 "the machine powered off cleanly"
}
