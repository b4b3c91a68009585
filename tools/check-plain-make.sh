#!/usr/bin/env bash
# check-plain-make.sh: the README's plain `make`, run in a scratch copy of the tree (tracked and
# untracked files, no build output), must build both hv.efi images and the guest payloads.
# Dependencies (deps/) and the freestanding newlib (build/newlib) are shared with the real
# tree, not rebuilt. Used by tools/run-tests.sh; exit 0 when everything was built.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/hv-plain-make.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cd "$top"
git ls-files -z -co --exclude-standard | xargs -0 cp --parents -t "$scratch" 2>/dev/null
ln -s "$top/deps" "$scratch/deps"
mkdir -p "$scratch/build" && ln -s "$top/build/newlib" "$scratch/build/newlib"
# Plain make: no goal, no variables, nothing inherited from an outer make.
(cd "$scratch" && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -j"$(nproc)") >"${1:-/dev/null}" 2>&1
missing=()
for f in build/aarch64/hv.efi build/x86_64/hv.efi build/guests/aarch64/hello.bin build/guests/x86_64/hello.elf; do
  [ -s "$scratch/$f" ] || missing+=("$f")
done
if [ ${#missing[@]} -gt 0 ]; then echo "plain make did not build: ${missing[*]}"; exit 1; fi
