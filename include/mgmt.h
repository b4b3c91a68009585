/* mgmt.h: the management interface (kernel/mgmt.c over lwIP, kernel/net.c): a TCP line
 * protocol on the host NIC to list the VMs with their state and statistics and to stop,
 * reset or start one (docs/management.md). Off unless hv.cfg has 'mgmt'. */
#ifndef MGMT_H
#define MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hv_config;

/* Boot CPU, once the VMs are started: finds the NIC (arch_mgmt_nic), brings the stack up
 * (DHCP or the configured address) and listens. Reports and gives up when it cannot.
 * boot_rng: the firmware's random bytes (boot_info.efi_rng), seeding the challenges. */
void mgmt_init(const struct hv_config *cfg, const uint8_t *boot_rng, size_t boot_rng_len);
/* Any CPU, as often as it likes (the vCPU loops call it after exits and while blocked):
 * at most one CPU at a time does the work, at most every millisecond or so. */
void mgmt_poll(void);
/* True once the interface is up (it wants polling). */
bool mgmt_active(void);

#endif
