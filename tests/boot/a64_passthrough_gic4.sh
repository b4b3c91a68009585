# aarch64, GICv4 host, 3 CPUs: the same device pass-through boot as a64_passthrough.sh (QEMU
# virt's PL031 and SPI 34 to vm rtc, vm other aborts on it).
source tests/boot/a64_passthrough.sh
hvrun_args=(--arch aarch64 --gic 4 --smp 3 --config tests/configs/a64_passthrough.cfg
            --file build/guests/aarch64/passthrough.bin='\guests\passthrough.bin')
