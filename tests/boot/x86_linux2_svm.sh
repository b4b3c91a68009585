# Two Debian amd64 Linux VMs at once under SVM on a 2-CPU host, one vCPU each, consoles told apart
# by the prefixes [linux0] and [linux1]; console input goes to linux0 (the focus). Each runs
# tests/linux/init's x86 checks and powers off through ACPI S5.
source tests/linux/checks.inc
hvrun_wrap=(tests/linux/drive --send '^\[linux0\] HV-LINUX: type hv-input=hv-input' --)
hvrun_args=(--arch x86_64 --smp 2 --mem 1024 --interactive --config tests/configs/x86_linux2.cfg
            --file deps/linux-amd64/bzImage='\guests\bzImage' --file build/linux/initrd-x86_64.gz='\guests\initrd.gz')
timeout_s=400
checks() {
  expect '^x86: guests run under svm with npt' "SVM backend"
  linux_checks linux0 $LINUX_CHECKS_X86
  linux_checks linux1 ${LINUX_CHECKS_X86/console-input/}
  expect_not '^\[linux[01]\] .*(BUG|WARNING|clocksource.*unstable|ACPI (BIOS )?Error|\[Firmware Bug\])' \
    "no BUG, WARNING, clocksource or ACPI complaint in either kernel log"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after both VMs"
  expect_not '^PANIC' "no hypervisor panic"
  expect_exit 0 "the machine powered off cleanly"
}
