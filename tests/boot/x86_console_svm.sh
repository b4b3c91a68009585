# The VMs' consoles under a flood (tests/boot/console_common.inc) on x86_64 under SVM, 2 CPUs: the
# flood's bytes go to the 16550's THR by OUT, one exit each.
source tests/boot/console_common.inc
hvrun_args=(--arch x86_64 --smp 2 --config tests/configs/x86_console.cfg
            --file build/guests/x86_64/flood.elf='\guests\flood.elf'
            --file build/guests/x86_64/quiet.elf='\guests\quiet.elf')
timeout_s=120
checks() {
  expect '^x86: guests run under svm with npt' "SVM backend"
  console_checks
}
