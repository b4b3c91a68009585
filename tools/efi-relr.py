#!/usr/bin/env python3
"""efi-relr.py IMAGE SO: pack the aarch64 image's relative relocations as RELR (issue 16: size).

binutils 2.40 packs relative relocations (`-z pack-relative-relocs`) on x86-64 but ignores the
option on AArch64, where ~1000 RELA entries of 24 bytes each are a tenth of hv.efi. IMAGE is the
flat `objcopy -O binary` image of SO (addresses = file offsets). Every dynamic relocation must
be R_AARCH64_RELATIVE (or NONE) on an 8-byte aligned word that already holds its addend (checked
here), so adding the load base to the listed words is the whole relocation: their offsets are
written as RELR (an address, then bitmaps of the 63 words that follow; generic ABI "RELR
relocation format") where the RELA table was, .dynamic's DT_RELA/DT_RELASZ/DT_RELAENT become
DT_RELR/DT_RELRSZ/DT_RELRENT, and the file ends after the table; the bytes freed lie inside
the .data section's VirtualSize, zero-filled by the loader. boot/efi_relocate.c reads RELR."""
import re
import struct
import subprocess
import sys

DT_NULL, DT_RELA, DT_RELASZ, DT_RELAENT = 0, 7, 8, 9
DT_RELRSZ, DT_RELR, DT_RELRENT = 35, 36, 37
R_NONE, R_AARCH64_RELATIVE = 0, 1027


def sections(so):
    out = subprocess.run(["aarch64-linux-gnu-readelf", "-SW", so], capture_output=True, text=True,
                         check=True).stdout
    res = {}
    for m in re.finditer(r"\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", out):
        res[m.group(1)] = (int(m.group(2), 16), int(m.group(4), 16))   # address, size
    return res


def relr(offsets):
    out, i = [], 0
    while i < len(offsets):
        where = offsets[i]
        out.append(where)
        where += 8
        i += 1
        while True:
            bitmap = 0
            while i < len(offsets) and offsets[i] - where < 63 * 8:
                bitmap |= 1 << ((offsets[i] - where) // 8 + 1)
                i += 1
            if not bitmap:
                break
            out.append(bitmap | 1)
            where += 63 * 8
    return out


def main(image, so):
    data = bytearray(open(image, "rb").read())
    secs = sections(so)
    dyn_addr, dyn_size = secs[".dynamic"]
    dyn = {}
    for off in range(dyn_addr, dyn_addr + dyn_size, 16):
        tag, val = struct.unpack_from("<qQ", data, off)
        if tag == DT_NULL:
            break
        dyn[tag] = (off, val)
    if DT_RELA not in dyn:
        return                                                      # nothing to relocate
    rela, relasz = dyn[DT_RELA][1], dyn[DT_RELASZ][1]
    if dyn[DT_RELAENT][1] != 24:
        sys.exit(f"efi-relr: {so}: RELAENT {dyn[DT_RELAENT][1]}")
    offsets = set()
    for off in range(rela, rela + relasz, 24):
        where, info, addend = struct.unpack_from("<QQQ", data, off)
        if info & 0xffffffff == R_NONE:
            continue
        if info & 0xffffffff != R_AARCH64_RELATIVE:
            sys.exit(f"efi-relr: {so}: relocation type {info & 0xffffffff} at {where:#x}")
        if where % 8 or where + 8 > rela or struct.unpack_from("<Q", data, where)[0] != addend:
            sys.exit(f"efi-relr: {so}: relocation at {where:#x} is not an aligned word holding its addend")
        offsets.add(where)
    table = relr(sorted(offsets))
    blob = struct.pack(f"<{len(table)}Q", *table)
    if len(blob) > relasz:
        sys.exit("efi-relr: the RELR table is larger than the RELA one")
    data[rela:rela + relasz] = bytes(relasz)
    data[rela:rela + len(blob)] = blob
    struct.pack_into("<qQ", data, dyn[DT_RELA][0], DT_RELR, rela)
    struct.pack_into("<qQ", data, dyn[DT_RELASZ][0], DT_RELRSZ, len(blob))
    struct.pack_into("<qQ", data, dyn[DT_RELAENT][0], DT_RELRENT, 8)
    # The PE header's .data section (gnu-efi crt0's section table) ends its raw data at the new
    # end of the file, rounded to the file alignment; its VirtualSize is unchanged.
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    nsect, opt_size = struct.unpack_from("<H", data, pe + 6)[0], struct.unpack_from("<H", data, pe + 20)[0]
    opt = pe + 24
    file_align = struct.unpack_from("<I", data, opt + 36)[0]
    end = -(-(rela + len(blob)) // file_align) * file_align
    for i in range(nsect):
        s = opt + opt_size + 40 * i
        if data[s:s + 8].rstrip(b"\0") == b".data":
            va, raw_size = struct.unpack_from("<II", data, s + 12)
            if va + raw_size < end:
                sys.exit("efi-relr: .data ends before the relocation table")
            struct.pack_into("<I", data, s + 16, end - va)
    del data[end:]
    open(image, "wb").write(data)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
