#!/usr/bin/env bash
# run-bench.sh: exit costs in guest instructions, under QEMU -icount shift=0 (1 instruction = 1 ns).
# Writes build/bench/results.json (flat keys, e.g. aarch64.hvc_roundtrip_insns) and prints a table.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/bench
mkdir -p "$out"
declare -A R

# parse LOG PREFIX: BENCH lines -> R[PREFIX.NAME_insns] = ticks * (1e9 / cntfrq) / iterations
parse() {
  local log=$1 prefix=$2 line name ticks iters freq
  while read -r line; do
    name=$(sed -E 's/.*BENCH ([a-z0-9_]+) .*/\1/' <<<"$line")
    ticks=$(sed -E 's/.*total_ticks=([0-9]+).*/\1/' <<<"$line")
    iters=$(sed -E 's/.*iterations=([0-9]+).*/\1/' <<<"$line")
    freq=$(sed -E 's/.*cntfrq=([0-9]+).*/\1/' <<<"$line")
    R[$prefix.${name}_insns]=$(python3 -c "print(round($ticks * 1e9 / $freq / $iters, 1))")
  done < <(tr -d '\r' <"$log" | grep -E 'BENCH [a-z0-9_]+ total_ticks=')
}

# Under the hypervisor: the bench payload as a 2-vCPU VM.
tools/hvrun --arch aarch64 --gic 3 --smp 2 --icount --timeout 300 \
  --config tests/configs/bench-aarch64.cfg \
  --file build/guests/aarch64/bench.bin='\guests\bench.bin' >"$out/aarch64.log" 2>&1 || {
    echo "bench: aarch64 run failed, see $out/aarch64.log" >&2; tail -5 "$out/aarch64.log" >&2; exit 1; }
parse "$out/aarch64.log" aarch64

# The same payload on bare QEMU (no hypervisor: QEMU's own PSCI answers the HVC) for reference.
timeout 120 qemu-system-aarch64 -M virt,gic-version=3 -cpu max -smp 2 -m 256M -nographic -net none \
  -icount shift=0 -kernel build/guests/aarch64/bench.bin </dev/null >"$out/aarch64-native.log" 2>&1 || true
parse "$out/aarch64-native.log" aarch64.native

{
  echo "{"
  n=0
  for k in $(printf '%s\n' "${!R[@]}" | sort); do
    n=$((n + 1)); [ $n -gt 1 ] && echo ","
    printf '  "%s": %s' "$k" "${R[$k]}"
  done
  echo
  echo "}"
} >"$out/results.json"
printf '%-45s %12s\n' "benchmark (instructions per operation)" "value"
for k in $(printf '%s\n' "${!R[@]}" | sort); do printf '%-45s %12s\n' "$k" "${R[$k]}"; done
echo "written: $out/results.json"
