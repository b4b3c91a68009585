# Two Linux VMs at once on a 2-CPU GICv3 host, one vCPU each, consoles told apart by the prefixes
# [linux0] and [linux1]; console input goes to linux0 (the focus).
source tests/linux/checks.inc
hvrun_wrap=(tests/linux/drive --send '^\[linux0\] HV-LINUX: type hv-input=hv-input' --)
hvrun_args=(--arch aarch64 --gic 3 --smp 2 --mem 2G --interactive --config tests/configs/linux2.cfg
            --file deps/linux-arm64/Image='\guests\Image' --file build/linux/initrd.gz='\guests\initrd.gz')
timeout_s=400
checks() {
  linux_checks linux0
  linux_checks linux1 cpus-online gicv3 its its-64k-pages virtio-mmio-nodes arch-timer pmu timer-counting irq-timer
  expect '^\[linux1\] SKIP irq-uart' "linux1: UART count shown (no input: not the focus VM)"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after both VMs"
  expect_not '^PANIC' "no hypervisor panic"
  expect_exit 0 "the machine powered off cleanly"
}
