# Make fragment for the emulated ITS model (arch/aarch64/vgic_its_cmd.c): unit test (Criterion) and libFuzzer target.
UNIT_TESTS += build/unit/test_vgic_its
build/unit/test_vgic_its: tests/unit/test_vgic_its.c tests/unit/fake_arch.c arch/aarch64/vgic_its_cmd.c arch/aarch64/include/vgic_its.h \
  kernel/memslot.c include/memslot.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/aarch64/include -o $@ tests/unit/test_vgic_its.c tests/unit/fake_arch.c \
	  arch/aarch64/vgic_its_cmd.c kernel/memslot.c $(UNIT_LDLIBS)

FUZZ_TARGETS += build/fuzz/fuzz_vgic_its
build/fuzz/fuzz_vgic_its: tests/fuzz/fuzz_vgic_its.c tests/fuzz/fuzz_check.h tests/unit/fake_arch.c arch/aarch64/vgic_its_cmd.c arch/aarch64/include/vgic_its.h
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iarch/aarch64/include -Iinclude \
	  -o $@ tests/fuzz/fuzz_vgic_its.c tests/unit/fake_arch.c arch/aarch64/vgic_its_cmd.c
