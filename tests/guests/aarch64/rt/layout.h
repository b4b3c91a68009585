/* layout.h: constants shared by the runtime's assembly and C (per-CPU stacks, devices). */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

#define MAX_CPUS        8          /* CPUs with a higher index park in start.S */
#define STACK_SIZE      0x2000     /* per CPU */
#define RAM_BASE        0x40000000 /* QEMU virt */
#define PL011_BASE      0x09000000

#endif
