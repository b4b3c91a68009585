# The management interface's challenge/response (kernel/mgmt_auth.c) over mbedtls's HMAC-SHA-256
# built for the host from deps/src/mbedtls (kernel/mbedtls.mk's files and configuration).
UNIT_MBEDTLS_INC := -Ikernel/mbedtls_port -Ideps/src/mbedtls/tree/include '-DMBEDTLS_CONFIG_FILE="mbedtls_config.h"'
UNIT_MBEDTLS_OBJS := $(patsubst %.c,build/unit/mbedtls/%.o,library/md.c library/sha256.c library/platform_util.c)
build/unit/mbedtls/%.o: deps/src/mbedtls/tree/%.c kernel/mbedtls_port/mbedtls_config.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) -g -O1 -fsanitize=address,undefined -w $(UNIT_MBEDTLS_INC) -c $< -o $@

UNIT_TESTS += build/unit/test_mgmt_auth
build/unit/test_mgmt_auth: tests/unit/test_mgmt_auth.c kernel/mgmt_auth.c include/mgmt_auth.h \
  kernel/mgmt_entropy.c include/mgmt_entropy.h tests/unit/fake_arch.c $(UNIT_MBEDTLS_OBJS)
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) $(UNIT_MBEDTLS_INC) -o $@ tests/unit/test_mgmt_auth.c kernel/mgmt_auth.c \
	  kernel/mgmt_entropy.c tests/unit/fake_arch.c $(UNIT_MBEDTLS_OBJS) $(UNIT_LDLIBS)

FUZZ_TARGETS += build/fuzz/fuzz_mgmt_auth
build/fuzz/fuzz_mgmt_auth: tests/fuzz/fuzz_mgmt_auth.c tests/fuzz/fuzz_check.h kernel/mgmt_auth.c include/mgmt_auth.h \
  kernel/mbedtls_port/mbedtls_config.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude $(UNIT_MBEDTLS_INC) -o $@ \
	  tests/fuzz/fuzz_mgmt_auth.c kernel/mgmt_auth.c \
	  $(addprefix deps/src/mbedtls/tree/,library/md.c library/sha256.c library/platform_util.c)
