# Make fragment for the x86 MMIO instruction decoder: unit test (Criterion) and libFuzzer target.
UNIT_TESTS += build/unit/test_x86_decode
build/unit/test_x86_decode: tests/unit/test_x86_decode.c arch/x86_64/insn_decode.c arch/x86_64/insn_alu.c arch/x86_64/include/x86_insn.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_x86_decode.c arch/x86_64/insn_decode.c arch/x86_64/insn_alu.c $(UNIT_LDLIBS)

FUZZ_TARGETS += build/fuzz/fuzz_x86_decode
build/fuzz/fuzz_x86_decode: tests/fuzz/fuzz_x86_decode.c tests/fuzz/fuzz_check.h arch/x86_64/insn_decode.c arch/x86_64/insn_alu.c arch/x86_64/include/x86_insn.h
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iarch/x86_64/include -o $@ tests/fuzz/fuzz_x86_decode.c arch/x86_64/insn_decode.c arch/x86_64/insn_alu.c
