# aarch64 guests at EL1, GICv3 host, 4 CPUs: basics (2 vCPUs, a read-only region) checks
# PSCI, hypercalls, aborts, UNDEF, decoding, the empty virtio-mmio transports, FP/SIMD and
# timers; probe and secret check that two VMs cannot see each other's memory. Every VM and
# then the machine power off.
hvrun_args=(--arch aarch64 --gic 3 --smp 4 --config tests/configs/a64_guests.cfg
            --file build/guests/aarch64/basics.bin='\guests\basics.bin'
            --file build/guests/aarch64/probe.bin='\guests\probe.bin'
            --file build/guests/aarch64/secret.bin='\guests\secret.bin')
timeout_s=180
checks() {
  expect '^vm basics: started, vCPUs on pCPUs 0-1' "basics gets two pCPUs"
  expect '^vm secret: started, vCPUs on pCPUs 3-3' "every VM placed on its own pCPU"
  local t
  for t in cntvoff hvc_psci_version psci_features hv_version hv_console_write hv_memslot_info \
           hv_stats bogus_hvc cpu_on_already_on cpu_on_context affinity_info \
           cpu_on_already_on_secondary cpu_off_on_again counter_monotonic timer_istatus \
           unmapped_ipa_abort undef_sysreg mmio_decode_writeback virtio_mmio_empty_transports \
           readonly_region fp_simd_preserved ram_touch; do
    expect "^\[basics\] PASS $t\$" "basics: $t"
  done
  expect '^\[basics\] hvc console ok' "basics: HV_HC_CONSOLE_WRITE text reaches the console"
  expect '^\[basics\] DONE passed=22 failed=0' "basics: all 22 checks pass"
  expect_count '^\[probe\] PASS abort_(read|write)_0x' 11 "probe: every unmapped access aborts"
  expect_order '^\[secret\] secret: stored' '^\[probe\] probe: scanning' "probe scans after secret stored its marker"
  expect_order '^\[probe\] PASS secret_not_visible' '^\[secret\] PASS secret_intact' "secret still holds its marker when probe finishes"
  expect '^\[probe\] PASS secret_not_visible' "probe: the other VM's memory is not visible"
  # Every guest-supplied address the hypervisor dereferences, aimed outside the VM's RAM
  # (tests/guests/aarch64/probe.c, xvm_*): the architectural answer each time, and the secret
  # VM's marker intact and never on the console.
  local x
  for x in xvm_console_write_buffer xvm_cpu_on_entry xvm_lpi_tables xvm_its_control_delivers \
           xvm_its_command_queue xvm_its_device_table_and_itt; do
    expect "^\\[probe\\] PASS $x\$" "probe: $x"
  done
  expect_order '^\[probe\] probe: aiming' '^\[secret\] PASS secret_intact' "probe aims its addresses while secret holds its marker"
  expect_not 'SECRET-OF-VM' "the secret marker never reaches the console"
  expect '^\[probe\] DONE passed=18 failed=0' "probe: all checks pass"
  expect '^\[secret\] PASS secret_intact' "secret: its memory was not touched"
  expect '^\[secret\] DONE passed=2 failed=0' "secret: all checks pass"
  expect_not '^\[[a-z]+\] (FAIL|SKIP)' "no guest check fails or skips"
  expect '^vm basics: powered off' "basics powers off (PSCI SYSTEM_OFF)"
  expect '^vm probe: powered off' "probe powers off"
  expect '^vm secret: powered off' "secret powers off"
  expect_not '^PANIC|^EXCEPTION' "no hypervisor exception"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the last VM"
  expect_exit 0 "the machine powered off cleanly"
}
