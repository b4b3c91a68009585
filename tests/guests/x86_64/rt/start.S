/* start.S: Multiboot v1 header and 32-bit entry, switch to long mode with an identity map of the
 * first 4 GiB, 64-bit entry of the boot CPU and of APs, and the APs' real-mode trampoline. */
#include "layout.h"

#define MB_MAGIC        0x1BADB002
#define MB_FLAGS        0x00000003  /* bit 0: page-aligned modules, bit 1: mem_* and mmap wanted */

#define CR0_PE          0x00000001
#define CR0_ET          0x00000010
#define CR0_NW          0x20000000
#define CR0_CD          0x40000000
#define CR0_PG          0x80000000
#define CR4_PAE         0x00000020
#define MSR_EFER        0xC0000080
#define EFER_LME        0x00000100

#define PTE_P_RW        0x007       /* present, writable, user: user.c runs code at CPL 3 too */
#define PDE_PS          0x080       /* 2 MiB page */
#define PTE_PWT_PCD     0x018       /* with PAT at its reset value: UC (SDM Vol. 3A, 11.12.3) */
#define UC_FROM_2M      1536        /* 3 GiB and up is UC: q35 puts its MMIO (LAPIC, IOAPIC, PCI) there */

/* SDM Vol. 3A, 9.8.5: from protected mode with paging off: CR4.PAE, CR3, EFER.LME, then
 * CR0.PG; the next instruction must be a branch. CD/NW are cleared: INIT sets both. */
.macro ENTER_LONG_MODE target
    lgdt    gdtr
    movl    $SEL_DATA, %eax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %ss
    movl    %cr4, %eax
    orl     $CR4_PAE, %eax
    movl    %eax, %cr4
    movl    $pml4, %eax
    movl    %eax, %cr3
    movl    $MSR_EFER, %ecx
    rdmsr
    orl     $EFER_LME, %eax
    wrmsr
    movl    %cr0, %eax
    andl    $~(CR0_CD | CR0_NW), %eax
    orl     $(CR0_PG | CR0_PE), %eax
    movl    %eax, %cr0
    ljmp    $SEL_CODE64, $\target
.endm

    .section .text.boot, "ax"
    .code32
    .balign 4
mb_header:                          /* Multiboot 0.6.96, 3.1.1: magic, flags, checksum */
    .long   MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

/* Multiboot 3.2: 32-bit protected mode, paging off, flat CS/DS, EAX = 0x2BADB002,
 * EBX = info block; GDTR, IDTR and ESP are not to be trusted. */
    .global _start32
_start32:
    cli
    cld
    movl    %eax, %ebp
    movl    %ebx, %esi
    movl    $__bss_start, %edi      /* page tables and stacks are in .bss */
    movl    $__bss_end, %ecx
    subl    %edi, %ecx
    xorl    %eax, %eax
    rep stosb
    movl    %ebp, boot_magic
    movl    %esi, boot_info

    /* PML4[0] -> PDPT, PDPT[0..3] -> four PDs of 512 2 MiB pages each (SDM Vol. 3A, 4.5) */
    movl    $pdpt + PTE_P_RW, pml4
    movl    $pd + PTE_P_RW, %eax
    xorl    %ecx, %ecx
1:  movl    %eax, pdpt(,%ecx,8)
    addl    $4096, %eax
    incl    %ecx
    cmpl    $4, %ecx
    jb      1b
    xorl    %ecx, %ecx
2:  movl    %ecx, %eax
    shll    $21, %eax
    orl     $PTE_P_RW + PDE_PS, %eax
    cmpl    $UC_FROM_2M, %ecx
    jb      3f
    orl     $PTE_PWT_PCD, %eax
3:  movl    %eax, pd(,%ecx,8)       /* upper halves stay zero from the .bss clearing */
    incl    %ecx
    cmpl    $2048, %ecx
    jb      2b
    ENTER_LONG_MODE bsp64

/* APs arrive here from the trampoline, in 32-bit protected mode on our GDT but with the
 * real-mode DS (base TRAMPOLINE_PA) still loaded; the page tables are the boot CPU's. */
ap_entry32:
    movl    $SEL_DATA, %eax
    movw    %ax, %ds
    ENTER_LONG_MODE ap64

    .code64
bsp64:
    movq    $cpu_stacks + STACK_SIZE, %rsp
    call    load_segments
    xorl    %ebp, %ebp
    call    rt_main                 /* does not return */
    jmp     halt

ap64:
    movq    ap_boot_stack, %rsp     /* set by ap_start() for this one AP */
    call    load_segments
    xorl    %ebp, %ebp
    call    rt_ap_main              /* does not return */
halt:
    cli
    hlt
    jmp     halt

load_segments:                      /* FS/GS bases are set later through their MSRs */
    movl    $SEL_DATA, %eax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %ss
    movw    %ax, %fs
    movw    %ax, %gs
    ret

/* Copied to TRAMPOLINE_PA by ap_start(). A SIPI starts the AP in real mode at
 * CS:IP = (vector << 8):0000 (SDM Vol. 3A, 8.4.4.1 and 10.6.1); it goes to 32-bit protected
 * mode and jumps into the image, which is reachable from there. */
    .section .rodata
    .code16
    .balign 16
    .global ap_trampoline, ap_trampoline_end
ap_trampoline:
    cli
    cld
    movw    %cs, %ax
    movw    %ax, %ds
    lgdtl   tr_gdtr - ap_trampoline
    movl    $(CR0_PE | CR0_ET), %eax
    movl    %eax, %cr0
    ljmpl   $SEL_CODE32, $ap_entry32
    .balign 8
tr_gdtr:
    .word   gdt_end - gdt - 1
    .long   gdt
ap_trampoline_end:
    .code64

/* Flat segments; writable because the CPU sets the accessed bits. */
    .data
    .balign 16
gdt:
    .quad   0
    .quad   0x00AF9A000000FFFF      /* 0x08: 64-bit code, DPL 0 */
    .quad   0x00CF92000000FFFF      /* 0x10: 4 GiB data */
    .quad   0x00CF9A000000FFFF      /* 0x18: 32-bit code, for the mode switches */
    .quad   0x00AFFA000000FFFF      /* 0x20: 64-bit code, DPL 3 */
    .quad   0x00CFF2000000FFFF      /* 0x28: 4 GiB data, DPL 3 */
    .global gdt_tss
gdt_tss:
    .quad   0, 0                    /* 0x30: the TSS (user.c) */
gdt_end:
    .balign 8
    .word   0, 0, 0                 /* puts .long gdt below at a 4-byte boundary */
gdtr:
    .word   gdt_end - gdt - 1
    .quad   gdt                     /* 32-bit LGDT reads 6 bytes, 64-bit LGDT 10 */

    .global boot_magic, boot_info
boot_magic: .long 0
boot_info:  .long 0

    .bss
    .balign 4096
    .global pml4, pdpt
pml4:   .skip 4096
pdpt:   .skip 4096
pd:     .skip 4 * 4096
