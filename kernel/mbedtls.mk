# mbedtls.mk: SHA-256 and HMAC from mbedtls 2.28 (Debian's source package, unpacked by `make deps`
# into deps/src/mbedtls/tree) for the management interface's challenge/response
# (kernel/mgmt_auth.c). Only md.c, sha256.c and platform_util.c are built, with
# kernel/mbedtls_port/mbedtls_config.h; mbedtls's sources are never edited.
MBEDTLS_SRC := deps/src/mbedtls/tree
MBEDTLS_FILES := library/md.c library/sha256.c library/platform_util.c
MBEDTLS_INC := -Ikernel/mbedtls_port -I$(MBEDTLS_SRC)/include '-DMBEDTLS_CONFIG_FILE="mbedtls_config.h"'
MBEDTLS_OBJS := $(patsubst %.c,$(B)/mbedtls/%.o,$(MBEDTLS_FILES))
MBEDTLS_CFLAGS := $(filter-out -Wall -Wextra -Werror,$(CFLAGS)) -w $(MBEDTLS_INC)

OBJS += $(MBEDTLS_OBJS)

# Our file that uses it: mbedtls's headers pass -Wall -Wextra -Werror as they are.
$(B)/kernel/mgmt_auth.c.o: CFLAGS += $(MBEDTLS_INC)

$(addprefix $(MBEDTLS_SRC)/,$(MBEDTLS_FILES)): | $(DEPS_STAMP)
	@test -f $@ || { echo "mbedtls.mk: $@ missing: run 'make deps'" >&2; exit 1; }

$(B)/mbedtls/%.o: $(MBEDTLS_SRC)/%.c $(NEWLIB)/.stamp kernel/mbedtls.mk kernel/mbedtls_port/mbedtls_config.h
	@mkdir -p $(@D)
	$(CC) $(MBEDTLS_CFLAGS) -c $< -o $@
