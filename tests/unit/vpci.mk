# Make fragment for the emulated PCI configuration space (kernel/vpci.c): unit test (Criterion)
# and libFuzzer target. Included by the top-level Makefile (HOSTCC, UNIT_CFLAGS, UNIT_LDLIBS).
UNIT_TESTS += build/unit/test_vpci
build/unit/test_vpci: tests/unit/test_vpci.c tests/unit/fake_pci.h kernel/vpci.c include/vpci.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ tests/unit/test_vpci.c kernel/vpci.c $(UNIT_LDLIBS)

FUZZ_TARGETS += build/fuzz/fuzz_vpci
build/fuzz/fuzz_vpci: tests/fuzz/fuzz_vpci.c tests/fuzz/fuzz_check.h tests/unit/fake_pci.h kernel/vpci.c include/vpci.h
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -Itests/unit -o $@ \
	  tests/fuzz/fuzz_vpci.c kernel/vpci.c
