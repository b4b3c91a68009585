# aarch64, GICv4 host, 2 CPUs: the same ITS payload as a64_its.sh (emulated ITS; GICv4
# direct injection is not used yet, so the guest-visible behaviour must be identical).
source tests/boot/a64_its.sh
hvrun_args=(--arch aarch64 --gic 4 --smp 2 --config tests/configs/a64_its.cfg
            --file build/guests/aarch64/its.bin='\guests\its.bin')
