# x86_64 on Bochs (Intel VMX, corei7_skylake_x), 2 CPUs: banner, VMX capabilities, SMP,
# the exception dump (selftest), power-off.
hvrun_args=(--arch x86_64 --emulator bochs --smp 2 --config tests/configs/selftest.cfg)
timeout_s=600
checks() {
  expect '^hv [0-9]+\.[0-9]+\.[0-9]+ \(x86_64\)' "banner names version and arch"
  expect '^cap: vendor=GenuineIntel' "CPU vendor"
  # Bochs' corei7_skylake_x has all five (FACTS.md): a "no" here is a misread capability MSR.
  expect '^cap: vmx=yes ept=yes vpid=yes unrestricted_guest=yes preemption_timer=yes vmcs_shadowing=yes$' "VMX with EPT, VPID, unrestricted guest, preemption timer, VMCS shadowing"
  expect '^cpu 1: online' "secondary CPU reports in"
  expect '^cpus: 2 of 2 online' "every CPU online"
  expect '^hv: selftest: taking a deliberate exception' "selftest requested by hv.cfg"
  expect '^exception: vector 14 #PF' "unexpected exception is reported with its name"
  expect '^  CR0 0x[0-9a-f]+ CR2 0x[0-9a-f]+' "dump shows CR2, the faulting address"
  expect '^  RAX 0x[0-9a-f]{16}' "dump shows the registers"
  expect '^PANIC on cpu 0: unexpected exception' "stops after the dump"
  expect_exit 0 "the machine powered off cleanly after the dump"
}
