#!/usr/bin/env bash
# run-tests.sh: everything `make test` runs: build, host unit tests, fuzzers, emulator boot tests.
# Prints PASS/FAIL per check and ends with "N passed, N failed"; exits non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/test
rm -rf "$out" && mkdir -p "$out"
passed=0 failed=0
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
# `tools/run-tests.sh NAME...` runs only those boot tests (tests/boot/NAME.sh), for development.
only=("$@")

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+ ($2)}"; failed=$((failed + 1)); }

# --- build both architectures ---------------------------------------------
if [ ${#only[@]} -gt 0 ]; then
  for n in "${only[@]}"; do
    f=tests/boot/$n.sh
    [ -f "$f" ] || { echo "no such boot test: $f" >&2; exit 2; }
    (source "$f"; case " ${hvrun_args[*]} " in *" aarch64 "*) a=aarch64 ;; *) a=x86_64 ;; esac
     make -s ARCH=$a efi guests >/dev/null) || { echo "build failed" >&2; exit 1; }
  done
fi
if [ ${#only[@]} -gt 0 ]; then :
elif make -s all >"$out/build.log" 2>&1; then pass build; else fail build "see $out/build.log"; tail -20 "$out/build.log"; fi
# The README's plain `make` (no goal) in a scratch copy builds both images and the payloads.
if [ ${#only[@]} -eq 0 ]; then
  if why=$(tools/check-plain-make.sh "$out/plain-make.log"); then pass "plain make builds both hv.efi images and the payloads"
  else fail "plain make builds both hv.efi images and the payloads" "$why; see $out/plain-make.log"; fi
fi

# --- emulator boot tests: tests/boot/*.sh, slow ones (Bochs) started first in the background, in turn
# Each file sets `arch`, `hvrun_args` (array) and defines `checks`, which calls
# expect REGEX NAME / expect_not REGEX NAME / expect_exit CODE over the console log.
run_boot() {   # run_boot FILE: runs the emulator, leaves NAME.log and NAME.rc
  local f=$1 name; name=$(basename "$f" .sh)
  ( hvrun_wrap=(); source "$f"
    timeout_s=${timeout_s:-240}
    # hvrun_wrap: an optional command prefix, e.g. tests/linux/drive, which types into the console.
    # hvrun's own flags first: hvrun_args may end with `-- QEMU-ARGS...`.
    ${hvrun_wrap[@]+"${hvrun_wrap[@]}"} tools/hvrun --timeout "$timeout_s" --log "$out/$name.log" "${hvrun_args[@]}" \
      >/dev/null 2>"$out/$name.err" </dev/null
    echo $? >"$out/$name.rc" )
}
check_boot() { # check_boot FILE: evaluates the checks of one finished boot
  local f=$1 name; name=$(basename "$f" .sh)
  local log="$out/$name.log" rc; rc=$(cat "$out/$name.rc" 2>/dev/null || echo missing)
  [ -f "$log" ] || : >"$log"
  tr -d '\r' <"$log" >"$log.txt"; log="$log.txt"    # the console ends lines with CRLF
  expect() { if grep -qE -- "$1" "$log"; then pass "$name: $2"; else fail "$name: $2" "no line matching /$1/ in $log"; fi; }
  expect_not() { if grep -qE -- "$1" "$log"; then fail "$name: $2" "unexpected line: $(grep -m1 -E -- "$1" "$log")"; else pass "$name: $2"; fi; }
  expect_count() { local n; n=$(grep -cE -- "$1" "$log"); if [ "$n" -eq "$2" ]; then pass "$name: $3"; else fail "$name: $3" "$n lines match /$1/, want $2"; fi; }
  # expect_order A B NAME: the first line matching A comes before the first line matching B.
  expect_order() { local a b; a=$(grep -nE -m1 -- "$1" "$log" | cut -d: -f1); b=$(grep -nE -m1 -- "$2" "$log" | cut -d: -f1)
    if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; then pass "$name: $3"; else fail "$name: $3" "/$1/ at line ${a:-none}, /$2/ at line ${b:-none}"; fi; }
  # expect_in FILE REGEX NAME: as expect, over another file the test wrote (e.g. a client's output).
  expect_in() { if [ -f "$1" ] && tr -d '\r' <"$1" | grep -qE -- "$2"; then pass "$name: $3"; else fail "$name: $3" "no line matching /$2/ in $1"; fi; }
  # expect_count_in FILE REGEX N NAME: as expect_count, over another file (e.g. tools/console-screen's).
  expect_count_in() { local n; n=$( [ -f "$1" ] && tr -d '\r' <"$1" | grep -cE -- "$2"); n=${n:-0}
    if [ "$n" -eq "$3" ]; then pass "$name: $4"; else fail "$name: $4" "$n lines match /$2/ in $1, want $3"; fi; }
  expect_exit() { if [ "$rc" = "$1" ]; then pass "$name: $2"; else fail "$name: $2" "hvrun exit $rc, want $1; $(tail -1 "$out/$name.err" 2>/dev/null)"; fi; }
  ( source "$f"; checks ) > "$out/$name.checks"
  cat "$out/$name.checks"
  # A failed boot shows the hypervisor's own last lines (not the guests' "[VM] ..." output) right
  # under its checks, so a CI excerpt carries why a VM stopped or was never started.
  if grep -q '^FAIL' "$out/$name.checks"; then
    echo "---- $name: the hypervisor's last lines in $log"
    grep -avE '^\[[^]]+\] ' "$log" | tail -n 15 | sed 's/^/  | /'
  fi
  passed=$((passed + $(grep -c '^PASS' "$out/$name.checks")))
  failed=$((failed + $(grep -c '^FAIL' "$out/$name.checks")))
}
# The Linux guest's initramfs (tests/linux/init) is rebuilt when its inputs changed.
tools/build-initramfs.sh --if-stale >"$out/initramfs.log" 2>&1 || { fail initramfs "see $out/initramfs.log"; }
tools/build-initramfs.sh --if-stale --arch x86_64 >>"$out/initramfs.log" 2>&1 || { fail initramfs-x86_64 "see $out/initramfs.log"; }

slow=() fast=() pair=()
boot_files=(tests/boot/*.sh)
[ ${#only[@]} -gt 0 ] && boot_files=("${only[@]/#/tests/boot/}") && boot_files=("${boot_files[@]/%/.sh}")
for f in "${boot_files[@]}"; do
  # pair=1: the test runs two emulators at once (e.g. two hypervisors migrating a VM): alone,
  # after everything else has finished, so there is still at most one emulator per core.
  if grep -q '^pair=1' "$f"; then pair+=("$f")
  elif grep -q 'emulator bochs' "$f"; then slow+=("$f"); else fast+=("$f"); fi
done
# One emulator per core: the slow boots run one after another in one background job, the
# fast ones in the foreground.
pids=()
( for f in "${slow[@]}"; do run_boot "$f"; done ) & pids+=($!)

# --- host unit tests (ASan/UBSan) and fuzzers, while Bochs boots -------------
if [ ${#only[@]} -gt 0 ]; then :
elif make -s unit fuzz >"$out/unit-build.log" 2>&1; then pass unit-build; else fail unit-build "see $out/unit-build.log"; tail -20 "$out/unit-build.log"; fi
for t in build/unit/test_*; do
  [ ${#only[@]} -gt 0 ] && break
  [ -x "$t" ] || continue
  n=$(basename "$t")
  "$t" --verbose >"$out/$n.log" 2>&1; rc=$?
  grep -E '^\[(PASS|FAIL|----)\]' "$out/$n.log" | grep -E '^\[(PASS|FAIL)\]' | sed 's/^\[PASS\] /PASS unit: /; s/^\[FAIL\] /FAIL unit: /'
  p=$(grep -c '^\[PASS\]' "$out/$n.log"); q=$(grep -c '^\[FAIL\]' "$out/$n.log")
  passed=$((passed + p)); failed=$((failed + q))
  if [ $rc -ne 0 ] && [ "$q" -eq 0 ]; then fail "unit: $n" "exit $rc"; tail -20 "$out/$n.log"; fi
done
for fz in build/fuzz/fuzz_*; do
  [ ${#only[@]} -gt 0 ] && break
  [ -x "$fz" ] || continue
  n=$(basename "$fz"); corpus="$out/corpus-$n"; mkdir -p "$corpus"
  seeds=tests/fuzz/corpus/${n#fuzz_}
  if "$fz" -max_total_time="$FUZZ_SECONDS" -max_len=4096 -print_final_stats=1 "$corpus" \
       $( [ -d "$seeds" ] && echo "$seeds" ) >"$out/$n.log" 2>&1; then
    pass "fuzz: $n ran ${FUZZ_SECONDS}s without a finding"
  else
    fail "fuzz: $n" "see $out/$n.log"; grep -m5 -E 'ERROR|SUMMARY|Test unit written' "$out/$n.log"
  fi
done

for f in "${fast[@]}"; do run_boot "$f"; check_boot "$f"; done
for p in "${pids[@]}"; do wait "$p"; done
for f in "${slow[@]}"; do check_boot "$f"; done
for f in ${pair[@]+"${pair[@]}"}; do run_boot "$f"; check_boot "$f"; done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
