/* net_dev.h: a host network interface as the management stack sees it (kernel/net.c):
 * Ethernet frames in and out, polled (no interrupts), one user at a time. */
#ifndef NET_DEV_H
#define NET_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_FRAME_MAX 1514          /* Ethernet header + 1500 bytes, no FCS */

struct net_dev {
    const char *name;               /* for messages, e.g. "virtio-net 00:02.0" */
    uint8_t mac[6];
    /* Queues one frame (len <= NET_FRAME_MAX); false when the device cannot take it now. */
    bool (*send)(struct net_dev *d, const void *frame, size_t len);
    /* Copies the next received frame into buf (cap >= NET_FRAME_MAX); its length, 0 when none. */
    size_t (*recv)(struct net_dev *d, void *buf, size_t cap);
    void *priv;
};

#endif
