# aarch64 guest with the PMUv3 (pmu_sysreg.c), GICv3 host, 2 CPUs, 2 vCPUs, under -icount
# (QEMU's PMU counts INST_RETIRED only then): the cycle counter, SW_INCR, CHAIN, 32/64-bit
# overflow, the overflow interrupt (PPI 23 through the vGIC), EL filtering, PMUSERENR's EL0
# traps, the PMU reset on CPU_OFF/CPU_ON and on SYSTEM_RESET (the VM resets itself once), and
# the counters backed by QEMU's PMU: INST_RETIRED counts a known loop within 1%, EL2 work
# behind HVCs is not counted, overflow interrupts arrive while the guest spins.
hvrun_args=(--arch aarch64 --gic 3 --smp 2 --icount --config tests/configs/a64_pmu.cfg
            --file build/guests/aarch64/pmu.bin='\guests\pmu.bin')
timeout_s=120
checks() {
  expect '^\[pmu\] pmu: PMUVer 6, PMCR_EL0 0x3000 \(N 6\), PMCEID0 0x40020101, PMCEID1 0x10000018' \
         "PMUv3p5, 6 counters; SW_INCR, CHAIN, CPU_CYCLES and what QEMU's PMU counts: INST_RETIRED (-icount), STALL_FRONTEND/BACKEND, STALL"
  local t
  for t in pmuver_pmuv3 pmcr_n_six_counters pmceid0_sw_incr_cpu_cycles \
           cycle_counter_counts_when_enabled cycle_counter_keeps_counting \
           cycle_counter_frozen_by_pmcntenclr cycle_counter_frozen_by_pmcr_e \
           pmcr_c_resets_cycle_counter pmcr_p_c_read_as_zero cycle_counter_64bit_write \
           cycle_counter_overflow_32bit cycle_counter_lc_no_32bit_overflow cycle_counter_lc_overflow_64bit \
           swincr_exact_on_selected_counter0 swincr_disabled_counter1_stays_0 \
           swincr_exact_on_selected_counter2 swincr_only_written_bits swincr_ignored_when_pmcr_e_clear \
           pmcr_p_resets_event_counters event_counter_overflow_32bit event_counter_lp_overflow_64bit \
           chain_carries_into_odd_counter \
           filter_p_excludes_el1 filter_none_counts_cpu_cycles filter_u_counts_at_el1 \
           pmccfiltr_p_excludes_el1 pmccfiltr_reads_back \
           el0_pmccntr_read_traps_when_pmuserenr_0 el0_pmswinc_traps_when_pmuserenr_0 \
           el0_pmcr_read_traps_when_pmuserenr_0 el0_pmuserenr_readable el0_pmuserenr_write_undefined \
           el0_pmuserenr_write_had_no_effect el0_pmccntr_read_with_en el0_pmswinc_with_en \
           el0_pmintenset_el1_undefined el0_pmccntr_read_with_cr el0_pmccntr_write_traps_with_cr_only \
           el0_pmcr_read_traps_with_cr_only el0_pmswinc_with_sw el0_pmevcntr_read_with_er \
           el0_pmccntr_read_traps_without_cr reset_after_cpu_off_on \
           reset_after_system_reset first_boot_all_passed \
           overflow_irq_needs_pmintenset overflow_irq_pending_ppi23 overflow_irq_delivered \
           overflow_irq_cleared_by_pmovsclr overflow_irq_level_follows_pmovs \
           pmceid0_inst_retired_cpu_cycles inst_retired_counts_known_loop cpu_cycles_counts_known_loop \
           el2_work_not_counted_inst_retired el2_work_not_counted_cpu_cycles \
           overflow_irq_while_spinning_cycle_counter; do
    expect "^\[pmu\] PASS $t\$" "pmu: $t"
  done
  expect '^\[pmu\] SKIP overflow_irq_while_spinning_inst_retired' \
         "pmu: QEMU's event-counter overflow timer is one count short: SKIP named (the cycle counter's is checked)"
  expect_count '^\[pmu\] pmu: calling SYSTEM_RESET' 1 "pmu: SYSTEM_RESET once"
  expect '^vm pmu: reset, reloading from its images' "pmu: the VM was reset"
  expect '^\[pmu\] DONE passed=2 failed=0' "pmu: the checks after the reset pass"
  expect_not '^\[pmu\] FAIL' "no pmu check fails"
  expect_count '^\[pmu\] SKIP' 1 "no other pmu check skips"
  expect '^vm pmu: powered off' "pmu powers off"
  expect_not '^PANIC|^EXCEPTION' "no hypervisor exception"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the last VM"
  expect_exit 0 "the machine powered off cleanly"
}
