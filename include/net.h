/* net.h: the management stack's network interface (kernel/net.c): lwIP over a polled
 * struct net_dev, addressed by DHCP or statically. Single-threaded: callers serialise. */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_dev;
struct config_mgmt;

/* Initialises lwIP and adds the interface for dev, up, with the configured address or
 * DHCP started. False (reported) when the interface cannot be added. Once. */
bool net_init(struct net_dev *dev, const struct config_mgmt *cfg);
/* Moves received frames into the stack and runs lwIP's timers. */
void net_poll(void);
/* The interface's IPv4 address in host byte order, 0 while DHCP has none. */
uint32_t net_address(void);
/* "A.B.C.D" of a host-order address into buf (at least 16 bytes). */
void net_format_ip(uint32_t ip, char *buf, size_t size);

#endif
