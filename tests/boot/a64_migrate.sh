# aarch64, GICv3: live migration between two hypervisors (docs/migration.md). pair=1: this test
# runs two emulators (A here, B started by tests/boot/a64_migrate.flow), alone (tools/run-tests.sh).
# A and B run VMs m and w (tests/guests/aarch64/migrate.c: each keeps rewriting 4 MiB, checking
# the previous pattern and its counters). B's m waits for it from boot (incoming = yes); two hostile
# streams are refused there; m migrates A -> B while running; then w's migration is cut by killing
# B's QEMU halfway: w runs on at A. A's hypervisor reaches B at 10.0.2.2 (QEMU user networking)
# through B's forwarded management port.
pair=1
mg_pa=$((20000 + ($$ + 11) % 20000))
mg_pb=$((mg_pa + 1))
hvrun_wrap=(tests/linux/drive --exec "^\\[w\\] PASS migrate gen.512 =tests/boot/a64_migrate.flow $out $mg_pa $mg_pb" --)
hvrun_args=(--interactive --net "tcp:127.0.0.1:$mg_pa-:7700" --arch aarch64 --gic 3 --smp 2
            --config tests/configs/a64_migrate.cfg
            --file build/guests/aarch64/migrate.bin='\guests\migrate.bin')
timeout_s=240
checks() {
  local b="$out/a64_migrate.b.log.txt"
  tr -d '\r' <"$out/a64_migrate.b.log" >"$b" 2>/dev/null
  # B: m ready for the stream; the hostile streams refused with their reason, nothing started.
  expect_in "$out/mig.b0" '^m state=stopped ' "B: m (incoming = yes) was not started at boot"
  expect_in "$out/mig.b0" '^w state=running ' "B: w was started at boot"
  expect_in "$out/mig.b0" '^state=incoming ' "B: m waits for a migration from boot"
  expect_in "$b" '^migrate: vm m: waits for an incoming migration$' "B: console says m waits"
  expect_count_in "$b" '^vm m: started, vCPUs' 0 "B: m never booted from its images"
  expect_in "$out/mig.incoming" '^ok$' "B: incoming w (the command) answered ok"
  expect_in "$out/mig.notincoming" '^error: the vm does not expect a migration' "B: a stream for a VM not waiting is refused"
  expect_in "$out/mig.garbage" '^error: not a migration stream \(bad magic\)$' "B: garbage refused (bad magic)"
  expect_in "$out/mig.badcrc" '^error: section 0 \(pages, 4112 bytes\): checksum mismatch$' "B: a flipped checksum refused"
  expect_in "$out/mig.b1" '^m state=stopped ' "B: m not started by the refused streams"
  expect_in "$b" '^migrate: vm m: incoming stream refused: not a migration stream \(bad magic\); the vm was not started$' "B: console names the refusal"
  # The migration: progress printed, done, downtime and rounds.
  expect_in "$out/mig.migrate" '^progress: state=precopy rounds=[0-9]+ pages_sent=[1-9]' "hvctl prints pre-copy progress"
  expect_in "$out/mig.migrate" '^progress: state=done rounds=[1-9][0-9]* pages_sent=[0-9]+ .* downtime_ms=[0-9]+$' "hvctl prints done with rounds and downtime"
  expect_in "$out/mig.migrate" '^rc=0$' "hvctl migrate exits 0"
  expect_count_in "$out/mig.busy" '^error: vm m is being migrated' 3 "A: stop, dirty-log off and resume of m refused while it migrates"
  expect '^migrate: vm m: done: rounds=[0-9]+ pages=[0-9]+ downtime_ms=[0-9]+$' "A: console reports the migration done"
  expect_in "$out/mig.a2" '^m state=stopped ' "A: m is gone from A"
  expect_in "$out/mig.a2" '^w state=running ' "A: w runs on"
  expect_in "$out/mig.b2" '^m state=running ' "B: m runs on B"
  expect_in "$b" '^vm m: started from a migration$' "B: m started from the migration"
  # m on B: its checks went on from where they were on A, every page intact, counters forward.
  local ga gb ca cb
  ga=$(grep -E '^\[m\] PASS migrate gen=' "$log" | tail -1 | sed -E 's/.*gen=([0-9]+).*/\1/')
  ca=$(grep -E '^\[m\] PASS migrate gen=' "$log" | tail -1 | sed -E 's/.*cntvct=([0-9]+).*/\1/')
  gb=$(grep -E '^\[m\] PASS migrate gen=' "$b" | sed -n '/./{p}' | awk -v ga="${ga:-0}" -F'gen=' '{split($2,x," "); if (x[1] > ga) {print x[1]; exit}}')
  cb=$(grep -E "^\\[m\\] PASS migrate gen=${gb:-x} " "$b" | head -1 | sed -E 's/.*cntvct=([0-9]+).*/\1/')
  if [ -n "$ga" ] && [ -n "$gb" ] && [ "$gb" -eq $((ga + 256)) ]; then
    pass "$name: m's generations go on on B ($ga last on A, $gb next on B)"
  else fail "$name: m's generations go on on B" "last on A '${ga:-}', first after it on B '${gb:-}'"; fi
  if [ -n "$ca" ] && [ -n "$cb" ] && [ "$cb" -ge "$ca" ]; then pass "$name: m's virtual counter never went back ($ca -> $cb)"
  else fail "$name: m's virtual counter never went back" "A '${ca:-}', B '${cb:-}'"; fi
  expect_count_in "$b" '^\[m\] FAIL' 0 "B: m found no lost page and no counter going back"
  expect_count '^\[m\] FAIL' 0 "A: m found nothing wrong before it left"
  # w was never paused by m's migration: it printed while m's migration ran.
  local s e n
  s=$(grep -nE -m1 '^migrate: vm m: to ' "$log" | cut -d: -f1)
  e=$(grep -nE -m1 '^migrate: vm m: done' "$log" | cut -d: -f1)
  n=$( [ -n "$s" ] && [ -n "$e" ] && sed -n "${s},${e}p" "$log" | grep -cE '^\[w\] PASS migrate gen=')
  if [ -n "$n" ] && [ "$n" -ge 1 ]; then pass "$name: A: w kept printing during m's migration ($n lines)"
  else fail "$name: A: w kept printing during m's migration" "${n:-no} lines"; fi
  # The interrupted migration: A's w runs on, unchanged.
  expect_in "$out/mig.interrupted" '^progress: state=failed ' "hvctl reports the interrupted migration failed"
  expect_in "$out/mig.interrupted" '^rc=1$' "hvctl migrate exits 1 when interrupted"
  expect '^migrate: vm w: failed: .*; it runs on here$' "A: console names the failure"
  expect_in "$out/mig.a3" '^w state=running ' "A: w running after the interrupted migration"
  local f
  f=$(grep -nE -m1 '^migrate: vm w: failed' "$log" | cut -d: -f1)
  n=$( [ -n "$f" ] && tail -n +"$f" "$log" | grep -cE '^\[w\] PASS migrate gen=')
  if [ -n "$n" ] && [ "$n" -ge 2 ]; then pass "$name: A: w's output continues after the failure ($n lines)"
  else fail "$name: A: w's output continues after the failure" "${n:-no} lines"; fi
  expect_count '^\[w\] FAIL' 0 "A: w found nothing wrong"
  expect_not '^PANIC|^EXCEPTION|^lwip: assertion' "A: no hypervisor exception"
  expect_count_in "$b" '^PANIC|^EXCEPTION|^lwip: assertion' 0 "B: no hypervisor exception"
  expect_exit 0 "A powered off cleanly at the end"
}
