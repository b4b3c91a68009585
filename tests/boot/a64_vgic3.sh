# aarch64 vGICv3 on a GICv3 host, 2 CPUs: the gic payload as a 2-vCPU VM: SGIs between vCPUs
# (targeted, broadcast, self), the virtual timer's PPI 27 at its deadline, the PL011's SPI 33,
# pending/active transitions with EOImode 0 and 1, and priority masking by ICC_PMR_EL1.
source tests/boot/a64_vgic.inc
hvrun_args=(--arch aarch64 --gic 3 --smp 2 --config tests/configs/a64_vgic.cfg
            --file build/guests/aarch64/gic.bin='\guests\gic.bin')
timeout_s=150
checks() {
  expect '^cap: gic=v3' "the host GIC is a GICv3"
  vgic_checks
}
