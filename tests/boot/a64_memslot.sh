# aarch64, GICv3, 2 CPUs: memory of a running VM changed through the management interface
# (docs/management.md "memslot", "dirty-log", "dirty"). VM m (tests/guests/aarch64/memslot.c)
# says where it is; at each step a real client (tools/hvctl) acts: adds slot 5 (4 MiB at
# 0x80000000), turns dirty logging on, lets m rewrite 33 known pages, reads the dirty ranges
# twice (read-and-clear), turns logging off (blocks collapse back), and deletes slot 5 while m
# spins loading from it with no exits (its load must abort). VM w idles on the other CPU.
ms_port=$((20000 + ($$ + 7) % 20000))
ms_out="$out/a64_memslot"
ms_ctl="env HVCTL_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f tools/hvctl --port $ms_port --timeout 60"
ms_a="$ms_ctl 'memslot m add 7 0x1000 4K' 'memslot m add 7 0x40000000 4K' 'memslot m add 7 0x80000000 3' 'memslot m delete 9' 'dirty m 0' 'memslot m bogus' >$ms_out.bad 2>&1; echo rc=\$? >>$ms_out.bad;
  $ms_ctl 'stats m' >$ms_out.stats0 2>&1;
  $ms_ctl 'memslot m add 5 0x80000000 4M' 'memslot m list' 'stats m' >$ms_out.add 2>&1; echo rc=\$? >>$ms_out.add"
ms_b="$ms_ctl 'pause m' >$ms_out.pause 2>&1; sleep 1; $ms_ctl list >$ms_out.p1 2>&1; sleep 2; $ms_ctl list >$ms_out.p2 2>&1;
  $ms_ctl 'resume m' 'resume m' >>$ms_out.pause 2>&1; sleep 1; $ms_ctl list >$ms_out.p3 2>&1;
  $ms_ctl 'dirty-log m on' 'dirty m 5' 'stats m' 'memslot m add 6 0x80400000 4K' >$ms_out.on 2>&1; echo rc=\$? >>$ms_out.on"
ms_c="$ms_ctl 'stats m' >$ms_out.logging 2>&1; $ms_ctl 'dirty m 5' >$ms_out.dirty1 2>&1; $ms_ctl 'dirty m 5' >$ms_out.dirty2 2>&1;
  $ms_ctl 'dirty-log m off' 'stats m' 'memslot m delete 6' >$ms_out.off 2>&1; echo rc=\$? >>$ms_out.off"
ms_d="sleep 1; $ms_ctl memslot m delete 5 >$ms_out.delete 2>&1; echo rc=\$? >>$ms_out.delete"
ms_e="$ms_ctl 'memslot m list' list 'stop w' >$ms_out.end 2>&1"
hvrun_wrap=(tests/linux/drive
  --exec "^\\[m\\] memslot: waiting for slot 5=$ms_a"
  --exec "^\\[m\\] memslot: pattern written=$ms_b"
  --exec "^\\[m\\] memslot: dirtied 33 pages=$ms_c"
  --exec "^\\[m\\] memslot: spinning on slot 5=$ms_d"
  --exec "^\\[m\\] DONE=$ms_e" --)
hvrun_args=(--interactive --net "tcp:127.0.0.1:$ms_port-:7700" --arch aarch64 --gic 3 --smp 2
            --config tests/configs/a64_memslot.cfg
            --file build/guests/aarch64/memslot.bin='\guests\memslot.bin'
            --file build/guests/aarch64/idle.bin='\guests\idle.bin')
timeout_s=240
checks() {
  for t in memslot_add_seen memslot_add_gpa memslot_add_size memslot_add_zeroed memslot_add_read_write \
           dirty_log_go dirty_log_done dirty_log_data_intact memslot_delete_aborts_running_vcpu \
           memslot_delete_abort_class memslot_delete_abort_external memslot_delete_abort_far memslot_delete_gone; do
    expect "^\\[m\\] PASS $t\$" "m: $t"
  done
  expect '^\[m\] DONE passed=13 failed=0' "m: every check passed"
  # Bad requests: each refused with its reason, nothing changed.
  expect_in "$ms_out.bad" '^error: vm m: 0x1000\+0x1000 outside the guest.s RAM space$' "add below RAM refused"
  expect_in "$ms_out.bad" '^error: vm m slot 7: overlaps another slot' "add over the VM's RAM refused"
  expect_in "$ms_out.bad" '^error: GPA and SIZE must be multiples of 4 KiB' "unaligned size refused"
  expect_in "$ms_out.bad" '^error: vm m slot 9: no such slot$' "delete of a missing slot refused"
  expect_in "$ms_out.bad" '^error: vm m slot 0: dirty logging is off$' "dirty without logging refused"
  expect_in "$ms_out.bad" '^rc=1$' "hvctl exit status 1 on error answers"
  # Before: RAM (16 MiB at 0x40000000) is 8 blocks of 2 MiB.
  expect_in "$ms_out.stats0" '^s2_blocks_2m=8$' "stats before: 8 blocks of 2 MiB"
  expect_in "$ms_out.stats0" '^s2_pages=0$' "stats before: no pages"
  expect_in "$ms_out.add" '^slot=5 gpa=0x80000000 size=0x400000 runtime$' "the added slot is listed"
  expect_in "$ms_out.add" '^s2_blocks_2m=10$' "the added slot is mapped as 2 blocks"
  expect_in "$ms_out.add" '^rc=0$' "add answered ok"
  expect '^mgmt: memslot 5 of vm m added at 0x80000000\+0x400000 \(from 10\.0\.2\.2\)$' "add named on the console"
  # Pause and resume (m polls for slot 6 with a hypercall every 10 ms: its exits count its progress).
  expect_in "$ms_out.pause" '^ok$' "pause answered ok"
  expect_in "$ms_out.pause" '^error: vm m is not paused$' "a second resume is refused"
  expect_in "$ms_out.p1" '^m state=paused vcpus=1 exits=[0-9]+$' "m is listed paused"
  expect_in "$ms_out.p1" '^w state=running ' "w keeps running while m is paused"
  local e1 e2 e3
  e1=$(sed -n 's/^m state=paused vcpus=1 exits=//p' "$ms_out.p1" 2>/dev/null)
  e2=$(sed -n 's/^m state=paused vcpus=1 exits=//p' "$ms_out.p2" 2>/dev/null)
  e3=$(sed -n 's/^m state=running vcpus=1 exits=//p' "$ms_out.p3" 2>/dev/null)
  if [ -n "$e1" ] && [ "$e1" = "$e2" ]; then pass "$name: no exit while paused (2 s): m ran no guest code"
  else fail "$name: no exit while paused (2 s): m ran no guest code" "exits '$e1' then '$e2'"; fi
  if [ -n "$e3" ] && [ -n "$e2" ] && [ "$e3" -gt "$e2" ]; then pass "$name: resumed: m runs on (exits $e2 -> $e3)"
  else fail "$name: resumed: m runs on" "exits '$e2' then '$e3'"; fi
  expect '^mgmt: pause vm m \(from 10\.0\.2\.2\)$' "pause named on the console"
  expect '^mgmt: resume vm m \(from 10\.0\.2\.2\)$' "resume named on the console"
  # Logging on: nothing dirty yet in slot 5; blocks stay until written.
  expect_in "$ms_out.on" '^slot=5 dirty_log=on$' "logging on for slot 5"
  expect_in "$ms_out.on" '^slot=0 dirty_log=on$' "logging on for the RAM slot"
  expect_in "$ms_out.on" '^dirty_pages=0$' "no page of slot 5 dirty before m writes"
  expect_in "$ms_out.on" '^rc=0$' "logging on answered ok"
  # While logging: slot 5's written blocks are split into pages.
  expect_in "$ms_out.logging" '^s2_pages=(1[0-9]{3,}|[2-9][0-9]{3,}|[0-9]{5,})$' "while logging: written blocks split into pages (>= 1024)"
  expect_in "$ms_out.dirty1" '^dirty_pages=33$' "read-and-clear: exactly the 33 pages m rewrote"
  expect_count_in "$ms_out.dirty1" '^0x800[0-3][02468ace]000\+0x1000$' 32 "the 32 even pages of the first 64, one range each"
  expect_in "$ms_out.dirty1" '^0x80258000\+0x1000$' "and page 600"
  expect_in "$ms_out.dirty2" '^dirty_pages=0$' "the second read finds nothing (cleared, pages protected again)"
  # Logging off: collapsed back to blocks (slot 6 is one page).
  expect_in "$ms_out.off" '^s2_blocks_2m=10$' "after logging: collapsed back to 10 blocks of 2 MiB"
  expect_in "$ms_out.off" '^s2_pages=1$' "after logging: only slot 6's page is a page"
  expect_in "$ms_out.off" '^rc=0$' "logging off answered ok"
  expect_in "$ms_out.delete" '^rc=0$' "delete answered ok (hvctl's word form)"
  expect_in "$ms_out.end" '^slot=0 gpa=0x40000000 size=0x1000000 ram$' "after delete: RAM is listed"
  expect_count_in "$ms_out.end" '^slot=[56] ' 0 "after delete: slots 5 and 6 are not listed"
  expect '^mgmt: memslot 5 of vm m deleted \(from 10\.0\.2\.2\)$' "delete named on the console"
  expect_in "$ms_out.end" '^w state=running vcpus=1' "w kept running throughout"
  expect '^hv: all VMs stopped, powering off' "the machine powers off at the end"
  expect_not '^PANIC|^EXCEPTION|^lwip: assertion' "no hypervisor exception, no lwIP assertion"
  expect_exit 0 "the machine powered off cleanly"
}
