# aarch64, GICv4 host, 4 CPUs: the same ITS payload as a64_its.sh, now with GICv4 direct
# injection (arch/aarch64/vgic_v4.c): the guest's mapped events are mirrored on the physical
# ITS (VMAPTI to one vPE per vCPU), its INT/MSI becomes a physical INT, and the statistics
# hypercall must show every LPI delivered with no hypervisor injection, and the MSIs of the
# assigned edu (VMAPTI on its requester ID) with no exit at all. Same checks otherwise.
source tests/boot/a64_its.sh
hvrun_args=(--arch aarch64 --qemu 10 --gic 4 --smp 4 --config tests/configs/a64_its4.cfg
            --file build/guests/aarch64/its.bin='\guests\its.bin' -- -machine iommu=smmuv3 -device edu,addr=4)
its_lpi_path=direct
its_host_tables=acpi
gic4_checks() {
  its_checks
  expect '^gicv4: direct injection of virtual LPIs on' "the host ITS is GICv4: direct injection on"
  expect '^gits: ITS at .* GICv4 virtual LPIs' "the physical ITS driver found virtual LPI support"
  expect_not '^gits: (command queue stuck|GITS_BASER)' "no physical ITS command failed"
}
checks() { gic4_checks; }
