# The management interface of a64_mgmt on a host with an SMMUv3 (QEMU 10, -machine iommu=smmuv3):
# every stream the hypervisor does not assign aborts, except its own NIC's, which bypasses the
# SMMU, so the interface keeps working there (tests/boot/mgmt_common.inc).
mgmt_hvrun_args=(--arch aarch64 --qemu 10 --gic 3 --smp 2 --config tests/configs/a64_mgmt.cfg
                 --file build/guests/aarch64/idle.bin='\guests\idle.bin' -- -machine iommu=smmuv3)
mgmt_address='^mgmt: address 10\.0\.2\.15$'      # QEMU's DHCP server hands out 10.0.2.15 first
mgmt_test=a64_mgmt_smmu
source tests/boot/mgmt_common.inc
checks() {
  expect '^cap: smmu=stage2 ' "the SMMUv3 is in use"
  expect '^smmu: 00:0[0-9a-f]\.0 is the hypervisor.s own: its DMA bypasses the SMMU$' "the management NIC's stream bypasses it"
  expect_not '^smmu: .*faulted|^smmu: .*by stream' "no SMMU fault"
  mgmt_checks
}
