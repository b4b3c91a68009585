/* net.c: the lwIP network interface over a polled struct net_dev (include/net_dev.h):
 * frames in and out, DHCP or a static address, lwIP's timers and clock. */
#include <stdio.h>
#include <string.h>
#include "arch.h"
#include "config.h"
#include "kernel.h"
#include "net.h"
#include "net_dev.h"

#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#define NET_RX_BUDGET 64                    /* frames taken per poll, so one poll stays short */

/* All of this is used only under kernel/mgmt.c's poll flag (one CPU at a time). */
static struct netif net_if;
static struct net_dev *net_dev;
static uint32_t net_announced;              /* the address last printed, host order */
static uint8_t net_frame[NET_FRAME_MAX] __attribute__((aligned(8)));
static uint64_t net_rand_state;

/* lwIP's clock (NO_SYS): milliseconds, wrapping. */
u32_t sys_now(void)
{
    return (u32_t)(arch_time_ns() / 1000000u);
}

/* LWIP_RAND (arch/cc.h): DHCP transaction IDs, TCP's first local port. Not for secrets:
 * xorshift64* stirred with the clock on every call. */
uint32_t net_rand(void)
{
    uint64_t x = net_rand_state ^ arch_time_ns();
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    net_rand_state = x ? x : 0x9e3779b97f4a7c15ull;
    return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

void net_format_ip(uint32_t ip, char *buf, size_t size)
{
    snprintf(buf, size, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)(ip >> 16) & 0xff,
             (unsigned)(ip >> 8) & 0xff, (unsigned)ip & 0xff);
}

uint32_t net_address(void)
{
    return lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&net_if)));
}

/* netif status callback: up/down and every address change (DHCP bound, renewed elsewhere). */
static void net_status(struct netif *n)
{
    (void)n;
    uint32_t ip = netif_is_up(&net_if) ? net_address() : 0;
    if (ip == 0 || ip == net_announced)
        return;
    net_announced = ip;
    char s[16];
    net_format_ip(ip, s, sizeof(s));
    hv_printf("mgmt: address %s\n", s);
}

/* Frames out: one contiguous copy (the device takes a flat buffer), without ETH_PAD_SIZE. */
static err_t net_linkoutput(struct netif *n, struct pbuf *p)
{
    (void)n;
    pbuf_remove_header(p, ETH_PAD_SIZE);
    err_t err = ERR_OK;
    if (p->tot_len > NET_FRAME_MAX)
        err = ERR_BUF;
    else if (pbuf_copy_partial(p, net_frame, p->tot_len, 0) != p->tot_len)
        err = ERR_BUF;
    else if (!net_dev->send(net_dev, net_frame, p->tot_len))
        err = ERR_MEM;                      /* queue full: TCP retransmits, ARP/DHCP retry */
    pbuf_add_header(p, ETH_PAD_SIZE);
    return err;
}

static err_t net_if_init(struct netif *n)
{
    n->name[0] = 'm';
    n->name[1] = 'g';
    n->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(n->hwaddr, net_dev->mac, ETH_HWADDR_LEN);
    n->mtu = 1500;
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    n->output = etharp_output;
    n->linkoutput = net_linkoutput;
    return ERR_OK;
}

bool net_init(struct net_dev *dev, const struct config_mgmt *cfg)
{
    ip4_addr_t ip, mask, gw;
    net_dev = dev;
    net_rand_state = arch_time_ns() ^ ((uint64_t)dev->mac[5] << 40 | (uint64_t)dev->mac[4] << 32);
    lwip_init();
    if (cfg->dhcp) {
        ip4_addr_set_zero(&ip);
        ip4_addr_set_zero(&mask);
        ip4_addr_set_zero(&gw);
    } else {
        ip4_addr_set_u32(&ip, lwip_htonl(cfg->ip));
        ip4_addr_set_u32(&mask, lwip_htonl(cfg->netmask));
        ip4_addr_set_u32(&gw, lwip_htonl(cfg->gateway));
    }
    if (!netif_add(&net_if, &ip, &mask, &gw, NULL, net_if_init, ethernet_input)) {
        hv_printf("mgmt: cannot add the network interface\n");
        return false;
    }
    netif_set_default(&net_if);
    netif_set_status_callback(&net_if, net_status);
    netif_set_link_up(&net_if);
    netif_set_up(&net_if);                  /* a static address is announced from here */
    if (cfg->dhcp && dhcp_start(&net_if) != ERR_OK) {
        hv_printf("mgmt: cannot start DHCP\n");
        return false;
    }
    return true;
}

void net_poll(void)
{
    for (int i = 0; i < NET_RX_BUDGET; i++) {
        size_t len = net_dev->recv(net_dev, net_frame, sizeof(net_frame));
        if (len == 0)
            break;
        if (len > sizeof(net_frame))
            continue;                       /* a driver bug: never trust the length */
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)(len + ETH_PAD_SIZE), PBUF_POOL);
        if (!p)
            continue;                       /* out of buffers: drop, the peer retransmits */
        if (pbuf_take_at(p, net_frame, (u16_t)len, ETH_PAD_SIZE) != ERR_OK ||
            net_if.input(p, &net_if) != ERR_OK)
            pbuf_free(p);
    }
    sys_check_timeouts();
}
