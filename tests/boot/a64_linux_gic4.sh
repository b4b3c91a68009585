# Debian's arm64 Linux as a 2-vCPU guest on a GICv4 host, with QEMU's edu PCI device assigned
# (pci = 00:04.0): the same checks as a64_linux.sh, plus Linux's pci-host-generic finding the
# function behind the hypervisor's ECAM and reading/writing its BAR (tests/linux/init hvpci=), and
# edu's DMA from Linux user space to and from the guest's RAM at guest addresses (hvedudma=):
# on QEMU 10 with its SMMUv3, the DMA translated by the VM's SMMU stage 2.
source tests/linux/checks.inc
hvrun_wrap=(tests/linux/drive --send 'HV-LINUX: type hv-input=hv-input' --)
hvrun_args=(--arch aarch64 --qemu 10 --gic 4 --smp 2 --interactive --config tests/configs/linux-pci.cfg
            --file deps/linux-arm64/Image='\guests\Image' --file build/linux/initrd.gz='\guests\initrd.gz'
            -- -machine iommu=smmuv3 -device edu,addr=4,dma_mask=0xffffffffffffffff)
timeout_s=300
checks() {
  linux_checks linux $LINUX_CHECKS_ALL pci-host pci-enumerated pci-bar-read pci-bar-write pci-dma-roundtrip
  expect '^vm linux: pci 00:04.0 \[1234:11e8\] assigned as 00:04.0, MSI by GICv4 direct injection' \
         "edu assigned to the Linux VM"
  expect '^vm linux: pci 00:04.0 DMA through the SMMU: stage 2 of VMID' "edu's DMA goes through the Linux VM's SMMU stage 2"
  expect '^\[linux\]   edu DMA 0x5c000000 -> edu -> 0x5c001000: 64 of 64 words arrived' "Linux: edu's DMA round trip at guest addresses"
  expect_not '^smmu: ' "no SMMU fault"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the VM"
  expect_not '^PANIC' "no hypervisor panic"
  expect_exit 0 "the machine powered off cleanly"
}
