/* internal.h: start-up steps the runtime's files call on each other; not for payloads. */
#ifndef GUEST_INTERNAL_H
#define GUEST_INTERNAL_H

#include <stdint.h>

void mb_init(uint32_t eax, uint32_t info_pa);   /* multiboot.c */
void uart_init(void);                           /* uart.c */
void idt_init(void);                            /* exceptions.c */
void idt_load(void);
void idt_set_user_gate(unsigned v, void (*handler)(void));
void pic_disable(void);                         /* apic.c */
void tsc_calibrate(void);                       /* tsc.c */
void lapic_timer_calibrate(void);
void hv_init(void);                             /* hv.c */

#endif
