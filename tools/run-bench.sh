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

# parse_exits LOG PREFIX: BENCH_EXITS lines (exit counts over a BENCH loop, from HV_HC_VM_STAT)
# -> R[PREFIX.NAME_exits] = (mmio_sysreg + irq) / iterations: MMIO, system-register and
# physical-interrupt exits per operation (the HVCs reading the statistics are not counted)
parse_exits() {
  local log=$1 prefix=$2 line name exits iters
  while read -r line; do
    name=$(sed -E 's/.*BENCH_EXITS ([a-z0-9_]+) .*/\1/' <<<"$line")
    exits=$(sed -E 's/.*mmio_sysreg=([0-9]+).* irq=([0-9]+).*/\1 + \2/' <<<"$line")
    iters=$(sed -E 's/.*iterations=([0-9]+).*/\1/' <<<"$line")
    R[$prefix.${name}_exits]=$(python3 -c "print(round($exits / $iters, 2))")
  done < <(tr -d '\r' <"$log" | grep -E 'BENCH_EXITS [a-z0-9_]+ mmio_sysreg=[0-9]+ .*irq=[0-9]+ iterations=[0-9]+')
}

# Under the hypervisor: the bench payload as a 2-vCPU VM.
tools/hvrun --arch aarch64 --gic 3 --smp 2 --icount --timeout 300 \
  --config tests/configs/bench-aarch64.cfg \
  --file build/guests/aarch64/bench.bin='\guests\bench.bin' >"$out/aarch64.log" 2>&1 || {
    echo "bench: aarch64 run failed, see $out/aarch64.log" >&2; tail -5 "$out/aarch64.log" >&2; exit 1; }
parse "$out/aarch64.log" aarch64

# LPI delivery: the ITS payload (tests/guests/aarch64/its.c) as a 2-vCPU VM, emulated ITS on a
# GICv3 host and on a GICv4 host (direct injection where the hypervisor uses it), with QEMU's
# edu PCI device assigned to it (tests/configs/a64_its.cfg: pci = 00:04.0). Its BENCH lines
# become aarch64.gic3.lpi_int_insns (ITS INT command to the LPI taken),
# aarch64.gic3.lpi_translater_insns (GITS_TRANSLATER write to the LPI taken) and
# aarch64.gic3.lpi_msi_insns (write to edu's interrupt-raise register to its MSI's LPI
# acknowledged, ICC_IAR1_EL1), same for gic4; its BENCH_EXITS line gives
# aarch64.gic3.lpi_msi_exits / aarch64.gic4.lpi_msi_exits (MMIO, system-register and IRQ exits per MSI
# over that loop: 0 with GICv4 direct injection). With the same payload on bare QEMU
# (aarch64.native.lpi_msi_insns, below): aarch64.gic{3,4}.lpi_msi_hyp_insns = under the
# hypervisor - native, the hypervisor's own cost per MSI.
# An assigned function gets bus mastering (so its MSIs) only behind an SMMU with stage 2: these
# runs use QEMU 10 with -machine iommu=smmuv3 (QEMU 7.2's SMMU has stage 1 only).
# A failed run leaves its rows out (and says so) rather than stopping the other rows.
for gic in 3 4; do
  if tools/hvrun --arch aarch64 --qemu 10 --gic $gic --smp 2 --icount --timeout 300 \
       --config tests/configs/a64_its.cfg \
       --file build/guests/aarch64/its.bin='\guests\its.bin' -- -machine iommu=smmuv3 -device edu,addr=4 \
       >"$out/aarch64-its-gic$gic.log" 2>&1; then
    parse "$out/aarch64-its-gic$gic.log" aarch64.gic$gic
    parse_exits "$out/aarch64-its-gic$gic.log" aarch64.gic$gic
    for pair in its_int_to_lpi:lpi_int its_translater_to_lpi:lpi_translater; do
      from=aarch64.gic$gic.${pair%%:*}_insns to=aarch64.gic$gic.${pair##*:}_insns
      [ -n "${R[$from]:-}" ] && R[$to]=${R[$from]} && unset "R[$from]"
    done
  else
    echo "bench: aarch64 ITS run on --gic $gic failed, see $out/aarch64-its-gic$gic.log" >&2
  fi
done

# The ITS payload on bare QEMU with edu (no firmware: it gives edu's BAR0 an address itself):
# only its lpi_msi row is kept, as aarch64.native.lpi_msi_insns (the MSI cost without a
# hypervisor), then the lpi_msi_hyp_insns differences. Failure tolerated: the rows are left out.
timeout 120 qemu-system-aarch64 -M virt,gic-version=3 -cpu max -smp 2 -m 256M -nographic -net none \
  -icount shift=0 -kernel build/guests/aarch64/its.bin -device edu,addr=4 \
  </dev/null >"$out/aarch64-its-native.log" 2>&1 || true
parse "$out/aarch64-its-native.log" its-native
[ -n "${R[its-native.lpi_msi_insns]:-}" ] && R[aarch64.native.lpi_msi_insns]=${R[its-native.lpi_msi_insns]}
for k in "${!R[@]}"; do [[ $k == its-native.* ]] && unset "R[$k]"; done
for gic in 3 4; do
  hv=${R[aarch64.gic$gic.lpi_msi_insns]:-} native=${R[aarch64.native.lpi_msi_insns]:-}
  [ -n "$hv" ] && [ -n "$native" ] &&
    R[aarch64.gic$gic.lpi_msi_hyp_insns]=$(python3 -c "print(round($hv - $native, 1))")
done

# The same payload on bare QEMU (no hypervisor: QEMU's own PSCI answers the HVC) for reference.
timeout 120 qemu-system-aarch64 -M virt,gic-version=3 -cpu max -smp 2 -m 256M -nographic -net none \
  -icount shift=0 -kernel build/guests/aarch64/bench.bin </dev/null >"$out/aarch64-native.log" 2>&1 || true
parse "$out/aarch64-native.log" aarch64.native

# x86_64 under SVM (QEMU TCG): the bench payload (tests/guests/x86_64/bench.c) as a 1-vCPU VM. Its
# BENCH lines count TSC ticks with the TSC rate it calibrated (cntfrq=), so the same formula gives
# instructions. Its names are renamed to the exit they measure.
tools/hvrun --arch x86_64 --smp 1 --icount --timeout 300 \
  --config tests/configs/bench-x86_64.cfg \
  --file build/guests/x86_64/bench.elf='\guests\bench.elf' >"$out/x86_64.log" 2>&1 || {
    echo "bench: x86_64 run failed, see $out/x86_64.log" >&2; tail -5 "$out/x86_64.log" >&2; exit 1; }
parse "$out/x86_64.log" x86_64
timeout 120 qemu-system-x86_64 -M q35 -cpu max -smp 1 -m 256M -nographic -net none -no-reboot \
  -icount shift=0 -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -kernel build/guests/x86_64/bench.elf </dev/null >"$out/x86_64-native.log" 2>&1 || true
parse "$out/x86_64-native.log" x86_64.native
for p in x86_64 x86_64.native; do
  for pair in pio_read_com1_lsr:pio_exit mmio_read_lapic_version:mmio_exit; do
    from=$p.${pair%%:*}_insns to=$p.${pair##*:}_insns
    [ -n "${R[$from]:-}" ] && R[$to]=${R[$from]} && unset "R[$from]"
  done
done

# Linux boot time: Debian's kernel with the busybox initramfs (make deps) to /init's first line,
# booted directly by QEMU and as a VM under the hypervisor, one after the other in this
# run: same machine type (aarch64: virt with GICv3; x86_64: q35), CPU model (max) and TCG for
# both, wall clock; x86_64 with -icount shift=0 on both sides (issue 12's measure), aarch64
# without (MTTCG, as the row has always been measured). x86_64 boots one vCPU: bare QEMU 7.2 with
# -icount never brings up a second x86 CPU (it stops at "x86: Booting SMP configuration"). Native: from QEMU's start. Under the hypervisor: from the
# hypervisor's "vm linux: started" (so firmware and hypervisor start-up are not counted;
# linux_boot_hv_total_s includes them). If Linux does not reach the marker, the row says why
# and has no number.
declare -A LINUX_NOTE=()
at() { awk -F'\t' -v m="$2" 'index($2, m) { print $1; exit }' "$1" 2>/dev/null || true; }
linux_bench() {   # linux_bench ARCH
  local arch=$1 marker='HV-LINUX: init started' img initrd qemu hv_args icount=()
  if [ "$arch" = aarch64 ]; then
    img=deps/linux-arm64/Image initrd=build/linux/initrd.gz
    qemu=(qemu-system-aarch64 -M virt,gic-version=3 -smp 2 -append "console=ttyAMA0 hvtest=1 hvcpus=2")
    hv_args=(--smp 2 --gic 3 --config tests/configs/linux-bench.cfg --file "$img"='\guests\Image')
  else
    img=deps/linux-amd64/bzImage initrd=build/linux/initrd-x86_64.gz
    qemu=(qemu-system-x86_64 -M q35 -smp 1 -append "console=ttyS0 hvtest=1 hvcpus=1")
    hv_args=(--smp 1 --icount --config tests/configs/linux-bench-x86_64.cfg --file "$img"='\guests\bzImage')
    icount=(-icount shift=0)
  fi
  if [ ! -f "$img" ] || ! tools/build-initramfs.sh --if-stale --arch "$arch" >/dev/null; then
    LINUX_NOTE[$arch]="no kernel or initramfs (run make deps)"; return 0
  fi
  tests/linux/drive --stamp "$out/linux-$arch-native.stamp" --timeout 240 --until "$marker" -- \
    "${qemu[@]}" -cpu max -m 512M -nographic -net none "${icount[@]}" \
    -kernel "$img" -initrd "$initrd" </dev/null >"$out/linux-$arch-native.log" 2>&1 || true
  local native; native=$(at "$out/linux-$arch-native.stamp" "$marker")
  if [ -z "$native" ]; then LINUX_NOTE[$arch]="bare QEMU did not reach /init, see $out/linux-$arch-native.log"; return 0; fi
  R[$arch.linux_boot_native_s]=$native
  tests/linux/drive --stamp "$out/linux-$arch-hv.stamp" --timeout 600 --idle 90 --until "$marker" -- \
    tools/hvrun --arch "$arch" --timeout 600 "${hv_args[@]}" --file "$initrd"='\guests\initrd.gz' \
    </dev/null >"$out/linux-$arch-hv.log" 2>&1 || true
  local start end; start=$(at "$out/linux-$arch-hv.stamp" "vm linux: started"); end=$(at "$out/linux-$arch-hv.stamp" "$marker")
  if [ -z "$start" ] || [ -z "$end" ]; then
    LINUX_NOTE[$arch]="Linux did not reach /init under the hypervisor; last lines of $out/linux-$arch-hv.log:"
    LINUX_NOTE[$arch]+=$'\n'"$(tr -d '\r' <"$out/linux-$arch-hv.log" | grep -v '^$' | tail -4 | sed 's/^/    /' || true)"
    return 0
  fi
  R[$arch.linux_boot_hv_s]=$(python3 -c "print(round($end - $start, 3))")
  R[$arch.linux_boot_hv_total_s]=$end
  R[$arch.linux_boot_ratio]=$(python3 -c "print(round(($end - $start) / $native, 2))")
  # The guest's own clock at /init ("N s after kernel start"): kernel start to /init in guest time
  # (instructions under -icount), firmware and decompression excluded on both sides.
  local gn gh
  gn=$(sed -nE 's/.*HV-LINUX: init started \([^,]*, ([0-9.]+) s after kernel start\).*/\1/p' "$out/linux-$arch-native.log" | head -1)
  gh=$(sed -nE 's/.*HV-LINUX: init started \([^,]*, ([0-9.]+) s after kernel start\).*/\1/p' "$out/linux-$arch-hv.log" | head -1)
  if [ -n "$gn" ] && [ -n "$gh" ]; then
    R[$arch.linux_boot_guest_native_s]=$gn
    R[$arch.linux_boot_guest_hv_s]=$gh
    R[$arch.linux_boot_guest_ratio]=$(python3 -c "print(round($gh / $gn, 2))")
  fi
}
linux_bench aarch64
linux_bench x86_64

# Live migration (docs/migration.md): VM m (tests/guests/aarch64/migrate.c, rewriting 4 MiB
# without pause) migrates between two hypervisors, A and B, each in its own QEMU under -icount
# (two emulators at once, as tests/boot/a64_migrate.sh). aarch64.migration_downtime_ms: from
# the pause to the destination's "ok", measured by A's hypervisor in its guest-time ns (under
# -icount, 1 instruction = 1 ns); aarch64.migration_rounds: pre-copy rounds before the pause.
migration_bench() {
  local pa=$((30000 + $$ % 10000)) pb key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
  pb=$((pa + 1))
  local files=(--config tests/configs/a64_migrate.cfg --file build/guests/aarch64/migrate.bin='\guests\migrate.bin')
  setsid tools/hvrun --arch aarch64 --gic 3 --smp 2 --icount --timeout 400 --net "tcp:127.0.0.1:$pa-:7700" \
    "${files[@]}" >"$out/migrate-a.log" 2>&1 </dev/null &
  local a_pid=$!
  setsid tools/hvrun --arch aarch64 --gic 3 --smp 2 --icount --timeout 400 --net "tcp:127.0.0.1:$pb-:7700" \
    "${files[@]}" >"$out/migrate-b.log" 2>&1 </dev/null &
  local b_pid=$!
  local ctl=(env HVCTL_KEY=$key tools/hvctl --timeout 200)
  {
    "${ctl[@]}" --port "$pb" 'stop m' && sleep 2 && "${ctl[@]}" --port "$pb" 'incoming m' &&
      "${ctl[@]}" --port "$pa" 'migrate m 10.0.2.2:'"$pb"
  } >"$out/migrate-client.log" 2>&1 || true
  kill -TERM -- "-$a_pid" "-$b_pid" 2>/dev/null || true
  wait "$a_pid" "$b_pid" 2>/dev/null || true
  local done_line
  done_line=$(grep -E '^progress: state=done ' "$out/migrate-client.log" | tail -1 || true)
  if [ -n "$done_line" ]; then
    R[aarch64.migration_downtime_ms]=$(sed -E 's/.*downtime_ms=([0-9]+).*/\1/' <<<"$done_line")
    R[aarch64.migration_rounds]=$(sed -E 's/.*rounds=([0-9]+).*/\1/' <<<"$done_line")
  else
    echo "bench: migration run failed, see $out/migrate-client.log" >&2
  fi
}
migration_bench

# Hypervisor instructions apart from the guest's own: for every row measured on bare QEMU too,
# PREFIX.NAME_guest_insns = the bare-QEMU figure (the guest's loop; QEMU answers PSCI and its
# devices in C, which costs no guest instruction) and PREFIX.NAME_hyp_insns = under the
# hypervisor minus that. The ITS rows keep their own lpi_msi_hyp_insns (above).
for k in "${!R[@]}"; do
  [[ $k =~ ^(aarch64|x86_64)\.native\.([a-z0-9_]+)_insns$ ]] || continue
  arch=${BASH_REMATCH[1]} name=${BASH_REMATCH[2]}
  hv=${R[$arch.${name}_insns]:-}
  [ -n "$hv" ] || continue
  R[$arch.${name}_guest_insns]=${R[$k]}
  R[$arch.${name}_hyp_insns]=$(python3 -c "print(round($hv - ${R[$k]}, 1))")
done
# Image sizes (issue 16: each at most 256 KiB is the goal).
for a in aarch64 x86_64; do
  [ -f "build/$a/hv.efi" ] && R[$a.image_bytes]=$(stat -c %s "build/$a/hv.efi")
done

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
# What a row is, for the table (results.json keeps bare numbers).
label() {
  case $1 in
    *.native.*) echo "bare QEMU, no hypervisor (QEMU answers PSCI and devices in C): reference";;
    *_hyp_insns) echo "the hypervisor's share: under hv minus bare QEMU";;
    *_guest_insns) echo "the guest's own loop (the bare QEMU figure)";;
    *.image_bytes) echo "hv.efi size";;
    *.migration_downtime_ms) echo "live migration: pause to the destination's ok (guest-time ms under -icount)";;
    *.migration_rounds) echo "live migration: pre-copy rounds before the pause";;
    *cpu_on_wakeup_insns) echo "CPU_ON to the new vCPU's SGI back, caller in WFI";;
    *hvc_irq_pending_insns) echo "HVC/VMMCALL round trip with an interrupt pending, masked";;
    *) echo "";;
  esac
}
printf '%-45s %12s  %s\n' "benchmark (instructions per operation; linux_boot: seconds, ratio)" "value" "what"
for k in $(printf '%s\n' "${!R[@]}" | sort); do printf '%-45s %12s  %s\n' "$k" "${R[$k]}" "$(label "$k")"; done
for a in "${!LINUX_NOTE[@]}"; do echo "$a.linux_boot: no measurement: ${LINUX_NOTE[$a]}"; done
echo "written: $out/results.json"
