/* migrate_recv.h: the destination side of a live migration (kernel/migrate_recv.c): the stream's
 * checked sections applied to a VM that is not running: pages written into its memslots, vCPU and
 * device states checked by the arch and kept until the end section; only a stream whose end
 * section arrived with every vCPU and device state is complete, and only then may the VM run.
 * Pure: the arch's checks come in as callbacks. */
#ifndef MIGRATE_RECV_H
#define MIGRATE_RECV_H

#include <stdbool.h>
#include <stdint.h>
#include "memslot.h"
#include "migrate_stream.h"

#define MIGRATE_RECV_WHY_MAX 96u

struct migrate_recv {
    /* What the destination expects: its own configuration of the VM. */
    struct migrate_header want;
    struct memslots *ms;
    uint32_t device_count;                /* devices 1..device_count must all arrive */
    /* The arch's checks of a state (NULL or what is wrong), and where states are kept. */
    const char *(*vcpu_check)(void *ctx, const uint8_t *state, uint32_t len);
    const char *(*device_check)(void *ctx, uint32_t device, const uint8_t *state, uint32_t len);
    void *ctx;
    uint8_t *vcpu_state;                  /* want.cpus * state_max bytes */
    uint8_t *device_state;                /* device_count * state_max bytes */
    uint32_t state_max;
    uint32_t vcpu_len[64], device_len[16];
    uint64_t vcpu_have;                   /* bit n: vCPU n's state arrived */
    uint32_t device_have;                 /* bit n: device n's */
    uint64_t pages;                       /* pages written */
    bool complete;                        /* the end section was accepted */
    char why[MIGRATE_RECV_WHY_MAX];
};

/* The receiver ops that apply a stream to r (ctx: r). */
extern const struct migrate_rx_ops migrate_recv_ops;

/* Sets r up for want (false if want.cpus or device_count is over the limits above). */
bool migrate_recv_init(struct migrate_recv *r, const struct migrate_header *want, struct memslots *ms,
                       uint32_t device_count, uint8_t *vcpu_state, uint8_t *device_state, uint32_t state_max);

#endif
