# aarch64, GICv3 host, 2 CPUs: banner, capabilities, SMP, bad configuration lines, power-off.
source tests/boot/foundation_common.inc
hvrun_args=(--arch aarch64 --gic 3 --smp 2 --config tests/configs/foundation-aarch64.cfg
            --file build/guests/aarch64/hello.bin='\guests\hello.bin')
timeout_s=150
checks() {
  expect '^hv [0-9]+\.[0-9]+\.[0-9]+ \(aarch64\)' "banner names version and arch"
  expect '^cap: el=2' "runs at EL2"
  expect '^cap: gic=v3' "GICv3 read from the GIC's registers"
  expect '^cap: its=yes' "ITS present"
  expect '^cap: pmu=PMUv3' "PMU version"
  expect '^cap: pa_bits=(32|36|40|42|44|48|52)' "physical address size"
  expect '^cpu 1: online' "secondary CPU reports in"
  expect '^cpus: 2 of 2 online' "every CPU online"
  foundation_config_checks
  expect '^\[good1\] PASS el1' "VM good1 runs its payload at EL1"
  expect '^\[good2\] PASS el1' "VM good2 runs its payload at EL1"
  expect '^vm good1: powered off' "VM good1 powers off"
  expect '^vm good2: powered off' "VM good2 powers off"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the last VM"
  expect_not '^PANIC' "no panic"
  expect_exit 0 "the machine powered off cleanly"
}
