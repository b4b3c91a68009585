# Make fragment for the hv.cfg parser: unit test (Criterion) and libFuzzer target.
# Included by the top-level Makefile, which defines HOSTCC, UNIT_CFLAGS and UNIT_LDLIBS.
UNIT_TESTS += build/unit/test_config
build/unit/test_config: tests/unit/test_config.c kernel/config.c include/config.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iinclude -o $@ tests/unit/test_config.c kernel/config.c $(UNIT_LDLIBS)

FUZZ_TARGETS += build/fuzz/fuzz_config
build/fuzz/fuzz_config: tests/fuzz/fuzz_config.c tests/fuzz/fuzz_check.h kernel/config.c include/config.h
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -o $@ tests/fuzz/fuzz_config.c kernel/config.c
