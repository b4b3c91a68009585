# lwip.mk: lwIP 2.1 (Debian's source, unpacked by `make deps` into deps/src/lwip/tree) for the
# management interface: NO_SYS, raw API, IPv4 only. Included by the Makefile after OBJS is
# formed; lwIP's own files build with the hypervisor's flags minus its warnings, never edited.
LWIP_SRC := deps/src/lwip/tree/src
LWIP_PORT := kernel/lwip_port
LWIP_FILES := core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
  core/netif.c core/pbuf.c core/stats.c core/sys.c core/tcp.c core/tcp_in.c core/tcp_out.c \
  core/timeouts.c core/udp.c \
  core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c \
  core/ipv4/ip4_frag.c \
  netif/ethernet.c
LWIP_OBJS := $(patsubst %.c,$(B)/lwip/%.o,$(LWIP_FILES))
LWIP_INC := -I$(LWIP_PORT) -I$(LWIP_SRC)/include
LWIP_CFLAGS := $(filter-out -Wall -Wextra -Werror,$(CFLAGS)) -w $(LWIP_INC)

OBJS += $(LWIP_OBJS)

# Our files that use lwIP: its headers pass -Wall -Wextra -Werror as they are.
$(B)/kernel/net.c.o $(B)/kernel/mgmt.c.o $(B)/kernel/migrate.c.o: CFLAGS += $(LWIP_INC)

# The sources come from `make deps`; explicit targets, so no other name chains through them.
$(addprefix $(LWIP_SRC)/,$(LWIP_FILES)): | $(DEPS_STAMP)
	@test -f $@ || { echo "lwip.mk: $@ missing: run 'make deps'" >&2; exit 1; }

$(B)/lwip/%.o: $(LWIP_SRC)/%.c $(NEWLIB)/.stamp kernel/lwip.mk
	@mkdir -p $(@D)
	$(CC) $(LWIP_CFLAGS) -c $< -o $@
