# aarch64 DMA isolation on the default QEMU (7.2), whose SMMUv3 has stage 1 only: -machine
# iommu=smmuv3 is there, but a stage-1-only SMMU cannot confine a function to its VM's memory,
# so edu (assigned to vm dma) gets no bus mastering, with the boot message saying why. Its
# registers and factorial still work; its DMA never reaches memory (the round trip moves
# nothing, the payload then aims nothing); vm secret and the hypervisor's image are untouched.
hvrun_args=(--arch aarch64 --qemu system --gic 3 --smp 2 --config tests/configs/a64_smmu.cfg
            --file build/guests/aarch64/edu.bin='\guests\edu.bin'
            --file build/guests/aarch64/secret.bin='\guests\secret.bin'
            -- -machine iommu=smmuv3 -device edu,addr=4,dma_mask=0xffffffffffffffff)
timeout_s=150
checks() {
  expect '^cap: smmu=stage1-only base=0x[0-9a-f]+ \(SMMU_IDR0 S1P=1 S2P=0\): assigned PCI functions get no bus mastering' \
         "QEMU 7.2's SMMUv3 is found (ACPI IORT), stage 1 only"
  expect '^vm dma: pci 00:04.0 gets no bus mastering \(no DMA, no MSIs\): the SMMUv3 has no stage 2 \(SMMU_IDR0.S2P=0\)$' \
         "the boot message says edu gets no bus mastering, and why"
  expect_not 'DMA through the SMMU' "no function is said to DMA through the SMMU"
  expect '^\[dma\] PASS edu_registers$' "dma: edu's BAR answers (ident, liveness)"
  expect '^\[dma\] PASS edu_factorial$' "dma: edu computes 5!, 10!, 12! (no DMA needed)"
  expect '^\[dma\] edu: round trip RAM 0x[0-9a-f]+ -> edu -> RAM 0x[0-9a-f]+: 0 of 256 bytes arrived, 256 untouched$' \
         "dma: no byte of the round trip reached RAM"
  expect '^\[dma\] PASS edu_dma_withheld$' "dma: its DMA is withheld"
  expect_not '^\[dma\] PASS edu_dma_roundtrip' "dma: no round trip happened"
  expect '^\[dma\] DONE passed=4 failed=0' "dma: all 4 checks pass"
  expect '^\[secret\] PASS secret_intact$' "secret: its RAM still holds its marker everywhere"
  expect '^hv: image text checksum unchanged$' "the hypervisor's image is unchanged"
  expect_not '^PANIC|^EXCEPTION' "no hypervisor exception"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the last VM"
  expect_exit 0 "the machine powered off cleanly"
}
