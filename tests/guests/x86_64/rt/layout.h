/* layout.h: constants shared by the runtime's assembly and C (load address, stacks, selectors, devices). */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

#define IMAGE_BASE      0x100000    /* Multiboot ELF loaded at 1 MiB (guest.lds) */
#define MAX_CPUS        8           /* cpu indexes 0..7; ap_start refuses more */
#define STACK_SIZE      0x4000      /* per CPU */
#define TRAMPOLINE_PA   0x8000      /* AP start-up page; SIPI vector 0x08 -> CS:IP = 0800:0000 */

/* GDT selectors (start.S) */
#define SEL_CODE64      0x08
#define SEL_DATA        0x10
#define SEL_CODE32      0x18
#define SEL_UCODE64     0x23        /* 0x20 | RPL 3: 64-bit code, DPL 3 (user.c) */
#define SEL_UDATA       0x2B        /* 0x28 | RPL 3 */
#define SEL_TSS         0x30        /* 16-byte 64-bit TSS descriptor, filled by user.c */
#define VEC_USER_RETURN 0x81        /* int from CPL 3 back to the caller of user_run() */

/* QEMU PC devices */
#define COM1_BASE       0x3F8
#define DEBUG_EXIT_PORT 0xF4        /* isa-debug-exit: status (v << 1) | 1 */
#define LAPIC_BASE      0xFEE00000
#define IOAPIC_BASE     0xFEC00000

#endif
