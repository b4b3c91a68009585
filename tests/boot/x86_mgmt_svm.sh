# x86_64 under SVM, 2 CPUs, a virtio-net NIC on QEMU's user network (found through the ACPI
# MCFG's ECAM): the management interface with a static address (tests/boot/mgmt_common.inc).
mgmt_hvrun_args=(--arch x86_64 --smp 2 --config tests/configs/x86_mgmt.cfg
                 --file build/guests/x86_64/idle.elf='\guests\idle.elf')
mgmt_address='^mgmt: address 10\.0\.2\.15$'
mgmt_test=x86_mgmt_svm
source tests/boot/mgmt_common.inc
checks() {
  expect '^x86: guests run under svm with npt' "SVM backend"
  mgmt_checks
  # The challenge's randomness (docs/management.md "Challenge entropy"): QEMU's -cpu max has
  # RDRAND (CPUID.1:ECX[30]), RDSEED where it emulates it.
  expect '^mgmt: challenge entropy: (EFI_RNG_PROTOCOL, )?(RDSEED|RDRAND)$' "the challenge is seeded from RDSEED/RDRAND"
  expect_count '^mgmt: no entropy source' 0 "no 'no entropy source' warning"
  # idle1 halts with interrupts off; the hypervisor's 10 ms wake-ups while mgmt is up make
  # each HLT an exit again, so its count grows with its run time.
  expect_in "$mgmt_out" '^exits_wfx=[1-9][0-9]*$' "stats: idle1's HLT exits counted (exits_wfx)"
}
