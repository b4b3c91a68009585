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

# mbedtls (source package): only its SHA-256 and HMAC files (md.c, sha256.c, platform_util.c and
# their headers) are built, for the management interface's challenge/response (kernel/mbedtls.mk,
# docs/management.md). deps/src/mbedtls/tree is Debian's unpacked source; never edited.
fetch_mbedtls() {
  fetch_src mbedtls || { echo "deps: cannot fetch the mbedtls source package" >&2; exit 1; }
}
fetch_mbedtls

# newlib: the tarball from newlib-source, unpacked once (built by the Makefile per arch).
if [ ! -f "$D/src/newlib/.stamp" ]; then
  rm -rf "$D/src/newlib" && mkdir -p "$D/src/newlib"
  tar -C "$D/src/newlib" -xf /usr/src/newlib/newlib-*.tar.xz
  touch "$D/src/newlib/.stamp"
fi

# Linux guests (tests/linux, tools/build-initramfs.sh): Debian's kernel and busybox-static for
# each guest architecture, unpacked into deps/linux-DEBARCH and deps/busybox-DEBARCH. The kernel
# package is the one the linux-image-DEBARCH metapackage depends on; its /boot/vmlinuz-* is an
# uncompressed arm64 Image (deps/linux-arm64/Image links to it) or an amd64 bzImage
# (deps/linux-amd64/bzImage).
fetch_deb() {   # fetch_deb DIR PACKAGE: apt-get download + dpkg -x into DIR/root
  local dir=$1 pkg=$2
  rm -rf "$dir" && mkdir -p "$dir" && chmod 777 "$dir"
  # An old package list can name a version the mirror no longer has: refresh it once.
  (cd "$dir" && { apt-get download -qq "$pkg" 2>/dev/null ||
                  { $SUDO apt-get update -qq && apt-get download -qq "$pkg"; }; } &&
   dpkg -x ./*.deb root && rm -f ./*.deb)
}
fetch_linux() {   # fetch_linux DEBARCH LINK: the kernel and busybox for DEBARCH
  local a=$1 link=$2 kpkg img
  if [ ! -f "$D/linux-$a/.stamp" ]; then
    if [ "$a" != "$(dpkg --print-architecture)" ] && ! dpkg --print-foreign-architectures | grep -qx "$a"; then
      $SUDO dpkg --add-architecture "$a"
      $SUDO apt-get update -qq
    fi
    kpkg=$(apt-cache depends "linux-image-$a:$a" 2>/dev/null |
           sed -nE "s/^ *Depends: (linux-image-[0-9][^ :]*-$a)(:$a)?\$/\\1/p" | head -1)
    [ -n "$kpkg" ] || { echo "deps: cannot find the kernel package linux-image-$a depends on" >&2; exit 1; }
    echo "deps: fetching $kpkg:$a"
    fetch_deb "$D/linux-$a" "$kpkg:$a"
    rm -rf "$D/linux-$a/root/lib" "$D/linux-$a/root/usr"   # modules: not used (300 MB)
    img=$(ls "$D/linux-$a"/root/boot/vmlinuz-* | head -1)
    ln -sf "root/boot/$(basename "$img")" "$D/linux-$a/$link"
    echo "$kpkg" >"$D/linux-$a/package"
    touch "$D/linux-$a/.stamp"
  fi
  if [ ! -f "$D/busybox-$a/.stamp" ]; then
    echo "deps: fetching busybox-static:$a"
    fetch_deb "$D/busybox-$a" "busybox-static:$a"
    touch "$D/busybox-$a/.stamp"
  fi
}
fetch_linux arm64 Image
fetch_linux amd64 bzImage
# QEMU 10 (the second emulator lane, `tools/hvrun --qemu 10`): Debian 13's QEMU, whose SMMUv3 has
# stage 2. On Debian 12 it comes from bookworm-backports through a private apt configuration (its
# own sources list, package lists and cache under deps/qemu10/apt: the system's apt sources and its
# installed QEMU are untouched) and is unpacked with dpkg -x; the extracted binary finds its data
# only with -L deps/qemu10/share (FACTS.md "QEMU 10"). On Debian 13 the system QEMU is that QEMU.
# Pinned: a different version in the archive is an error, not a silent upgrade.
QEMU10_VERSION="1:10.0.2+ds-2+deb13u1~bpo12+1"
QEMU10_PKGS="qemu-system-arm qemu-system-x86 qemu-system-common qemu-system-data"
fetch_qemu10() {
  local q="$D/qemu10" codename p
  [ -f "$q/.stamp" ] && [ "$(cat "$q/.stamp")" = "$QEMU10_VERSION" ] && return 0
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  rm -rf "$q" && mkdir -p "$q/bin" && chmod 777 "$q"
  if [ "$codename" = bookworm ]; then
    echo "deps: fetching QEMU $QEMU10_VERSION from bookworm-backports into deps/qemu10"
    mkdir -p "$q/apt/lists/partial" "$q/apt/cache/archives/partial" "$q/debs"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main" \
      >"$q/apt/sources.list"
    local apt_opts=(-o "Dir::Etc::SourceList=$q/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
                    -o "Dir::State::Lists=$q/apt/lists" -o "Dir::Cache=$q/apt/cache"
                    -o "APT::Architectures::=$(dpkg --print-architecture)" -o Debug::NoLocking=1
                    -o APT::Sandbox::User=root)
    apt-get -qq "${apt_opts[@]}" update
    (cd "$q/debs" && apt-get -qq "${apt_opts[@]}" download \
       $(for p in $QEMU10_PKGS; do printf '%s=%s ' "$p" "$QEMU10_VERSION"; done)) ||
      { echo "deps: QEMU $QEMU10_VERSION not in bookworm-backports (pinned in tools/deps.sh)" >&2; exit 1; }
    for p in "$q"/debs/*.deb; do dpkg -x "$p" "$q/root"; done
    rm -rf "$q/debs" "$q/apt/cache"
    ln -s ../root/usr/bin/qemu-system-aarch64 "$q/bin/qemu-system-aarch64"
    ln -s ../root/usr/bin/qemu-system-x86_64 "$q/bin/qemu-system-x86_64"
    ln -s root/usr/share/qemu "$q/share"
    ln -s "root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/qemu" "$q/modules"
  else
    # Debian 13 (or later): the system QEMU, checked to be the 10.0 line.
    for p in qemu-system-aarch64 qemu-system-x86_64; do
      "/usr/bin/$p" --version | grep -q 'version 10\.0\.' ||
        { echo "deps: /usr/bin/$p is not QEMU 10.0 (needed for the QEMU 10 lane)" >&2; exit 1; }
      ln -s "/usr/bin/$p" "$q/bin/$p"
    done
    ln -s /usr/share/qemu "$q/share"
    ln -s "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/qemu" "$q/modules"
  fi
  "$q/bin/qemu-system-aarch64" -L "$q/share" --version | head -1 >"$q/version"
  echo "$QEMU10_VERSION" >"$q/.stamp"
}
fetch_qemu10

# The initramfs (build/linux/initrd.gz, initrd-x86_64.gz) is rebuilt when tests/linux/ or the script changes.
"$top/tools/build-initramfs.sh" --if-stale
"$top/tools/build-initramfs.sh" --if-stale --arch x86_64
echo "deps: ok"
