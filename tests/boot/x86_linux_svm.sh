# `make run ARCH=x86_64` as a user types into it: Debian's amd64 Linux, 2 vCPUs under SVM (QEMU),
# the make-run configuration (tests/configs/run-linux-x86_64.cfg). /init runs its x86 checks
# (ACPI, IOAPIC, kvm-clock, RTC, PCI host bridge, LAPIC timer, 16550 interrupts, a clean kernel
# log), gives a shell; `uname -a`, `cat /proc/interrupts` and `poweroff` are typed into it, and
# the power-off (ACPI S5) ends the run with exit 0.
source tests/linux/checks.inc
hvrun_wrap=(tests/linux/drive --send 'HV-LINUX: shell=uname -a'
            --send '^\[linux\] Linux linux .* x86_64 GNU/Linux=cat /proc/interrupts; echo typed-done'
            --send '^\[linux\] typed-done$=poweroff' --)
hvrun_args=(--arch x86_64 --smp 2 --interactive --config tests/configs/run-linux-x86_64.cfg
            --file deps/linux-amd64/bzImage='\guests\bzImage' --file build/linux/initrd-x86_64.gz='\guests\initrd.gz')
timeout_s=300
checks() {
  local c
  expect '^x86: guests run under svm with npt' "SVM backend"
  expect '^\[linux\] HV-LINUX: init started' "linux: Linux runs /init"
  for c in cpus-online acpi ioapic kvm-clock rtc-cmos pci-host-bridge timer-counting dmesg-clean irq-timer irq-uart; do
    expect "^\[linux\] PASS $c\$" "linux: $c"
  done
  expect_not '^\[linux\] FAIL ' "linux: no check fails"
  expect '^\[linux\] HV-LINUX: checks done: [0-9]+ passed, 0 failed' "linux: every check ran"
  expect '^\[linux\] HV-LINUX: shell' "linux: a shell on the console"
  expect '^\[linux\] Linux linux 6\.[0-9.]+-[0-9]+-amd64 #1 SMP .* x86_64 GNU/Linux' "typed: uname -a"
  expect '^\[linux\] +4: +[0-9]+ +[0-9]+ +IO-APIC +4-edge +ttyS0' "typed: /proc/interrupts has the 16550 on GSI 4"
  expect_order '^\[linux\] Linux linux ' '^\[linux\] typed-done$' "typed: uname, then the interrupt table"
  expect_order '^\[linux\] typed-done$' '^\[linux\] .*HV-LINUX: powering off' "typed: then poweroff"
  expect_not '^\[linux\] .*(Kernel panic|BUG:|WARNING: CPU:|rcu_sched self-detected stall|watchdog: BUG)' "linux: no kernel oops, panic, warning or stall"
  expect '^vm linux: powered off' "linux: the VM powers off (ACPI S5)"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the VM"
  expect_not '^PANIC' "no hypervisor panic"
  expect_exit 0 "the machine powered off cleanly"
}
