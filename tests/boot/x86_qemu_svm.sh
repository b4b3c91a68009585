# x86_64 on QEMU TCG (AMD SVM), 2 CPUs: banner, capabilities, SMP, bad configuration lines, power-off.
source tests/boot/foundation_common.inc
hvrun_args=(--arch x86_64 --smp 2 --config tests/configs/foundation-x86_64.cfg
            --file tests/configs/foundation-x86_64.cfg='\guests\k.bin')
timeout_s=120
checks() {
  expect '^hv [0-9]+\.[0-9]+\.[0-9]+ \(x86_64\)' "banner names version and arch"
  expect '^cap: vendor=AuthenticAMD' "CPU vendor"
  expect '^cap: svm=yes npt=yes nrip=(yes|no) decode_assists=(yes|no) asids=[0-9]+' "SVM with NPT, next-RIP, decode assists, ASIDs"
  expect '^cap: pa_bits=' "physical address size"
  expect '^cpu 1: online' "secondary CPU reports in"
  expect '^cpus: 2 of 2 online' "every CPU online"
  foundation_config_checks
  expect_not '^PANIC' "no panic"
  expect_exit 0 "the machine powered off cleanly"
}
