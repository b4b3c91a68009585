#!/usr/bin/env python3
"""pe-fixup.py IMAGE [BSS_END]: make gnu-efi's aarch64 PE image loadable by AAVMF (FACTS.md).

gnu-efi 3.0.15 writes a SizeOfImage that is not a multiple of SectionAlignment and the
file ends before the last section's raw data; AAVMF rejects both. Round the one up, pad
the other, then check the result (PE/COFF spec: Optional Header Windows-Specific Fields).
BSS_END (hex, the linker's _bss_end): .bss follows the file's last byte (linker/efi-aarch64.lds),
so the .data section's VirtualSize is extended to it: the loader zero-fills a section's
VirtualSize beyond its SizeOfRawData (PE/COFF spec: Section Table)."""
import struct
import sys


def fixup(path, bss_end=None):
    data = bytearray(open(path, "rb").read())
    if data[:2] != b"MZ":
        sys.exit(f"pe-fixup: {path}: no MZ header")
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe:pe + 4] != b"PE\0\0":
        sys.exit(f"pe-fixup: {path}: no PE signature")
    coff = pe + 4
    nsect, = struct.unpack_from("<H", data, coff + 2)
    opt_size, = struct.unpack_from("<H", data, coff + 16)
    opt = coff + 20
    if struct.unpack_from("<H", data, opt)[0] != 0x20B:
        sys.exit(f"pe-fixup: {path}: not PE32+")
    sect_align, file_align = struct.unpack_from("<II", data, opt + 32)
    sects = opt + opt_size
    image_end = file_end = 0
    for i in range(nsect):
        s = sects + 40 * i
        vsize, va, raw_size, raw_ptr = struct.unpack_from("<IIII", data, s + 8)
        if bss_end is not None and data[s:s + 8].rstrip(b"\0") == b".data":
            if bss_end < va + raw_size:
                sys.exit(f"pe-fixup: {path}: .bss end {bss_end:#x} inside .data's raw data")
            vsize = bss_end - va
            struct.pack_into("<I", data, s + 8, vsize)
            struct.pack_into("<I", data, opt + 12, bss_end - (va + raw_size))  # SizeOfUninitializedData
        image_end = max(image_end, va + max(vsize, raw_size))
        file_end = max(file_end, raw_ptr + raw_size)
    size_of_image = -(-image_end // sect_align) * sect_align
    old = struct.unpack_from("<I", data, opt + 56)[0]
    size_of_image = max(size_of_image, -(-old // sect_align) * sect_align)
    struct.pack_into("<I", data, opt + 56, size_of_image)
    if len(data) < file_end:
        data += bytes(file_end - len(data))
    if len(data) % file_align:
        data += bytes(file_align - len(data) % file_align)
    open(path, "wb").write(data)
    # Check what AAVMF checks.
    assert struct.unpack_from("<I", data, opt + 56)[0] % sect_align == 0
    assert len(data) >= file_end


if __name__ == "__main__":
    fixup(sys.argv[1], int(sys.argv[2], 16) if len(sys.argv) > 2 else None)
