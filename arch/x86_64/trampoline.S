/* trampoline.S: AP start-up code, copied to a page below 1 MiB: real mode -> protected mode -> long mode -> smp.c. */

/* A SIPI starts the AP in real mode at CS:IP = (vector << 8):0000 (SDM Vol. 3A, 8.4.4 and
 * 10.6.1). The code is position-independent: %ebx holds the page's linear address, data
 * is reached as offsets from x86_trampoline_start, and smp.c adds the page address to the
 * three pointers marked "+ page" once it has copied the code. */
#define OFF(label) label - x86_trampoline_start

    .text
    .balign 16
    .globl x86_trampoline_start, x86_trampoline_data, x86_trampoline_end
    .code16
x86_trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    movzwl %ax, %ebx
    shll $4, %ebx
    lgdtl OFF(tr_gdtr)
    movl $0x11, %eax                /* CR0.PE|ET; CD = NW = 0 turns the caches on (INIT sets both) */
    movl %eax, %cr0
    ljmpl *OFF(tr_pm32_ptr)

    /* SDM Vol. 3A, 9.8.5: PAE, CR3, EFER.LME, then paging on = IA-32e mode. */
    .code32
tr_pm32:
    movl $0x10, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl OFF(tr_cr4)(%ebx), %eax
    movl %eax, %cr4
    movl OFF(tr_cr3)(%ebx), %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx          /* IA32_EFER */
    movl OFF(tr_efer)(%ebx), %eax
    xorl %edx, %edx
    wrmsr
    movl OFF(tr_cr0)(%ebx), %eax
    movl %eax, %cr0
    ljmpl *OFF(tr_lm64_ptr)(%ebx)

    .code64
tr_lm64:
    movl %ebx, %ebx                 /* upper halves are undefined after the mode switch */
    movl $1, %edi                   /* take a CPU index: one targeted CPU or several */
    lock xaddl %edi, OFF(tr_next_index)(%rbx)   /* woken by a broadcast take one each */
    cmpl OFF(tr_index_limit)(%rbx), %edi
    jae 1f
    leal 1(%rdi), %eax              /* stack top: stack_base + (index + 1) * stack_bytes */
    imulq OFF(tr_stack_bytes)(%rbx), %rax
    addq OFF(tr_stack_base)(%rbx), %rax
    movq %rax, %rsp
    movq OFF(tr_entry)(%rbx), %rax
    xorl %ebp, %ebp
    call *%rax                      /* smp.c's ap_entry(cpu_index); does not return */
1:  cli
    hlt
    jmp 1b

/* Layout shared with struct trampoline_data in smp.c. */
    .balign 16
x86_trampoline_data:
tr_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF        /* 0x08: flat 32-bit code */
    .quad 0x00CF92000000FFFF        /* 0x10: flat data */
    .quad 0x00AF9A000000FFFF        /* 0x18: 64-bit code (L = 1) */
tr_gdtr:
    .word 4 * 8 - 1
    .long OFF(tr_gdt)               /* + page */
tr_pm32_ptr:
    .long OFF(tr_pm32)              /* + page */
    .word 0x08
tr_lm64_ptr:
    .long OFF(tr_lm64)              /* + page */
    .word 0x18
tr_cr0:
    .long 0
tr_cr3:
    .long 0
tr_cr4:
    .long 0
tr_efer:
    .long 0
tr_stack_base:
    .quad 0
tr_stack_bytes:
    .quad 0
tr_entry:
    .quad 0
tr_next_index:
    .long 0
tr_index_limit:
    .long 0
x86_trampoline_end:

    .section .note.GNU-stack, "", @progbits
