/* insn_profile.c: a QEMU TCG plugin that counts executed instructions per guest PC (virtual
 * address) and writes "pc count" lines at exit, so tools/insn-profile/by-function can add them up
 * per hypervisor function. Built against QEMU's plugin API (version 1, QEMU 7.2); the few
 * declarations it needs are below because Debian's QEMU ships no plugin header.
 * Use: qemu-system-* -plugin build/insn-profile/insn_profile.so,out=FILE (tools/hvrun --plugin). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the QEMU plugin API (docs/devel/tcg-plugins.rst; include/qemu/qemu-plugin.h) ----------- */
typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };
typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*atexit_cb)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, atexit_cb cb, void *userdata);
__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* --- one counter per PC, in an open-addressing table that only grows ------------------------ */
struct slot { uint64_t pc, count; };
static struct slot *table;
static size_t table_size = 1u << 20, used;
static char out_path[512] = "insn-profile.txt";

static struct slot *counter_of(uint64_t pc)
{
    size_t i = (size_t)((pc >> 2) * 0x9E3779B97F4A7C15ull) & (table_size - 1);
    for (;; i = (i + 1) & (table_size - 1)) {
        if (table[i].pc == pc && (pc || table[i].count != ~0ull))
            return &table[i];
        if (!table[i].pc && table[i].count == ~0ull) {        /* empty */
            if (++used > table_size / 2) {
                fprintf(stderr, "insn_profile: table full\n");
                exit(1);
            }
            table[i].pc = pc;
            table[i].count = 0;
            return &table[i];
        }
    }
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                   &counter_of(qemu_plugin_insn_vaddr(insn))->count, 1);
    }
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id, (void)userdata;
    FILE *f = fopen(out_path, "w");
    if (!f)
        return;
    for (size_t i = 0; i < table_size; i++)
        if (table[i].count != ~0ull && table[i].count)
            fprintf(f, "%llx %llu\n", (unsigned long long)table[i].pc, (unsigned long long)table[i].count);
    fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++)
        if (!strncmp(argv[i], "out=", 4))
            snprintf(out_path, sizeof(out_path), "%s", argv[i] + 4);
    table = malloc(table_size * sizeof(*table));
    if (!table)
        return -1;
    for (size_t i = 0; i < table_size; i++)
        table[i] = (struct slot){ 0, ~0ull };
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
