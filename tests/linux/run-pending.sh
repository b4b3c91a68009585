#!/usr/bin/env bash
# run-pending.sh: run Linux boot tests that are not yet in tests/boot/ (tests/linux/*.sh.pending)
# the way tools/run-tests.sh runs a boot test, plus the test's optional `hvrun_wrap` command
# prefix (tests/linux/drive, which types into the console).
#   tests/linux/run-pending.sh [NAME...]     e.g. a64_linux a64_linux2 (default: all)
# Builds nothing: run `make ARCH=aarch64 efi` and `make deps` first. Logs in build/test-linux/.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=build/test-linux
mkdir -p "$out"
passed=0 failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+ ($2)}"; failed=$((failed + 1)); }
names=("$@")
[ ${#names[@]} -gt 0 ] || names=($(cd tests/linux && ls *.sh.pending | sed 's/\.sh\.pending$//'))
tools/build-initramfs.sh --if-stale >/dev/null || exit 1
for name in "${names[@]}"; do
  f=tests/linux/$name.sh.pending
  [ -f "$f" ] || { echo "no such test: $f" >&2; exit 2; }
  ( hvrun_wrap=(); source "$f"
    timeout_s=${timeout_s:-240}
    "${hvrun_wrap[@]}" tools/hvrun "${hvrun_args[@]}" --timeout "$timeout_s" --log "$out/$name.log" \
      >/dev/null 2>"$out/$name.err" </dev/null
    echo $? >"$out/$name.rc" )
  rc=$(cat "$out/$name.rc")
  log=$out/$name.log.txt
  tr -d '\r' <"$out/$name.log" >"$log" 2>/dev/null || : >"$log"
  expect() { if grep -qE -- "$1" "$log"; then pass "$name: $2"; else fail "$name: $2" "no line matching /$1/ in $log"; fi; }
  expect_not() { if grep -qE -- "$1" "$log"; then fail "$name: $2" "unexpected line: $(grep -m1 -E -- "$1" "$log")"; else pass "$name: $2"; fi; }
  expect_count() { local n; n=$(grep -cE -- "$1" "$log"); if [ "$n" -eq "$2" ]; then pass "$name: $3"; else fail "$name: $3" "$n lines match /$1/, want $2"; fi; }
  expect_exit() { if [ "$rc" = "$1" ]; then pass "$name: $2"; else fail "$name: $2" "hvrun exit $rc, want $1; $(tail -1 "$out/$name.err" 2>/dev/null)"; fi; }
  source "$f"
  checks
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
