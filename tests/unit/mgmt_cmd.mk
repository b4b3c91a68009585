# Make fragment for the management protocol's pure part (kernel/mgmt_cmd.c): unit test
# (Criterion) and libFuzzer target. Included by the top-level Makefile.
UNIT_TESTS += build/unit/test_mgmt_cmd
build/unit/test_mgmt_cmd: tests/unit/test_mgmt_cmd.c kernel/mgmt_cmd.c include/mgmt_cmd.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ tests/unit/test_mgmt_cmd.c kernel/mgmt_cmd.c $(UNIT_LDLIBS)

FUZZ_TARGETS += build/fuzz/fuzz_mgmt_cmd
build/fuzz/fuzz_mgmt_cmd: tests/fuzz/fuzz_mgmt_cmd.c tests/fuzz/fuzz_check.h kernel/mgmt_cmd.c include/mgmt_cmd.h
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -o $@ \
	  tests/fuzz/fuzz_mgmt_cmd.c kernel/mgmt_cmd.c
