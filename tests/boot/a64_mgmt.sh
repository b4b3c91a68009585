# aarch64, GICv3 host, 2 CPUs, a virtio-net NIC on QEMU's user network: the management
# interface (docs/management.md). lwIP takes an address by DHCP; once it listens, a real
# client (tools/hvctl, through a host port forwarded to tcp 7700) lists the two idle VMs,
# reads statistics, sends bad commands, resets idle2 (it boots again), stops idle1 (idle2
# keeps running), starts idle1 again, stops it, and finally stops idle2, which powers the
# machine off.
mgmt_port=$((20000 + $$ % 20000))
mgmt_out="$out/a64_mgmt.hvctl"
mgmt_client="rm -f $mgmt_out;
  tools/hvctl --port $mgmt_port --timeout 60 help list 'stats idle1' >>$mgmt_out 2>&1; echo \"rc=\$?\" >>$mgmt_out;
  tools/hvctl --port $mgmt_port --timeout 60 bogus 'stats nosuch' 'stop' >>$mgmt_out 2>&1; echo \"rc=\$?\" >>$mgmt_out;
  tools/hvctl --port $mgmt_port --timeout 60 'reset idle2' >>$mgmt_out 2>&1; echo \"rc=\$?\" >>$mgmt_out; sleep 2;
  tools/hvctl --port $mgmt_port --timeout 60 'stop idle1' >>$mgmt_out 2>&1; echo \"rc=\$?\" >>$mgmt_out; sleep 2;
  tools/hvctl --port $mgmt_port --timeout 60 list 'stop idle1' >>$mgmt_out 2>&1; echo \"rc=\$?\" >>$mgmt_out;
  tools/hvctl --port $mgmt_port --timeout 60 'start idle1' >>$mgmt_out 2>&1; echo \"rc=\$?\" >>$mgmt_out; sleep 2;
  tools/hvctl --port $mgmt_port --timeout 60 'start idle1' >>$mgmt_out 2>&1; echo \"rc=\$?\" >>$mgmt_out;
  tools/hvctl --port $mgmt_port --timeout 60 'stop idle1' >>$mgmt_out 2>&1; echo \"rc=\$?\" >>$mgmt_out; sleep 2;
  tools/hvctl --port $mgmt_port --timeout 60 'stop idle2' >>$mgmt_out 2>&1; echo \"rc=\$?\" >>$mgmt_out"
hvrun_wrap=(tests/linux/drive --exec "^mgmt: listening on tcp port 7700=$mgmt_client" --)
hvrun_args=(--arch aarch64 --gic 3 --smp 2 --interactive --net "tcp:127.0.0.1:$mgmt_port-:7700"
            --config tests/configs/a64_mgmt.cfg --file build/guests/aarch64/idle.bin='\guests\idle.bin')
timeout_s=180
checks() {
  expect '^virtio-net: 0000:00:[0-9a-f]{2}\.[0-7] MAC 52:54:00:12:34:56' "the host's virtio-net NIC is found on the PCI bus"
  expect '^mgmt: address 10\.0\.2\.15$' "lwIP got its address from QEMU's DHCP server"
  expect '^mgmt: listening on tcp port 7700$' "the management interface listens"
  expect_in "$mgmt_out" '^idle1 state=running vcpus=1 exits=[0-9]+$' "list: idle1 running"
  expect_in "$mgmt_out" '^idle2 state=running vcpus=1 exits=[0-9]+$' "list: idle2 running"
  expect_in "$mgmt_out" '^exits_total=[1-9][0-9]*$' "stats: exit counters"
  expect_in "$mgmt_out" '^exits_mmio=[1-9][0-9]*$' "stats: idle1's MMIO exits (its PL011 output) counted"
  expect_in "$mgmt_out" "^error: unknown command 'bogus' \(try help\)$" "an unknown command gets an error"
  expect_in "$mgmt_out" "^error: no vm named 'nosuch'$" "an unknown VM gets an error"
  expect_in "$mgmt_out" '^error: usage: stop NAME$' "a command without its argument gets an error"
  expect_in "$mgmt_out" '^idle1 state=stopped vcpus=1 exits=[0-9]+$' "list after stop: idle1 stopped"
  expect_in "$mgmt_out" '^error: vm idle1 is stopped$' "stopping a stopped VM is refused"
  local rcs; rcs=$(grep '^rc=' "$mgmt_out" 2>/dev/null | tr '\n' ' ')
  if [ "$rcs" = "rc=0 rc=1 rc=0 rc=0 rc=1 rc=0 rc=1 rc=0 rc=0 " ]; then pass "$name: hvctl exit statuses (0 ok, 1 an error answer)"
  else fail "$name: hvctl exit statuses (0 ok, 1 an error answer)" "got '$rcs', want 'rc=0 rc=1 rc=0 rc=0 rc=1 rc=0 rc=1 rc=0 rc=0 '"; fi
  expect '^mgmt: reset vm idle2 \(from 10\.0\.2\.2\)$' "reset from the client, named on the console"
  expect_count '^\[idle2\] idle: up' 2 "idle2 booted twice (the reset reloaded it)"
  expect '^mgmt: stop vm idle1 \(from 10\.0\.2\.2\)$' "stop from the client, named on the console"
  expect '^vm idle1: powered off' "idle1 stops"
  expect '^mgmt: start vm idle1 \(from 10\.0\.2\.2\)$' "start from the client, named on the console"
  expect '^vm idle1: started again$' "the stopped VM is loaded again"
  expect_count '^\[idle1\] idle: up' 2 "idle1 booted twice (stopped, then started again)"
  expect_count '^vm idle1: powered off' 2 "idle1 stopped twice"
  expect_in "$mgmt_out" '^error: vm idle1 is not stopped$' "starting a running VM is refused"
  expect_order '^vm idle1: powered off' '^mgmt: stop vm idle2' "idle2 kept running (and answering) after idle1 stopped"
  expect '^hv: all VMs stopped, powering off' "stopping the last VM powers the machine off"
  expect_not '^PANIC|^EXCEPTION|^lwip: assertion' "no hypervisor exception, no lwIP assertion"
  expect_exit 0 "the machine powered off cleanly"
}
