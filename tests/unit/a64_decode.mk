# Make fragment for the A64 load/store decoder: unit test (Criterion) and libFuzzer target.
UNIT_TESTS += build/unit/test_a64_decode
build/unit/test_a64_decode: tests/unit/test_a64_decode.c arch/aarch64/insn_decode.c arch/aarch64/include/insn_decode.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/aarch64/include -o $@ tests/unit/test_a64_decode.c arch/aarch64/insn_decode.c $(UNIT_LDLIBS)

FUZZ_TARGETS += build/fuzz/fuzz_a64_decode
build/fuzz/fuzz_a64_decode: tests/fuzz/fuzz_a64_decode.c tests/fuzz/fuzz_check.h arch/aarch64/insn_decode.c arch/aarch64/include/insn_decode.h
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iarch/aarch64/include -o $@ tests/fuzz/fuzz_a64_decode.c arch/aarch64/insn_decode.c
