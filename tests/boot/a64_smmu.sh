# aarch64 DMA isolation, QEMU 10 with its SMMUv3 (stage 1 and 2; -machine iommu=smmuv3), GICv3
# host, 2 CPUs: edu assigned to vm dma translates through vm dma's SMMU stage 2. Its factorial
# register works; a DMA round trip RAM -> edu -> RAM lands at the guest addresses given; then
# (addresses typed in from the hypervisor's own boot lines: vm secret's RAM and the image text)
# DMA writes and reads aimed at vm secret and at the hypervisor fault, reported against vm dma
# with the address; vm secret's marker is intact, the image checksum unchanged.
hvrun_wrap=(tests/linux/drive --capture '^vm secret: .* RAM at 0x(?P<secret>[0-9a-f]+),'
            --capture '^hv: image text 0x(?P<image>[0-9a-f]+)-'
            --send '^\[dma\] edu: targets\?=targets 0x{secret} 0x{image}' --)
hvrun_args=(--arch aarch64 --qemu 10 --gic 3 --smp 2 --interactive --config tests/configs/a64_smmu.cfg
            --file build/guests/aarch64/edu.bin='\guests\edu.bin'
            --file build/guests/aarch64/secret.bin='\guests\secret.bin'
            -- -machine iommu=smmuv3 -device edu,addr=4,dma_mask=0xffffffffffffffff)
timeout_s=150
checks() {
  expect '^cap: smmu=stage2 base=0x[0-9a-f]+ \(SMMU_IDR0 S1P=1 S2P=1 VMID16=1' "the SMMUv3 is found (ACPI IORT) with stage 2"
  expect '^vm dma: pci 00:04.0 DMA through the SMMU: stage 2 of VMID [0-9]+' "edu's DMA goes through vm dma's stage 2"
  expect_not 'gets no bus mastering' "bus mastering is not withheld"
  expect '^\[dma\] PASS edu_registers$' "dma: edu's BAR answers (ident, liveness)"
  expect '^\[dma\] PASS edu_factorial$' "dma: edu computes 5!, 10!, 12!"
  expect '^\[dma\] edu: round trip RAM 0x[0-9a-f]+ -> edu -> RAM 0x[0-9a-f]+: 256 of 256 bytes arrived, 0 untouched$' \
         "dma: all 256 bytes made the round trip through the SMMU"
  expect '^\[dma\] PASS edu_dma_roundtrip$' "dma: DMA to and from its own RAM at guest addresses"
  expect_not '^\[dma\] PASS edu_dma_withheld' "dma: DMA was not withheld"
  # The aimed addresses, from the hypervisor's own lines (edu.c adds 16 MiB and 64 KiB).
  local sec img t0=none t1=none d f
  sec=$(sed -nE 's/^vm secret: .* RAM at 0x([0-9a-f]+),.*/\1/p' "$log" | head -1)
  img=$(sed -nE 's/^hv: image text 0x([0-9a-f]+)-.*/\1/p' "$log" | head -1)
  [ -n "$sec" ] && t0=$(printf '0x%x' $((0x$sec + 0x1000000)))
  [ -n "$img" ] && t1=$(printf '0x%x' $((0x$img + 0x10000)))
  expect "^\[dma\] edu: attacking $t0 and $t1\$" "dma: aims inside vm secret's RAM and the hypervisor's text"
  f='faulted \(F_TRANSLATION, stage 2\), not performed'
  for d in write read; do
    expect "^smmu: vm dma: DMA $d by pci 00:04.0 at $t0 $f" "the DMA $d aimed at vm secret ($t0) faults, reported against vm dma"
    expect "^smmu: vm dma: DMA $d by pci 00:04.0 at $t1 $f" "the DMA $d aimed at the hypervisor ($t1) faults, reported against vm dma"
  done
  expect_order '^\[dma\] edu: attacking' '^smmu: vm dma: DMA write by pci 00:04.0 at 0x[0-9a-f]+ faulted \(F_TRANSLATION, stage 2\)' \
               "no fault before the aimed DMA (the own-RAM DMA translated)"
  expect_count '^smmu: vm dma: DMA write by pci 00:04.0 at 0x[0-9a-f]+ faulted \(F_TRANSLATION, stage 2\), not performed \(repeats in that page not shown\)$' 2 \
               "both aimed writes fault, reported against vm dma"
  expect_count '^smmu: vm dma: DMA read by pci 00:04.0 at 0x[0-9a-f]+ faulted \(F_TRANSLATION, stage 2\), not performed \(repeats in that page not shown\)$' 2 \
               "both aimed reads fault, reported against vm dma"
  expect '^\[dma\] PASS edu_dma_writes_aimed$' "dma: edu completed the aimed writes"
  expect '^\[dma\] PASS edu_dma_reads_aimed_get_nothing$' "dma: nothing of the targets read back"
  expect '^\[dma\] DONE passed=6 failed=0' "dma: all 6 checks pass"
  expect '^\[secret\] PASS secret_intact$' "secret: its RAM still holds its marker everywhere"
  expect_not 'smmu: vm secret' "no fault is blamed on vm secret"
  expect '^hv: image text checksum unchanged$' "the hypervisor's image is unchanged"
  expect_not '^PANIC|^EXCEPTION' "no hypervisor exception"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the last VM"
  expect_exit 0 "the machine powered off cleanly"
}
