# The live-migration stream (kernel/migrate_stream.c): host unit test and fuzzer.
UNIT_TESTS += build/unit/test_migrate_stream
build/unit/test_migrate_stream: tests/unit/test_migrate_stream.c kernel/migrate_stream.c include/migrate_stream.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ tests/unit/test_migrate_stream.c kernel/migrate_stream.c $(UNIT_LDLIBS)

FUZZ_TARGETS += build/fuzz/fuzz_migrate_stream
build/fuzz/fuzz_migrate_stream: tests/fuzz/fuzz_migrate_stream.c tests/fuzz/fuzz_check.h kernel/migrate_stream.c \
  include/migrate_stream.h
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -o $@ \
	  tests/fuzz/fuzz_migrate_stream.c kernel/migrate_stream.c
