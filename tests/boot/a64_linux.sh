# Debian's arm64 Linux as a 2-vCPU guest on a GICv3 host: tests/linux/init checks CPUs, GICv3 + ITS,
# arch timer, PMU, timer and UART interrupts counting, console input, then powers off. Under
# -icount, so that QEMU's PMU counts INST_RETIRED and Linux's PMU driver lists inst_retired
# (linux.cfg: hvpmuevents=cpu_cycles,inst_retired).
source tests/linux/checks.inc
hvrun_wrap=(tests/linux/drive --send 'HV-LINUX: type hv-input=hv-input' --)
hvrun_args=(--arch aarch64 --gic 3 --smp 2 --icount --interactive --config tests/configs/linux.cfg
            --file deps/linux-arm64/Image='\guests\Image' --file build/linux/initrd.gz='\guests\initrd.gz')
timeout_s=300
checks() {
  linux_checks linux
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the VM"
  expect_not '^PANIC' "no hypervisor panic"
  expect_exit 0 "the machine powered off cleanly"
}
