# Two x86_64 VMs under SVM (QEMU TCG), one vCPU each on a 2-CPU host: probe must not see secret's
# memory, and accesses past its own RAM read all-ones and fault nothing (NPT isolation).
hvrun_args=(--arch x86_64 --smp 2 --config tests/configs/x86_isolation.cfg
            --file build/guests/x86_64/probe.elf='\guests\probe.elf'
            --file build/guests/x86_64/secret.elf='\guests\secret.elf')
timeout_s=180
checks() {
  expect '^\[secret\] PASS secret_stored' "secret: marker written through its RAM"
  expect_order '^\[secret\] secret: stored' '^\[probe\] probe: scanning' "probe scans after secret stored its marker"
  expect_order '^\[probe\] PASS secret_not_visible' '^\[secret\] PASS secret_intact' "secret still holds its marker when probe finishes"
  expect '^\[probe\] PASS secret_not_visible' "probe: only its own canary found in all of its RAM"
  expect '^\[probe\] PASS read_past_ram_0x' "probe: reads past its RAM give all-ones"
  expect '^\[probe\] PASS write_past_ram_0x' "probe: writes past its RAM are dropped without a fault"
  expect '^\[probe\] DONE passed=[0-9]+ failed=0' "probe: every check passed"
  expect '^\[secret\] PASS secret_intact' "secret: marker intact after the probe ran"
  expect '^\[secret\] DONE passed=[0-9]+ failed=0' "secret: every check passed"
  expect_not '^\[[a-z]+\] FAIL' "no guest check fails"
  expect_not 'crashed|unhandled exit|PANIC' "no VM crash, no unhandled exit, no panic"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the last VM"
  expect_exit 0 "the machine powered off cleanly"
}
