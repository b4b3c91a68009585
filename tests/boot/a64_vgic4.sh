# aarch64 vGICv3 on a GICv4 host (its redistributors have 4 frames each), 2 CPUs: the same
# gic payload and checks as a64_vgic3.
source tests/boot/a64_vgic.inc
hvrun_args=(--arch aarch64 --gic 4 --smp 2 --config tests/configs/a64_vgic.cfg
            --file build/guests/aarch64/gic.bin='\guests\gic.bin')
timeout_s=150
checks() {
  expect '^cap: gic=v4' "the host GIC is a GICv4"
  vgic_checks
}
