# x86_64 basics under SVM (QEMU TCG, an AMD CPU) with 'cpuid_vendor = intel': every basics check holds with
# the Intel vendor string, Intel's CPUID leaves and KVM-on-Intel's MSR answers; the payload's VMCALL #UDs on
# this AMD CPU and it falls back to VMMCALL. Beside it lowseg, a Multiboot image with a segment at 0x8000.
hvrun_args=(--arch x86_64 --smp 3 --config tests/configs/x86_guests_intel.cfg
            --file build/guests/x86_64/basics.elf='\guests\basics.elf'
            --file build/guests/x86_64/lowseg.elf='\guests\lowseg.elf')
timeout_s=180
source tests/boot/x86_guests_common.inc
checks() {
  expect '^x86: guests run under svm with npt' "SVM backend chosen from CPUID, NPT format"
  expect '^\[basics\] basics: .*hypercall by vmmcall, CPUID vendor GenuineIntel$' "basics sees GenuineIntel on an AMD CPU; VMCALL #UDs, VMMCALL used"
  x86_basics_checks
  expect '^\[lowseg\] lowseg: cmdline "\\guests\\lowseg\.elf low=1"$' "lowseg: the command line is the image path and cmdline"
  expect '^\[lowseg\] PASS multiboot_info_valid' "lowseg: the information block (moved off 0x8000) is valid"
  expect '^\[lowseg\] PASS segment_at_0x8000_intact' "lowseg: its segment at 0x8000 loaded intact"
  expect '^\[lowseg\] PASS multiboot_argv0_is_image_path' "lowseg: argv[0] is the image path"
  expect '^\[lowseg\] DONE passed=3 failed=0' "lowseg: every check passed"
  expect '^vm lowseg: exit status 1$' "lowseg: ends through the exit port with success"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the last VM"
  expect_not 'crashed|unhandled exit|PANIC' "no VM crash, no unhandled exit, no panic"
  expect_exit 0 "the machine powered off cleanly"
}
