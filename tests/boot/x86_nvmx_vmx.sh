# Nested VMX under Bochs (VMX with the preemption timer): the L1 payload tests/guests/x86_64/nvmx.c checks
# the capabilities, each VMX instruction's VMsucceed / VMfail result, VM-entry failures for invalid vmcs12
# fields, L2's exits, the preemption timer, nested EPT (violations, misconfigurations, INVEPT), VPID and
# VMCS shadowing; the witness VM keeps its pace meanwhile.
hvrun_args=(--arch x86_64 --emulator bochs --smp 3 --config tests/configs/x86_nvmx_vmx.cfg
            --file build/guests/x86_64/nvmx.elf='\guests\nvmx.elf'
            --file build/guests/x86_64/excloop.elf='\guests\excloop.elf')
timeout_s=900
checks() {
  local t
  expect '^x86: guests run under vmx with ept' "VMX backend"
  for t in cpuid_vmx_offered feature_control_locked_vmx_on vmx_basic preemption_timer_offered cr4_vmxe_set vmxon_cr0_ne_clear_gp \
           vmxon_unaligned_vmfailinvalid vmxon_bad_revision_vmfailinvalid vmxon_succeeds \
           vmxon_in_root_without_vmcs_vmfailinvalid cr4_vmxe_clear_gp_in_vmx_operation vmptrst_without_current_vmcs \
           vmread_without_vmcs_vmfailinvalid vmclear_vmptrld_vmptrst vmclear_unaligned_error_2 \
           vmclear_vmxon_pointer_error_3 vmptrld_beyond_maxphyaddr_error_9 vmptrld_vmxon_pointer_error_10 \
           vmptrld_bad_revision_error_11 failed_vmptrld_keeps_current vmread_unsupported_error_12 \
           vmwrite_read_only_error_13 vmxon_in_root_error_15 vmwrite_vmread_widths vmcs_kept_across_vmclear_vmptrld \
           vmresume_not_launched_error_5 \
           entry_fail_rflags_bit1_clear entry_fail_rflags_reserved_bit entry_fail_cs_not_code \
           entry_fail_tr_available_tss entry_fail_rip_not_canonical entry_fail_activity_hlt entry_fail_sti_and_movss \
           entry_fail_guest_cr0_pg_clear entry_fail_efer_lma_clear entry_fail_gdtr_limit entry_fail_pin_reserved \
           entry_fail_cr3_target_count entry_fail_io_bitmap_unaligned entry_fail_host_cs_zero entry_fail_host_ss_rpl \
           entry_fail_host_cr4_vmxe_clear \
           l2_cpuid_exits l2_cpuid_instruction_length l2_rdmsr_in_bitmap_exits l2_msr_outside_bitmap_and_out_in_bitmap \
           l2_io_exit_qualification l2_port_outside_bitmap_then_hlt_exits l2_ud2_in_exception_bitmap \
           l2_exception_exit_info l2_vmcall_exits l2_state_saved l1_host_state_loaded \
           preemption_timer_0_exits_before_first_instruction preemption_timer_n_expires preemption_timer_saved_on_exit \
           livelock_l1_interrupt_pending livelock_each_entry_exits_for_l1_interrupt livelock_l2_progresses_under_throttle \
           ack_on_exit_takes_the_vector l2_hlt_ends_with_l1_interrupt_exit \
           ept_vpid_offered entry_fail_eptp_memory_type entry_fail_eptp_walk_length entry_fail_vpid_0 \
           ept_violation_unmapped_gpa ept_violation_then_map_and_resume invept_after_remap_sees_new_page \
           ept_violation_write_to_read_only ept_misconfig_write_only invept_type_3_error_28 invept_bad_eptp_error_28 \
           invept_all_context_succeeds invvpid_individual_address_error_28 invvpid_single_vpid_0_error_28 \
           invvpid_reserved_bits_error_28 invvpid_single_and_all_succeed vmread_shadowed_without_exit \
           vmxoff_then_cr4_vmxe_clears; do
    expect "^\[nvmx\] PASS $t\$" "nvmx: $t"
  done
  expect '^\[nvmx\] DONE passed=79 failed=0' "nvmx: every check passed"
  expect_not '^\[nvmx\] (FAIL|SKIP)' "nvmx: no check fails or skips"
  # The hypervisor names what was wrong with each refused vmcs12.
  expect '^vm nvmx: vcpu 0: nested VM entry failed \(exit reason 33, qualification 0\): GUEST_RFLAGS bit 1 clear$' \
         "the RFLAGS bit 1 entry failure is named"
  expect '^vm nvmx: vcpu 0: nested VMLAUNCH: VMfailValid\(8\): HOST_CS_SELECTOR is 0$' "a host-state failure is named"
  expect '^vm nvmx: stats at stop: nested_immediate_exits=[1-9][0-9]* nested_immediate_throttled=[1-9][0-9]*$' \
         "the throttle's refusals are counted in the VM's stats"
  expect '^vm nvmx: vcpu 0: nested: 16 immediate exits from L2 in a row without progress: the next ones delayed by 1000 us$' \
         "the livelock reproducer hits the immediate-exit throttle"
  for t in off_cpuid_vmx_hidden off_vmx_basic_gp off_cr4_vmxe_gp off_vmxon_ud; do
    expect "^\[plain\] PASS $t\$" "without 'nested': $t"
  done
  expect '^\[plain\] DONE passed=4 failed=0' "without 'nested': every check passed"
  expect_count '^\[witness\] excloop: witness [0-9]+ of 40$' 40 "witness: all 40 lines arrive"
  expect '^\[witness\] PASS witness_kept_its_pace' "witness: kept its pace next to the L1"
  expect_not 'PANIC|^EXCEPTION|unhandled exit|crashed|vcpu [0-9]+: VM entry failed' "no panic, no unhandled exit, no VM crash"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the last VM"
  expect_exit 0 "the machine powered off cleanly"
}
