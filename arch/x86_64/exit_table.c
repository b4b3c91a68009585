/* exit_table.c: a backend's exit codes as data, looked up the same way for SVM EXITCODEs and VMX basic
 * exit reasons: one row per code with its vendor-neutral kind, the instruction's fixed length (SVM
 * without NRIPS) and a decoder for the details (struct x86_exit); port I/O and nested page faults
 * decoded here from where the backend's qualification puts each fact. Pure: host-tested. */
#include "x86_vcpu.h"

/* Every pCPU builds it before its first guest (cpu_enable); all write the same bytes. */
void x86_exit_table_build(const struct x86_exit_table *t)
{
    for (size_t i = 0; i < t->count; i++)
        if (t->rows[i].code < t->index_size)
            t->index[t->rows[i].code] = (uint8_t)(i + 1);
}

void x86_exit_table_decode(const struct x86_exit_table *t, struct vcpu *v, struct x86_exit *x, uint64_t code)
{
    size_t row = code < t->index_size ? t->index[code] : 0;
    if (!row) {
        x->kind = X86_EXIT_UNKNOWN;
        return;
    }
    const struct x86_exit_row *r = &t->rows[row - 1];
    const struct x86_exit_quals *q = t->quals;
    uint64_t info = x->info1;
    x->kind = r->kind;
    if (!x->insn_len)
        x->insn_len = r->insn_len;
    if (r->kind == X86_EXIT_IO) {
        x->io.port = (uint16_t)(info >> 16);
        x->io.size = (uint8_t)(((info >> q->io_size_shift) & 7) + q->io_size_add);
        x->io.in = info & q->io_in;
        x->io.string = info & q->io_string;
        x->io.rep = info & q->io_rep;
    } else if (r->kind == X86_EXIT_NPF) {
        x->npf.gpa = x->info2;
        x->npf.write = info & q->npf_write;
        x->npf.fetch = info & q->npf_fetch;
        x->npf.walk = (info & q->npf_walk) == q->npf_walk && !(info & q->npf_walk_not);
    }
    if (r->decode)
        r->decode(v, x);
}
