/* Host unit tests for the emulated 16550A (kernel/vuart16550.c): IIR priorities and ids (PC16550D
 * Table IV), the THRE interrupt's set and clear rules, MCR.OUT2 gating the line, loopback (MSR from
 * MCR, THR into RBR, overrun), the scratch register, and what reaches the console. */
#include <criterion/criterion.h>
#include <string.h>

#include "vm.h"
#include "vuart16550.h"

enum { RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static struct vuart16550 u;
static int irq_level, irq_rises;
static char console[64];
static unsigned console_len;

void vm_console_putc(struct vm *vm, char c)
{
    (void)vm;
    if (console_len < sizeof console)
        console[console_len++] = c;
}

static void set_irq(struct vm *vm, bool level)
{
    (void)vm;
    if (level && !irq_level)
        irq_rises++;
    irq_level = level;
}

static uint8_t rd(uint64_t off) { return (uint8_t)vuart16550_ops.read(&u, NULL, off, 1); }
static void wr(uint64_t off, uint8_t v) { vuart16550_ops.write(&u, NULL, off, 1, v); }

static void setup(void)
{
    irq_level = irq_rises = 0;
    console_len = 0;
    vuart16550_init(&u, NULL, set_irq);
}

TestSuite(vuart16550, .init = setup);

Test(vuart16550, reset_values_and_no_interrupt)
{
    cr_assert_eq(rd(IER), 0);
    cr_assert_eq(rd(IIR), 0x01, "no interrupt, FIFOs off");
    cr_assert_eq(rd(LSR), 0x60, "THRE and TEMT, no data");
    cr_assert_eq(rd(MSR) & 0xF0, 0xB0, "DCD, DSR, CTS: a terminal is attached");
    cr_assert_eq(irq_level, 0);
}

Test(vuart16550, thre_interrupt_on_etbei_rise_cleared_by_iir_read)
{
    wr(MCR, 0x08);                          /* OUT2 */
    wr(IER, 0x02);
    cr_assert_eq(irq_level, 1, "enabling ETBEI with THR empty raises THRE");
    cr_assert_eq(rd(IIR), 0x02);
    cr_assert_eq(irq_level, 0, "the IIR read that reported THRE cleared it");
    cr_assert_eq(rd(IIR), 0x01);
    wr(IER, 0x02);                          /* no rising edge of ETBEI: nothing new */
    cr_assert_eq(rd(IIR), 0x01);
    wr(IER, 0x00);
    wr(IER, 0x02);                          /* Linux's THRE re-assert test: 0 then ETBEI again */
    cr_assert_eq(rd(IIR), 0x02);
}

Test(vuart16550, thr_write_gives_a_new_edge_and_reaches_the_console)
{
    wr(MCR, 0x08);
    wr(IER, 0x02);
    cr_assert_eq(irq_rises, 1);
    wr(RBR, 'h');
    wr(RBR, 'i');
    cr_assert_eq(irq_rises, 3, "each THR write drops THRE and raises it again when the byte has left");
    cr_assert_eq(irq_level, 1);
    cr_assert_eq(console_len, 2);
    cr_assert(!memcmp(console, "hi", 2));
}

Test(vuart16550, out2_gates_the_line_not_the_iir)
{
    wr(MCR, 0x03);                          /* DTR, RTS, no OUT2 */
    wr(IER, 0x02);
    cr_assert_eq(irq_level, 0, "no OUT2: the line stays low");
    wr(MCR, 0x0B);
    cr_assert_eq(irq_level, 1, "OUT2 set with THRE pending: the line rises");
    wr(MCR, 0x03);
    cr_assert_eq(irq_level, 0);
    cr_assert_eq(rd(IIR), 0x02, "the UART still has the interrupt");
}

Test(vuart16550, priorities_rls_rda_thre_msr)
{
    wr(FCR, 0x01);                          /* FIFOs on, trigger level 1 */
    wr(MCR, 0x18);                          /* loopback, OUT2 */
    rd(MSR);                                /* clear the deltas of entering loopback */
    wr(IER, 0x0F);
    cr_assert_eq(rd(IIR), 0xC2, "THRE alone (FIFO bits set)");
    wr(MCR, 0x19);                          /* DTR -> DSR changes: DDSR */
    cr_assert_eq(rd(IIR), 0xC0, "modem status (THRE was cleared by the read)");
    wr(RBR, 'x');                           /* looped back: received data, THRE again */
    cr_assert_eq(rd(IIR), 0xC4, "received data ranks above THRE and modem status");
    for (int i = 0; i < 16; i++)
        wr(RBR, 'y');                       /* one too many for the FIFO: overrun */
    cr_assert_eq(rd(IIR), 0xC6, "receiver line status ranks first");
    cr_assert_eq(rd(LSR) & 0x03, 0x03, "DR and OE");
    cr_assert_eq(rd(IIR), 0xC4, "OE cleared by reading LSR");
    for (int i = 0; i < 16; i++)
        rd(RBR);
    cr_assert_eq(rd(IIR), 0xC2, "then THRE");
    cr_assert_eq(rd(IIR), 0xC0, "then modem status");
    cr_assert_eq(rd(MSR) & 0x0F, 0x02, "DDSR");
    cr_assert_eq(rd(IIR), 0xC1, "reading MSR cleared the last one");
    cr_assert_eq(irq_level, 0);
}

Test(vuart16550, fifo_below_trigger_reports_character_timeout)
{
    wr(FCR, 0x81);                          /* FIFOs on, trigger level 8 */
    wr(MCR, 0x18);
    wr(IER, 0x01);
    wr(RBR, 'a');
    cr_assert_eq(rd(IIR), 0xCC, "one byte below the trigger level: character timeout");
    for (int i = 0; i < 7; i++)
        wr(RBR, 'b');
    cr_assert_eq(rd(IIR), 0xC4, "eight bytes: received data available");
    wr(FCR, 0x83);                          /* clear the receive FIFO */
    cr_assert_eq(rd(LSR) & 0x01, 0);
    cr_assert_eq(rd(IIR), 0xC1);
}

Test(vuart16550, loopback_msr_and_data)
{
    wr(MCR, 0x10 | 0x0A);                   /* Linux's 8250 autoconfig: LOOP | OUT2 | RTS */
    cr_assert_eq(rd(MSR) & 0xF0, 0x90, "RTS -> CTS, OUT2 -> DCD");
    wr(MCR, 0x10 | 0x05);                   /* DTR, OUT1 */
    cr_assert_eq(rd(MSR) & 0xF0, 0x60, "DTR -> DSR, OUT1 -> RI");
    wr(MCR, 0x18);
    wr(IER, 0x01);
    wr(RBR, 0x5A);
    cr_assert_eq(irq_level, 1, "the byte came back and raised received data");
    cr_assert_eq(rd(LSR) & 0x01, 0x01);
    cr_assert_eq(rd(RBR), 0x5A);
    cr_assert_eq(irq_level, 0);
    cr_assert_eq(console_len, 0, "nothing left the UART in loopback");
    cr_assert(!vuart16550_rx_push(&u, 'k'), "the receiver is disconnected from the console in loopback");
}

Test(vuart16550, console_input_raises_receive_interrupt)
{
    wr(MCR, 0x08);
    wr(IER, 0x01);
    cr_assert(vuart16550_rx_push(&u, 'k'));
    cr_assert_eq(irq_level, 1);
    cr_assert_eq(rd(IIR), 0x04);
    cr_assert_eq(rd(RBR), 'k');
    cr_assert_eq(irq_level, 0);
    for (unsigned i = 0; i < VUART16550_RX_FIFO; i++)
        cr_assert(vuart16550_rx_push(&u, 'a'));
    cr_assert(!vuart16550_rx_push(&u, 'b'), "a full FIFO refuses: the console offers it again later");
}

Test(vuart16550, scratch_and_divisor_latch)
{
    wr(SCR, 0xA5);
    cr_assert_eq(rd(SCR), 0xA5);
    wr(LCR, 0x83);
    wr(RBR, 0x0C);
    wr(IER, 0x00);
    cr_assert_eq(rd(RBR), 0x0C, "DLL");
    cr_assert_eq(rd(IER), 0x00, "DLM");
    wr(LCR, 0x03);
    cr_assert_eq(console_len, 0, "divisor writes are not data");
    cr_assert_eq(rd(IER), 0x00);
}

Test(vuart16550, reset_clears_the_registers)
{
    wr(MCR, 0x08);
    wr(IER, 0x02);
    vuart16550_reset(&u);
    cr_assert_eq(rd(IER), 0);
    cr_assert_eq(rd(MCR), 0);
    cr_assert_eq(rd(IIR), 0x01);
}
