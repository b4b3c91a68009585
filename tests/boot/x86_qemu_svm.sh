# x86_64 on QEMU TCG (AMD SVM), 2 CPUs: banner, capabilities, SMP, bad configuration lines, power-off.
source tests/boot/foundation_common.inc
hvrun_args=(--arch x86_64 --smp 2 --config tests/configs/foundation-x86_64.cfg
            --file tests/configs/foundation-x86_64.cfg='\guests\k.bin')
timeout_s=120
checks() {
  expect '^hv [0-9]+\.[0-9]+\.[0-9]+ \(x86_64\)' "banner names version and arch"
  expect '^cap: vendor=AuthenticAMD' "CPU vendor"
  # QEMU TCG's SVM (7.2 and 10.0) has NPT and 16 ASIDs but no next-RIP or decode assists
  # (CPUID 0x8000000A EDX bits 3 and 7 clear, FACTS.md): the line must say exactly that.
  expect '^cap: svm=yes npt=yes nrip=no decode_assists=no asids=16$' "SVM with NPT and 16 ASIDs; next-RIP and decode assists reported absent, as TCG has them"
  expect '^cap: pa_bits=' "physical address size"
  expect '^cpu 1: online' "secondary CPU reports in"
  expect '^cpus: 2 of 2 online' "every CPU online"
  foundation_config_checks
  expect_not '^PANIC' "no panic"
  expect_exit 0 "the machine powered off cleanly"
}
