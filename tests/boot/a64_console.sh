# The VMs' consoles under a flood (tests/boot/console_common.inc), GICv3 host, 2 CPUs.
source tests/boot/console_common.inc
hvrun_args=(--arch aarch64 --gic 3 --smp 2 --config tests/configs/a64_console.cfg
            --file build/guests/aarch64/flood.bin='\guests\flood.bin'
            --file build/guests/aarch64/quiet.bin='\guests\quiet.bin')
timeout_s=120
checks() {
  console_checks
}
