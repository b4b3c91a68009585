# aarch64, GICv3 host, 2 CPUs, a virtio-net NIC on QEMU's user network: the management
# interface with its address from QEMU's DHCP server (tests/boot/mgmt_common.inc).
mgmt_hvrun_args=(--arch aarch64 --gic 3 --smp 2 --config tests/configs/a64_mgmt.cfg
                 --file build/guests/aarch64/idle.bin='\guests\idle.bin')
mgmt_address='^mgmt: address 10\.0\.2\.15$'      # QEMU's DHCP server hands out 10.0.2.15 first
mgmt_test=a64_mgmt
source tests/boot/mgmt_common.inc
checks() {
  mgmt_checks
  # The challenge's randomness (docs/management.md "Challenge entropy"): QEMU's -cpu max has
  # FEAT_RNG, so RNDR is found through ID_AA64ISAR0_EL1 and used.
  expect '^mgmt: challenge entropy: (EFI_RNG_PROTOCOL, )?RNDR$' "the challenge is seeded from RNDR"
  expect_count '^mgmt: no entropy source' 0 "no 'no entropy source' warning"
  # The emulated PMU's statistics (arch_vm_stats): idle never enables its PMU.
  expect_in "$mgmt_out" '^pmu_enabled_vcpus=0$' "stats: idle1's PMU is not enabled"
  expect_in "$mgmt_out" '^pmu_overflow_irqs=0$' "stats: no PMU overflow interrupt"
}
