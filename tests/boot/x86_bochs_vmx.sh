# x86_64 on Bochs (Intel VMX, corei7_skylake_x), 2 CPUs: banner, VMX capabilities, SMP, power-off.
hvrun_args=(--arch x86_64 --emulator bochs --smp 2)
timeout_s=600
checks() {
  expect '^hv [0-9]+\.[0-9]+\.[0-9]+ \(x86_64\)' "banner names version and arch"
  expect '^cap: vendor=GenuineIntel' "CPU vendor"
  expect '^cap: vmx=yes ept=yes vpid=yes unrestricted_guest=yes preemption_timer=(yes|no) vmcs_shadowing=(yes|no)' "VMX with EPT, VPID, unrestricted guest"
  expect '^cpu 1: online' "secondary CPU reports in"
  expect '^cpus: 2 of 2 online' "every CPU online"
  expect_not '^PANIC' "no panic"
  expect_exit 0 "the machine powered off cleanly"
}
