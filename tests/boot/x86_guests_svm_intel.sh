# x86_64 basics under SVM (QEMU TCG, an AMD CPU) with 'cpuid_vendor = intel': every basics check holds with
# the Intel vendor string, Intel's CPUID leaves and KVM-on-Intel's MSR answers; the payload's VMCALL #UDs on
# this AMD CPU and it falls back to VMMCALL.
hvrun_args=(--arch x86_64 --smp 2 --config tests/configs/x86_guests_intel.cfg
            --file build/guests/x86_64/basics.elf='\guests\basics.elf')
timeout_s=180
source tests/boot/x86_guests_common.inc
checks() {
  expect '^x86: guests run under svm with npt' "SVM backend chosen from CPUID, NPT format"
  expect '^\[basics\] basics: .*hypercall by vmmcall, CPUID vendor GenuineIntel$' "basics sees GenuineIntel on an AMD CPU; VMCALL #UDs, VMMCALL used"
  x86_basics_checks
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the last VM"
  expect_not 'crashed|unhandled exit|PANIC' "no VM crash, no unhandled exit, no panic"
  expect_exit 0 "the machine powered off cleanly"
}
