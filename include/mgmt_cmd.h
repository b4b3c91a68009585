/* mgmt_cmd.h: the management protocol without the network (kernel/mgmt_cmd.c): splitting
 * received bytes into lines and answering one command line over an abstract view of the
 * VMs. Pure: built into the hypervisor and into host unit tests and a fuzzer. */
#ifndef MGMT_CMD_H
#define MGMT_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MGMT_LINE_MAX 128           /* characters of a command line, without "\r\n" */
#define MGMT_STATS_MAX 24           /* name=value pairs of one VM's `stats` */
#define MGMT_OUT_MAX 2048           /* bound on one command's whole response */

/* --- lines --------------------------------------------------------------- */
enum mgmt_line_event { MGMT_LINE_MORE, MGMT_LINE_READY, MGMT_LINE_TOO_LONG };

struct mgmt_line {
    char buf[MGMT_LINE_MAX + 2];    /* the line, room for a final '\r' and a NUL */
    size_t len;
    bool overflow;                  /* the current line passed MGMT_LINE_MAX: dropped at its end */
    bool ended;                     /* buf holds a finished line; the next byte starts anew */
};

void mgmt_line_reset(struct mgmt_line *l);
/* Takes one received byte. READY: l->buf holds the line (NUL-terminated, "\r\n" or "\n"
 * removed, l->len its length) until the next call. TOO_LONG: the line that just ended was
 * longer than MGMT_LINE_MAX and is discarded. */
enum mgmt_line_event mgmt_line_feed(struct mgmt_line *l, uint8_t byte);

/* --- the VMs as the protocol sees them ------------------------------------ */
struct mgmt_stat {
    const char *name;
    uint64_t value;
};

struct mgmt_vm_info {
    const char *name;
    const char *state;              /* "running", "stopping", "stopped", "pausing", "paused" */
    uint32_t vcpu_count;
    uint64_t exits_total;
    uint32_t stat_count;            /* <= MGMT_STATS_MAX */
    struct mgmt_stat stats[MGMT_STATS_MAX];
};

enum mgmt_action { MGMT_ACTION_STOP, MGMT_ACTION_RESET, MGMT_ACTION_START, MGMT_ACTION_PAUSE, MGMT_ACTION_RESUME };

/* A VM's memory at run time (docs/management.md "memslot", "dirty-log", "dirty"). */
enum mgmt_mem_op {
    MGMT_MEM_LIST,                  /* one line per memslot */
    MGMT_MEM_ADD,                   /* slot, gpa, size_bytes: new RAM, mapped at once */
    MGMT_MEM_DELETE,                /* slot: unmapped, its accesses exit as to nothing */
    MGMT_MEM_LOG_ON,                /* slot (or MGMT_MEM_ALL_SLOTS): start dirty logging */
    MGMT_MEM_LOG_OFF,               /* slot (or MGMT_MEM_ALL_SLOTS): stop it */
    MGMT_MEM_DIRTY,                 /* slot: read and clear its dirty pages */
};
#define MGMT_MEM_ALL_SLOTS 0xffffffffu

struct mgmt_mem_req {
    enum mgmt_mem_op op;
    uint32_t slot;
    uint64_t gpa, size_bytes;       /* MGMT_MEM_ADD; parsed, page-aligned, not yet range-checked */
};

/* Live migration (docs/migration.md). */
enum mgmt_mig_op {
    MGMT_MIG_INCOMING,              /* a stopped VM waits for a migration stream */
    MGMT_MIG_SEND,                  /* ip, port: migrate the VM to that hypervisor's management port */
    MGMT_MIG_STATUS,                /* progress lines of the last migration of the VM */
    MGMT_MIG_RECEIVE,               /* (a source hypervisor) this connection carries the VM's stream */
};
struct mgmt_mig_req {
    enum mgmt_mig_op op;
    uint32_t ip;                    /* MGMT_MIG_SEND: IPv4, host byte order */
    uint16_t port;
};

/* Hands one line of the answer's body (no "\n"; non-printable bytes become '?'). */
typedef void (*mgmt_emit_fn)(void *emit_ctx, const char *line);

struct mgmt_vms {
    void *ctx;
    uint32_t (*count)(void *ctx);
    /* Fills out for VM index (< count); strings stay valid until the next call. */
    void (*info)(void *ctx, uint32_t index, struct mgmt_vm_info *out);
    /* Acts on VM index for the client at `client` ("A.B.C.D"); NULL when done, else the
     * reason for the "error: " line. */
    const char *(*action)(void *ctx, uint32_t index, enum mgmt_action a, const char *client);
    /* Carries out req on VM index, its answer's lines through emit; NULL when done, else the
     * reason. NULL callback: the memory commands answer "not supported". */
    const char *(*memory)(void *ctx, uint32_t index, const struct mgmt_mem_req *req, const char *client,
                          mgmt_emit_fn emit, void *emit_ctx);
    /* Carries out a migration request on VM index; as memory. NULL callback: "not supported". */
    const char *(*migrate)(void *ctx, uint32_t index, const struct mgmt_mig_req *req, const char *client,
                           mgmt_emit_fn emit, void *emit_ctx);
};

/* --- commands ------------------------------------------------------------- */
struct mgmt_out {
    char *buf;
    size_t cap;                     /* >= MGMT_OUT_MAX for a complete answer; >= 32 always */
    size_t len;
};

enum mgmt_result {
    MGMT_NONE,                      /* nothing to answer (an empty line) */
    MGMT_OK,                        /* answered, ending in "ok" */
    MGMT_ERROR,                     /* answered, ending in "error: ..." */
    MGMT_QUIT,                      /* answered "ok"; the client asked to close */
};

/* Answers one line (len bytes, any content) into out: zero or more lines, then "ok" or
 * "error: REASON", each ending in "\n"; out->buf stays NUL-terminated. Only printable
 * ASCII is ever written: bytes of the client's line echoed back are replaced by '?'. */
enum mgmt_result mgmt_cmd_run(const struct mgmt_vms *vms, const char *line, size_t len,
                              const char *client, struct mgmt_out *out);
/* The answer to a line that was too long. */
void mgmt_cmd_too_long(struct mgmt_out *out);

#endif
