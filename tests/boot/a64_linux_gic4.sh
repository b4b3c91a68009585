# Debian's arm64 Linux as a 2-vCPU guest on a GICv4 host (the guest sees the same emulated GICv3 + ITS:
# no direct vLPI injection yet); the same checks as a64_linux.sh.
source tests/linux/checks.inc
hvrun_wrap=(tests/linux/drive --send 'HV-LINUX: type hv-input=hv-input' --)
hvrun_args=(--arch aarch64 --gic 4 --smp 2 --interactive --config tests/configs/linux.cfg
            --file deps/linux-arm64/Image='\guests\Image' --file build/linux/initrd.gz='\guests\initrd.gz')
timeout_s=300
checks() {
  linux_checks linux
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the VM"
  expect_not '^PANIC' "no hypervisor panic"
  expect_exit 0 "the machine powered off cleanly"
}
