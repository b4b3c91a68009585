# Debian's arm64 Linux (2 vCPUs, MMU on, caches, interrupts) under dirty logging: when /init starts,
# a management client turns logging on for the VM's RAM, reads and clears the dirty pages ten
# times while the guest runs its checks, and turns logging off; only then is the console input
# /init waits for typed, so the guest runs until the client is done. The guest must not notice (every check
# of tests/linux/checks.inc passes, it powers off cleanly); stage 2 goes from 256 blocks of 2 MiB
# to split pages and back to 256 blocks.
source tests/linux/checks.inc
ld_port=$((20000 + ($$ + 13) % 20000))
ld_out="$out/a64_linux_dirty"
ld_ctl="env HVCTL_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f tools/hvctl --port $ld_port --timeout 60"
ld_client="rm -f $ld_out.loop; $ld_ctl 'stats linux' >$ld_out.before 2>&1; $ld_ctl 'dirty-log linux on' >$ld_out.on 2>&1; sleep 2;
  $ld_ctl 'dirty linux 0' 'stats linux' >$ld_out.dirty1 2>&1; sleep 1; $ld_ctl 'dirty linux 0' >$ld_out.dirty2 2>&1;
  for i in 1 2 3 4 5 6 7 8; do $ld_ctl 'dirty linux 0' >>$ld_out.loop 2>&1; sleep 0.3; done;
  $ld_ctl 'dirty-log linux off' 'stats linux' >$ld_out.off 2>&1; echo rc=\$? >>$ld_out.off"
hvrun_wrap=(tests/linux/drive --exec "^\\[linux\\] HV-LINUX: init started=$ld_client"
            --send '^mgmt: dirty logging off for vm linux=hv-input' --)
hvrun_args=(--arch aarch64 --gic 3 --smp 2 --interactive --net "tcp:127.0.0.1:$ld_port-:7700"
            --config tests/configs/a64_linux_dirty.cfg
            --file deps/linux-arm64/Image='\guests\Image' --file build/linux/initrd.gz='\guests\initrd.gz')
timeout_s=300
checks() {
  linux_checks linux
  expect_in "$ld_out.before" '^s2_blocks_2m=256$' "before: 512 MiB of RAM as 256 blocks of 2 MiB"
  expect_in "$ld_out.before" '^s2_pages=0$' "before: no pages"
  expect_in "$ld_out.on" '^slot=0 dirty_log=on$' "logging on for the RAM slot"
  expect_in "$ld_out.dirty1" '^dirty_pages=[1-9][0-9]*$' "the running kernel dirtied pages"
  expect_in "$ld_out.dirty1" '^s2_pages=[1-9][0-9]{2,}$' "while logging: written blocks are split into pages"
  expect_in "$ld_out.dirty2" '^dirty_pages=[1-9][0-9]*$' "written again after the read (pages protected again and re-faulted)"
  expect_count_in "$ld_out.loop" '^dirty_pages=[0-9]+$' 8 "8 more reads in a row while the guest runs"
  expect_in "$ld_out.off" '^slot=0 dirty_log=off$' "logging off"
  expect_in "$ld_out.off" '^s2_blocks_2m=256$' "after logging: collapsed back to 256 blocks of 2 MiB"
  expect_in "$ld_out.off" '^s2_pages=0$' "after logging: no pages left"
  expect_in "$ld_out.off" '^rc=0$' "every answer ok"
  expect '^mgmt: dirty logging on for vm linux' "logging on named on the console"
  expect_order '^mgmt: dirty logging on for vm linux' '^\[linux\] HV-LINUX: checks done' "logging was on while the checks ran"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the VM"
  expect_not '^PANIC|^EXCEPTION|^lwip: assertion' "no hypervisor exception, no lwIP assertion"
  expect_exit 0 "the machine powered off cleanly"
}
