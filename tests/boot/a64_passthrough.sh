# aarch64 device pass-through, GICv3 host, 3 CPUs: QEMU virt's PL031 RTC (0x09010000) and its
# SPI 34 given to vm rtc from hv.cfg ('device = 0x09010000 4K spi 34'): the RTC's registers
# are mapped into its stage-2 and its match interrupt arrives through the vGIC as a HW-mapped
# virtual SPI 34, twice (the guest's EOI deactivates the physical SPI), then twice on its
# vCPU 1 once the guest routes it there (the physical SPI stays on vCPU 0's pCPU), and again
# after the guest withdrew one with GICD_ICPENDR before taking it. Its virtual pending state
# follows the device's line: three alarms run the handler exactly once each, with the alarm
# in RIS and MIS, whether the handler clears the RTC before its EOI or after it (the SPI then
# fires again while the line is still high and must be withdrawn when it drops); a pending SPI
# whose line drops while IRQs are masked is no longer pending and never taken. vm other,
# without the device, aborts on its address. vm badpci names a PCI function this machine does
# not have: it does not start, with a message, and the others run.
hvrun_args=(--arch aarch64 --gic 3 --smp 3 --config tests/configs/a64_passthrough.cfg
            --file build/guests/aarch64/passthrough.bin='\guests\passthrough.bin')
timeout_s=120
checks() {
  expect '^vm badpci: pci 00:04.0 \(line 10\): no such function on the host$' "a missing PCI function is named"
  expect '^vm badpci: not started$' "the VM with the missing PCI function does not start"
  expect '^vm rtc: device 0x9010000\+0x1000 passed through, spi 34 to pCPU 0' "the PL031 and SPI 34 go to vm rtc, its vCPU 0 on pCPU 0"
  expect '^\[rtc\] passthrough: the PL031 is mine' "vm rtc finds the pl031 node in its generated DTB"
  expect '^\[other\] passthrough: no PL031 in my device tree' "vm other has no pl031 node"
  local t
  for t in pl031_peripheral_id rtc_advances gic_redistributor_found rtc_spi34_delivered rtc_mis_in_handler \
           rtc_cleared_by_icr spi34_idle_after_eoi rtc_spi34_again rtc_spi34_once_per_match no_other_interrupts \
           rtc_spi34_pending_while_masked icpendr_withdraws_it rtc_spi34_after_icpendr \
           rtc_alarms_once_each_clear_then_eoi rtc_alarms_once_each_eoi_then_clear line_drop_withdraws_pending \
           line_drop_not_taken_later cpu1_online rtc_spi34_on_cpu1 rtc_spi34_on_cpu1_again; do
    expect "^\[rtc\] PASS $t\$" "rtc: $t"
  done
  expect '^\[rtc\] DONE passed=20 failed=0' "rtc: all 20 checks pass"
  expect '^\[other\] PASS device_read_aborts$' "other: reading the RTC aborts (isolation)"
  expect '^\[other\] PASS device_write_aborts$' "other: writing the RTC aborts (isolation)"
  expect '^\[other\] DONE passed=2 failed=0' "other: all checks pass"
  expect_not '^\[[a-z]+\] (FAIL|SKIP)' "no guest check fails or skips"
  expect '^vm rtc: powered off' "rtc powers off"
  expect '^vm other: powered off' "other powers off"
  expect_not '^PANIC|^EXCEPTION' "no hypervisor exception"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the last VM"
  expect_exit 0 "the machine powered off cleanly"
}
