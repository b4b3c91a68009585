#!/usr/bin/env bash
# build-newlib.sh ARCH PREFIX: build newlib freestanding for the hypervisor (FACTS.md options).
set -euo pipefail
arch=$1 prefix=$(mkdir -p "$2" && cd "$2" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
src=$(ls -d "$top"/deps/src/newlib/*/ | head -1)
[ -f "$prefix/.stamp" ] && exit 0
work="$prefix.work"
rm -rf "$work" "$prefix" && mkdir -p "$work"
opts="--disable-newlib-supplied-syscalls --disable-multilib --enable-newlib-reent-small
 --enable-newlib-nano-malloc --enable-newlib-nano-formatted-io --disable-nls --prefix=$prefix"
case $arch in
aarch64)
  t=aarch64-linux-gnu
  (cd "$work" && "$src/configure" --target=aarch64-none-elf $opts \
    CC_FOR_TARGET="$t-gcc" AR_FOR_TARGET="$t-ar" RANLIB_FOR_TARGET="$t-ranlib" \
    AS_FOR_TARGET="$t-as" LD_FOR_TARGET="$t-ld" NM_FOR_TARGET="$t-nm" \
    CFLAGS_FOR_TARGET="-O2 -g -ffreestanding -fpic -fno-stack-protector -mstrict-align" >/dev/null)
  tdir=aarch64-none-elf ;;
x86_64)
  (cd "$work" && "$src/configure" --target=x86_64-elf $opts \
    CC_FOR_TARGET=gcc AR_FOR_TARGET=ar RANLIB_FOR_TARGET=ranlib AS_FOR_TARGET=as \
    LD_FOR_TARGET=ld NM_FOR_TARGET=nm \
    CFLAGS_FOR_TARGET="-O2 -g -ffreestanding -fpic -fno-stack-protector -mno-red-zone" >/dev/null)
  tdir=x86_64-elf ;;
*) echo "unknown arch $arch" >&2; exit 1 ;;
esac
make -C "$work" -j"$(nproc)" all-target-newlib >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
make -C "$work" install-target-newlib >>"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
# Present one layout for both arches: PREFIX/include and PREFIX/lib.
mv "$prefix/$tdir"/* "$prefix/" && rmdir "$prefix/$tdir"
rm -rf "$work"
touch "$prefix/.stamp"
