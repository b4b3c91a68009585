# Debian's amd64 Linux under VMX (Bochs: EPT, VPID, unrestricted guest), one vCPU: the same bzImage,
# initramfs and x86 checks as x86_linux_svm.sh (console input aside), then an ACPI S5 power-off.
source tests/linux/checks.inc
hvrun_args=(--arch x86_64 --emulator bochs --smp 1 --ips 50000000 --config tests/configs/x86_linux_vmx.cfg
            --file deps/linux-amd64/bzImage='\guests\bzImage' --file build/linux/initrd-x86_64.gz='\guests\initrd.gz')
timeout_s=1200
checks() {
  expect '^x86: guests run under vmx with ept' "VMX backend"
  linux_checks linux ${LINUX_CHECKS_X86/console-input/}
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the VM"
  expect_not '^PANIC' "no hypervisor panic"
  expect_exit 0 "the machine powered off cleanly"
}
