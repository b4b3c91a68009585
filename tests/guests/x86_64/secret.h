/* secret.h: the marker secret.elf spreads over its RAM and probe.elf must never see.
 * One 16-byte slot: "SECRET-OF-VM-B" and two NULs, as two little-endian words (the same
 * bytes as the aarch64 payloads use). */
#ifndef GUEST_SECRET_H
#define GUEST_SECRET_H

#define SECRET_W0   0x4f2d544552434553ull  /* "SECRET-O" */
#define SECRET_W1   0x0000422d4d562d46ull  /* "F-VM-B\0\0" */

#endif
