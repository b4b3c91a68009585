# x86_64 guests under SVM (QEMU TCG, AMD with nested paging), hello and pc on 1 vCPU each, basics on 2: Multiboot hand-over,
# long mode, the 16550 console, CPUID policy, MSR allow list, hypercalls, port and MMIO accesses to
# nothing, exit port 0xF4, power-off, virtual LAPIC (timers, IPIs), IOAPIC with the PIT, AP start-up,
# the PC devices (RTC/CMOS, PCI mechanism #1, 8042, COM1 interrupts) and VM reset by 0xCF9 and the 8042.
hvrun_args=(--arch x86_64 --smp 4 --config tests/configs/x86_guests.cfg
            --file build/guests/x86_64/hello.elf='\guests\hello.elf'
            --file build/guests/x86_64/basics.elf='\guests\basics.elf'
            --file build/guests/x86_64/pc.elf='\guests\pc.elf'
            --file build/linux/bzImage-truncated='\guests\bzImage-truncated')
timeout_s=180
source tests/boot/x86_guests_common.inc
checks() {
  expect '^x86: guests run under svm with npt' "SVM backend chosen from CPUID, NPT format"
  expect '^\[basics\] basics: .*CPUID vendor AuthenticAMD$' "basics sees the host's vendor (cpuid_vendor unset)"
  x86_guests_checks
}
