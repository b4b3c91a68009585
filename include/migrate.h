/* migrate.h: live migration of a VM between two hypervisors over the management network
 * (kernel/migrate.c; docs/migration.md). Everything but the vCPU hooks runs inside mgmt_poll
 * (lwIP's callbacks): mgmt_busy is the lock of migrate.c's state. */
#ifndef MIGRATE_H
#define MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;
struct mgmt_auth;

/* mgmt_init: the key the source answers the destination's challenge with. */
void migrate_init(const struct mgmt_auth *key);

/* Source: `migrate NAME A.B.C.D:PORT`. NULL when started (progress: migrate_status), else why not. */
const char *migrate_out_start(struct vm *vm, uint32_t ip, uint16_t port);
/* `migrate-status NAME`: one line each into emit. */
void migrate_status(struct vm *vm, void (*emit)(void *ctx, const char *line), void *ctx);
/* mgmt_poll, after lwIP ran: moves the outgoing migration on. */
void migrate_poll(void);

/* Destination: `incoming NAME` (a stopped VM waits for a stream): NULL or why not. */
const char *migrate_in_expect(struct vm *vm);
/* `migrate-receive NAME` on an authenticated connection: NULL when the connection's next bytes
 * are the stream (migrate_in_feed), else why not. */
const char *migrate_in_begin(struct vm *vm);
/* Stream bytes: 0 more wanted; 1 complete and the VM started (answer "ok"); -1 refused (why:
 * answer "error: WHY"; nothing was started). */
int migrate_in_feed(const uint8_t *data, size_t len, const char **why);
/* The connection ended before the stream did (refused, reported). */
void migrate_in_abort(void);

/* Whether vm is being migrated out, or its stream is being received: the management interface
 * then refuses what would change it underneath (start, stop, reset, pause, resume, memory). */
bool migrate_busy(const struct vm *vm);

/* kernel/vcpu.c hooks, on the vCPU's own pCPU: while its VM is paused (the source takes its
 * state), and when its run loop starts (the destination loads the state it received). */
void migrate_vcpu_parked(struct vcpu *vcpu);
void migrate_vcpu_starting(struct vcpu *vcpu);

#endif
