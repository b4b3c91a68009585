#!/usr/bin/env bash
# build-initramfs.sh: the Linux guest's initramfs: a gzip'd cpio (newc) archive holding
# busybox-static for the guest's architecture (deps/busybox-arm64 or deps/busybox-amd64,
# fetched by tools/deps.sh) as /bin/busybox, tests/linux/init as /init, and /dev/console.
# aarch64: build/linux/initrd.gz; x86_64: build/linux/initrd-x86_64.gz.
# Written by a few lines of Python, so no root and no cpio tool are needed, and the
# archive is the same bytes every time (mtimes 0, gzip -n).
#   tools/build-initramfs.sh [--if-stale] [--arch aarch64|x86_64] [OUTPUT]
# --if-stale: do nothing when OUTPUT is newer than every input.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
stale_only=0
[ "${1:-}" = --if-stale ] && { stale_only=1; shift; }
arch=aarch64
[ "${1:-}" = --arch ] && { arch=$2; shift 2; }
case $arch in
  aarch64) bbdir=$top/deps/busybox-arm64; out=${1:-$top/build/linux/initrd.gz} ;;
  x86_64)  bbdir=$top/deps/busybox-amd64; out=${1:-$top/build/linux/initrd-x86_64.gz} ;;
  *) echo "build-initramfs: unknown --arch $arch" >&2; exit 2 ;;
esac
busybox=$bbdir/root/bin/busybox
init=$top/tests/linux/init
[ -f "$busybox" ] || { echo "build-initramfs: $busybox missing (run make deps)" >&2; exit 1; }
if [ $stale_only = 1 ] && [ -f "$out" ]; then
  newer=$(find "$busybox" "$bbdir/.stamp" "$init" "$0" -newer "$out" 2>/dev/null | head -1)
  [ -z "$newer" ] && exit 0
fi
mkdir -p "$(dirname "$out")"
python3 - "$busybox" "$init" "$out.tmp" <<'PY'
import gzip, sys
busybox, init, out = sys.argv[1:4]
ino = [300000]
def entry(name, mode, data=b"", rdev=(0, 0)):
    ino[0] += 1
    hdr = "070701" + "".join("%08X" % v for v in (
        ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0))
    b = hdr.encode() + name.encode() + b"\0"
    b += b"\0" * (-len(b) % 4) + data
    return b + b"\0" * (-len(b) % 4)
arc = b""
for d in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "root", "etc", "run"):
    arc += entry(d, 0o040755)
arc += entry("dev/console", 0o020600, rdev=(5, 1))
arc += entry("bin/busybox", 0o100755, open(busybox, "rb").read())
arc += entry("bin/sh", 0o120777, b"busybox")
arc += entry("init", 0o100755, open(init, "rb").read())
arc += entry("TRAILER!!!", 0)
with open(out, "wb") as f:
    f.write(gzip.compress(arc, compresslevel=9, mtime=0))
PY
mv "$out.tmp" "$out"
echo "build-initramfs: $out ($(stat -c %s "$out") bytes)"
