/* edu.c: QEMU's edu PCI device assigned to this VM (pci = 00:04.0): its factorial register, then
 * DMA between its buffer and this VM's RAM at guest addresses (both directions, the bytes
 * compared), then, given addresses on the console ("targets A B": another VM's RAM base and the
 * start of the hypervisor's text, as the hypervisor printed them), 4 KiB DMA writes and reads
 * aimed inside them.
 * Under an SMMU with stage 2 the own-RAM DMA works and the aimed ones fault (the hypervisor
 * reports them; the victims check their memory); without one the hypervisor withholds bus
 * mastering and no DMA happens at all: the payload says which it saw (edu_dma_roundtrip or
 * edu_dma_withheld) and the boot test pins the one its machine must show.
 * QEMU docs/specs/edu.rst: registers; DMA runs 100 ms after the command, one at a time;
 * -device edu,dma_mask=... lifts its default 28-bit DMA mask (guest RAM is at 1 GiB). */
#include "test.h"
#include "secret.h"

#define ECAM_BASE       0x4010000000ul          /* the VM's ECAM (QEMU virt's high ECAM), bus 0 */
#define EDU_DEVFN       0x20                    /* 00:04.0 */
#define EDU_ID          0x11e81234u
#define PCI_COMMAND     0x04
#define PCI_CMD_MEMORY  (1u << 1)
#define PCI_CMD_MASTER  (1u << 2)
#define PCI_BAR0        0x10

#define EDU_IDENT       0x00
#define EDU_IDENT_VALUE 0x010000edu
#define EDU_LIVENESS    0x04                    /* reads back the inverse of what was written */
#define EDU_FACTORIAL   0x08
#define EDU_STATUS      0x20
#define EDU_STATUS_BUSY (1u << 0)
#define EDU_DMA_SRC     0x80
#define EDU_DMA_DST     0x88
#define EDU_DMA_COUNT   0x90
#define EDU_DMA_CMD     0x98
#define EDU_DMA_RUN     (1u << 0)
#define EDU_DMA_TO_RAM  (1u << 1)               /* direction: edu's buffer -> RAM */
#define EDU_BUF         0x40000u                /* edu's 4 KiB buffer in its own DMA space */
#define EDU_BUF_BYTES   4096u

#define DMA_BYTES       256u
#define VICTIM_OFFSET   0x1000000ul             /* 16 MiB into the other VM's RAM: its free memory */
#define IMAGE_OFFSET    0x10000ul               /* 64 KiB into the hypervisor's text */
#define DMA_TIMEOUT_US  2000000u

static uint8_t src_buf[EDU_BUF_BYTES] __attribute__((aligned(4096)));
static uint8_t dst_buf[EDU_BUF_BYTES] __attribute__((aligned(4096)));
static uintptr_t bar;

static uint32_t cfg_read(unsigned reg) { return mmio_read32(ECAM_BASE + ((uintptr_t)EDU_DEVFN << 12) + reg); }
static void cfg_write(unsigned reg, uint32_t v)
{
    mmio_write32(ECAM_BASE + ((uintptr_t)EDU_DEVFN << 12) + reg, v);
    dsb(sy);
}
static void reg_write64(unsigned reg, uint64_t v) { *(volatile uint64_t *)(bar + reg) = v; dsb(sy); }

/* One DMA of `count` bytes; true when edu cleared RUN (it does so whether or not the bus
 * carried the data). */
static bool edu_dma(uint64_t src, uint64_t dst, uint32_t count, bool to_ram)
{
    reg_write64(EDU_DMA_SRC, src);
    reg_write64(EDU_DMA_DST, dst);
    reg_write64(EDU_DMA_COUNT, count);
    reg_write64(EDU_DMA_CMD, EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0));
    uint64_t limit = counter() + DMA_TIMEOUT_US * counter_freq() / 1000000;
    while (mmio_read32(bar + EDU_DMA_CMD) & EDU_DMA_RUN)
        if (counter() > limit)
            return false;
    dsb(sy);
    return true;
}

static bool edu_probe(void)
{
    uint32_t id = cfg_read(0);
    if (!check(id == EDU_ID, "edu_found", "00:04.0 ID 0x%x, want 0x%x", id, EDU_ID))
        return false;
    bar = cfg_read(PCI_BAR0) & ~0xfu;
    cfg_write(PCI_COMMAND, PCI_CMD_MEMORY | PCI_CMD_MASTER);
    uint32_t ident = mmio_read32(bar + EDU_IDENT);
    mmio_write32(bar + EDU_LIVENESS, 0x12345678u);
    uint32_t live = mmio_read32(bar + EDU_LIVENESS);
    return check(bar && ident == EDU_IDENT_VALUE && live == ~0x12345678u, "edu_registers",
                 "BAR0 0x%lx: ident 0x%x (want 0x%x), liveness 0x%x (want 0x%x)", (uint64_t)bar, ident,
                 EDU_IDENT_VALUE, live, ~0x12345678u);
}

static void edu_factorial(void)
{
    static const uint32_t n[] = { 5, 10, 12 }, want[] = { 120, 3628800, 479001600 };
    bool ok = true;
    uint32_t got = 0, i;
    for (i = 0; i < 3 && ok; i++) {
        mmio_write32(bar + EDU_FACTORIAL, n[i]);
        uint64_t limit = counter() + DMA_TIMEOUT_US * counter_freq() / 1000000;
        while ((mmio_read32(bar + EDU_STATUS) & EDU_STATUS_BUSY) && counter() < limit)
            ;
        got = mmio_read32(bar + EDU_FACTORIAL);
        ok = got == want[i];
    }
    check(ok, "edu_factorial", "%u! read %u, want %u", n[i - 1], got, want[i - 1]);
}

/* RAM -> edu -> RAM: src_buf's pattern must arrive in dst_buf at guest addresses. */
static void edu_roundtrip(void)
{
    for (unsigned i = 0; i < EDU_BUF_BYTES; i++) {
        src_buf[i] = (uint8_t)(0x80 | (i * 7 + 3));   /* never the fill byte 0x5a */
        dst_buf[i] = 0x5a;
    }
    dsb(sy);
    bool done = edu_dma((uintptr_t)src_buf, EDU_BUF, DMA_BYTES, false) &&
                edu_dma(EDU_BUF, (uintptr_t)dst_buf + 64, DMA_BYTES, true);
    unsigned same = 0, untouched = 0;
    for (unsigned i = 0; i < DMA_BYTES; i++) {
        same += dst_buf[64 + i] == src_buf[i];
        untouched += dst_buf[64 + i] == 0x5a;
    }
    bool edges = dst_buf[63] == 0x5a && dst_buf[64 + DMA_BYTES] == 0x5a;
    printf("edu: round trip RAM 0x%lx -> edu -> RAM 0x%lx: %u of %u bytes arrived, %u untouched\n",
           (uint64_t)(uintptr_t)src_buf, (uint64_t)(uintptr_t)dst_buf + 64, same, DMA_BYTES, untouched);
    if (done && untouched == DMA_BYTES)
        check(true, "edu_dma_withheld", "%s", "no DMA reached RAM");
    else
        check(done && same == DMA_BYTES && edges, "edu_dma_roundtrip",
              "DMA %s, %u of %u bytes right, bytes around them %s", done ? "completed" : "timed out", same,
              DMA_BYTES, edges ? "untouched" : "overwritten");
}

static uint64_t parse_hex(const char **p)
{
    uint64_t v = 0;
    while (**p == ' ')
        (*p)++;
    if ((*p)[0] == '0' && ((*p)[1] == 'x' || (*p)[1] == 'X'))
        *p += 2;
    for (;; (*p)++) {
        char c = **p;
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
        if (d == 16)
            return v;
        v = v << 4 | d;
    }
}

#define UART_DR (PL011_BASE + 0x00)
#define UART_FR (PL011_BASE + 0x18)
#define FR_RXFE (1u << 4)

/* One console line (CR or LF ends it), or an empty one after timeout_us. */
static void read_line(char *buf, unsigned size, uint64_t timeout_us)
{
    unsigned n = 0;
    uint64_t limit = counter() + timeout_us * counter_freq() / 1000000;
    while (n + 1 < size && counter() < limit) {
        if (mmio_read32(UART_FR) & FR_RXFE)
            continue;
        char c = (char)(mmio_read32(UART_DR) & 0xff);
        if (c == '\r' || c == '\n') {
            if (n)
                break;
            continue;
        }
        buf[n++] = c;
    }
    buf[n] = 0;
}

/* DMA aimed at addresses outside this VM: writes of a pattern, and reads whose bytes are
 * copied back into this VM's RAM to see whether anything of the target came with them. */
static void edu_attack(uint64_t ram_base, uint64_t ram_size)
{
    char line[128];
    puts("edu: targets?\n");
    read_line(line, sizeof(line), 20000000);
    const char *p = line;
    if (strncmp(p, "targets", 7)) {
        check(false, "edu_targets_given", "got \"%s\" instead of \"targets A B\"", line);
        return;
    }
    p += 7;
    uint64_t t[2];
    t[0] = parse_hex(&p) + VICTIM_OFFSET;       /* inside the victim VM's RAM (its base given) */
    t[1] = parse_hex(&p) + IMAGE_OFFSET;        /* inside the hypervisor's code (its start given) */
    for (unsigned i = 0; i < 2; i++) {
        if (t[i] >= ram_base && t[i] < ram_base + ram_size) {
            check(false, "edu_targets_outside_me", "target 0x%lx lies in my own RAM window: test inconclusive", t[i]);
            return;
        }
    }
    printf("edu: attacking 0x%lx and 0x%lx\n", t[0], t[1]);
    for (unsigned i = 0; i < EDU_BUF_BYTES; i++)
        src_buf[i] = 0xee;
    dsb(sy);
    bool ok = edu_dma((uintptr_t)src_buf, EDU_BUF, EDU_BUF_BYTES, false);   /* edu's buffer: all 0xee */
    for (unsigned i = 0; i < 2 && ok; i++)
        ok = edu_dma(EDU_BUF, t[i], EDU_BUF_BYTES, true);                   /* write over the target */
    check(ok, "edu_dma_writes_aimed", "edu did not finish a DMA");
    /* Reads: the target's bytes into edu's buffer, then the buffer into dst_buf. */
    unsigned leaked = 0;
    for (unsigned i = 0; i < 2 && ok; i++) {
        for (unsigned j = 0; j < EDU_BUF_BYTES; j++)
            dst_buf[j] = 0;
        ok = edu_dma(t[i], EDU_BUF, EDU_BUF_BYTES, false) && edu_dma(EDU_BUF, (uintptr_t)dst_buf, EDU_BUF_BYTES, true);
        for (unsigned j = 0; j + 16 <= EDU_BUF_BYTES; j += 16)
            leaked += ((volatile uint64_t *)dst_buf)[j / 8] == SECRET_W0;
        /* A refused read leaves edu's buffer uniform (its old 0xee, or what the bus returned for
         * nothing); the victim's bytes or the image's code would not be. */
        for (unsigned j = 1; j < EDU_BUF_BYTES; j++)
            leaked += dst_buf[j] != dst_buf[0];
    }
    check(ok && leaked == 0, "edu_dma_reads_aimed_get_nothing", "DMA %s, %u foreign slots/bytes read back",
          ok ? "completed" : "timed out", leaked);
}

int main(void *dtb)
{
    uint64_t ram_base = 0, ram_size = 0;
    fdt_memory(dtb, &ram_base, &ram_size);
    if (!edu_probe())
        test_done();
    edu_factorial();
    edu_roundtrip();
    /* Aimed DMA only where the round trip showed DMA works (with no bus mastering it cannot). */
    if (hv_present() && dst_buf[64] == src_buf[0] && dst_buf[65] == src_buf[1])
        edu_attack(ram_base, ram_size);
    test_done();
}
