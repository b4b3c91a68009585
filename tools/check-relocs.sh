#!/usr/bin/env bash
# check-relocs.sh ARCH hv.so: gnu-efi's self-relocation applies only RELATIVE relocations;
# any other dynamic relocation would be left unapplied, so refuse to build such an image.
set -euo pipefail
arch=$1 so=$2
case $arch in aarch64) re=aarch64-linux-gnu-readelf; ok=R_AARCH64_RELATIVE ;; *) re=readelf; ok=R_X86_64_RELATIVE ;; esac
bad=$($re -rW "$so" | awk -v ok="$ok" '/^[0-9a-f]+ +[0-9a-f]+ +R_/ && $3 != ok && $3 != "R_AARCH64_NONE" && $3 != "R_X86_64_NONE" {print $3, $5}' | sort | uniq -c)
if [ -n "$bad" ]; then
  echo "check-relocs: $so has relocations the UEFI self-relocator cannot apply:" >&2
  echo "$bad" >&2
  exit 1
fi
