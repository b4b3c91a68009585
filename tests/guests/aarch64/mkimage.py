#!/usr/bin/env python3
"""mkimage.py IN.bin OUT.img: wraps a raw payload (linked at 0x40080000) in the arm64 Linux
Image header (Linux Documentation/arch/arm64/booting.rst), so a loader following the boot
protocol places it where the raw binary goes: the 64-byte header sits at RAM + text_offset,
text_offset = 0x80000 - 64, and code0 branches over it. image_size claims 2 MiB more than
the file, so a correct loader puts the DTB above that."""
import struct, sys

HEADER = 64
data = open(sys.argv[1], "rb").read()
text_offset = 0x80000 - HEADER
image_size = HEADER + len(data) + (2 << 20)
code0 = 0x14000000 | (HEADER // 4)          # b .+64
flags = 0b1010                              # little-endian, 4 KiB pages, placement relative to RAM start
hdr = struct.pack("<IIQQQQQQII", code0, 0, text_offset, image_size, flags, 0, 0, 0, 0x644D5241, 0)
assert len(hdr) == HEADER
open(sys.argv[2], "wb").write(hdr + data)
