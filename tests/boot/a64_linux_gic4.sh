# Debian's arm64 Linux as a 2-vCPU guest on a GICv4 host, with QEMU's edu PCI device assigned
# (pci = 00:04.0): the same checks as a64_linux.sh, plus Linux's pci-host-generic finding the
# function behind the hypervisor's ECAM and reading/writing its BAR (tests/linux/init hvpci=).
source tests/linux/checks.inc
hvrun_wrap=(tests/linux/drive --send 'HV-LINUX: type hv-input=hv-input' --)
hvrun_args=(--arch aarch64 --gic 4 --smp 2 --interactive --config tests/configs/linux-pci.cfg
            --file deps/linux-arm64/Image='\guests\Image' --file build/linux/initrd.gz='\guests\initrd.gz'
            -- -device edu,addr=4)
timeout_s=300
checks() {
  linux_checks linux $LINUX_CHECKS_ALL pci-host pci-enumerated pci-bar-read pci-bar-write
  expect '^vm linux: pci 00:04.0 \[1234:11e8\] assigned as 00:04.0, MSI by GICv4 direct injection' \
         "edu assigned to the Linux VM"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the VM"
  expect_not '^PANIC' "no hypervisor panic"
  expect_exit 0 "the machine powered off cleanly"
}
