# aarch64, GICv3 host, 4 CPUs: the emulated ITS (tests/guests/aarch64/its.c) on 4 vCPUs:
# MAPD/MAPC/MAPTI/INT, MOVI to the second vCPU, INV/INVALL after disabling and re-enabling
# (also with vCPUs 1-3 parked in WFI while their LPIs are pending and disabled),
# CLEAR, DISCARD, GITS_TRANSLATER, a hostile command sequence the ITS survives, and (through
# HV_HC_VM_STAT) which path the LPIs took: here every one injected by the hypervisor. Then the
# MSIs of QEMU's edu assigned to the VM (pci = 00:04.0): its BAR and MSI capability in the
# virtual ECAM, 16 MSIs as LPIs on vCPU 0, MOVI to vCPU 1, DISCARD, and their path. Last,
# new Device (two-level) and Collection tables with 64 KiB pages deliver an LPI.
# edu's MSIs are writes of the device: they need bus mastering, which an assigned function gets
# only behind an SMMU with stage 2, so this runs on QEMU 10 with -machine iommu=smmuv3 and the
# MSIs reach the physical ITS through the VM's SMMU stage 2 (its GITS_TRANSLATER page). With
# acpi=off the firmware hands over QEMU's device tree: the host (GIC, ITS, ECAM, SMMU) is found
# there (a64_smmu and a64_its_gic4 find it in ACPI).
hvrun_args=(--arch aarch64 --qemu 10 --gic 3 --smp 4 --config tests/configs/a64_its4.cfg
            --file build/guests/aarch64/its.bin='\guests\its.bin' -- -machine iommu=smmuv3,acpi=off -device edu,addr=4)
timeout_s=150
its_checks() {
  local t
  for t in its_present its_redistributors its_enable its_map_commands its_int_delivers_lpi \
           its_int_delivered_once its_cpu1_online its_movi_int_on_cpu1 its_movi_not_on_cpu0 \
           its_lpi_wakes_wfi its_inv_wakes_wfi_target its_movi_back_to_cpu0 \
           its_4cpus_online_mapped its_inv_wakes_3_wfi_targets its_invall_wakes_3_wfi_targets \
           its_inv_disabled_not_delivered its_inv_reenabled_delivers_pending \
           its_invall_disabled_not_delivered its_invall_reenabled_delivers_pending \
           its_clear_removes_pending its_translater_delivers its_hostile_commands \
           its_cwriter_beyond_queue its_queue_recovers its_works_after_hostile its_lpi_path \
           its_discard_unmaps pci_edu_found pci_bar_sizing pci_edu_ident pci_msi_cap pci_msi_lpi \
           pci_msi_path pci_msi_movi pci_msi_discard pci_msi_mapc its_baser_64k_pages; do
    expect "^\[its\] PASS $t\$" "its: $t"
  done
  # Which path LPIs took (HV_STAT_LPI_INJECTED / HV_STAT_LPI_DIRECT): emulated on GICv3,
  # direct (no hypervisor injection per LPI) on GICv4 (a64_its_gic4.sh sets its_lpi_path).
  expect "^\[its\] its: lpi path ${its_lpi_path:-emulated}: 16 of 16 LPIs arrived" \
         "its: LPIs took the ${its_lpi_path:-emulated} path"
  expect "^\[its\] BENCH lpi_delivery_${its_lpi_path:-emulated} " "its: lpi_delivery_${its_lpi_path:-emulated} bench row"
  # The edu's MSIs: on GICv4 the physical ITS delivers each vLPI (no MMIO or system-register
  # exit, no injection); on GICv3 the hypervisor injects each one.
  if [ "${its_lpi_path:-emulated}" = direct ]; then
    expect '^\[its\] its: msi path direct: 16 of 16 MSIs arrived, mmio\+sysreg exits 0, injected 0$' \
           "its: edu's MSIs arrive with no exit and no injection (direct)"
    expect '^\[its\] BENCH_EXITS lpi_msi mmio_sysreg=0 injected=0 irq=[0-9]+ iterations=64$' "its: lpi_msi exits row (none)"
  else
    expect '^\[its\] its: msi path emulated: 16 of 16 MSIs arrived, mmio\+sysreg exits [0-9]+, injected 16$' \
           "its: edu's MSIs each injected by the hypervisor (emulated)"
    expect '^\[its\] BENCH_EXITS lpi_msi mmio_sysreg=[0-9]+ injected=64 irq=[0-9]+ iterations=64$' "its: lpi_msi exits row"
  fi
  expect '^\[its\] BENCH lpi_msi total_ticks=' "its: lpi_msi bench row"
  expect '^vm its: pci 00:04.0 DMA through the SMMU: stage 2 of VMID' "its: edu translates through the SMMU (its MSIs too)"
  [ "${its_host_tables:-dt}" = dt ] && expect '^aarch64: host described by device tree' "its: the host is read from the device tree (acpi=off)"
  expect '^cap: smmu=stage2 base=0x9050000 ' "its: the SMMUv3 found (device tree arm,smmu-v3 or ACPI IORT)"
  expect_not '^smmu: ' "its: no SMMU fault (the MSI doorbell page is in the VM's SMMU stage 2)"
  expect '^\[its\] DONE passed=37 failed=0' "its: all 37 checks pass"
  expect_not '^\[its\] (FAIL|SKIP)' "no ITS check fails or skips"
  expect '^vm its: powered off' "its powers off (PSCI SYSTEM_OFF)"
  expect_not '^PANIC|^EXCEPTION' "no hypervisor exception"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the last VM"
  expect_exit 0 "the machine powered off cleanly"
}
checks() { its_checks; }
