/* lwipopts.h: lwIP 2.1 configuration for the management interface: NO_SYS, raw API only,
 * IPv4 (unfragmented) with ARP, DHCP, ICMP, UDP and TCP, all memory static and bounded (kernel/net.c). */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

/* One thread of control: kernel/mgmt.c's poll, under its own flag; no OS, no locking. */
#define NO_SYS                      1
#define SYS_LIGHTWEIGHT_PROT        0
#define LWIP_SOCKET                 0
#define LWIP_NETCONN                0
#define LWIP_TIMERS                 1

/* Memory: a static heap and static pools, so a flood of peers or segments runs lwIP out of
 * buffers, never the hypervisor out of memory. */
#define MEM_LIBC_MALLOC             0
#define MEMP_MEM_MALLOC             0
#define MEM_ALIGNMENT               8
#define MEM_SIZE                    (48 * 1024)
#define MEMP_NUM_PBUF               16
#define MEMP_NUM_UDP_PCB            2          /* DHCP */
#define MEMP_NUM_TCP_PCB            8          /* MGMT_CONN_MAX clients, refusals, TIME_WAIT */
#define MEMP_NUM_TCP_PCB_LISTEN     1
#define MEMP_NUM_TCP_SEG            32
#define MEMP_NUM_ARP_QUEUE          8
#define PBUF_POOL_SIZE              24

/* Ethernet: 2 bytes of padding in front of the 14-byte header so the IP header is 4-byte
 * aligned in every pbuf (the hypervisor is built with -mstrict-align on aarch64). */
#define ETH_PAD_SIZE                2
#define LWIP_ARP                    1
#define LWIP_ETHERNET               1
#define ARP_TABLE_SIZE              8
#define ARP_QUEUEING                1

#define LWIP_IPV4                   1
#define LWIP_IPV6                   0
#define LWIP_ICMP                   1
#define LWIP_RAW                    0
#define LWIP_IGMP                   0
#define LWIP_DNS                    0
#define LWIP_AUTOIP                 0
/* No IP fragmentation either way (issue 16: size): TCP segments fit the MTU (TCP_MSS), DHCP
 * messages are small; a fragmented datagram arriving is dropped. */
#define IP_REASSEMBLY               0
#define IP_FRAG                     0

#define LWIP_UDP                    1
#define LWIP_DHCP                   1
#define DHCP_DOES_ARP_CHECK         0          /* bind at once: no 1 s ARP probe */

#define LWIP_TCP                    1
#define TCP_MSS                     1460
#define TCP_WND                     (4 * TCP_MSS)
#define TCP_SND_BUF                 (4 * TCP_MSS)
#define TCP_SND_QUEUELEN            (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_LISTEN_BACKLOG          0
#define LWIP_TCP_KEEPALIVE          0
#define LWIP_ALTCP                  0
#define TCP_QUEUE_OOSEQ             0          /* out-of-order segments are dropped, not held in the pool */

#define LWIP_NETIF_STATUS_CALLBACK  1          /* "mgmt: address A.B.C.D" when it changes */
#define LWIP_NETIF_LINK_CALLBACK    0
#define LWIP_NETIF_HOSTNAME         0
#define LWIP_SINGLE_NETIF           1

/* Checksums in software, both ways (the virtio-net driver offers no offloads). */
#define CHECKSUM_GEN_IP             1
#define CHECKSUM_GEN_UDP            1
#define CHECKSUM_GEN_TCP            1
#define CHECKSUM_GEN_ICMP           1
#define CHECKSUM_CHECK_IP           1
#define CHECKSUM_CHECK_UDP          1
#define CHECKSUM_CHECK_TCP          1
#define CHECKSUM_CHECK_ICMP         1

#define LWIP_STATS                  0
#define LWIP_STATS_DISPLAY          0
#define PPP_SUPPORT                 0

#endif
