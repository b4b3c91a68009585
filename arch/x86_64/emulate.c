/* emulate.c: the instructions behind MMIO exits and string port I/O, decoded by insn_decode.c and
 * carried out one device access per kernel/ exit: MOV / MOVZX / MOVSX, STOS, MOVS, read-modify-write
 * ALU forms, TEST / CMP, XCHG, INS / OUTS (docs/architecture.md, "x86_64 guests"). */
#include <inttypes.h>
#include "kernel.h"
#include "x86_guest_walk.h"
#include "x86_vcpu.h"

#define RFLAGS_DF (1ull << 10)

static uint64_t size_mask(uint32_t size) { return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1; }

/* The bytes of the instruction at CS:RIP, through the guest's page tables; how many could be read.
 * *m receives the guest's mode (paging, CPL, segment bases) for the caller. */
size_t x86_fetch_insn(struct vcpu *v, uint8_t bytes[X86_INSN_MAX_BYTES], enum x86_cpu_mode *mode,
                      struct x86_guest_mode *m)
{
    x86_vcpu_backend()->get_mode(v, m);
    struct x86_paging_regs pr = { m->cr0, m->cr3, m->cr4, m->efer };
    *mode = m->cs_l ? X86_MODE_64 : m->cs_db ? X86_MODE_32 : X86_MODE_16;
    uint64_t la = m->cs_base + v->arch.rip;
    if (*mode != X86_MODE_64)
        la &= 0xFFFFFFFFull;
    return x86_guest_fetch_linear(&v->arch.fetch_cache, x86_vcpu_slots(v), &pr, la, bytes, X86_INSN_MAX_BYTES);
}

/* The emulation stops the VM when the guest's page tables do not let it reach an operand: page faults
 * are not injected (no #PF with CR2 from the exit handlers yet), and an operand in neither RAM nor a
 * device the exit can name is no emulated access either. */
static void stop_vm(struct vcpu *v, const char *what, uint64_t la)
{
    hv_printf("vm %s: vcpu %" PRIu32 ": %s (linear 0x%" PRIx64 ") at RIP 0x%" PRIx64 ", stopping the VM\n",
              v->vm->name, v->id, what, la, v->arch.rip);
    vm_request_shutdown(v->vm, VM_SHUTDOWN_CRASH);
}

static struct x86_paging_regs paging_regs(const struct x86_guest_mode *m)
{
    return (struct x86_paging_regs){ m->cr0, m->cr3, m->cr4, m->efer };
}

static uint32_t access_of(const struct x86_guest_mode *m, uint32_t access)
{
    return access | (m->cpl == 3 ? X86_ACCESS_USER : 0);
}

/* A string operand's linear address: segment base plus rSI / rDI at the address size; in 64-bit mode
 * only FS and GS have a base (SDM Vol. 3A 3.4.4), elsewhere addresses wrap at 4 GiB. Segment limits
 * are not checked. */
static uint64_t string_la(const struct x86_guest_mode *m, uint8_t seg, uint64_t index, uint32_t addr_size)
{
    bool mode64 = m->cs_l;
    uint64_t base = mode64 && seg < X86_SEG_FS ? 0 : m->seg_base[seg % 6];
    uint64_t la = base + (index & size_mask(addr_size));
    return mode64 ? la : (la & 0xFFFFFFFFull);
}

/* Writes v to a register of addr_size bytes the way the CPU does: 16-bit merges, 32-bit zero-extends. */
static uint64_t reg_update(uint64_t old, uint64_t v, uint32_t size)
{
    if (size == 2)
        return (old & ~0xFFFFull) | (v & 0xFFFF);
    return v & size_mask(size);
}

/* One element of a string instruction done: rSI and / or rDI step by the size (backwards with
 * RFLAGS.DF); with REP rCX counts down and, until it reaches 0, RIP stays so the guest executes the
 * instruction again for the next element (one element per exit; interrupts can arrive between
 * them, as between iterations on the CPU: SDM Vol. 2B, REP). */
static void string_step(struct vcpu *v, const struct x86_insn *i, bool src, bool dst)
{
    struct arch_vcpu *a = &v->arch;
    uint64_t step = (a->rflags & RFLAGS_DF) ? (uint64_t)-(int64_t)i->size : i->size;
    if (src)
        a->gpr[GPR_RSI] = reg_update(a->gpr[GPR_RSI], a->gpr[GPR_RSI] + step, i->addr_size);
    if (dst)
        a->gpr[GPR_RDI] = reg_update(a->gpr[GPR_RDI], a->gpr[GPR_RDI] + step, i->addr_size);
    if (i->rep) {
        a->gpr[GPR_RCX] = reg_update(a->gpr[GPR_RCX], a->gpr[GPR_RCX] - 1, i->addr_size);
        if (a->gpr[GPR_RCX] & size_mask(i->addr_size))
            return;
    }
    x86_vcpu_advance(v, a->next_rip);
}

/* Whether gpa is RAM the hypervisor can copy from (or, for write, to) directly; otherwise a device. */
static bool is_ram(struct vcpu *v, uint64_t gpa, bool write)
{
    uint64_t hpa;
    uint32_t flags;
    return memslot_translate(x86_vcpu_slots(v), gpa, &hpa, &flags) && !(write && (flags & MEMSLOT_READONLY));
}

/* MOVS with at least one side on a device (SDM Vol. 2B, MOVS): each side through the guest's page
 * tables with its access rights; the RAM side is copied here through the audited accessors, the
 * device side is the EXIT_MMIO. Device to device reads, then writes (struct x86_emul). */
static void mmio_movs(struct vcpu *v, const struct x86_guest_mode *m, struct vcpu_exit *exit)
{
    struct arch_vcpu *a = &v->arch;
    const struct x86_insn *i = &a->mmio;
    struct x86_paging_regs pr = paging_regs(m);
    uint64_t src_la = string_la(m, i->seg, a->gpr[GPR_RSI], i->addr_size);
    uint64_t dst_la = string_la(m, X86_SEG_ES, a->gpr[GPR_RDI], i->addr_size);
    uint64_t src_gpa, dst_gpa;
    if (!x86_guest_translate_access(x86_vcpu_slots(v), &pr, src_la, access_of(m, 0), &src_gpa) ||
        !x86_guest_translate_access(x86_vcpu_slots(v), &pr, dst_la, access_of(m, X86_ACCESS_WRITE), &dst_gpa)) {
        stop_vm(v, "MOVS operand the guest's page tables do not map with its rights (no #PF injected)",
                src_la);
        exit->reason = EXIT_SHUTDOWN;
        return;
    }
    bool src_ram = is_ram(v, src_gpa, false), dst_ram = is_ram(v, dst_gpa, true);
    if (src_ram && dst_ram) {
        exit->reason = EXIT_OTHER;          /* remapped since the fault (another vCPU): run it again */
        return;
    }
    exit->reason = EXIT_MMIO;
    exit->mmio.size = i->size;
    if (src_ram) {
        uint64_t data = 0;
        if (!x86_guest_access_linear(x86_vcpu_slots(v), &pr, src_la, &data, i->size, access_of(m, 0))) {
            stop_vm(v, "MOVS source in RAM is not readable", src_la);
            exit->reason = EXIT_SHUTDOWN;
            return;
        }
        exit->mmio.gpa = dst_gpa;
        exit->mmio.write = true;
        exit->mmio.data = data;
        return;
    }
    a->emul.dst_device = !dst_ram;
    a->emul.dst_gpa = dst_gpa;
    a->emul.ram_la = dst_la;
    exit->mmio.gpa = src_gpa;
    exit->mmio.write = false;
    exit->mmio.data = 0;
}

/* INS / OUTS (SDM Vol. 2B; the exit gives the port and size, the instruction the rest): one element
 * per EXIT_PIO, the memory side through the guest's page tables and the audited accessors. */
void x86_emul_io_string(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    struct arch_vcpu *a = &v->arch;
    uint8_t bytes[X86_INSN_MAX_BYTES];
    enum x86_cpu_mode mode;
    struct x86_guest_mode m;
    size_t n = x86_fetch_insn(v, bytes, &mode, &m);
    struct x86_insn *i = &a->mmio;
    int rc = x86_insn_decode(bytes, n, mode, i);
    bool ins = i->kind == X86_INSN_INS;
    if (rc != X86_DECODE_OK || (!ins && i->kind != X86_INSN_OUTS) || ins != x->io.in || i->size != x->io.size) {
        x86_vcpu_crash(v, exit, "a string port I/O exit whose instruction is not that INS / OUTS", x->code);
        return;
    }
    a->emul.pio_string = true;
    a->next_rip = a->rip + i->len;
    if (i->rep && !(a->gpr[GPR_RCX] & size_mask(i->addr_size))) {
        a->emul.pio_string = false;
        x86_vcpu_advance(v, a->next_rip);            /* REP with rCX = 0 moves nothing */
        exit->reason = EXIT_OTHER;
        return;
    }
    struct x86_paging_regs pr = paging_regs(&m);
    exit->reason = EXIT_PIO;
    exit->mmio.gpa = x->io.port;
    exit->mmio.size = i->size;
    exit->mmio.write = !ins;
    exit->mmio.data = 0;
    if (ins) {
        /* Checked before the port is read: a port read can have effects (a FIFO pops). */
        uint64_t la = string_la(&m, X86_SEG_ES, a->gpr[GPR_RDI], i->addr_size), gpa;
        if (!x86_guest_translate_access(x86_vcpu_slots(v), &pr, la, access_of(&m, X86_ACCESS_WRITE), &gpa) ||
            !is_ram(v, gpa, true)) {
            a->emul.pio_string = false;
            stop_vm(v, "INS into memory that is not writable guest RAM (no #PF injected)", la);
            exit->reason = EXIT_SHUTDOWN;
            return;
        }
        a->emul.ram_la = la;
    } else {
        uint64_t la = string_la(&m, i->seg, a->gpr[GPR_RSI], i->addr_size);
        if (!x86_guest_access_linear(x86_vcpu_slots(v), &pr, la, &exit->mmio.data, i->size, access_of(&m, 0))) {
            a->emul.pio_string = false;
            stop_vm(v, "OUTS from memory that is not readable guest RAM (no #PF injected)", la);
            exit->reason = EXIT_SHUTDOWN;
        }
    }
}

/* An access to a guest-physical address outside RAM (or a write to a read-only slot): fetch the
 * instruction at CS:RIP through the guest's page tables, decode it, and hand kernel/ the access
 * (RMW and XCHG: the read first, the write from x86_emul_complete_mmio; MOVS: mmio_movs). */
void x86_emul_npf(struct vcpu *v, const struct x86_exit *x, struct vcpu_exit *exit)
{
    struct arch_vcpu *a = &v->arch;
    if (x->npf.fetch) {
        x86_vcpu_crash(v, exit, "instruction fetch from a guest-physical address with no memory", x->npf.gpa);
        return;
    }
    if (x->npf.walk) {
        x86_vcpu_crash(v, exit, "guest page tables in a guest-physical range with no memory", x->npf.gpa);
        return;
    }
    uint8_t bytes[X86_INSN_MAX_BYTES];
    enum x86_cpu_mode mode;
    struct x86_guest_mode m;
    size_t n = x86_fetch_insn(v, bytes, &mode, &m);
    int rc = x86_insn_decode(bytes, n, mode, &a->mmio);
    if (rc != X86_DECODE_OK || a->mmio.kind == X86_INSN_INS || a->mmio.kind == X86_INSN_OUTS) {
        hv_printf("vm %s: vcpu %" PRIu32 ": MMIO at 0x%" PRIx64 " by an instruction the decoder refuses (%d), "
                  "bytes %02x %02x %02x %02x\n", v->vm->name, v->id, x->npf.gpa, rc, n > 0 ? bytes[0] : 0,
                  n > 1 ? bytes[1] : 0, n > 2 ? bytes[2] : 0, n > 3 ? bytes[3] : 0);
        x86_vcpu_crash(v, exit, "cannot emulate the MMIO access", x->code);
        return;
    }
    const struct x86_insn *i = &a->mmio;
    a->next_rip = a->rip + i->len;
    a->emul.write_pending = false;
    if (i->kind == X86_INSN_MOVS) {
        mmio_movs(v, &m, exit);
        return;
    }
    bool write = i->kind == X86_INSN_STORE || i->kind == X86_INSN_STORE_IMM || i->kind == X86_INSN_STOS;
    uint64_t rom = 0;
    if (!write && is_ram(v, x->npf.gpa, false) && guest_read(x86_vcpu_slots(v), x->npf.gpa, &rom, i->size) == 0) {
        /* RMW / XCHG on a read-only slot: the read is of memory (the write fault is what exited); the
         * write goes to kernel/ as ever (a ROM ignores it). */
        struct vcpu_exit r = { .reason = EXIT_MMIO, .mmio = { .gpa = x->npf.gpa, .size = i->size, .data = rom } };
        x86_emul_complete_mmio(v, &r, true);
        exit->reason = EXIT_OTHER;
        return;
    }
    exit->reason = EXIT_MMIO;
    exit->mmio.gpa = x->npf.gpa;
    exit->mmio.size = i->size;
    exit->mmio.write = write;
    exit->mmio.data = write ? x86_insn_store_value(i, a->gpr[i->reg]) : 0;
}

/* The second exit of a read-then-write instruction (struct x86_emul). */
static void queue_write(struct vcpu *v, uint64_t gpa, uint64_t data)
{
    v->arch.emul.write_pending = true;
    v->arch.emul.gpa = gpa;
    v->arch.emul.data = data;
}

void x86_emul_complete_mmio(struct vcpu *v, const struct vcpu_exit *exit, bool handled)
{
    struct arch_vcpu *a = &v->arch;
    const struct x86_insn *i = &a->mmio;
    /* x86 has no external abort here: a read of nothing gives all-ones, as on a PC bus. */
    uint64_t data = exit->mmio.write ? 0 : handled ? exit->mmio.data & size_mask(i->size) : size_mask(i->size);
    switch (i->kind) {
    case X86_INSN_LOAD:
        a->gpr[i->reg] = x86_insn_load_result(i, a->gpr[i->reg], data);
        break;
    case X86_INSN_STOS:
        string_step(v, i, false, true);
        return;
    case X86_INSN_RMW:
        /* The read: compute (SDM Vol. 2A/2B, each instruction's Operation and Flags Affected); the
         * flags land with the write, TEST / CMP complete here. */
        if (!exit->mmio.write) {
            uint64_t flags = a->rflags;
            uint64_t r = x86_alu(i->op, i->size, data, x86_insn_store_value(i, a->gpr[i->reg]), &flags);
            if (x86_alu_writes(i->op)) {
                a->emul.rflags = flags;
                queue_write(v, exit->mmio.gpa, r);
                return;
            }
            a->rflags = flags;
        } else {
            a->rflags = a->emul.rflags;
        }
        break;
    case X86_INSN_XCHG:
        if (!exit->mmio.write) {
            a->emul.reg_value = x86_insn_load_result(i, a->gpr[i->reg], data);
            queue_write(v, exit->mmio.gpa, x86_insn_store_value(i, a->gpr[i->reg]));
            return;
        }
        a->gpr[i->reg] = a->emul.reg_value;
        break;
    case X86_INSN_MOVS:
        if (!exit->mmio.write) {
            if (a->emul.dst_device) {
                queue_write(v, a->emul.dst_gpa, data);
                return;
            }
            struct x86_guest_mode m;
            x86_vcpu_backend()->get_mode(v, &m);
            struct x86_paging_regs pr = paging_regs(&m);
            if (!x86_guest_access_linear(x86_vcpu_slots(v), &pr, a->emul.ram_la, &data, i->size,
                                         access_of(&m, X86_ACCESS_WRITE))) {
                stop_vm(v, "MOVS destination in RAM became unwritable", a->emul.ram_la);
                return;
            }
        }
        string_step(v, i, true, true);
        return;
    default:                                /* STORE, STORE_IMM */
        break;
    }
    x86_vcpu_advance(v, a->next_rip);
}

/* One element of INS / OUTS came back from the port bus: INS stores it at ES:rDI (checked before
 * the port was read); an unclaimed port reads all-ones. */
void x86_emul_complete_pio_string(struct vcpu *v, const struct vcpu_exit *exit, bool handled)
{
    struct arch_vcpu *a = &v->arch;
    const struct x86_insn *i = &a->mmio;
    a->emul.pio_string = false;
    if (i->kind == X86_INSN_OUTS) {
        string_step(v, i, true, false);
        return;
    }
    uint64_t data = handled ? exit->mmio.data : ~0ull;
    struct x86_guest_mode m;
    x86_vcpu_backend()->get_mode(v, &m);
    struct x86_paging_regs pr = paging_regs(&m);
    if (!x86_guest_access_linear(x86_vcpu_slots(v), &pr, a->emul.ram_la, &data, i->size,
                                 access_of(&m, X86_ACCESS_WRITE))) {
        stop_vm(v, "INS destination became unwritable", a->emul.ram_la);
        return;
    }
    string_step(v, i, false, true);
}

bool x86_emul_pending_write(struct vcpu *v, struct vcpu_exit *exit)
{
    struct arch_vcpu *a = &v->arch;
    if (!a->emul.write_pending)
        return false;
    a->emul.write_pending = false;
    exit->reason = EXIT_MMIO;
    exit->mmio.gpa = a->emul.gpa;
    exit->mmio.size = a->mmio.size;
    exit->mmio.write = true;
    exit->mmio.data = a->emul.data;
    return true;
}
