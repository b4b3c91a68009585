#!/usr/bin/env python3
"""migrate_stream_tool.py: a hostile migration source for tests/boot/a64_migrate.sh. Connects to a
hypervisor's management port, authenticates with the key (HVCTL_KEY), asks `migrate-receive VM`
and then writes either garbage (--garbage) or a well-formed stream header for VM followed by a
page section whose checksum is wrong (--bad-crc); prints every line the hypervisor answers."""
import argparse, hashlib, hmac, os, socket, struct, sys, zlib

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--vm", required=True)
p.add_argument("--cpus", type=int, default=1)
p.add_argument("--memory", type=int, default=16 << 20)
g = p.add_mutually_exclusive_group(required=True)
g.add_argument("--garbage", action="store_true")
g.add_argument("--bad-crc", action="store_true")
g.add_argument("--nothing", action="store_true", help="only ask migrate-receive")
a = p.parse_args()

s = socket.create_connection(("127.0.0.1", a.port), timeout=30)
f = s.makefile("rb")
def line():
    l = f.readline()
    if not l:
        return None
    l = l.decode("ascii", "replace").rstrip("\r\n")
    print(l)
    sys.stdout.flush()
    return l
greet = line()
chal = greet.split()[-1]
key = bytes.fromhex(os.environ["HVCTL_KEY"])
s.sendall(b"auth " + hmac.new(key, b"hv-mgmt-auth-v1 " + chal.encode(), hashlib.sha256).hexdigest().encode() + b"\n")
if line() != "ok":
    sys.exit(3)
s.sendall(b"migrate-receive " + a.vm.encode() + b"\n")
if line() != "ok" or a.nothing:
    sys.exit(0)
if a.garbage:
    s.sendall(bytes((i * 7 + 3) & 0xff for i in range(300)))
else:
    hdr = b"HVMIGRAT" + struct.pack("<II", 1, 1) + a.vm.encode().ljust(32, b"\0") + struct.pack("<IIQ", a.cpus, 0, a.memory)
    hdr += struct.pack("<I", zlib.crc32(hdr))
    body = struct.pack("<QII", 0x40000, 1, 0) + bytes(4096)
    sec = struct.pack("<II", 1, len(body)) + body
    s.sendall(hdr + sec + struct.pack("<I", zlib.crc32(sec) ^ 1))
while line() is not None:
    pass
