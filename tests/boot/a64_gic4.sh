# aarch64, GICv4 host, 2 CPUs: banner, capabilities, SMP, and the exception dump (selftest), power-off.
hvrun_args=(--arch aarch64 --gic 4 --smp 2 --config tests/configs/selftest.cfg)
timeout_s=150
checks() {
  expect '^hv [0-9]+\.[0-9]+\.[0-9]+ \(aarch64\)' "banner names version and arch"
  expect '^cap: el=2' "runs at EL2"
  expect '^cap: gic=v4' "GICv4 read from the GIC's registers"
  expect '^cap: its=yes' "ITS present"
  expect '^cap: pmu=PMUv3' "PMU version"
  expect '^cap: pa_bits=' "physical address size"
  expect '^hv: selftest: taking a deliberate exception' "selftest requested by hv.cfg"
  expect '^EXCEPTION on cpu 0: sync' "unexpected exception is reported"
  expect '^  ESR_EL2  0x[0-9a-f]+  EC=0x25 \(data abort' "dump decodes ESR_EL2"
  expect '^  FAR_EL2  0x00000dead0000000' "dump shows the faulting address"
  expect '^  x30 0x[0-9a-f]+  sp  0x' "dump shows the registers"
  expect '^PANIC on cpu 0: unexpected exception' "stops after the dump"
  expect_exit 0 "the machine powered off cleanly after the dump"
}
