#!/usr/bin/env bash
# deps.sh: install everything the build and tests need, from Debian's archive only.
# Idempotent: a second run checks stamps and returns in seconds.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
D="$top/deps"            # ignored: fetched third-party sources and unpacked packages
mkdir -p "$D"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

PKGS="gcc make gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu gnu-efi
 newlib-source qemu-system-arm qemu-system-x86 qemu-utils qemu-efi-aarch64 ovmf
 bochs bochsbios vgabios bochs-term mtools dosfstools libcriterion-dev clang
 device-tree-compiler xz-utils dpkg-dev python3"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# Bochs needs the rfb display library (nogui is not built in Debian's package).
if [ -n "$missing" ]; then
  echo "deps: installing$missing"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq $missing >/dev/null
fi

# gnu-efi for arm64: the arm64 .deb unpacked into deps/ (FACTS.md).
if [ ! -f "$D/gnu-efi-arm64/.stamp" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq
  fi
  rm -rf "$D/gnu-efi-arm64" && mkdir -p "$D/gnu-efi-arm64"
  chmod 777 "$D/gnu-efi-arm64"
  (cd "$D/gnu-efi-arm64" && apt-get download -qq gnu-efi:arm64 && dpkg -x gnu-efi_*.deb root && rm -f gnu-efi_*.deb)
  touch "$D/gnu-efi-arm64/.stamp"
fi

# Source packages, fetched with a deb-src copy of the apt source into deps/src/NAME/tree.
# libfdt: the device-tree-compiler source package when the archive serves it; its
# orig tarball is missing from this archive mirror (404), so fall back to the copy of
# dtc's libfdt that Debian's arm-trusted-firmware source carries (lib/libfdt).
ensure_deb_src() {
  srcl=/etc/apt/sources.list.d/hv-deb-src.sources
  [ -f "$srcl" ] && return 0
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee "$srcl" >/dev/null
  else
    grep -h '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | $SUDO tee /etc/apt/sources.list.d/hv-deb-src.list >/dev/null
    $SUDO touch "$srcl"
  fi
  $SUDO apt-get update -qq
}
fetch_src() {   # fetch_src NAME: 0 when deps/src/NAME/tree exists afterwards
  local s=$1 dir="$D/src/$1"
  [ -f "$dir/.stamp" ] && return 0
  ensure_deb_src
  rm -rf "$dir" && mkdir -p "$dir" && chmod 777 "$dir"
  if (cd "$dir" && apt-get source -qq --download-only "$s" >/dev/null 2>&1 &&
      dpkg-source -q -x --no-check ./*.dsc tree >/dev/null 2>&1); then
    touch "$dir/.stamp"; return 0
  fi
  rm -rf "$dir"; return 1
}
fetch_src lwip || { echo "deps: cannot fetch the lwip source package" >&2; exit 1; }
if [ ! -f "$D/src/libfdt/.stamp" ]; then
  rm -rf "$D/src/libfdt"; mkdir -p "$D/src/libfdt"
  if fetch_src device-tree-compiler; then
    cp "$D"/src/device-tree-compiler/tree/libfdt/*.[ch] "$D/src/libfdt/"
  elif fetch_src arm-trusted-firmware; then
    cp "$D"/src/arm-trusted-firmware/tree/lib/libfdt/*.[ch] "$D/src/libfdt/"
    cp "$D"/src/arm-trusted-firmware/tree/include/lib/libfdt/*.h "$D/src/libfdt/"
  else
    echo "deps: cannot fetch libfdt (device-tree-compiler or arm-trusted-firmware source)" >&2; exit 1
  fi
  touch "$D/src/libfdt/.stamp"
fi

# newlib: the tarball from newlib-source, unpacked once (built by the Makefile per arch).
if [ ! -f "$D/src/newlib/.stamp" ]; then
  rm -rf "$D/src/newlib" && mkdir -p "$D/src/newlib"
  tar -C "$D/src/newlib" -xf /usr/src/newlib/newlib-*.tar.xz
  touch "$D/src/newlib/.stamp"
fi

# Linux guest (tests/linux, tools/build-initramfs.sh): Debian's arm64 kernel (its
# /boot/vmlinuz-* is an uncompressed arm64 Image) and busybox-static:arm64, unpacked
# into deps/linux-arm64 and deps/busybox-arm64. The kernel package is the one the
# linux-image-arm64 metapackage depends on; deps/linux-arm64/Image links to its vmlinuz.
fetch_deb() {   # fetch_deb DIR PACKAGE: apt-get download + dpkg -x into DIR/root
  local dir=$1 pkg=$2
  rm -rf "$dir" && mkdir -p "$dir" && chmod 777 "$dir"
  # An old package list can name a version the mirror no longer has: refresh it once.
  (cd "$dir" && { apt-get download -qq "$pkg" 2>/dev/null ||
                  { $SUDO apt-get update -qq && apt-get download -qq "$pkg"; }; } &&
   dpkg -x ./*.deb root && rm -f ./*.deb)
}
if [ ! -f "$D/linux-arm64/.stamp" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq
  fi
  kpkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
         sed -nE 's/^ *Depends: (linux-image-[0-9][^ :]*-arm64)(:arm64)?$/\1/p' | head -1)
  [ -n "$kpkg" ] || { echo "deps: cannot find the kernel package linux-image-arm64 depends on" >&2; exit 1; }
  echo "deps: fetching $kpkg:arm64"
  fetch_deb "$D/linux-arm64" "$kpkg:arm64"
  rm -rf "$D/linux-arm64/root/lib" "$D/linux-arm64/root/usr"   # modules: not used (300 MB)
  img=$(ls "$D"/linux-arm64/root/boot/vmlinuz-* | head -1)
  ln -sf "root/boot/$(basename "$img")" "$D/linux-arm64/Image"
  echo "$kpkg" >"$D/linux-arm64/package"
  touch "$D/linux-arm64/.stamp"
fi
if [ ! -f "$D/busybox-arm64/.stamp" ]; then
  echo "deps: fetching busybox-static:arm64"
  fetch_deb "$D/busybox-arm64" busybox-static:arm64
  touch "$D/busybox-arm64/.stamp"
fi
# The x86 Linux guest: Debian's amd64 kernel (its /boot/vmlinuz-* is a bzImage) and
# busybox-static for amd64, unpacked into deps/linux-amd64 and deps/busybox-amd64.
if [ ! -f "$D/linux-amd64/.stamp" ]; then
  kpkg=$(apt-cache depends linux-image-amd64:amd64 2>/dev/null |
         sed -nE 's/^ *Depends: (linux-image-[0-9][^ :]*-amd64)(:amd64)?$/\1/p' | head -1)
  [ -n "$kpkg" ] || { echo "deps: cannot find the kernel package linux-image-amd64 depends on" >&2; exit 1; }
  echo "deps: fetching $kpkg:amd64"
  fetch_deb "$D/linux-amd64" "$kpkg:amd64"
  rm -rf "$D/linux-amd64/root/lib" "$D/linux-amd64/root/usr"   # modules: not used
  img=$(ls "$D"/linux-amd64/root/boot/vmlinuz-* | head -1)
  ln -sf "root/boot/$(basename "$img")" "$D/linux-amd64/bzImage"
  echo "$kpkg" >"$D/linux-amd64/package"
  touch "$D/linux-amd64/.stamp"
fi
if [ ! -f "$D/busybox-amd64/.stamp" ]; then
  echo "deps: fetching busybox-static:amd64"
  fetch_deb "$D/busybox-amd64" busybox-static:amd64
  touch "$D/busybox-amd64/.stamp"
fi
# The initramfs (build/linux/initrd.gz, initrd-x86_64.gz) is rebuilt when tests/linux/ or the script changes.
"$top/tools/build-initramfs.sh" --if-stale
"$top/tools/build-initramfs.sh" --if-stale --arch x86_64
echo "deps: ok"
