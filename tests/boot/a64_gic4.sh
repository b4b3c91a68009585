# aarch64, GICv4 host, 2 CPUs: banner, capabilities, SMP, power-off.
hvrun_args=(--arch aarch64 --gic 4 --smp 2)
timeout_s=150
checks() {
  expect '^hv [0-9]+\.[0-9]+\.[0-9]+ \(aarch64\)' "banner names version and arch"
  expect '^cap: el=2' "runs at EL2"
  expect '^cap: gic=v4' "GICv4 read from the GIC's registers"
  expect '^cap: its=yes' "ITS present"
  expect '^cap: pmu=PMUv3' "PMU version"
  expect '^cap: pa_bits=' "physical address size"
  expect '^cpu 1: online' "secondary CPU reports in"
  expect '^cpus: 2 of 2 online' "every CPU online"
  expect 'no VMs' "boots without hv.cfg"
  expect_not '^PANIC' "no panic"
  expect_exit 0 "the machine powered off cleanly"
}
